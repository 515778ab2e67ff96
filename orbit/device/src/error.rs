//! What goes wrong: [`Error`] for the link to Orbit, [`CommandError`] for a command
//! the device could not carry out (its text is the failure's detail Orbit records).

/// Why a connection could not be made or ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The device key could not be read.
    Key(String),
    /// Orbit could not be reached (or the WebSocket upgrade failed).
    Connect(String),
    /// Orbit refused the device, with its reason.
    Refused(String),
    /// Orbit sent something this device does not understand.
    Protocol(String),
    /// The connection ended.
    Closed(String),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Key(e) => write!(f, "device key: {e}"),
            Error::Connect(e) => write!(f, "cannot reach Orbit: {e}"),
            Error::Refused(r) => write!(f, "Orbit refused this device: {r}"),
            Error::Protocol(e) => write!(f, "protocol error: {e}"),
            Error::Closed(e) => write!(f, "connection closed: {e}"),
        }
    }
}

impl std::error::Error for Error {}

/// Why a command was not carried out. Its text is the detail of the failure result
/// Orbit records and the operator sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandError {
    /// The command broke the protocol's rules ([`orbit_protocol::Command::check`]);
    /// nothing was done.
    Invalid(String),
    /// An upgrade's bundle did not check out (download, size, digest, signature, a
    /// file's hash, the signed version); nothing on the device changed.
    BundleRefused(String),
    /// The device cannot do this (no deployment key to verify upgrades with, `_root`
    /// not granted to the device admin, …).
    Unavailable(String),
    /// Carrying it out failed along the way.
    Failed(String),
    /// Whoever carries out commands on the device did not answer (gone, or too slow).
    NoAnswer(String),
}

impl std::fmt::Display for CommandError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CommandError::Invalid(why) => f.write_str(why),
            CommandError::BundleRefused(why) => write!(f, "bundle refused: {why}"),
            CommandError::Unavailable(why)
            | CommandError::Failed(why)
            | CommandError::NoAnswer(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for CommandError {}
