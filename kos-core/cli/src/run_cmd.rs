//! `kos run`: boot a system and supervise it until asked to stop.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use crate::boot_target::BootTarget;
use crate::instance_lock::InstanceLock;
use kos_root::{Event, LogFormat, Logger, Outcome, Recent, RunOptions, ShutdownHandle, System};
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
    /// How long a new system must stay up after an upgrade.
    pub upgrade_trial: Duration,
    /// Stop when standard input reaches its end.
    pub stop_on_eof: bool,
    /// How log lines are written.
    pub log_format: LogFormatArg,
    /// The device's state directory (the boot target); `None`: nothing is kept.
    pub state_dir: Option<PathBuf>,
    /// A lock file no other `kos run` may hold meanwhile.
    pub lock: Option<PathBuf>,
    /// Lines kept per app for `kos logs`.
    pub log_lines: usize,
    /// Each app under its own user (`kos_root::isolation`), when run as root.
    pub isolate: bool,
}

/// `--log-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormatArg {
    /// `time [app] message`, for people.
    Text,
    /// One JSON object a line, for tools.
    Json,
}

/// Set for the apps of a system on trial after an upgrade: the trial window in ms.
const TRIAL_ENV: &str = "KOS_UPGRADE_TRIAL_MS";

/// A system to run: its manifest and where its BEAM apps are.
#[derive(Clone)]
struct Image {
    manifest: PathBuf,
    beam_dir: PathBuf,
    /// The image directory of an upgrade (`None`: the command line's system).
    dir: Option<PathBuf>,
    /// The command line's system: already a private copy (`crate::snapshot`).
    copied: bool,
}

impl Image {
    /// The system of image directory `dir`.
    fn of(dir: &Path) -> Image {
        Image {
            manifest: kos_root::image_manifest(dir),
            beam_dir: kos_root::image_beam_dir(dir),
            dir: Some(dir.to_path_buf()),
            copied: false,
        }
    }
}

/// The running system's stop handle, for the signal and timer threads, which outlive
/// any one system when an upgrade switches systems.
#[derive(Default)]
struct Current {
    handle: Mutex<Option<ShutdownHandle>>,
    stopping: AtomicBool,
}

impl Current {
    fn stop(&self, reason: &str) {
        self.stopping.store(true, Ordering::SeqCst);
        if let Some(h) = self
            .handle
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
        {
            h.shutdown(reason);
        }
    }
}

/// A private directory for the running system's files (the compiled manifest),
/// removed when `kos run` returns.
struct RuntimeDir(PathBuf);

impl RuntimeDir {
    fn create() -> Result<Self> {
        let dir = std::env::temp_dir().join(format!("kos-run-{}", std::process::id()));
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        Ok(RuntimeDir(dir))
    }
}

