//! What a device does with Orbit's commands: the [`Handler`] the link calls.

use orbit_protocol::{Command, ToOrbit};

use crate::CommandError;

/// What the device does with Orbit's commands.
pub trait Handler {
    /// Carries out command `id` (Orbit's id): `Ok` with a detail (for an upgrade, the
    /// version now running), or why not. `orbit_http` is Orbit's base URL for
    /// downloads. It has been acknowledged already.
    fn handle(
        &mut self,
        id: u64,
        command: &Command,
        orbit_http: &str,
    ) -> impl std::future::Future<Output = Result<String, CommandError>> + Send;

    /// The result of command `id` is on its way to Orbit: a restart of the device's
    /// own software can start now without losing the report.
    fn result_sent(&mut self, _id: u64) {}

    /// Command `id` broke the protocol's rules ([`Command::check`]) and was refused
    /// without reaching [`Handler::handle`]; `why` says which rule. For the device's log.
    fn refused(&mut self, _id: u64, _why: &str) {}

    /// Messages to send as soon as a connection is authenticated: the results of
    /// commands that outlived the previous connection (an upgrade, reported by the
    /// system that came up after it).
    fn on_connect(&mut self) -> Vec<ToOrbit> {
        Vec::new()
    }
}
