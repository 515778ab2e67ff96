//! Every way making, reading or verifying a bundle can fail.
//!
//! One enum, [`BundleError`], with a variant per broken rule so that callers (the device
//! agent, Orbit's upload check, tests) can tell *why* a bundle was refused without
//! parsing messages. Each message names the entry path it is about (escaped, because the
//! path came from an untrusted archive and may hold control characters) and the rule.

use std::fmt;
use std::io;
use std::path::PathBuf;

pub use kos_version::VersionProblem;

/// What is wrong with a path, in the index or in the archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathProblem {
    /// The path is empty.
    Empty,
    /// The path starts with `/`.
    Absolute,
    /// A `..` component: the path would leave the bundle.
    ParentDir,
    /// A `.` component (`./x`, `a/./b`): legal on disk, but two spellings of one file
    /// would defeat the duplicate checks, so only the plain spelling is allowed.
    CurDir,
    /// An empty component (`a//b`, trailing `/`), for the same reason as `CurDir`.
    EmptyComponent,
    /// A control character or `\`: never produced by `create`, confusing in logs and on
    /// other systems.
    BadChar(char),
    /// The raw tar path is not UTF-8 (the index is JSON, so it could never match).
    NotUtf8,
    /// `BUNDLE.json` or `BUNDLE.sig` used as a payload path.
    Reserved,
}

impl fmt::Display for PathProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PathProblem::Empty => f.write_str("empty path"),
            PathProblem::Absolute => f.write_str("absolute path (must be relative to the bundle)"),
            PathProblem::ParentDir => f.write_str("path leaves the bundle (`..`)"),
            PathProblem::CurDir => f.write_str("`.` component (paths must be plain)"),
            PathProblem::EmptyComponent => f.write_str("empty component (`//` or trailing `/`)"),
            PathProblem::BadChar(c) => write!(f, "forbidden character {:?}", c),
            PathProblem::NotUtf8 => f.write_str("path is not UTF-8"),
            PathProblem::Reserved => {
                f.write_str("name reserved for the bundle's own index/signature")
            }
        }
    }
}

/// What is wrong with `BUNDLE.json` (checked only after its signature verified, except in
/// [`crate::read_index`], which checks nothing but format).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexProblem {
    /// Not JSON, or JSON of the wrong shape (missing/unknown fields, wrong types).
    Json(String),
    /// `format` is not one this crate understands.
    UnknownFormat(u64),
    /// The `version` string breaks the version rule ([`kos_version::check_version`]).
    BadVersion(VersionProblem),
    /// `files` is not sorted by path (byte order): `path` came after `previous`.
    Unsorted { previous: String, path: String },
    /// The same path listed twice.
    Duplicate { path: String },
    /// A listed path breaks the path rules.
    BadPath { path: String, problem: PathProblem },
    /// `path` is listed as a file but also used as a directory by `child`.
    FileIsDirectory { path: String, child: String },
    /// `mode` is not 0o644 or 0o755.
    BadMode { path: String, mode: u32 },
}

impl fmt::Display for IndexProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IndexProblem::Json(e) => write!(f, "not a valid index: {e}"),
            IndexProblem::UnknownFormat(n) => write!(f, "unknown format {n} (this build reads 1)"),
            IndexProblem::BadVersion(problem) => write!(f, "version: {problem}"),
            IndexProblem::Unsorted { previous, path } => write!(
                f,
                "{}: files not sorted by path (comes after {})",
                path.escape_debug(),
                previous.escape_debug()
            ),
            IndexProblem::Duplicate { path } => write!(f, "{}: listed twice", path.escape_debug()),
            IndexProblem::BadPath { path, problem } => {
                write!(f, "{}: {problem}", path.escape_debug())
            }
            IndexProblem::FileIsDirectory { path, child } => write!(
                f,
                "{}: listed as a file but {} puts files under it",
                path.escape_debug(),
                child.escape_debug()
            ),
            IndexProblem::BadMode { path, mode } => {
                write!(
                    f,
                    "{}: mode {mode:#o} is not 0o644 or 0o755",
                    path.escape_debug()
                )
            }
        }
    }
}

