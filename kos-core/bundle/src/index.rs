//! `BUNDLE.json`, the index: the version and every payload file's path, size, SHA-256 and
//! mode, sorted by path.
//!
//! The index is the only thing signed, so everything a device trusts about the payload
//! must be in it; the tar headers are just transport and are checked against it.
//! Parsing is strict (unknown fields refused, one spelling per path, sorted, no file that
//! is also a directory) so that a given index means exactly one tree on disk.

use std::collections::HashSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::archive;
use crate::error::{BundleError, IndexProblem};
use crate::path::check_payload_path;

/// The only index format this crate reads and writes.
pub const FORMAT: u64 = 1;

/// Mode of an executable payload file.
pub const MODE_EXEC: u32 = 0o755;
/// Mode of any other payload file.
pub const MODE_FILE: u32 = 0o644;

/// The parsed `BUNDLE.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Index {
    /// Always [`FORMAT`].
    pub format: u64,
    /// The system version this bundle carries (free text, non-empty, no control characters).
    pub version: String,
    /// Every payload file, sorted by path (byte order).
    pub files: Vec<FileEntry>,
    /// The deployment means this bundle to replace a newer version (a deliberate
    /// rollback). Signed with the rest of the index: without it a device refuses a
    /// version older than the one it runs. Absent (false) in most bundles.
    #[serde(default, skip_serializing_if = "is_false")]
    pub rollback: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// One payload file in the index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileEntry {
    /// Relative `/`-separated path inside the bundle.
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the content (lowercase hex in JSON).
    #[serde(with = "hex::serde")]
    pub sha256: [u8; 32],
    /// [`MODE_FILE`] or [`MODE_EXEC`] (a JSON number, e.g. 493 for 0o755).
    pub mode: u32,
}

impl Index {
    /// Sum of the declared file sizes, `None` if it overflows (only a hostile index can).
    pub fn total_bytes(&self) -> Option<u64> {
        self.files
            .iter()
            .try_fold(0u64, |acc, f| acc.checked_add(f.size))
    }

    /// Parses and validates index bytes.
    pub(crate) fn parse(bytes: &[u8]) -> Result<Index, BundleError> {
        // Look at `format` alone first: a future format may have other fields, and
        // "unknown format 2" is a far better message than "unknown field".
        #[derive(Deserialize)]
        struct FormatOnly {
            format: u64,
        }
        let json_err =
            |e: serde_json::Error| BundleError::BadIndex(IndexProblem::Json(e.to_string()));
        let probe: FormatOnly = serde_json::from_slice(bytes).map_err(json_err)?;
        if probe.format != FORMAT {
            return Err(BundleError::BadIndex(IndexProblem::UnknownFormat(
                probe.format,
            )));
        }
        let index: Index = serde_json::from_slice(bytes).map_err(json_err)?;
        index.validate().map_err(BundleError::BadIndex)?;
        Ok(index)
    }

    /// Checks everything the type cannot: format, version, paths, order, modes.
    pub(crate) fn validate(&self) -> Result<(), IndexProblem> {
        if self.format != FORMAT {
            return Err(IndexProblem::UnknownFormat(self.format));
        }
        kos_version::check_version(&self.version).map_err(IndexProblem::BadVersion)?;
        let mut previous: Option<&str> = None;
        // Every directory some file lives in; a file path found here would have to be both
        // a file and a directory on disk.
        let mut dirs: HashSet<&str> = HashSet::new();
        for f in &self.files {
            check_payload_path(&f.path).map_err(|problem| IndexProblem::BadPath {
                path: f.path.clone(),
                problem,
            })?;
            if let Some(prev) = previous {
                if prev == f.path {
                    return Err(IndexProblem::Duplicate {
                        path: f.path.clone(),
                    });
                }
                if prev > f.path.as_str() {
                    return Err(IndexProblem::Unsorted {
                        previous: prev.to_string(),
                        path: f.path.clone(),
                    });
                }
            }
            previous = Some(&f.path);
            if f.mode != MODE_FILE && f.mode != MODE_EXEC {
                return Err(IndexProblem::BadMode {
                    path: f.path.clone(),
                    mode: f.mode,
                });
            }
            for (i, _) in f.path.match_indices('/') {
                dirs.insert(&f.path[..i]);
            }
        }
        for f in &self.files {
            if dirs.contains(f.path.as_str()) {
                let child = self
                    .files
                    .iter()
                    .find(|c| {
                        c.path.starts_with(&f.path) && c.path[f.path.len()..].starts_with('/')
                    })
                    .map(|c| c.path.clone())
                    .unwrap_or_default();
                return Err(IndexProblem::FileIsDirectory {
                    path: f.path.clone(),
                    child,
                });
            }
        }
        Ok(())
    }

    /// The exact bytes written as `BUNDLE.json` (pretty, for people reading a bundle; the
    /// signature covers whatever bytes are written, so the layout carries no meaning).
    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        // Serialising plain structs of strings and integers into a Vec cannot fail.
        let mut out = serde_json::to_vec_pretty(self).unwrap_or_default();
        out.push(b'\n');
        out
    }
}

