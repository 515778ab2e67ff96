//! Device public keys from the PEM files the `openssl` CLI writes.
//!
//! Two forms are accepted: a bare Ed25519 public key (`-----BEGIN PUBLIC KEY-----`,
//! SPKI, from `openssl pkey -pubout`) and a device registration certificate
//! (`-----BEGIN CERTIFICATE-----`, X.509, from `openssl req -x509` or a CA), whose
//! subject key must be Ed25519. Anything else is refused with what was found.

use ed25519_dalek::pkcs8::DecodePublicKey;
use ed25519_dalek::VerifyingKey;

/// The Ed25519 public key in `pem`, or why there is none.
pub fn public_key_from_pem(pem: &str) -> Result<VerifyingKey, String> {
    let pem = pem.trim();
    if pem.starts_with("-----BEGIN PUBLIC KEY-----") {
        VerifyingKey::from_public_key_pem(pem).map_err(|e| {
            format!("not an Ed25519 public key (openssl pkey -pubout output expected): {e}")
        })
    } else if pem.starts_with("-----BEGIN CERTIFICATE-----") {
        use x509_cert::der::{DecodePem, Encode};
        let cert = x509_cert::Certificate::from_pem(pem.as_bytes())
            .map_err(|e| format!("not a readable X.509 certificate: {e}"))?;
        let spki = cert
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .map_err(|e| format!("certificate key: {e}"))?;
        VerifyingKey::from_public_key_der(&spki)
            .map_err(|e| format!("the certificate's key is not Ed25519: {e}"))
    } else if pem.starts_with("-----BEGIN PRIVATE KEY-----") {
        Err("this is a PRIVATE key: register the public half (openssl pkey -in KEY -pubout)".into())
    } else {
        Err("expected a PEM public key or certificate (-----BEGIN PUBLIC KEY----- or -----BEGIN CERTIFICATE-----)".into())
    }
}