/// Why a bundle could not be made, read or verified.
#[derive(Debug)]
pub enum BundleError {
    /// A local file operation failed (`context` says which, with the path).
    Io { context: String, source: io::Error },
    /// The archive ends early: inside the gzip stream, inside an entry, or without the
    /// tar end-of-archive marker.
    Truncated { detail: String },
    /// The gzip or tar data is damaged (bad CRC, bad header checksum, garbage after the end).
    Corrupt { detail: String },
    /// Expansion over [`crate::Limits`] (declared in the index, in a tar header, or counted).
    TooLarge { detail: String },
    /// The first entry is not `BUNDLE.json` (`found` is what was there, `None` if nothing).
    IndexMissing { found: Option<String> },
    /// The second entry is not `BUNDLE.sig`.
    SignatureMissing { found: Option<String> },
    /// `BUNDLE.json` or `BUNDLE.sig` appears again later in the archive.
    Misplaced { path: String },
    /// `BUNDLE.json` is malformed.
    BadIndex(IndexProblem),
    /// `BUNDLE.sig` does not have the documented shape.
    SignatureMalformed { detail: String },
    /// The signature does not verify under the trusted key: the index was altered, or the
    /// signature was forged/damaged.
    BadSignature,
    /// The bundle says it was signed by `signer`, a key other than the trusted one.
    WrongKey { signer: String, trusted: String },
    /// An archive entry path breaks the path rules.
    BadPath { path: String, problem: PathProblem },
    /// A symbolic link entry.
    Symlink { path: String, target: String },
    /// A hard link entry.
    HardLink { path: String, target: String },
    /// A character/block device or FIFO entry.
    SpecialFile { path: String, kind: &'static str },
    /// Any other non-regular entry (directory, sparse file, pax global header, ...).
    UnsupportedEntry { path: String, kind: String },
    /// The same path appears twice in the archive.
    Duplicate { path: String },
    /// A file in the archive that the index does not list.
    NotInIndex { path: String },
    /// A file the index lists that the archive does not hold.
    MissingFile { path: String },
    /// A file's size differs from the index (`actual` from the tar header or counted).
    SizeMismatch {
        path: String,
        expected: u64,
        actual: u64,
    },
    /// A file's SHA-256 differs from the index.
    HashMismatch {
        path: String,
        expected: String,
        actual: String,
    },
    /// A file's tar mode differs from the index.
    ModeMismatch {
        path: String,
        expected: u32,
        actual: u32,
    },
    /// The staging directory already exists (it is left untouched).
    StagingExists { path: PathBuf },
    /// `create` met a symlink or special file in the source tree.
    SourceSpecialFile { path: PathBuf, kind: &'static str },
    /// `create` met a name that cannot go in a bundle (not UTF-8, reserved, odd characters).
    SourceBadName { path: PathBuf, problem: PathProblem },
    /// The version given to `create` breaks the version rule.
    BadVersion {
        version: String,
        problem: VersionProblem,
    },
    /// A PEM key could not be read.
    Key { detail: String },
}

impl fmt::Display for BundleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use BundleError::*;
        match self {
            Io { context, source } => write!(f, "{context}: {source}"),
            Truncated { detail } => write!(f, "truncated bundle: {detail}"),
            Corrupt { detail } => write!(f, "corrupt bundle: {detail}"),
            TooLarge { detail } => write!(f, "bundle too large: {detail}"),
            IndexMissing { found } => write!(
                f,
                "BUNDLE.json: must be the first entry (found {})",
                describe(found)
            ),
            SignatureMissing { found } => write!(
                f,
                "BUNDLE.sig: must be the second entry (found {})",
                describe(found)
            ),
            Misplaced { path } => write!(f, "{path}: may only appear once, at the start"),
            BadIndex(p) => write!(f, "BUNDLE.json: {p}"),
            SignatureMalformed { detail } => write!(f, "BUNDLE.sig: malformed: {detail}"),
            BadSignature => f.write_str(
                "BUNDLE.sig: signature does not verify under the trusted key (index altered or signature damaged)",
            ),
            WrongKey { signer, trusted } => write!(
                f,
                "BUNDLE.sig: signed by key {signer}, but this device trusts {trusted}"
            ),
            BadPath { path, problem } if path.is_empty() => write!(f, "\"\": {problem}"),
            BadPath { path, problem } => write!(f, "{}: {problem}", path.escape_debug()),
            Symlink { path, target } => write!(
                f,
                "{}: symbolic links are not allowed (-> {})",
                path.escape_debug(),
                target.escape_debug()
            ),
            HardLink { path, target } => write!(
                f,
                "{}: hard links are not allowed (-> {})",
                path.escape_debug(),
                target.escape_debug()
            ),
            SpecialFile { path, kind } => {
                write!(f, "{}: {kind} entries are not allowed", path.escape_debug())
            }
            UnsupportedEntry { path, kind } => write!(
                f,
                "{}: entry type {kind} is not allowed (regular files only)",
                path.escape_debug()
            ),
            Duplicate { path } => {
                write!(f, "{}: appears twice in the archive", path.escape_debug())
            }
            NotInIndex { path } => {
                write!(f, "{}: in the archive but not in the index", path.escape_debug())
            }
            MissingFile { path } => {
                write!(f, "{}: in the index but not in the archive", path.escape_debug())
            }
            SizeMismatch { path, expected, actual } => write!(
                f,
                "{}: size {actual} differs from the index ({expected})",
                path.escape_debug()
            ),
            HashMismatch { path, expected, actual } => write!(
                f,
                "{}: sha256 {actual} differs from the index ({expected})",
                path.escape_debug()
            ),
            ModeMismatch { path, expected, actual } => write!(
                f,
                "{}: mode {actual:#o} differs from the index ({expected:#o})",
                path.escape_debug()
            ),
            StagingExists { path } => write!(
                f,
                "{}: staging directory already exists (left untouched)",
                path.display()
            ),
            SourceSpecialFile { path, kind } => write!(
                f,
                "{}: {kind} in the source tree (only regular files and directories can be bundled)",
                path.display()
            ),
            SourceBadName { path, problem } => {
                write!(f, "{}: cannot be bundled: {problem}", path.display())
            }
            BadVersion { version, problem } => {
                write!(f, "version {}: {problem}", version.escape_debug())
            }
            Key { detail } => write!(f, "key: {detail}"),
        }
    }
}

fn describe(found: &Option<String>) -> String {
    match found {
        Some(p) => p.escape_debug().to_string(),
        None => "end of archive".to_string(),
    }
}

// The I/O error is part of the message already: naming it as the `source` too would
// print it twice in a chain.
impl std::error::Error for BundleError {}

/// Wraps a local I/O error with what was being done to which path.
pub(crate) fn io_err(context: impl Into<String>) -> impl FnOnce(io::Error) -> BundleError {
    let context = context.into();
    move |source| BundleError::Io { context, source }
}
