//! `kos run`: boot a system and supervise it until asked to stop.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use kos_root::{Logger, RunOptions, System};
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

/// The options of `kos run`.
pub struct Settings {
    /// Where native binaries are; `None`: next to this executable.
    pub bin_dir: Option<PathBuf>,
    /// Stop by itself after this long.
    pub stop_after: Option<Duration>,
    /// SIGTERM-to-SIGKILL grace.
    pub stop_timeout: Duration,
    /// Where BEAM apps' mix projects are.
    pub beam_dir: PathBuf,
    /// BEAM tuning profile.
    pub vm_profile: erts_port::Profile,
}

/// Boots `manifest` and returns when the system has stopped.
pub fn run(manifest: &Path, settings: Settings) -> Result<()> {
    let Settings {
        bin_dir,
        stop_after,
        stop_timeout,
        beam_dir,
        vm_profile,
    } = settings;
    // Catch the signals before anything starts, so a Ctrl-C during boot is a clean stop too.
    let mut signals = Signals::new([SIGINT, SIGTERM]).context("installing signal handlers")?;
    let parsed = kos_manifest::dtc::load(manifest)?;
    let bin_dir = match bin_dir {
        Some(dir) => dir,
        None => std::env::current_exe()
            .context("locating the kos binary")?
            .parent()
            .map(Path::to_path_buf)
            .context("the kos binary has no parent directory")?,
    };
    let mut options = RunOptions::new(&bin_dir);
    options.stop_timeout = stop_timeout;
    options.beam_dir = beam_dir;
    options.vm_profile = vm_profile;
    let logger = Logger::new();
    logger.line(
        "_root",
        &format!(
            "booting {} ({} apps, {} message servers; binaries from {})",
            manifest.display(),
            parsed.apps.len(),
            parsed.msg_servers.len(),
            bin_dir.display()
        ),
    );
    let system = System::boot(parsed, options, logger).context("booting the system")?;

    let handle = system.shutdown_handle();
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            if let Some(sig) = signals.forever().next() {
                let name = if sig == SIGINT { "SIGINT" } else { "SIGTERM" };
                handle.shutdown(&format!("{name} received"));
            }
        })
        .context("starting the signal thread")?;
    if let Some(after) = stop_after {
        let handle = system.shutdown_handle();
        std::thread::Builder::new()
            .name("stop-after".into())
            .spawn(move || {
                std::thread::sleep(after);
                handle.shutdown(&format!(
                    "--stop-after {}",
                    humantime::format_duration(after)
                ));
            })
            .context("starting the stop timer")?;
    }
    system.wait();
    Ok(())
}
