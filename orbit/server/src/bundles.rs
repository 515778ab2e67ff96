//! Upgrade bundles: uploaded by the operator, kept by digest, fetched by devices.
//!
//! An upload is written to `DATA/bundles/<sha256>.tar.gz` (through a temporary file,
//! so a broken upload leaves nothing) and its index read with `kos_bundle::read_index`:
//! something that is not a KOS bundle is refused before any device hears of it. Orbit
//! does not need the deployment's signing key: the device verifies the signature and
//! every hash itself. The device fetches the file from `/device/bundles/<sha256>` with
//! a one-time token that the upgrade command carries, valid for one device and
//! [`DOWNLOAD_TTL`].

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

/// How long an upgrade command's download token stays valid.
pub const DOWNLOAD_TTL: Duration = Duration::from_secs(600);

/// A bundle Orbit has stored.
#[derive(Debug, Clone)]
pub struct Stored {
    /// Hex SHA-256 of the file.
    pub sha256: String,
    /// File size.
    pub size: u64,
    /// The version its index declares.
    pub version: String,
    /// Where it is.
    pub path: PathBuf,
}

/// Stores `bytes` as a bundle in `dir`; refuses anything that is not one.
pub fn store(dir: &Path, bytes: &[u8]) -> Result<Stored, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let sha256 = hex::encode(Sha256::digest(bytes));
    let path = dir.join(format!("{sha256}.tar.gz"));
    let tmp = dir.join(format!("{sha256}.upload"));
    std::fs::write(&tmp, bytes).map_err(|e| format!("{}: {e}", tmp.display()))?;
    let index = match kos_bundle::read_index(&tmp) {
        Ok(index) => index,
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(format!("not a KOS upgrade bundle: {e}"));
        }
    };
    std::fs::rename(&tmp, &path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(Stored {
        sha256,
        size: bytes.len() as u64,
        version: index.version,
        path,
    })
}

/// One-time download tokens handed out with upgrade commands.
#[derive(Default)]
pub struct Downloads {
    tokens: Mutex<HashMap<String, (String, String, Instant)>>,
}

impl Downloads {
    /// A token that lets `device` fetch bundle `sha256` once, within [`DOWNLOAD_TTL`].
    pub fn grant(&self, device: &str, sha256: &str) -> Result<String, String> {
        let mut raw = [0u8; 24];
        getrandom::fill(&mut raw).map_err(|e| e.to_string())?;
        let token = hex::encode(raw);
        let mut tokens = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
        tokens.retain(|_, (_, _, at)| at.elapsed() < DOWNLOAD_TTL);
        tokens.insert(
            token.clone(),
            (device.to_string(), sha256.to_string(), Instant::now()),
        );
        Ok(token)
    }

    /// Uses up `token` for bundle `sha256`: the device it was granted to, if valid.
    pub fn take(&self, token: &str, sha256: &str) -> Option<String> {
        let mut tokens = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
        match tokens.remove(token) {
            Some((device, sha, at)) if sha == sha256 && at.elapsed() < DOWNLOAD_TTL => Some(device),
            _ => None,
        }
    }
}