impl Drop for RuntimeDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Boots `manifest` and returns when the system has stopped. An upgrade asked through
/// `kos_root_protocol` stops it and boots the new image on trial: if the new system's
/// apps do not all stay up for `upgrade_trial`, it is stopped and the previous system
/// boots again.
pub fn run(manifest: &Path, settings: Settings) -> Result<()> {
    let Settings {
        bin_dir,
        stop_after,
        stop_timeout,
        beam_dir,
        vm_profile,
        upgrade_trial,
        stop_on_eof,
        log_format,
        state_dir,
        lock,
        log_lines,
        isolate,
    } = settings;
    // One system per device: held until this function returns (or the process ends).
    let _locks = [
        lock.clone(),
        state_dir.as_ref().map(|d| d.join("kos-run.lock")),
    ]
    .into_iter()
    .flatten()
    .map(|path| InstanceLock::take(&path))
    .collect::<Result<Vec<_>>>()?;
    // Catch the signals before anything starts, so a Ctrl-C during boot is a clean stop too.
    let mut signals = Signals::new([SIGINT, SIGTERM]).context("installing signal handlers")?;
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
    options.vm_profile = vm_profile;
    options.isolate = isolate;
    // Two systems on one host are told apart by their manifests' places.
    options.system = std::fs::canonicalize(manifest)
        .unwrap_or_else(|_| manifest.to_path_buf())
        .display()
        .to_string();
    // Each app's last lines, for `kos logs APP` from another terminal.
    let recent = Arc::new(Recent::new(log_lines));
    let logger = Logger::with_format(match log_format {
        LogFormatArg::Text => LogFormat::Text,
        LogFormatArg::Json => LogFormat::Json,
    })
    .keeping(recent.clone());
    let app_names = Arc::new(Mutex::new(Vec::new()));
    let _log_socket = match crate::logs_cmd::serve(manifest, recent, app_names.clone()) {
        Ok(Some(socket)) => Some(socket),
        Ok(None) => {
            eprintln!(
                "kos run: another kos run of {} answers `kos logs`; this one does not",
                manifest.display()
            );
            None
        }
        Err(e) => {
            eprintln!("kos run: `kos logs` will not reach this system: {e:#}");
            None
        }
    };
    let current = Arc::new(Current::default());

    let on_signal = current.clone();
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            if let Some(sig) = signals.forever().next() {
                let name = if sig == SIGINT { "SIGINT" } else { "SIGTERM" };
                on_signal.stop(&format!("{name} received"));
            }
        })
        .context("starting the signal thread")?;
    if let Some(after) = stop_after {
        let on_timer = current.clone();
        std::thread::Builder::new()
            .name("stop-after".into())
            .spawn(move || {
                std::thread::sleep(after);
                on_timer.stop(&format!(
                    "--stop-after {}",
                    humantime::format_duration(after)
                ));
            })
            .context("starting the stop timer")?;
    }

    if stop_on_eof {
        // A parent that runs kos through a pipe (mix does, from its own session, where
        // the terminal's Ctrl-C never reaches kos) ends by closing it.
        let on_eof = current.clone();
        std::thread::Builder::new()
            .name("stdin-eof".into())
            .spawn(move || {
                let mut sink = [0u8; 256];
                let mut stdin = std::io::stdin().lock();
                // Bounded by the parent: read returns 0 at end of input, or fails.
                while matches!(std::io::Read::read(&mut stdin, &mut sink), Ok(n) if n > 0) {}
                on_eof.stop("standard input closed");
            })
            .context("starting the stdin watcher")?;
    }

    let mut image = Image {
        manifest: manifest.to_path_buf(),
        beam_dir,
        dir: None,
        copied: false,
    };
    let boot_target = state_dir.as_deref().map(BootTarget::in_state_dir);
    if let Some(target) = &boot_target {
        if let Some(kept) = kept_image(target, &options, &logger) {
            image = kept;
        }
    }
    // The system to go back to while a new one is on trial.
    let mut previous: Option<Image> = None;
    let runtime = RuntimeDir::create()?;
    loop {
        let (parsed, blob) = kos_manifest::dtc::load_with_blob(&image.manifest)?;
        // The command line's system boots from a copy, so a rebuild of its files
        // meanwhile changes neither what runs nor what a rollback boots.
        if image.dir.is_none() && !image.copied {
            let copy = crate::snapshot::take(
                &image.manifest,
                &blob,
                &image.beam_dir,
                &runtime.0.join("booted"),
            )?;
            logger.event(
                "_root",
                Event::BootingCopy {
                    of: image.manifest.display().to_string(),
                    copy: copy.manifest.display().to_string(),
                    beam_dir: copy.beam_dir.display().to_string(),
                },
            );
            image.manifest = copy.manifest;
            image.beam_dir = copy.beam_dir;
            image.copied = true;
        }
        *app_names.lock().unwrap_or_else(|p| p.into_inner()) =
            parsed.apps.iter().map(|a| a.name.clone()).collect();
        // Bus servers read their backend, and their clients' addresses, from the
        // compiled manifest; every app inherits where it is.
        let blob_path = runtime.0.join("system.dtb");
        std::fs::write(&blob_path, &blob)
            .with_context(|| format!("writing {}", blob_path.display()))?;
        std::env::set_var(kos_transport::ENV_MANIFEST, &blob_path);
        options.beam_dir = image.beam_dir.clone();
        // Apps of a system on trial learn the window from their environment, so one
        // that reports the upgrade (the device admin) waits until it is kept.
        if previous.is_some() {
            std::env::set_var(TRIAL_ENV, upgrade_trial.as_millis().to_string());
        } else {
            std::env::remove_var(TRIAL_ENV);
        }
        logger.event(
            "_root",
            Event::Booting {
                manifest: image.manifest.display().to_string(),
                apps: parsed.apps.len(),
                msg_servers: parsed.msg_servers.len(),
                bin_dir: bin_dir.display().to_string(),
            },
        );
        let system = match System::boot(parsed, options.clone(), logger.clone()) {
            Ok(system) => system,
            Err(e) => match previous.take() {
                // The image was checked before the switch, but a boot can still fail.
                Some(back) => {
                    logger.event(
                        "_root",
                        Event::UpgradeFailedToBoot {
                            error: e.to_string(),
                        },
                    );
                    image = back;
                    continue;
                }
                None => return Err(e).context("booting the system"),
            },
        };
        *current.handle.lock().unwrap_or_else(|p| p.into_inner()) = Some(system.shutdown_handle());
        if current.stopping.load(Ordering::SeqCst) {
            system.shutdown("stopping");
        }
        if previous.is_some() {
            let keep = match (&boot_target, &image.dir) {
                (Some(target), Some(dir)) => Some((target.file().to_path_buf(), dir.clone())),
                _ => None,
            };
            start_trial(
                system.shutdown_handle(),
                upgrade_trial,
                logger.clone(),
                keep,
            )?;
        }
        match system.wait() {
            Outcome::Stopped => return Ok(()),
            _ if current.stopping.load(Ordering::SeqCst) => return Ok(()),
            Outcome::Switch(dir) => {
                logger.event(
                    "_root",
                    Event::UpgradeOnTrial {
                        image: dir.display().to_string(),
                        trial_ms: u64::try_from(upgrade_trial.as_millis()).unwrap_or(u64::MAX),
                    },
                );
                previous = Some(std::mem::replace(&mut image, Image::of(&dir)));
            }
            Outcome::RollBack(reason) => {
                logger.event(
                    "_root",
                    Event::UpgradeRolledBack {
                        reason: reason.clone(),
                    },
                );
                image = previous
                    .take()
                    .context("a rollback without a previous system")?;
            }
        }
    }
}

