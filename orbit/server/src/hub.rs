//! Who is connected right now, and the commands in flight to them.
//!
//! Each authenticated WebSocket registers here with a channel to its writer task.
//! Commands go out through that channel; the device's acknowledgement and result come
//! back through [`Hub::on_ack`] and [`Hub::on_result`], which wake whoever waits on
//! the command. A device that connects again replaces its older connection, and a
//! connection that ends fails its commands in flight ("device disconnected").

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use orbit_protocol::{Command, ToDevice};
use tokio::sync::{mpsc, oneshot};

/// What the writer task of a connection is told to do.
#[derive(Debug)]
pub enum Outgoing {
    /// Send this message.
    Msg(ToDevice),
    /// Close the connection with this reason.
    Close(String),
}

/// How a command ended.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The device did what was asked.
    pub ok: bool,
    /// Its detail, or why it failed.
    pub detail: String,
}

struct Pending {
    kind: &'static str,
    sent_at: Instant,
    /// The device acknowledged it: it took the command.
    acked: bool,
    done: Option<oneshot::Sender<Outcome>>,
}

/// A command in flight on a connection that ended: its id, kind, and whether the
/// device had acknowledged it.
pub type Dropped = (u64, &'static str, bool);

fn dropped(pending: &HashMap<u64, Pending>) -> Vec<Dropped> {
    pending
        .iter()
        .map(|(id, p)| (*id, p.kind, p.acked))
        .collect()
}

struct Live {
    conn: u64,
    tx: mpsc::UnboundedSender<Outgoing>,
    since: i64,
    pending: HashMap<u64, Pending>,
}

/// A finished command, as the hub saw it.
#[derive(Debug)]
pub struct Finished {
    /// `ping`, `restart` or `upgrade`.
    pub kind: &'static str,
    /// From sending the command to its result.
    pub round_trip: std::time::Duration,
}

/// The connected devices.
#[derive(Default)]
pub struct Hub {
    live: Mutex<HashMap<String, Live>>,
    next_conn: AtomicU64,
}

impl Hub {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Live>> {
        self.live.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Registers an authenticated connection of `name`; returns its connection id.
    /// An older connection of the same device is told to close, and its commands in
    /// flight are failed.
    pub fn attach(
        &self,
        name: &str,
        tx: mpsc::UnboundedSender<Outgoing>,
        now: i64,
    ) -> (u64, Vec<Dropped>) {
        let conn = self.next_conn.fetch_add(1, Ordering::Relaxed) + 1;
        let old = self.lock().insert(
            name.to_string(),
            Live {
                conn,
                tx,
                since: now,
                pending: HashMap::new(),
            },
        );
        let mut ended = Vec::new();
        if let Some(old) = old {
            let _ = old
                .tx
                .send(Outgoing::Close("replaced by a newer connection".into()));
            ended = dropped(&old.pending);
            fail_all(old.pending, "device reconnected before answering");
        }
        (conn, ended)
    }

    /// Forgets connection `conn` of `name` (if it is still the current one) and wakes
    /// the waiters of its commands in flight; returns their ids and kinds.
    pub fn detach(&self, name: &str, conn: u64) -> Vec<Dropped> {
        let mut live = self.lock();
        if live.get(name).is_some_and(|l| l.conn == conn) {
            let l = live.remove(name).expect("checked above");
            drop(live);
            let ids = dropped(&l.pending);
            fail_all(l.pending, "device disconnected");
            ids
        } else {
            Vec::new()
        }
    }

    /// Sends command `id` to `name`; the receiver resolves when its result arrives.
    /// `None` when the device is not connected.
    pub fn send(
        &self,
        name: &str,
        id: u64,
        command: Command,
    ) -> Option<oneshot::Receiver<Outcome>> {
        let kind = kind_of(&command);
        let mut live = self.lock();
        let l = live.get_mut(name)?;
        let (done, rx) = oneshot::channel();
        l.tx.send(Outgoing::Msg(ToDevice::Command { id, command }))
            .ok()?;
        l.pending.insert(
            id,
            Pending {
                kind,
                sent_at: Instant::now(),
                acked: false,
                done: Some(done),
            },
        );
        Some(rx)
    }

    /// The device acknowledged command `id`: true if it was in flight to it.
    pub fn on_ack(&self, name: &str, id: u64) -> bool {
        let mut live = self.lock();
        match live.get_mut(name).and_then(|l| l.pending.get_mut(&id)) {
            Some(p) => {
                p.acked = true;
                true
            }
            None => false,
        }
    }

    /// Command `id` ended on `name`: wakes its waiter. `None` for an id that was not
    /// in flight to this device (a device cannot finish another's command).
    pub fn on_result(&self, name: &str, id: u64, outcome: Outcome) -> Option<Finished> {
        let mut p = self.lock().get_mut(name)?.pending.remove(&id)?;
        if let Some(done) = p.done.take() {
            let _ = done.send(outcome);
        }
        Some(Finished {
            kind: p.kind,
            round_trip: p.sent_at.elapsed(),
        })
    }

    /// When `name` connected (unix ms), if it is connected.
    pub fn connected_since(&self, name: &str) -> Option<i64> {
        self.lock().get(name).map(|l| l.since)
    }

    /// Tells `name`'s connection to close (after a revocation).
    pub fn kick(&self, name: &str, reason: &str) {
        if let Some(l) = self.lock().get(name) {
            let _ = l.tx.send(Outgoing::Close(reason.to_string()));
        }
    }

    /// Tells every connection to close (Orbit is stopping).
    pub fn kick_all(&self, reason: &str) {
        for l in self.lock().values() {
            let _ = l.tx.send(Outgoing::Close(reason.to_string()));
        }
    }

    /// Names of the devices connected now.
    pub fn online(&self) -> Vec<String> {
        self.lock().keys().cloned().collect()
    }

    /// Devices connected now.
    pub fn count(&self) -> usize {
        self.lock().len()
    }
}

/// The command's name in records and logs.
pub fn kind_of(command: &Command) -> &'static str {
    match command {
        Command::Ping => "ping",
        Command::Restart => "restart",
        Command::Upgrade { .. } => "upgrade",
    }
}

fn fail_all(pending: HashMap<u64, Pending>, why: &str) {
    for (_, mut p) in pending {
        if let Some(done) = p.done.take() {
            let _ = done.send(Outcome {
                ok: false,
                detail: why.to_string(),
            });
        }
    }
}
