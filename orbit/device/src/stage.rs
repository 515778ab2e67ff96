//! Staging an upgrade on the device: download the bundle an upgrade command names,
//! check it, verify it and unpack it into a new image directory.
//!
//! No path on the device is built from anything that came over the network. Each
//! attempt gets a fresh directory `incoming-<32 random hex digits>` inside the images
//! directory (created exclusively, mode 0700); the download is created exclusively
//! inside it, and `kos-bundle` unpacks into `image/` beside it. Only once the signature,
//! every file's hash and the version all check out is `image/` moved to
//! `image-<random>`, and the work directory removed. On any failure the work directory
//! is removed and nothing else on the device has changed. The command's version must
//! keep the version rule and equal the version the signed index declares, so a
//! command cannot make a bundle claim to be what it is not; and it must not be older
//! than the version running (as semantic versions) unless the signed index marks the
//! bundle a deliberate rollback, so an old signed bundle cannot be replayed to bring
//! its vulnerabilities back.
//!
//! A device admin that dies mid-stage leaves an `incoming-*` directory, never a
//! half-made `image-*`: [`INCOMING_PREFIX`] marks what may be removed at start.

use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use kos_bundle::VerifyingKey;
use orbit_protocol::Command;

use crate::CommandError;
use sha2::{Digest, Sha256};

/// Name prefix of a staging attempt's work directory: partial work, safe to remove
/// whenever no stage is running.
pub const INCOMING_PREFIX: &str = "incoming-";
/// Name prefix of a complete, verified image directory.
pub const IMAGE_PREFIX: &str = "image-";

/// Why an upgrade was not staged. On every one of these nothing under the images
/// directory has changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StageError {
    /// The command is not a well-formed upgrade.
    Invalid(String),
    /// The download failed, or its size or digest is not what the command announced.
    Download(String),
    /// `kos-bundle` refused the bundle (signature, a file's hash, its layout…).
    Bundle(String),
    /// The bundle is older than the running system and not marked a rollback.
    Downgrade {
        /// The version running.
        running: String,
        /// The version offered.
        offered: String,
    },
    /// The signed index declares another version than the command.
    VersionMismatch {
        /// What the signed index says.
        signed: String,
        /// What the command says.
        command: String,
    },
    /// A file or directory of the stage could not be made.
    Io(String),
}

impl StageError {
    /// The refusal without its kind, for [`CommandError`]'s own wording.
    fn detail(&self) -> String {
        match self {
            StageError::Invalid(d)
            | StageError::Download(d)
            | StageError::Bundle(d)
            | StageError::Io(d) => d.clone(),
            StageError::VersionMismatch { signed, command } => format!(
                "its signed index says version {}, the command says {command}",
                signed.escape_debug()
            ),
            StageError::Downgrade { running, offered } => format!(
                "version {} is older than the running {}, and the bundle is not marked a rollback (kos bundle create --rollback)",
                offered.escape_debug(),
                running.escape_debug()
            ),
        }
    }
}

impl std::fmt::Display for StageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StageError::Bundle(_)
            | StageError::VersionMismatch { .. }
            | StageError::Downgrade { .. } => {
                write!(f, "bundle refused: {}", self.detail())
            }
            _ => f.write_str(&self.detail()),
        }
    }
}

impl std::error::Error for StageError {}

impl From<StageError> for CommandError {
    fn from(e: StageError) -> CommandError {
        match e {
            StageError::Invalid(d) => CommandError::Invalid(d),
            StageError::Io(d) => CommandError::Failed(d),
            other => CommandError::BundleRefused(other.detail()),
        }
    }
}

/// A verified image, ready for `_root` to switch to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staged {
    /// The version the signed index declares (equal to the command's).
    pub version: String,
    /// Files in the image.
    pub files: usize,
    /// Payload bytes.
    pub bytes: u64,
    /// The image directory, `images/image-<random>`.
    pub dir: PathBuf,
}