/// The boot target's image, if there is one that still checks out; one that does not
/// is reported and forgotten, and the command line's system boots.
fn kept_image(target: &BootTarget, options: &RunOptions, logger: &Logger) -> Option<Image> {
    let file = target.file().display().to_string();
    let dir = match target.read() {
        Ok(Some(dir)) => dir,
        Ok(None) => return None,
        Err(e) => {
            logger.event(
                "_root",
                Event::BootTargetUnusable {
                    image: file.clone(),
                    error: e.to_string(),
                },
            );
            return None;
        }
    };
    let image = Image::of(&dir);
    let mut options = options.clone();
    options.beam_dir = image.beam_dir.clone();
    let checked = kos_manifest::dtc::load(&image.manifest)
        .map_err(anyhow::Error::from)
        .and_then(|m| kos_root::check(&m, &options).map_err(anyhow::Error::from));
    match checked {
        Ok(()) => {
            logger.event(
                "_root",
                Event::BootingKeptUpgrade {
                    image: dir.display().to_string(),
                    boot_target: file,
                },
            );
            Some(image)
        }
        Err(e) => {
            logger.event(
                "_root",
                Event::BootTargetUnusable {
                    image: dir.display().to_string(),
                    error: format!("{e:#}"),
                },
            );
            let _ = target.forget();
            None
        }
    }
}

/// Watches a system on trial: once `window` has passed, it is kept if every app is up
/// (and, with `keep = (boot target file, image)`, the image becomes the boot target),
/// and rolled back otherwise. A system that ends sooner ends the watch.
fn start_trial(
    handle: ShutdownHandle,
    window: Duration,
    logger: Logger,
    keep: Option<(PathBuf, PathBuf)>,
) -> Result<()> {
    std::thread::Builder::new()
        .name("upgrade-trial".into())
        .spawn(move || {
            let deadline = std::time::Instant::now() + window;
            // Look early and often: a crash can be rolled back before the window ends.
            while std::time::Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(200));
                match handle.health() {
                    None => return,
                    Some(h) if !h.up && h.detail.contains("restart") => {
                        return handle
                            .roll_back(&format!("the new system did not stay up: {}", h.detail));
                    }
                    Some(_) => {}
                }
            }
            match handle.health() {
                None => {}
                Some(h) if h.up => {
                    logger.event("_root", Event::UpgradeKept);
                    if let Some((file, image)) = keep {
                        let target = BootTarget { file: file.clone() };
                        let event = match target.keep(&image) {
                            Ok(()) => Event::BootTargetSet {
                                image: image.display().to_string(),
                                boot_target: file.display().to_string(),
                            },
                            Err(e) => Event::BootTargetNotSet {
                                boot_target: file.display().to_string(),
                                error: e.to_string(),
                            },
                        };
                        logger.event("_root", event);
                    }
                }
                Some(h) => {
                    handle.roll_back(&format!("the new system did not come up: {}", h.detail))
                }
            }
        })
        .context("starting the upgrade trial")?;
    Ok(())
}
