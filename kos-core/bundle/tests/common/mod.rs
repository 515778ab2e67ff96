//! Shared helpers for the integration tests: keys, source trees, and hand-built
//! (possibly hostile) archives written with the `tar` crate's raw `Header` API, which
//! lets a test put in any path, type or size the safe builder would refuse.
#![allow(dead_code)] // each test binary uses a different subset

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use ed25519_dalek::{Signer, SigningKey};
use flate2::write::GzEncoder;
use flate2::Compression;
use kos_bundle::{BundleError, FileEntry, Index, Limits};
use sha2::{Digest, Sha256};
use tar::{EntryType, Header};

pub fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

pub fn sha(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// `BUNDLE.sig` as the crate documents it, computed independently of the crate.
pub fn sig_file(key: &SigningKey, index_bytes: &[u8]) -> Vec<u8> {
    let mut msg = b"KOS-BUNDLE-v1\n".to_vec();
    msg.extend_from_slice(&Sha256::digest(index_bytes));
    let mut out = key.verifying_key().as_bytes().to_vec();
    out.extend_from_slice(&key.sign(&msg).to_bytes());
    out
}

/// One raw tar entry.
#[derive(Clone)]
pub struct Raw {
    pub path: Vec<u8>,
    pub kind: EntryType,
    pub data: Vec<u8>,
    pub mode: u32,
    /// Size to claim in the header instead of `data.len()`.
    pub claimed_size: Option<u64>,
    pub link: Vec<u8>,
}

impl Raw {
    pub fn file(path: &str, data: &[u8]) -> Raw {
        Raw {
            path: path.as_bytes().to_vec(),
            kind: EntryType::Regular,
            data: data.to_vec(),
            mode: 0o644,
            claimed_size: None,
            link: Vec::new(),
        }
    }

    pub fn of_kind(path: &str, kind: EntryType, link: &str) -> Raw {
        Raw {
            kind,
            link: link.as_bytes().to_vec(),
            ..Raw::file(path, b"")
        }
    }

    /// The header with the path written raw into the 100-byte name field (no checks).
    pub fn header(&self) -> Header {
        let mut h = Header::new_gnu();
        h.set_entry_type(self.kind);
        h.set_size(self.claimed_size.unwrap_or(self.data.len() as u64));
        h.set_mode(self.mode);
        h.set_mtime(0);
        h.set_uid(0);
        h.set_gid(0);
        let old = h.as_old_mut();
        assert!(self.path.len() <= old.name.len() && self.link.len() <= old.linkname.len());
        old.name[..self.path.len()].copy_from_slice(&self.path);
        old.linkname[..self.link.len()].copy_from_slice(&self.link);
        h.set_cksum();
        h
    }
}

/// The index entry describing `raw` honestly.
pub fn entry_for(raw: &Raw) -> FileEntry {
    FileEntry {
        path: String::from_utf8(raw.path.clone()).unwrap(),
        size: raw.data.len() as u64,
        sha256: sha(&raw.data),
        mode: raw.mode,
    }
}

pub fn index_json(version: &str, files: Vec<FileEntry>) -> Vec<u8> {
    serde_json::to_vec(&Index {
        format: 1,
        version: version.into(),
        files,
        rollback: false,
    })
    .unwrap()
}

/// Tar bytes: entries, then (optionally) the two-zero-block end marker.
pub fn tar_bytes(entries: &[Raw], end_marker: bool) -> Vec<u8> {
    let mut out = Vec::new();
    for e in entries {
        out.extend_from_slice(e.header().as_bytes());
        out.extend_from_slice(&e.data);
        let pad = (512 - e.data.len() % 512) % 512;
        out.extend(std::iter::repeat_n(0u8, pad));
    }
    if end_marker {
        out.extend_from_slice(&[0u8; 1024]);
    }
    out
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
    gz.write_all(data).unwrap();
    gz.finish().unwrap()
}

/// Index entry + signature entry (signed by `key`) followed by `payload`.
pub fn signed_entries(key: &SigningKey, index: &[u8], payload: &[Raw]) -> Vec<Raw> {
    let mut all = vec![
        Raw::file("BUNDLE.json", index),
        Raw::file("BUNDLE.sig", &sig_file(key, index)),
    ];
    all.extend_from_slice(payload);
    all
}

/// A scratch directory with a bundle path and a (not yet existing) staging path.
pub struct Scratch {
    pub dir: tempfile::TempDir,
    pub bundle: PathBuf,
    pub staging: PathBuf,
}

impl Scratch {
    pub fn new() -> Scratch {
        let dir = tempfile::tempdir().unwrap();
        let bundle = dir.path().join("b.tar.gz");
        let staging = dir.path().join("staging");
        Scratch {
            dir,
            bundle,
            staging,
        }
    }

    pub fn write(&self, gz: &[u8]) -> &Self {
        fs::write(&self.bundle, gz).unwrap();
        self
    }

    /// Unpacks under key 1 with default limits; asserts an error left no staging dir.
    pub fn unpack(&self) -> Result<kos_bundle::Unpacked, BundleError> {
        self.unpack_with(&key(1), &Limits::default())
    }

    pub fn unpack_with(
        &self,
        trusted: &SigningKey,
        limits: &Limits,
    ) -> Result<kos_bundle::Unpacked, BundleError> {
        let r = kos_bundle::unpack_verified(
            &self.bundle,
            &trusted.verifying_key(),
            &self.staging,
            limits,
        );
        if r.is_err() {
            assert!(
                !self.staging.exists(),
                "staging left behind after {:?}",
                r.as_ref().err()
            );
        }
        r
    }
}

/// Deterministic pseudo-random bytes (xorshift), so big files do not compress to nothing.
pub fn noise(len: usize, mut seed: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        out.extend_from_slice(&seed.to_le_bytes());
    }
    out.truncate(len);
    out
}

pub fn write_file(root: &Path, rel: &str, data: &[u8], mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(&p, data).unwrap();
    fs::set_permissions(&p, fs::Permissions::from_mode(mode)).unwrap();
}
