//! `kos_root_protocol`: what a granted app may ask of the root server `_root`.
//!
//! Requests are calls whose label names the operation; the reply's label is a
//! status. Only apps that the manifest lists as clients of `kos_root_protocol` get a
//! token, so holding one is the permission.

/// Protocol name, as written in `dir_access_control`.
pub const PROTOCOL: &str = "kos_root_protocol";

/// Restart every application (each comes back as a new process). The reply is sent
/// before the restart begins, since the caller is restarted too.
pub const RESTART_ALL: u64 = 1;
/// Restart one application, named by the payload (UTF-8).
pub const RESTART_APP: u64 = 2;

/// Report every application's state and memory. The reply's payload is UTF-8 text,
/// one line per app: `NAME STATE pid=PID rss_kib=KIB restarts=N` (pid and rss only
/// while it runs).
pub const STATUS: u64 = 3;

/// Switch the whole system to the image in the directory the payload names (UTF-8):
/// `system.dts` and the BEAM apps' builds under `elixir/`, as a verified upgrade bundle
/// unpacks. `_root` checks the image first (the manifest's rules, every app's code);
/// a bad one is refused with [`STATUS_BAD_IMAGE`] and the reason as payload, and
/// nothing changes. Otherwise the reply is sent, every app stops, and the new system
/// boots on trial: if its apps do not stay up through the trial window, `_root`
/// stops them and boots the previous system again.
pub const UPGRADE: u64 = 4;

/// Reply status: done (or begun).
pub const STATUS_OK: u64 = 0;
/// Reply status: the payload names no application of this system.
pub const STATUS_UNKNOWN_APP: u64 = 1;
/// Reply status: the label names no operation of this protocol.
pub const STATUS_UNKNOWN_OPERATION: u64 = 2;
/// Reply status: the request's payload did not make sense for the operation.
pub const STATUS_BAD_REQUEST: u64 = 3;
/// Reply status: the image of an [`UPGRADE`] cannot run; the payload says why.
pub const STATUS_BAD_IMAGE: u64 = 4;
