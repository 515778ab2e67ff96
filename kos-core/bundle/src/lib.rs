//! KOS upgrade bundles: a whole system (manifest `system.dts` plus compiled apps) in one
//! signed `.tar.gz`, made by the deployment with [`create`] and checked by the device
//! with [`unpack_verified`] before anything of it is used.
//!
//! # On-disk format (format 1)
//!
//! A gzip-compressed tar (GNU headers, GNU long names past 100 bytes) whose entries are,
//! in this order:
//!
//! 1. `BUNDLE.json`, the index: `{"format": 1, "version": "...", "files": [{"path",
//!    "size", "sha256" (lowercase hex), "mode" (420 = 0o644 or 493 = 0o755)}, ...]}`
//!    listing every payload file, sorted by path (byte order), no unknown fields.
//! 2. `BUNDLE.sig`, 96 raw bytes: the signer's Ed25519 public key (32), then the
//!    signature (64) over `b"KOS-BUNDLE-v1\n"` followed by the SHA-256 of the exact
//!    `BUNDLE.json` bytes. Only the device's trusted key is ever used to verify; the
//!    embedded key just lets a refusal say "signed by another key".
//! 3. The payload files, regular files only (no directory, link or device entries), each
//!    exactly once. Paths are relative, `/`-separated UTF-8 with no empty, `.` or `..`
//!    component. `create` writes them in index order with mtime 0 and uid/gid 0.
//! 4. The tar end-of-archive marker (two zero blocks), then the gzip trailer, then
//!    nothing.
//!
//! Putting the index and signature first lets a device verify what it is about to
//! receive before it writes a single payload byte, while streaming.

mod archive;
mod create;
mod error;
mod index;
mod keys;
mod path;
mod unpack;

pub use archive::MAX_INDEX_BYTES;
pub use create::{create, create_marked, create_with_progress, Summary};
pub use error::{BundleError, IndexProblem, PathProblem, VersionProblem};
pub use index::{read_index, FileEntry, Index, FORMAT, MODE_EXEC, MODE_FILE};
pub use keys::{signing_key_from_pem, verifying_key_from_pem, SIGNATURE_DOMAIN, SIG_FILE_LEN};
pub use unpack::{unpack_verified, Limits, Unpacked};

/// Re-exported so callers name the same key types this crate uses.
pub use ed25519_dalek::{SigningKey, VerifyingKey};

/// Name of the index entry, always first.
pub const INDEX_NAME: &str = "BUNDLE.json";
/// Name of the signature entry, always second.
pub const SIG_NAME: &str = "BUNDLE.sig";
