//! The VM's KOS session: its handoff, taken once per VM.

use std::sync::OnceLock;

use kos_client::Kos;

use crate::reason::Reason;

/// The VM's view of KOS, or [`Reason::NotKos`] when the VM was not started by
/// `kos run` (the first attempt's error is kept: the handoff can be taken once).
pub fn kos() -> Result<&'static Kos, Reason> {
    static KOS: OnceLock<Option<Kos>> = OnceLock::new();
    KOS.get_or_init(|| Kos::from_env().ok())
        .as_ref()
        .ok_or(Reason::NotKos)
}
