//! Where Orbit is and how to reach it: its URL, the TLS roots for `wss://`, and the
//! reconnect policy. The device's WebSocket URL and Orbit's HTTP base (bundle
//! downloads) are both derived here, from the one base URL.

use std::sync::Arc;

use orbit_protocol::DEVICE_PATH;

use crate::{Backoff, Error};

/// Where Orbit is: its URL (`ws://host:port` on loopback, `wss://host` elsewhere) and,
/// for `wss://`, which certificate authorities to trust.
#[derive(Clone)]
pub struct Endpoint {
    /// Orbit's base URL; the device path is added.
    pub url: String,
    tls: Option<Arc<rustls::ClientConfig>>,
    /// How [`run`] spaces reconnects to it.
    pub backoff: Backoff,
}

impl Endpoint {
    /// Orbit at `url`; `wss://` is checked against the public web roots (webpki-roots).
    pub fn new(url: &str) -> Endpoint {
        Endpoint {
            url: url.to_string(),
            tls: None,
            backoff: Backoff::default(),
        }
    }

    /// The same endpoint with another reconnect policy.
    pub fn with_backoff(mut self, backoff: Backoff) -> Endpoint {
        self.backoff = backoff;
        self
    }

    /// Orbit at `url`, whose certificate must chain to a CA in `ca_pem` (the
    /// deployment's own CA, or Orbit's self-signed certificate).
    pub fn with_ca_pem(url: &str, ca_pem: &str) -> Result<Endpoint, Error> {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::CertificateDer;
        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
            let cert = cert.map_err(|e| Error::Key(format!("CA certificate: {e}")))?;
            roots
                .add(cert)
                .map_err(|e| Error::Key(format!("CA certificate: {e}")))?;
        }
        if roots.is_empty() {
            return Err(Error::Key("no certificate in the CA file".into()));
        }
        Ok(Endpoint {
            url: url.to_string(),
            tls: Some(client_config(roots)),
            backoff: Backoff::default(),
        })
    }

    /// The TLS settings for `wss://`: the deployment's CA, or the public web roots.
    pub(crate) fn tls(&self) -> Arc<rustls::ClientConfig> {
        match &self.tls {
            Some(config) => config.clone(),
            None => client_config(rustls::RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            }),
        }
    }

    /// The URL of Orbit's device WebSocket.
    pub fn device_url(&self) -> String {
        format!("{}{DEVICE_PATH}", self.url.trim_end_matches('/'))
    }

    /// Orbit's base URL for HTTP (bundle downloads): `ws://` → `http://`, `wss://` →
    /// `https://`.
    pub fn http_base(&self) -> String {
        self.url
            .trim_end_matches('/')
            .replacen("ws://", "http://", 1)
            .replacen("wss://", "https://", 1)
    }
}

/// The one place TLS is set up: rustls with the ring provider, its safe default
/// protocol versions, no client certificate, trusting `roots`.
fn client_config(roots: rustls::RootCertStore) -> Arc<rustls::ClientConfig> {
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("ring supports the default TLS versions")
    .with_root_certificates(roots)
    .with_no_client_auth();
    Arc::new(config)
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn the_device_and_http_urls_come_from_the_one_base() {
        let e = Endpoint::new("wss://orbit.example/");
        assert_eq!(e.device_url(), format!("wss://orbit.example{DEVICE_PATH}"));
        assert_eq!(e.http_base(), "https://orbit.example");
        assert_eq!(
            Endpoint::new("ws://127.0.0.1:4000").http_base(),
            "http://127.0.0.1:4000"
        );
    }

    #[test]
    fn a_ca_file_without_a_certificate_is_refused() {
        assert!(matches!(
            Endpoint::with_ca_pem("wss://x", "not a pem"),
            Err(Error::Key(_))
        ));
    }
}
