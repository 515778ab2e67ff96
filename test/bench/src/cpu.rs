//! Where the client and server threads of a benchmark run: on this VM a wake-up across cores costs
//! several times a whole same-core round trip, so placement is a setting, not luck.

use std::sync::mpsc;
use std::thread::{self, JoinHandle};

use anyhow::{bail, Context, Result};
use nix::sched::{sched_getaffinity, sched_setaffinity, CpuSet};
use nix::unistd::Pid;

/// How the client and the server thread (the echo thread, the RNG server) are placed on CPUs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Placement {
    /// Both on the first allowed CPU: the cost of the path itself.
    SameCore,
    /// Client on the first allowed CPU, server on the second: adds cross-core wake-ups.
    CrossCore,
    /// Wherever the scheduler puts them (varies from run to run).
    Os,
}

/// The CPUs chosen for the client and the server thread; `None` leaves it to the OS.
#[derive(Debug, Clone, Copy)]
pub struct Cpus {
    /// The calling thread's CPU.
    pub client: Option<usize>,
    /// The server thread's CPU.
    pub server: Option<usize>,
}

impl Placement {
    /// Picks CPUs among `allowed` (from [`allowed_cpus`]).
    pub fn cpus(self, allowed: &[usize]) -> Result<Cpus> {
        let cpus = match (self, allowed) {
            (Placement::Os, _) => Cpus {
                client: None,
                server: None,
            },
            (Placement::SameCore, [first, ..]) => Cpus {
                client: Some(*first),
                server: Some(*first),
            },
            (Placement::CrossCore, [first, second, ..]) => Cpus {
                client: Some(*first),
                server: Some(*second),
            },
            _ => bail!(
                "placement {self:?} needs more CPUs than the {} this process may use; try --placement os",
                allowed.len()
            ),
        };
        Ok(cpus)
    }
}

/// The CPUs the calling thread may run on now; read it before pinning anything.
pub fn allowed_cpus() -> Result<Vec<usize>> {
    let set = sched_getaffinity(Pid::from_raw(0)).context("reading this process's CPU set")?;
    Ok((0..CpuSet::count())
        .filter(|&cpu| set.is_set(cpu).unwrap_or(false))
        .collect())
}

/// Keeps the calling thread on `cpu`; `None` lets it run on any of `allowed` again.
pub fn pin_current(cpu: Option<usize>, allowed: &[usize]) -> Result<()> {
    let cpus = cpu.map_or_else(|| allowed.to_vec(), |c| vec![c]);
    let mut set = CpuSet::new();
    for &c in &cpus {
        set.set(c)
            .with_context(|| format!("CPU {c} is out of range"))?;
    }
    sched_setaffinity(Pid::from_raw(0), &set).with_context(|| format!("pinning to CPU(s) {cpus:?}"))
}

/// Spawns `body` on a thread named `name` kept on `cpu`; fails if it cannot be pinned.
pub fn spawn_pinned(
    name: &str,
    cpu: Option<usize>,
    allowed: &[usize],
    body: impl FnOnce() + Send + 'static,
) -> Result<JoinHandle<()>> {
    let allowed = allowed.to_vec();
    let (pinned_tx, pinned_rx) = mpsc::sync_channel(1);
    let handle = thread::Builder::new()
        .name(name.into())
        .spawn(move || {
            let pinned = pin_current(cpu, &allowed);
            let ok = pinned.is_ok();
            let _ = pinned_tx.send(pinned);
            if ok {
                body();
            }
        })
        .with_context(|| format!("starting thread {name}"))?;
    pinned_rx
        .recv()
        .context("the thread ended before it was pinned")??;
    Ok(handle)
}
