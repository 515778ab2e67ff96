//! Verifying and unpacking a bundle on the device.
//!
//! Order matters: the index and signature are read and verified before the staging
//! directory is even created, the declared sizes are checked against [`Limits`] before a
//! payload byte is read, and then each file is hashed and counted as it is written. Any
//! failure removes the staging directory, so the caller either gets a complete verified
//! tree or nothing.

use std::collections::{HashMap, HashSet};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use ed25519_dalek::VerifyingKey;
use sha2::{Digest, Sha256};

use crate::archive::{self, Budget, Stream};
use crate::error::{io_err, BundleError};
use crate::index::{FileEntry, Index};
use crate::keys;
use crate::path::check_path;
use crate::{INDEX_NAME, SIG_NAME};

/// Bounds on what a bundle may expand to. Checked against the index before unpacking
/// and against the bytes actually written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Sum of all payload file sizes.
    pub max_total_bytes: u64,
    /// Size of any one payload file.
    pub max_file_bytes: u64,
    /// Number of payload files.
    pub max_files: u64,
}

impl Default for Limits {
    /// Generous for a KOS system (a few VMs' worth of apps), small enough for device flash.
    fn default() -> Self {
        Limits {
            max_total_bytes: 1 << 30,
            max_file_bytes: 256 << 20,
            max_files: 50_000,
        }
    }
}

impl Limits {
    /// Checks the sizes the index declares; returns their total.
    fn check_declared(&self, index: &Index) -> Result<u64, BundleError> {
        let count = index.files.len() as u64;
        if count > self.max_files {
            return Err(BundleError::TooLarge {
                detail: format!(
                    "index lists {count} files, more than max_files {}",
                    self.max_files
                ),
            });
        }
        if let Some(f) = index.files.iter().find(|f| f.size > self.max_file_bytes) {
            return Err(too_big_file(&f.path, f.size, self.max_file_bytes));
        }
        match index.total_bytes() {
            Some(total) if total <= self.max_total_bytes => Ok(total),
            declared => Err(BundleError::TooLarge {
                detail: format!(
                    "index declares {} bytes, more than max_total_bytes {}",
                    declared.map_or("over 2^64".to_string(), |t| t.to_string()),
                    self.max_total_bytes
                ),
            }),
        }
    }
}

fn too_big_file(path: &str, size: u64, max: u64) -> BundleError {
    BundleError::TooLarge {
        detail: format!(
            "{}: {size} bytes, more than max_file_bytes {max}",
            path.escape_debug()
        ),
    }
}

/// What [`unpack_verified`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unpacked {
    /// The version from the verified index.
    pub version: String,
    /// Whether the verified index marks a deliberate rollback.
    pub rollback: bool,
    /// Number of payload files written.
    pub files: usize,
    /// Payload bytes written.
    pub bytes: u64,
    /// The staging directory, now holding exactly the indexed files.
    pub dir: PathBuf,
}

/// Verifies `bundle` against `trusted` and unpacks its payload into `staging`.
///
/// `staging` must not exist (its parent must); it is created only after the signature
/// verified, and removed again on any error, so on `Err` nothing is left behind. A
/// staging directory that already existed is never touched. Files get exactly the mode
/// the index gives (0o644/0o755, regardless of umask) and are synced to disk; syncing
/// the directories and moving `staging` into place is the caller's job.
pub fn unpack_verified(
    bundle: &Path,
    trusted: &VerifyingKey,
    staging: &Path,
    limits: &Limits,
) -> Result<Unpacked, BundleError> {
    // Cheap early refusal; `Staging::create` below is the race-free check.
    if fs::symlink_metadata(staging).is_ok() {
        return Err(BundleError::StagingExists {
            path: staging.to_owned(),
        });
    }
    let (mut tar, budget) = archive::open(bundle, archive::HEAD_BUDGET)?;
    let mut entries = archive::entries(&mut tar, &budget)?;
    let head = archive::read_head(&mut entries, &budget)?;
    keys::verify_index(trusted, &head.index, &head.sig)?;
    // From here on the index bytes are the signer's own.
    let index = Index::parse(&head.index)?;
    let declared = limits.check_declared(&index)?;
    budget.reset(payload_budget(&index, declared));

    let dir = Staging::create(staging)?;
    let (bytes, seen) = write_payload(&mut entries, &index, dir.path(), limits, &budget)?;
    // End marker before completeness: an archive cut on an entry boundary is reported
    // as truncated, which is what happened, rather than as a missing file.
    archive::finish(tar.into_inner(), &budget)?;
    if let Some(missing) = index.files.iter().find(|f| !seen.contains(&f.path)) {
        return Err(BundleError::MissingFile {
            path: missing.path.clone(),
        });
    }
    Ok(Unpacked {
        rollback: index.rollback,
        version: index.version,
        files: index.files.len(),
        bytes,
        dir: dir.keep(),
    })
}

