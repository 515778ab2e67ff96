//! Host side (feature `std`): compile a `.dts` with the device-tree compiler and load a
//! manifest from a file.
//!
//! `dtc` is run as a program rather than linked, because it is the reference compiler
//! that the manifest author also runs by hand, and its error messages (with line
//! numbers) are the ones worth showing.

use std::borrow::ToOwned;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::string::String;
use std::vec::Vec;

use crate::{Manifest, ManifestError};

/// Why [`compile`] produced no blob.
#[derive(Debug)]
pub enum DtcError {
    /// No `dtc` on `PATH`.
    NotInstalled,
    /// `dtc` ran and refused the source.
    Rejected {
        /// The source file.
        path: PathBuf,
        /// What `dtc` printed on stderr (it names the line).
        stderr: String,
    },
    /// `dtc` could not be started for another reason (permissions, resources).
    Spawn(io::Error),
}

impl fmt::Display for DtcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DtcError::NotInstalled => {
                f.write_str("dtc not installed (install Debian package device-tree-compiler)")
            }
            DtcError::Rejected { path, stderr } => {
                write!(f, "dtc rejected {}: {}", path.display(), stderr)
            }
            DtcError::Spawn(e) => write!(f, "could not run dtc: {e}"),
        }
    }
}

// Each message already says what caused it, so none names a `source` too: a caller
// printing the chain (anyhow's `{:#}`) would say everything twice.
impl std::error::Error for DtcError {}

/// Compiles the device-tree source at `dts_path` to a blob with
/// `dtc -I dts -O dtb -q`.
pub fn compile(dts_path: &Path) -> Result<Vec<u8>, DtcError> {
    let output = Command::new("dtc")
        .args(["-I", "dts", "-O", "dtb", "-q", "--"])
        .arg(dts_path)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => DtcError::NotInstalled,
            _ => DtcError::Spawn(e),
        })?;
    if output.status.success() {
        return Ok(output.stdout);
    }
    let mut stderr = String::from_utf8_lossy(&output.stderr).trim().to_owned();
    if stderr.is_empty() {
        stderr = std::format!("dtc exited with {}", output.status);
    }
    Err(DtcError::Rejected {
        path: dts_path.to_owned(),
        stderr,
    })
}

/// Why [`load`] produced no manifest.
#[derive(Debug)]
pub enum LoadError {
    /// The `.dtb` file could not be read.
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// The `.dts` file did not compile.
    Dtc(DtcError),
    /// The blob breaks a manifest rule.
    Manifest {
        /// The file.
        path: PathBuf,
        /// The rule, node and detail.
        error: ManifestError,
    },
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Read { path, source } => {
                write!(f, "cannot read {}: {source}", path.display())
            }
            // Names the path except when dtc is missing, where no file is at fault.
            LoadError::Dtc(e) => e.fmt(f),
            LoadError::Manifest { path, error } => write!(f, "{}: {error}", path.display()),
        }
    }
}

impl std::error::Error for LoadError {}

/// Loads a manifest: a `.dtb` file is read as is, anything else is compiled as source.
pub fn load(path: &Path) -> Result<Manifest, LoadError> {
    load_with_blob(path).map(|(manifest, _)| manifest)
}

/// Loads a manifest as [`load`] does, and returns its compiled blob too (what the root
/// server hands to apps that read their own settings from it).
pub fn load_with_blob(path: &Path) -> Result<(Manifest, Vec<u8>), LoadError> {
    let blob = if path.extension().is_some_and(|e| e == "dtb") {
        std::fs::read(path).map_err(|source| LoadError::Read {
            path: path.to_owned(),
            source,
        })?
    } else {
        compile(path).map_err(LoadError::Dtc)?
    };
    let manifest = Manifest::from_dtb(&blob).map_err(|error| LoadError::Manifest {
        path: path.to_owned(),
        error,
    })?;
    Ok((manifest, blob))
}
