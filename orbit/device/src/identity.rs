//! Who the device is — its registered name and Ed25519 key — and how it proves it:
//! the signed answer to Orbit's challenge.

use ed25519_dalek::{Signer, SigningKey};
use orbit_protocol::{transcript, ToOrbit, DEVICE_PATH};

use crate::Error;

/// Who the device is: its registered name and private key.
pub struct Identity {
    /// The name Orbit knows the device by.
    pub name: String,
    /// The private half of the key registered with Orbit.
    pub key: SigningKey,
}

impl Identity {
    /// Loads the key from a PKCS#8 PEM file as `openssl genpkey -algorithm ed25519` writes.
    pub fn from_pem(name: &str, pem: &str) -> Result<Identity, Error> {
        use ed25519_dalek::pkcs8::DecodePrivateKey;
        let key = SigningKey::from_pkcs8_pem(pem)
            .map_err(|e| Error::Key(format!("not an Ed25519 private key (PKCS#8 PEM): {e}")))?;
        Ok(Identity {
            name: name.to_string(),
            key,
        })
    }
}

/// The [`ToOrbit::Hello`] that answers a challenge: the signature over
/// [`transcript`] binds the nonce to this device, this Orbit and the endpoint.
pub fn answer_challenge(
    id: &Identity,
    version: &str,
    nonce_hex: &str,
    orbit: &str,
) -> Result<ToOrbit, Error> {
    let nonce =
        hex::decode(nonce_hex).map_err(|_| Error::Protocol("challenge nonce is not hex".into()))?;
    if nonce.len() != orbit_protocol::NONCE_BYTES {
        return Err(Error::Protocol(format!(
            "challenge nonce of {} bytes",
            nonce.len()
        )));
    }
    let signature = id
        .key
        .sign(&transcript(&id.name, &nonce, orbit, DEVICE_PATH));
    Ok(ToOrbit::Hello {
        device: id.name.clone(),
        version: version.to_string(),
        signature: hex::encode(signature.to_bytes()),
    })
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn a_challenge_answer_verifies_under_the_device_key_only_for_its_transcript() {
        use ed25519_dalek::Verifier;
        let id = Identity {
            name: "dev1".into(),
            key: SigningKey::from_bytes(&[7; 32]),
        };
        let nonce = [9u8; 32];
        let ToOrbit::Hello { signature, .. } =
            answer_challenge(&id, "1.0", &hex::encode(nonce), "orbit-a").unwrap()
        else {
            panic!("not a hello")
        };
        let sig = ed25519_dalek::Signature::from_slice(&hex::decode(signature).unwrap()).unwrap();
        let public = id.key.verifying_key();
        assert!(public
            .verify(&transcript("dev1", &nonce, "orbit-a", DEVICE_PATH), &sig)
            .is_ok());
        assert!(public
            .verify(&transcript("dev1", &nonce, "orbit-b", DEVICE_PATH), &sig)
            .is_err());
        assert!(answer_challenge(&id, "1.0", "zz", "o").is_err());
        assert!(answer_challenge(&id, "1.0", "00", "o").is_err());
    }
}