/// Decompressed bytes the payload part may take: content plus per-entry overhead plus
/// trailing padding.
fn payload_budget(index: &Index, declared: u64) -> u64 {
    index
        .files
        .iter()
        .fold(declared, |acc, f| {
            acc.saturating_add(archive::ENTRY_OVERHEAD)
                .saturating_add(2 * f.path.len() as u64)
        })
        .saturating_add(archive::TRAILER_ALLOWANCE)
}

/// The staging directory, removed on drop unless kept: every early return cleans up.
struct Staging {
    dir: PathBuf,
    keep: bool,
}

impl Staging {
    fn create(dir: &Path) -> Result<Staging, BundleError> {
        match fs::create_dir(dir) {
            Ok(()) => Ok(Staging {
                dir: dir.to_owned(),
                keep: false,
            }),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(BundleError::StagingExists {
                path: dir.to_owned(),
            }),
            Err(e) => Err(io_err(format!("creating {}", dir.display()))(e)),
        }
    }

    fn path(&self) -> &Path {
        &self.dir
    }

    fn keep(mut self) -> PathBuf {
        self.keep = true;
        std::mem::take(&mut self.dir)
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.keep {
            // Best effort: there is no better place to report a failure to clean up.
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

/// Writes every remaining entry; returns the payload bytes written and the paths seen.
fn write_payload(
    entries: &mut tar::Entries<'_, Stream>,
    index: &Index,
    dir: &Path,
    limits: &Limits,
    budget: &Budget,
) -> Result<(u64, HashSet<String>), BundleError> {
    let wanted: HashMap<&str, &FileEntry> =
        index.files.iter().map(|f| (f.path.as_str(), f)).collect();
    let mut seen: HashSet<String> = HashSet::with_capacity(wanted.len());
    let mut total = 0u64;
    for entry in entries {
        let mut entry = entry.map_err(archive::stream_err(budget))?;
        let path = archive::entry_path(&entry)?;
        if path == INDEX_NAME || path == SIG_NAME {
            return Err(BundleError::Misplaced { path });
        }
        check_path(&path).map_err(|problem| BundleError::BadPath {
            path: path.clone(),
            problem,
        })?;
        archive::check_entry_type(&entry, &path)?;
        let Some(&want) = wanted.get(path.as_str()) else {
            return Err(BundleError::NotInIndex { path });
        };
        if !seen.insert(path.clone()) {
            return Err(BundleError::Duplicate { path });
        }
        // The header's size decides how much the tar reader hands out; refuse a lying
        // one before reading any of it.
        let size = entry.size();
        if size > limits.max_file_bytes {
            return Err(too_big_file(&path, size, limits.max_file_bytes));
        }
        if size != want.size {
            return Err(BundleError::SizeMismatch {
                path,
                expected: want.size,
                actual: size,
            });
        }
        let mode = entry.header().mode().map_err(|e| BundleError::Corrupt {
            detail: format!("{}: bad mode field: {e}", path.escape_debug()),
        })? & 0o7777;
        if mode != want.mode {
            return Err(BundleError::ModeMismatch {
                path,
                expected: want.mode,
                actual: mode,
            });
        }
        write_file(&mut entry, want, dir, limits, budget, &mut total)?;
    }
    Ok((total, seen))
}

/// Streams one entry into `dir/<path>`, hashing and counting as it goes.
fn write_file(
    entry: &mut impl Read,
    want: &FileEntry,
    dir: &Path,
    limits: &Limits,
    budget: &Budget,
    total: &mut u64,
) -> Result<(), BundleError> {
    // Safe to join: the path passed the path rule (relative, no `..`), and everything
    // under `dir` was made by us, with no symlinks.
    let dest = dir.join(&want.path);
    if let Some(parent) = dest.parent() {
        fs::create_dir_all(parent).map_err(io_err(format!("creating {}", parent.display())))?;
    }
    let write_err = || io_err(format!("writing {}", dest.display()));
    // `create_new`: never write through something already there.
    let mut out: File = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&dest)
        .map_err(write_err())?;
    let mut hasher = Sha256::new();
    let mut written = 0u64;
    let mut buf = vec![0u8; 64 << 10];
    // One byte more than declared, so an over-long entry is seen rather than cut short.
    let mut data = entry.take(want.size.saturating_add(1));
    loop {
        let n = data.read(&mut buf).map_err(archive::stream_err(budget))?;
        if n == 0 {
            break;
        }
        written += n as u64;
        *total += n as u64;
        if written > want.size {
            return Err(BundleError::SizeMismatch {
                path: want.path.clone(),
                expected: want.size,
                actual: written,
            });
        }
        if *total > limits.max_total_bytes {
            return Err(BundleError::TooLarge {
                detail: format!(
                    "{}: payload passes max_total_bytes {}",
                    want.path.escape_debug(),
                    limits.max_total_bytes
                ),
            });
        }
        hasher.update(&buf[..n]);
        out.write_all(&buf[..n]).map_err(write_err())?;
    }
    if written < want.size {
        return Err(BundleError::Truncated {
            detail: format!(
                "{}: archive ends inside the entry ({written} of {} bytes)",
                want.path.escape_debug(),
                want.size
            ),
        });
    }
    let actual: [u8; 32] = hasher.finalize().into();
    if actual != want.sha256 {
        return Err(BundleError::HashMismatch {
            path: want.path.clone(),
            expected: hex::encode(want.sha256),
            actual: hex::encode(actual),
        });
    }
    set_mode(&out, want.mode).map_err(write_err())?;
    out.sync_all().map_err(write_err())?;
    Ok(())
}

/// Sets the exact mode (the umask would otherwise have its say at creation).
#[cfg(unix)]
fn set_mode(file: &File, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_file: &File, _mode: u32) -> io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::{FileEntry, FORMAT, MODE_FILE};

    fn index(sizes: &[u64]) -> Index {
        Index {
            format: FORMAT,
            version: "v".into(),
            files: sizes
                .iter()
                .enumerate()
                .map(|(i, &size)| FileEntry {
                    path: format!("f{i}"),
                    size,
                    sha256: [0; 32],
                    mode: MODE_FILE,
                })
                .collect(),
            rollback: false,
        }
    }

    const LIMITS: Limits = Limits {
        max_total_bytes: 100,
        max_file_bytes: 60,
        max_files: 3,
    };

    #[test]
    fn declared_sizes_within_limits_pass() {
        assert_eq!(LIMITS.check_declared(&index(&[60, 40])).unwrap(), 100);
    }

    #[test]
    fn declared_sizes_over_limits_fail() {
        for sizes in [&[61][..], &[60, 41], &[1, 1, 1, 1], &[u64::MAX, 1]] {
            let err = LIMITS.check_declared(&index(sizes)).unwrap_err();
            assert!(
                matches!(err, BundleError::TooLarge { .. }),
                "{sizes:?}: {err}"
            );
        }
        let huge = Limits {
            max_total_bytes: u64::MAX,
            max_file_bytes: u64::MAX,
            max_files: 9,
        };
        let err = huge.check_declared(&index(&[u64::MAX, 1])).unwrap_err();
        assert!(err.to_string().contains("over 2^64"), "{err}");
    }

    #[test]
    fn staging_guard_removes_unless_kept() {
        let tmp = tempfile::tempdir().unwrap();
        let a = tmp.path().join("a");
        drop(Staging::create(&a).unwrap());
        assert!(!a.exists());
        let kept = Staging::create(&a).unwrap().keep();
        assert!(kept.is_dir());
        assert!(matches!(
            Staging::create(&a),
            Err(BundleError::StagingExists { .. })
        ));
        assert!(a.is_dir(), "an existing staging dir is left alone");
    }
}
