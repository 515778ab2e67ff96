//! Upgrade bundles: uploaded by the operator, kept by digest, fetched by devices.
//!
//! An upload is streamed to disk (never held in memory), hashed as it arrives, at most
//! [`MAX_BUNDLE_BYTES`] and with at most [`UPLOAD_IDLE`] between pieces, by at most
//! [`MAX_UPLOADS`] operators at once; it becomes `DATA/bundles/<sha256>.tar.gz` only once
//! whole (a broken upload leaves nothing) and once its index reads with
//! `kos_bundle::read_index`:
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
/// Largest bundle Orbit accepts for upload.
pub const MAX_BUNDLE_BYTES: u64 = 512 << 20;
/// Uploads received at once; another is refused until one ends.
pub const MAX_UPLOADS: usize = 2;
/// Longest wait for the next piece of an upload before it is dropped.
pub const UPLOAD_IDLE: Duration = Duration::from_secs(30);

/// Why an upload was not stored.
#[derive(Debug)]
pub enum UploadError {
    /// More than [`MAX_BUNDLE_BYTES`].
    TooLarge,
    /// Nothing arrived for [`UPLOAD_IDLE`].
    Stalled,
    /// The connection broke mid-body.
    Broken(String),
    /// It is whole but not a KOS bundle.
    NotABundle(String),
    /// Orbit could not write it.
    Io(String),
}

impl std::fmt::Display for UploadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UploadError::TooLarge => {
                write!(f, "a bundle is at most {} MiB", MAX_BUNDLE_BYTES >> 20)
            }
            UploadError::Stalled => write!(f, "the upload stalled for {} s", UPLOAD_IDLE.as_secs()),
            UploadError::Broken(e) => write!(f, "the upload broke off: {e}"),
            UploadError::NotABundle(e) => write!(f, "not a KOS upgrade bundle: {e}"),
            UploadError::Io(e) => f.write_str(e),
        }
    }
}

/// A partial upload's file: removed unless it became a bundle.
struct Partial(Option<PathBuf>);

impl Drop for Partial {
    fn drop(&mut self) {
        if let Some(path) = self.0.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Receives `body` into `dir` as a bundle: streamed to a fresh temporary file and
/// hashed as it arrives, within the limits above, then checked and kept by digest.
pub async fn receive(dir: &Path, body: axum::body::Body) -> Result<Stored, UploadError> {
    use futures_util::StreamExt;
    use tokio::io::AsyncWriteExt;

    tokio::fs::create_dir_all(dir)
        .await
        .map_err(|e| UploadError::Io(format!("{}: {e}", dir.display())))?;
    let mut raw = [0u8; 16];
    getrandom::fill(&mut raw).map_err(|e| UploadError::Io(e.to_string()))?;
    let tmp = dir.join(format!("upload-{}.part", hex::encode(raw)));
    let partial = Partial(Some(tmp.clone()));
    let mut file = tokio::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .await
        .map_err(|e| UploadError::Io(format!("{}: {e}", tmp.display())))?;
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    let mut stream = body.into_data_stream();
    loop {
        let piece = match tokio::time::timeout(UPLOAD_IDLE, stream.next()).await {
            Err(_) => return Err(UploadError::Stalled),
            Ok(None) => break,
            Ok(Some(Err(e))) => return Err(UploadError::Broken(e.to_string())),
            Ok(Some(Ok(piece))) => piece,
        };
        size += piece.len() as u64;
        if size > MAX_BUNDLE_BYTES {
            return Err(UploadError::TooLarge);
        }
        hasher.update(&piece);
        file.write_all(&piece)
            .await
            .map_err(|e| UploadError::Io(format!("{}: {e}", tmp.display())))?;
    }
    file.flush()
        .await
        .map_err(|e| UploadError::Io(format!("{}: {e}", tmp.display())))?;
    drop(file);
    let sha256 = hex::encode(hasher.finalize());
    let dir = dir.to_path_buf();
    tokio::task::spawn_blocking(move || adopt(&dir, partial, &sha256, size))
        .await
        .map_err(|e| UploadError::Io(e.to_string()))?
}

/// Reads a whole upload's index and keeps it under its digest.
fn adopt(dir: &Path, mut partial: Partial, sha256: &str, size: u64) -> Result<Stored, UploadError> {
    let tmp = partial.0.clone().expect("a partial upload has its file");
    let index = kos_bundle::read_index(&tmp).map_err(|e| UploadError::NotABundle(e.to_string()))?;
    let path = dir.join(format!("{sha256}.tar.gz"));
    std::fs::rename(&tmp, &path)
        .map_err(|e| UploadError::Io(format!("{}: {e}", path.display())))?;
    partial.0 = None;
    Ok(Stored {
        sha256: sha256.to_string(),
        size,
        version: index.version,
        path,
    })
}

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

/// Removes partial uploads a killed Orbit left in `dir` (at start: none is running).
pub fn clean_partial(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            name.starts_with("upload-") && name.ends_with(".part")
        })
        .filter(|e| std::fs::remove_file(e.path()).is_ok())
        .count()
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
