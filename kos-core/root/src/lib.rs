//! The KOS root server, `_root`.
//!
//! `_root` boots a system from its manifest and keeps it running: it starts one
//! message server per `msg_servers` node, then every app in start order as a
//! supervised OS process holding only the channels its manifest entry grants, and
//! restarts apps by their policy (permanent / transient / temporary, with backoff and
//! a restart-intensity limit, as OTP supervisors do). It serves `kos_root_protocol`
//! to the apps the manifest allows, and on SIGINT/SIGTERM stops every app before it
//! exits. Every line an app prints is logged under the app's name. Run as root, it
//! starts each app under a user of its own, with `no_new_privs` and a seccomp filter
//! (`isolation`).

mod app_process;
pub mod events;
pub mod isolation;
mod log;
mod policy;
mod recent;
mod root_protocol;
mod start_gate;
mod system;

pub use events::{Event, Exit, How};
pub use kos_restart::{Decision, ExitKind, RestartTracker};
pub use log::{LogFormat, Logger};
pub use recent::Recent;
pub use system::{check, BootError, Health, Outcome, RunOptions, ShutdownHandle, System};

/// The manifest of an upgrade image directory (`DIR/system.dts`).
pub fn image_manifest(image: &std::path::Path) -> std::path::PathBuf {
    root_protocol::image_manifest(image)
}

/// The BEAM apps' builds of an upgrade image directory (`DIR/elixir`).
pub fn image_beam_dir(image: &std::path::Path) -> std::path::PathBuf {
    root_protocol::image_beam_dir(image)
}
