//! How to run a system, why one cannot boot, and the check an upgrade's image gets
//! before anything is stopped for it.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use kos_manifest::{AppKind, Manifest};

/// How to run a system.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Where native apps' binaries are found (`binary = "rng_server"` → `bin_dir/rng_server`).
    pub bin_dir: PathBuf,
    /// How long an app has to exit after SIGTERM before it is killed.
    pub stop_timeout: Duration,
    /// Tokens each app may hold per message server.
    pub max_tokens: usize,
    /// Where BEAM apps' mix projects are (`app = "idle_app"` → `beam_dir/idle_app`).
    pub beam_dir: PathBuf,
    /// How BEAM instances are tuned.
    pub vm_profile: erts_port::Profile,
    /// What tells this system from another on the same host (`kos run` gives the
    /// manifest's canonical path): with the app's name, it picks each app's user.
    pub system: String,
    /// Whether each app runs under its own user with `no_new_privs` and the seccomp
    /// filter (`crate::isolation`), when the root server is root.
    pub isolate: bool,
}

impl RunOptions {
    /// Defaults with binaries looked up in `bin_dir`.
    pub fn new(bin_dir: &Path) -> Self {
        RunOptions {
            bin_dir: bin_dir.to_path_buf(),
            stop_timeout: Duration::from_secs(5),
            max_tokens: kos_msg::TOKEN_SLOTS,
            beam_dir: PathBuf::from("elixir"),
            vm_profile: erts_port::Profile::default(),
            system: String::new(),
            isolate: true,
        }
    }
}

/// Why a system could not boot. Nothing has been started when this is returned.
#[derive(Debug)]
pub enum BootError {
    /// A native app's binary is not in the binary directory.
    MissingBinary {
        /// The app.
        app: String,
        /// Where it was looked for.
        path: PathBuf,
    },
    /// A BEAM app whose compiled code is missing.
    BeamApp {
        /// The app.
        app: String,
        /// What is missing.
        error: beam_host::LocateError,
    },
    /// A BEAM app, but no Erlang/OTP to run it.
    NoErlang,
    /// The operating system refused something while booting.
    Io(std::io::Error),
}

impl fmt::Display for BootError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BootError::MissingBinary { app, path } => write!(
                f,
                "app `{app}`: binary {} not found (build it with `cargo build`, or pass --bin-dir)",
                path.display()
            ),
            BootError::BeamApp { app, error } => write!(f, "app `{app}`: {error}"),
            BootError::NoErlang => f.write_str(
                "BEAM apps need Erlang/OTP: `erl` is not on the PATH (install Debian's erlang-base)",
            ),
            BootError::Io(e) => write!(f, "boot failed: {e}"),
        }
    }
}

impl std::error::Error for BootError {}

/// Checks that `manifest` could boot with `options` — every native binary and BEAM
/// app present — without starting anything (for an upgrade's image).
pub fn check(manifest: &Manifest, options: &RunOptions) -> Result<(), BootError> {
    for app in manifest.start_order() {
        match &app.kind {
            AppKind::Native { binary, .. } => {
                let binary = options.bin_dir.join(binary);
                if !binary.is_file() {
                    return Err(BootError::MissingBinary {
                        app: app.name.clone(),
                        path: binary,
                    });
                }
            }
            AppKind::Beam { app: otp_app, .. } => {
                beam_host::locate_app(&options.beam_dir, otp_app).map_err(|error| {
                    BootError::BeamApp {
                        app: app.name.clone(),
                        error,
                    }
                })?;
            }
        }
    }
    Ok(())
}