/// Reads just the index of a bundle: for Orbit to show the version and size of an upload
/// without unpacking it.
///
/// Checks only the format: `BUNDLE.json` first and well-formed, `BUNDLE.sig` second and of
/// the right length. It does **not** verify the signature (Orbit may not hold the key,
/// and the device verifies anyway) nor read the payload.
pub fn read_index(bundle: &Path) -> Result<Index, BundleError> {
    let (mut tar, budget) = archive::open(bundle, archive::HEAD_BUDGET)?;
    let mut entries = archive::entries(&mut tar, &budget)?;
    let head = archive::read_head(&mut entries, &budget)?;
    crate::keys::parse_sig_file(&head.sig)?;
    Index::parse(&head.index)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kos_version::VersionProblem;

    fn entry(path: &str) -> FileEntry {
        FileEntry {
            path: path.into(),
            size: 1,
            sha256: [7; 32],
            mode: MODE_FILE,
        }
    }

    fn index(paths: &[&str]) -> Index {
        Index {
            format: FORMAT,
            version: "1.0".into(),
            files: paths.iter().map(|p| entry(p)).collect(),
            rollback: false,
        }
    }

    #[test]
    fn the_rollback_mark_is_signed_data_absent_unless_set() {
        let plain = index(&["a"]);
        let text = String::from_utf8(plain.to_bytes()).unwrap();
        assert!(!text.contains("rollback"), "{text}");
        let marked = Index {
            rollback: true,
            ..plain
        };
        let bytes = marked.to_bytes();
        assert!(String::from_utf8(bytes.clone())
            .unwrap()
            .contains("\"rollback\": true"));
        assert_eq!(Index::parse(&bytes).unwrap(), marked);
    }

    #[test]
    fn round_trips_through_json() {
        let i = index(&["a", "b/c"]);
        assert_eq!(Index::parse(&i.to_bytes()).unwrap(), i);
        let text = String::from_utf8(i.to_bytes()).unwrap();
        assert!(text.contains(&"07".repeat(32)), "{text}");
        assert!(text.contains("\"mode\": 420"), "{text}");
    }

    fn problem(bytes: &[u8]) -> IndexProblem {
        match Index::parse(bytes) {
            Err(BundleError::BadIndex(p)) => p,
            other => panic!("expected BadIndex, got {other:?}"),
        }
    }

    #[test]
    fn rejects_bad_json_and_unknown_fields() {
        assert!(matches!(problem(b"{not json"), IndexProblem::Json(_)));
        let extra = br#"{"format":1,"version":"1","files":[],"extra":true}"#;
        assert!(matches!(problem(extra), IndexProblem::Json(_)));
        let short_hash = br#"{"format":1,"version":"1","files":[{"path":"a","size":1,"sha256":"ab","mode":420}]}"#;
        assert!(matches!(problem(short_hash), IndexProblem::Json(_)));
    }

    #[test]
    fn rejects_unknown_format_even_with_other_fields() {
        assert_eq!(
            problem(br#"{"format":2,"whatever":[]}"#),
            IndexProblem::UnknownFormat(2)
        );
    }

    #[test]
    fn rejects_unsorted_and_duplicates() {
        assert!(matches!(
            index(&["b", "a"]).validate(),
            Err(IndexProblem::Unsorted { .. })
        ));
        assert!(matches!(
            index(&["a", "a"]).validate(),
            Err(IndexProblem::Duplicate { .. })
        ));
        // Byte order, not per-directory order: '-' (0x2d) sorts before '/' (0x2f).
        assert_eq!(index(&["a-b", "a/b"]).validate(), Ok(()));
    }

    #[test]
    fn rejects_bad_paths_modes_versions() {
        assert!(matches!(
            index(&["../x"]).validate(),
            Err(IndexProblem::BadPath { .. })
        ));
        assert!(matches!(
            index(&["BUNDLE.sig"]).validate(),
            Err(IndexProblem::BadPath { .. })
        ));
        let mut i = index(&["a"]);
        i.files[0].mode = 0o4755;
        assert!(matches!(i.validate(), Err(IndexProblem::BadMode { .. })));
        let mut i = index(&["a"]);
        i.version = "1\n2".into();
        assert_eq!(
            i.validate(),
            Err(IndexProblem::BadVersion(VersionProblem::BadChar('\n')))
        );
        // A version that names a path is refused before anything could use it as one.
        i.version = "../../victim.x".into();
        assert_eq!(
            i.validate(),
            Err(IndexProblem::BadVersion(VersionProblem::BadStart('.')))
        );
    }

    #[test]
    fn rejects_file_that_is_also_a_directory() {
        let err = index(&["a", "a-z", "a/b"]).validate().unwrap_err();
        assert_eq!(
            err,
            IndexProblem::FileIsDirectory {
                path: "a".into(),
                child: "a/b".into()
            }
        );
        // A shared prefix that is not a directory boundary is fine ('/' < 'b').
        assert_eq!(index(&["a/b", "ab"]).validate(), Ok(()));
    }

    #[test]
    fn total_bytes_detects_overflow() {
        let mut i = index(&["a", "b"]);
        assert_eq!(i.total_bytes(), Some(2));
        i.files[0].size = u64::MAX;
        assert_eq!(i.total_bytes(), None);
    }
}
