//! Why Orbit could not start: the errors of [`Orbit::open`](crate::Orbit::open),
//! [`start`](crate::start), [`start_tls`](crate::start_tls) and
//! [`tls::acceptor`](crate::tls::acceptor), each naming the file, address or setting
//! at fault and what to do.

use std::net::SocketAddr;
use std::path::PathBuf;

/// Why Orbit could not start.
#[derive(Debug)]
pub enum StartError {
    /// The data directory could not be made or read.
    DataDir {
        /// The directory.
        path: PathBuf,
        /// What the system said.
        error: std::io::Error,
    },
    /// The store could not be opened, migrated or reconciled.
    Store(String),
    /// A secret file of the data directory (`orbit-id`, `admin-token`) could not be
    /// read or made.
    Secret {
        /// The file's name.
        file: &'static str,
        /// What the system said.
        error: std::io::Error,
    },
    /// Plain `ws://` was asked for beyond loopback.
    PlainBeyondLoopback(SocketAddr),
    /// The address could not be listened on.
    Listen {
        /// The address.
        addr: SocketAddr,
        /// What the system said.
        error: std::io::Error,
    },
    /// The TLS certificate or key is unusable.
    Tls(String),
    /// The async runtime could not be set up.
    Runtime(std::io::Error),
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::DataDir { path, error } => {
                write!(f, "data directory {}: {error}", path.display())
            }
            StartError::Store(e) => f.write_str(e),
            StartError::Secret { file, error } => write!(f, "{file}: {error}"),
            StartError::PlainBeyondLoopback(addr) => write!(
                f,
                "refusing to serve plain ws:// on {addr}: devices would send their traffic unencrypted. \
                 Give Orbit a certificate (--tls-cert, --tls-key) or listen on loopback behind a TLS proxy \
                 (see orbit/README.md)"
            ),
            StartError::Listen { addr, error } => write!(f, "cannot listen on {addr}: {error}"),
            StartError::Tls(e) => f.write_str(e),
            StartError::Runtime(e) => write!(f, "cannot start the async runtime: {e}"),
        }
    }
}

impl std::error::Error for StartError {}
