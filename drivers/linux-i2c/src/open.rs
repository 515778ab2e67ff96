//! Why an adapter could not be opened, worded for the person who has to fix it.

use std::path::{Path, PathBuf};
use std::{fmt, io};

/// What went wrong opening an adapter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenErrorKind {
    /// No such device node, or no adapter behind it (`ENOENT`, `ENODEV`, `ENXIO`).
    NotFound,
    /// The node exists but this user may not open it (`EACCES`, `EPERM`).
    PermissionDenied,
    /// The path opens but is not an i2c-dev node: it refuses the I2C ioctls (`ENOTTY`),
    /// or is a directory (`EISDIR`).
    NotAnAdapter,
    /// Any other errno.
    Other(i32),
}

impl OpenErrorKind {
    fn from_errno(errno: i32) -> Self {
        match errno {
            libc::ENOENT | libc::ENODEV | libc::ENXIO => Self::NotFound,
            libc::EACCES | libc::EPERM => Self::PermissionDenied,
            libc::ENOTTY | libc::EISDIR => Self::NotAnAdapter,
            other => Self::Other(other),
        }
    }
}

/// An adapter that could not be opened: which path, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenError {
    path: PathBuf,
    kind: OpenErrorKind,
}

impl OpenError {
    pub(crate) fn new(path: &Path, errno: i32) -> Self {
        Self {
            path: path.to_path_buf(),
            kind: OpenErrorKind::from_errno(errno),
        }
    }

    /// The path that was opened.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What went wrong.
    pub fn kind(&self) -> OpenErrorKind {
        self.kind
    }
}

impl fmt::Display for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot open I2C adapter {}: ", self.path.display())?;
        match self.kind {
            OpenErrorKind::NotFound => f.write_str(
                "no such device (is the bus enabled in the device tree and the i2c-dev module loaded?)",
            ),
            OpenErrorKind::PermissionDenied => f.write_str(
                "permission denied (the user needs read-write access, usually the i2c group)",
            ),
            OpenErrorKind::NotAnAdapter => {
                f.write_str("not an I2C adapter (it refuses the i2c-dev ioctls)")
            }
            OpenErrorKind::Other(errno) => write!(f, "{}", io::Error::from_raw_os_error(errno)),
        }
    }
}

impl std::error::Error for OpenError {}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn errnos_of_open_name_the_problem() {
        let cases = [
            (libc::ENOENT, OpenErrorKind::NotFound),
            (libc::ENODEV, OpenErrorKind::NotFound),
            (libc::EACCES, OpenErrorKind::PermissionDenied),
            (libc::EPERM, OpenErrorKind::PermissionDenied),
            (libc::ENOTTY, OpenErrorKind::NotAnAdapter),
            (libc::EISDIR, OpenErrorKind::NotAnAdapter),
            (libc::EMFILE, OpenErrorKind::Other(libc::EMFILE)),
        ];
        for (errno, kind) in cases {
            assert_eq!(OpenErrorKind::from_errno(errno), kind, "errno {errno}");
        }
    }

    #[test]
    fn permission_denied_says_what_to_do() {
        let error = OpenError::new(Path::new("/dev/i2c-1"), libc::EACCES);
        let message = error.to_string();
        assert!(message.starts_with("cannot open I2C adapter /dev/i2c-1: permission denied"));
        assert!(message.contains("i2c group"));
    }
}
