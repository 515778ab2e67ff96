//! Commands that no one will finish: when Orbit starts, and every minute while it
//! runs, commands left `sent` or `acked` are settled with the reason, so none stays
//! unfinished for ever and `orbit upgrade` never waits on a dead command.
//!
//! - A ping or restart still unfinished when Orbit starts was cut off by an earlier
//!   Orbit's end (a `kill -9`, a crash): its outcome is unknown, and it fails saying so.
//! - An upgrade restarts the device on purpose; its result comes from the system that
//!   comes up next, on a later connection (the device reports it when it connects).
//!   It stays `acked` until then, for at most [`UPGRADE_DEADLINE`], then fails.
//! - A ping or restart the device took before its link broke may still come back (the
//!   device keeps results until Orbit acknowledges them): it stays `acked` for at most
//!   [`COMMAND_DEADLINE`], then fails.

use std::time::Duration;

use crate::store::{Store, StoreError};

/// How long an upgrade may go without a result before Orbit gives up on it.
pub const UPGRADE_DEADLINE: Duration = Duration::from_secs(30 * 60);
/// How long another command the device took may wait for its result (one kept by the
/// device across a broken connection) before Orbit gives up on it.
pub const COMMAND_DEADLINE: Duration = Duration::from_secs(5 * 60);
/// How often a running Orbit looks for upgrades past their deadline.
pub const SWEEP_EVERY: Duration = Duration::from_secs(60);

/// What was settled.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Settled {
    /// Pings and restarts an earlier Orbit left unfinished.
    pub cut_off: Vec<u64>,
    /// Commands past their deadline.
    pub expired: Vec<u64>,
}

/// At start: settles what an earlier Orbit left, and expired upgrades.
pub fn at_start(store: &dyn Store, now_ms: i64) -> Result<Settled, StoreError> {
    settle(store, now_ms, true)
}

/// While running: settles commands past their deadline.
pub fn sweep(store: &dyn Store, now_ms: i64) -> Result<Settled, StoreError> {
    settle(store, now_ms, false)
}

fn settle(store: &dyn Store, now_ms: i64, starting: bool) -> Result<Settled, StoreError> {
    let mut settled = Settled::default();
    for c in store.unfinished()? {
        let deadline = if c.kind == "upgrade" {
            UPGRADE_DEADLINE
        } else {
            COMMAND_DEADLINE
        };
        let overdue = now_ms - c.created_at >= deadline.as_millis() as i64;
        if c.kind == "upgrade" {
            if overdue {
                store.update_command(
                    c.id,
                    "error",
                    &format!(
                        "no result from the device within {} min of the upgrade",
                        UPGRADE_DEADLINE.as_secs() / 60
                    ),
                    Some(now_ms),
                )?;
                settled.expired.push(c.id);
            }
        } else if overdue && !starting {
            store.update_command(
                c.id,
                "error",
                &format!(
                    "no result from the device within {} min",
                    COMMAND_DEADLINE.as_secs() / 60
                ),
                Some(now_ms),
            )?;
            settled.expired.push(c.id);
        } else if starting {
            store.update_command(
                c.id,
                "error",
                "Orbit stopped before the device reported: the outcome is unknown",
                Some(now_ms),
            )?;
            settled.cut_off.push(c.id);
        }
    }
    Ok(settled)
}