/// Downloads, checks and unpacks the bundle of `command` (an upgrade) from Orbit at
/// `http_base` into a new image directory under `images`, verifying it with `trusted`,
/// for a device running version `running`. On `Err` (what was wrong) nothing under
/// `images` has changed.
pub fn stage_upgrade(
    http_base: &str,
    command: &Command,
    trusted: &VerifyingKey,
    images: &Path,
    running: &str,
) -> Result<Staged, StageError> {
    command.check().map_err(StageError::Invalid)?;
    let Command::Upgrade {
        url,
        sha256,
        size,
        version,
    } = command
    else {
        return Err(StageError::Invalid("not an upgrade command".into()));
    };
    let work = WorkDir::create(images)?;
    let download = work.path().join("bundle.tar.gz");
    fetch(&format!("{http_base}{url}"), &download, *size, sha256)?;
    let image = work.path().join("image");
    let unpacked =
        kos_bundle::unpack_verified(&download, trusted, &image, &kos_bundle::Limits::default())
            .map_err(|e| StageError::Bundle(e.to_string()))?;
    if unpacked.version != *version {
        return Err(StageError::VersionMismatch {
            signed: unpacked.version,
            command: version.clone(),
        });
    }
    if is_older(&unpacked.version, running) && !unpacked.rollback {
        return Err(StageError::Downgrade {
            running: running.to_owned(),
            offered: unpacked.version,
        });
    }
    let dir = images.join(format!("{IMAGE_PREFIX}{}", random_hex()?));
    fs::rename(&image, &dir).map_err(|e| io_error(&dir, e))?;
    // The rename is the commit point; make it survive a power cut before saying so.
    fs::File::open(images)
        .and_then(|d| d.sync_all())
        .map_err(|e| io_error(images, e))?;
    Ok(Staged {
        version: unpacked.version,
        files: unpacked.files,
        bytes: unpacked.bytes,
        dir,
    })
}

/// Fetches `url` into `path` (created exclusively), taking no more than `size` bytes,
/// and checks the size and SHA-256 the command announced.
fn fetch(url: &str, path: &Path, size: u64, sha256: &str) -> Result<(), StageError> {
    let response = ureq::get(url)
        .call()
        .map_err(|e| StageError::Download(format!("download failed: {e}")))?;
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| io_error(path, e))?;
    // Never take more than announced: a lying server cannot fill the disk.
    let mut body = response.into_reader().take(size + 1);
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 << 10];
    let mut got = 0u64;
    loop {
        let n = body
            .read(&mut buf)
            .map_err(|e| StageError::Download(format!("download interrupted: {e}")))?;
        if n == 0 {
            break;
        }
        got += n as u64;
        hasher.update(&buf[..n]);
        file.write_all(&buf[..n]).map_err(|e| io_error(path, e))?;
    }
    if got != size {
        return Err(StageError::Download(format!(
            "download has {got} bytes, the command announced {size}"
        )));
    }
    if hex::encode(hasher.finalize()) != sha256 {
        return Err(StageError::Download(
            "download does not match the announced sha256".to_string(),
        ));
    }
    Ok(())
}

/// Is `offered` an older semantic version than `running`? Versions that are not
/// semantic versions are not ordered (false).
pub fn is_older(offered: &str, running: &str) -> bool {
    match (
        semver::Version::parse(offered),
        semver::Version::parse(running),
    ) {
        (Ok(offered), Ok(running)) => offered < running,
        _ => false,
    }
}

fn io_error(path: &Path, e: std::io::Error) -> StageError {
    StageError::Io(format!("{}: {e}", path.display()))
}

/// 32 hex digits from the OS's generator: a name no one can guess or make collide.
fn random_hex() -> Result<String, StageError> {
    let mut raw = [0u8; 16];
    getrandom::fill(&mut raw)
        .map_err(|e| StageError::Io(format!("no randomness for a staging name: {e}")))?;
    Ok(hex::encode(raw))
}

/// One attempt's work directory, removed with all it holds when dropped.
struct WorkDir(PathBuf);

impl WorkDir {
    fn create(images: &Path) -> Result<WorkDir, StageError> {
        let path = images.join(format!("{INCOMING_PREFIX}{}", random_hex()?));
        // Exclusive: an existing directory (or a link planted at that name) is an error,
        // never reused.
        fs::DirBuilder::new()
            .mode(0o700)
            .create(&path)
            .map_err(|e| io_error(&path, e))?;
        Ok(WorkDir(path))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}
