//! Keys and the signature over the index.
//!
//! The signed message is `b"KOS-BUNDLE-v1\n"` followed by the 32-byte SHA-256 of the exact
//! `BUNDLE.json` bytes. The prefix is a domain separator: a KOS deployment key also signs
//! other things (e.g. Orbit messages), and no such signature can ever be replayed as a
//! bundle signature. Hashing first keeps the signed message small and fixed-size.
//!
//! `BUNDLE.sig` holds 96 raw bytes: the signer's public key (32) then the Ed25519
//! signature (64). The embedded key is *never* used to verify — only the device's trusted
//! key is — it is there so a refusal can say "signed by another key" (with both
//! fingerprints) instead of a bare "bad signature", which is what an operator needs after
//! a key rotation mix-up.

use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey};
use ed25519_dalek::{
    Signature, Signer, SigningKey, VerifyingKey, PUBLIC_KEY_LENGTH, SIGNATURE_LENGTH,
};
use sha2::{Digest, Sha256};

use crate::error::BundleError;

/// Domain separator at the start of every signed message.
pub const SIGNATURE_DOMAIN: &[u8] = b"KOS-BUNDLE-v1\n";

/// Size of `BUNDLE.sig`: public key then signature.
pub const SIG_FILE_LEN: usize = PUBLIC_KEY_LENGTH + SIGNATURE_LENGTH;

/// Reads a PKCS#8 `-----BEGIN PRIVATE KEY-----` PEM holding an Ed25519 key, as written by
/// `openssl genpkey -algorithm ed25519`.
pub fn signing_key_from_pem(pem: &str) -> Result<SigningKey, BundleError> {
    SigningKey::from_pkcs8_pem(pem.trim()).map_err(|e| BundleError::Key {
        detail: format!("not a PKCS#8 Ed25519 private key PEM: {e}"),
    })
}

/// Reads an SPKI `-----BEGIN PUBLIC KEY-----` PEM holding an Ed25519 key, as written by
/// `openssl pkey -pubout`.
pub fn verifying_key_from_pem(pem: &str) -> Result<VerifyingKey, BundleError> {
    VerifyingKey::from_public_key_pem(pem.trim()).map_err(|e| BundleError::Key {
        detail: format!("not an SPKI Ed25519 public key PEM: {e}"),
    })
}

/// The exact bytes the signature covers (see the module doc).
pub(crate) fn signed_message(index_bytes: &[u8]) -> Vec<u8> {
    let mut msg = Vec::with_capacity(SIGNATURE_DOMAIN.len() + 32);
    msg.extend_from_slice(SIGNATURE_DOMAIN);
    msg.extend_from_slice(&Sha256::digest(index_bytes));
    msg
}

/// The content of `BUNDLE.sig` for these index bytes.
pub(crate) fn sign_index(key: &SigningKey, index_bytes: &[u8]) -> [u8; SIG_FILE_LEN] {
    let sig = key.sign(&signed_message(index_bytes));
    let mut out = [0u8; SIG_FILE_LEN];
    out[..PUBLIC_KEY_LENGTH].copy_from_slice(key.verifying_key().as_bytes());
    out[PUBLIC_KEY_LENGTH..].copy_from_slice(&sig.to_bytes());
    out
}

/// Splits `BUNDLE.sig` into (claimed signer key bytes, signature); checks only the shape.
pub(crate) fn parse_sig_file(
    bytes: &[u8],
) -> Result<([u8; PUBLIC_KEY_LENGTH], Signature), BundleError> {
    if bytes.len() != SIG_FILE_LEN {
        return Err(BundleError::SignatureMalformed {
            detail: format!("{} bytes, expected {SIG_FILE_LEN}", bytes.len()),
        });
    }
    let (key, sig) = bytes.split_at(PUBLIC_KEY_LENGTH);
    let mut key_bytes = [0u8; PUBLIC_KEY_LENGTH];
    key_bytes.copy_from_slice(key);
    let sig = Signature::from_slice(sig).map_err(|e| BundleError::SignatureMalformed {
        detail: e.to_string(),
    })?;
    Ok((key_bytes, sig))
}

/// Checks `BUNDLE.sig` against the trusted key. Uses `verify_strict`, which also refuses
/// weak keys and non-canonical signatures, so one index has one valid signature per key.
pub(crate) fn verify_index(
    trusted: &VerifyingKey,
    index_bytes: &[u8],
    sig_file: &[u8],
) -> Result<(), BundleError> {
    let (signer, sig) = parse_sig_file(sig_file)?;
    if &signer != trusted.as_bytes() {
        return Err(BundleError::WrongKey {
            signer: hex::encode(signer),
            trusted: hex::encode(trusted.as_bytes()),
        });
    }
    trusted
        .verify_strict(&signed_message(index_bytes), &sig)
        .map_err(|_| BundleError::BadSignature)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    #[test]
    fn sign_then_verify() {
        let k = key(1);
        let sig = sign_index(&k, b"{}");
        assert_eq!(&sig[..32], k.verifying_key().as_bytes());
        verify_index(&k.verifying_key(), b"{}", &sig).unwrap();
    }

    #[test]
    fn altered_index_is_bad_signature() {
        let k = key(1);
        let sig = sign_index(&k, b"{\"a\":1}");
        let err = verify_index(&k.verifying_key(), b"{\"a\":2}", &sig).unwrap_err();
        assert!(matches!(err, BundleError::BadSignature), "{err}");
    }

    #[test]
    fn altered_signature_is_bad_signature() {
        let k = key(1);
        let mut sig = sign_index(&k, b"x");
        sig[40] ^= 1;
        let err = verify_index(&k.verifying_key(), b"x", &sig).unwrap_err();
        assert!(matches!(err, BundleError::BadSignature), "{err}");
    }

    #[test]
    fn other_signer_is_wrong_key() {
        let sig = sign_index(&key(2), b"x");
        let err = verify_index(&key(1).verifying_key(), b"x", &sig).unwrap_err();
        assert!(matches!(err, BundleError::WrongKey { .. }), "{err}");
    }

    #[test]
    fn lying_signer_field_does_not_help() {
        // Signed by key 2 but claiming key 1: the claim gets past the label check and the
        // real verification under the trusted key refuses it.
        let mut sig = sign_index(&key(2), b"x");
        sig[..32].copy_from_slice(key(1).verifying_key().as_bytes());
        let err = verify_index(&key(1).verifying_key(), b"x", &sig).unwrap_err();
        assert!(matches!(err, BundleError::BadSignature), "{err}");
    }

    #[test]
    fn wrong_length_is_malformed() {
        let err = verify_index(&key(1).verifying_key(), b"x", &[0u8; 64]).unwrap_err();
        assert!(
            matches!(err, BundleError::SignatureMalformed { .. }),
            "{err}"
        );
    }

    #[test]
    fn signed_message_is_domain_then_digest() {
        let msg = signed_message(b"abc");
        assert_eq!(&msg[..14], b"KOS-BUNDLE-v1\n");
        assert_eq!(&msg[14..], Sha256::digest(b"abc").as_slice());
    }

    #[test]
    fn pem_garbage_is_key_error() {
        assert!(matches!(
            signing_key_from_pem("nope"),
            Err(BundleError::Key { .. })
        ));
        assert!(matches!(
            verifying_key_from_pem("nope"),
            Err(BundleError::Key { .. })
        ));
    }
}
