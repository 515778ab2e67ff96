//! `kos`: the command-line entry to a hosted KOS system.
//!
//! `kos run SYSTEM.dts` boots a system; `kos manifest check|show FILE` validates and
//! summarises a manifest; `kos bundle create|show` makes and reads upgrade bundles.
//! See `kos --help`.

mod board_cmd;
mod boot_target;
mod bundle_cmd;
mod instance_lock;
mod logs_cmd;
mod manifest_cmd;
mod run_cmd;
mod snapshot;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};

/// Run and inspect hosted KOS systems.
///
/// A KOS system is described by one device-tree manifest (.dts, compiled with dtc):
/// its applications, its message servers and who may talk to whom.
#[derive(Parser)]
#[command(
    name = "kos",
    version,
    propagate_version = true,
    after_help = "Examples:\n  \
      kos run systems/demo.dts                        boot a system (Ctrl-C stops it)\n  \
      kos run my.dts --log-format json --stop-after 60s\n  \
      kos run systems/demo-sel4.dts --board qemu-x86_64   the same manifest on seL4, in QEMU\n  \
      kos manifest check my.dts                       every rule, naming the node at fault\n  \
      kos bundle create image/ -o b.tar.gz --key deploy.pem --version 2.0.0\n  \
      kos board show qemu-x86_64                      a board's kernel options"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Boot a system from its manifest and supervise it until Ctrl-C (or SIGTERM).
    ///
    /// Starts one message server per `msg_servers` node, then every app in start order,
    /// each as its own process holding only the channels its manifest entry grants.
    /// Every line an app prints is logged under its name.
    #[command(after_help = "Examples:\n  \
      kos run systems/demo.dts\n  \
      kos run my.dts --bin-dir target/release --stop-after 10m\n  \
      kos run my.dts --log-format json | jq -c 'select(.event == \"restarting\")'\n  \
      kos run image/system.dts --state-dir /var/lib/kos   keep kept upgrades across restarts\n  \
      kos run systems/demo-sel4.dts --board qemu-x86_64\n  \
      kos run systems/bench-sel4.dts --board qemu-x86_64 --count-instructions --stop-after 10m")]
    Run {
        /// The system manifest (.dts, or a compiled .dtb).
        manifest: PathBuf,
        /// Where native apps' binaries are found [default: the directory of this kos binary].
        #[arg(long, value_name = "DIR")]
        bin_dir: Option<PathBuf>,
        /// Stop the system by itself after this long (e.g. `30s`, `2m`).
        #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
        stop_after: Option<Duration>,
        /// How long an app has to exit after SIGTERM before it is killed.
        #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration, default_value = "5s")]
        stop_timeout: Duration,
        /// Where BEAM apps' compiled mix projects are (`app = "x"` → DIR/x/_build).
        #[arg(long, value_name = "DIR", default_value = "elixir")]
        beam_dir: PathBuf,
        /// How BEAM instances are tuned: stock, embedded or minimal.
        #[arg(long, value_name = "PROFILE", default_value_t = erts_port::Profile::default())]
        vm_profile: erts_port::Profile,
        /// After an upgrade (kos_root_protocol UPGRADE), how long every app of the new
        /// system must stay up before it is kept; otherwise the previous one runs again.
        #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration, default_value = "10s")]
        upgrade_trial: Duration,
        /// Stop the system cleanly when standard input closes: for tools that run kos
        /// as a child (`mix kos.run`), so the system stops when they do.
        #[arg(long)]
        stop_on_eof: bool,
        /// `text` (`time [app] message`) or `json` (one object a line: time, app,
        /// from = "kos" | "app", event and its fields, message), for log collectors and
        /// tools: KOS's events are named (started, restarting, gave_up…), an app's own
        /// lines are the event `output`.
        #[arg(long, value_enum, default_value_t = run_cmd::LogFormatArg::Text)]
        log_format: run_cmd::LogFormatArg,
        /// The device's state directory: an upgrade that is kept becomes the boot
        /// target (DIR/boot-target), booted instead of SYSTEM from then on, as a
        /// board's boot partition is. Without it nothing is kept.
        #[arg(long, value_name = "DIR")]
        state_dir: Option<PathBuf>,
        /// Refuse to run while another kos run holds this lock file (`--state-dir`
        /// locks DIR/kos-run.lock by itself): one system per device at a time.
        #[arg(long, value_name = "FILE")]
        lock: Option<PathBuf>,
        /// Run the system on this board instead of hosted: for an seL4 board
        /// (`kos board list`), build the kernel and the root task with the system and
        /// boot it (QEMU for qemu-x86_64), as `kos board build NAME --system SYSTEM
        /// --boot` does; `hosted` is the default.
        #[arg(long, value_name = "NAME")]
        board: Option<String>,
        /// Lines of each app's recent output kept in memory for `kos logs APP`.
        #[arg(long, value_name = "N", default_value_t = 1000)]
        log_lines: usize,
        /// Start every app as this server's own user, without `no_new_privs` or the
        /// seccomp filter. By default a `kos run` as root gives each app a user of
        /// its own, so no app can signal, trace or read another's memory or files.
        #[arg(long)]
        no_isolation: bool,
        /// On a QEMU board: make the TSC count guest instructions (`-icount shift=0`),
        /// so benchmark figures are the same from run to run (`systems/bench-sel4.dts`).
        #[arg(long)]
        count_instructions: bool,
    },
    /// Print a running system's recent lines for one app (its output and what KOS
    /// logged about it), kept by `kos run` in memory; with -f, keep printing new ones.
    #[command(after_help = "Examples:\n  \
      kos logs weatherstation --system systems/demo.dts\n  \
      kos logs device_admin --system systems/demo.dts -f   follow, until Ctrl-C")]
    Logs {
        /// The app (its name in the manifest; `_root` for the root server's own lines).
        app: String,
        /// The manifest the system was started with (`kos run SYSTEM`).
        #[arg(long, value_name = "SYSTEM.dts")]
        system: PathBuf,
        /// Follow: print each new line as it is logged.
        #[arg(short = 'f', long)]
        follow: bool,
    },
    /// Validate or summarise a manifest.
    #[command(subcommand)]
    Manifest(ManifestCommand),
    /// Make or read upgrade bundles (what `orbit upgrade` sends to a device).
    #[command(subcommand)]
    Bundle(BundleCommand),
    /// The boards KOS runs on: list them, show one's kernel options, build its seL4
    /// kernel and root task, boot it in QEMU.
    #[command(subcommand)]
    Board(BoardCommand),
}

#[derive(Subcommand)]
enum BoardCommand {
    /// List the boards: kernel, architecture, platform, how a system runs.
    List,
    /// Show a board: memory, device backends, how it is built and run, and every
    /// kernel option with what it means.
    ///
    /// Example: `kos board show qemu-x86_64`
    Show {
        /// The board (see `kos board list`).
        name: String,
    },
    /// Build a board's seL4 kernel (from the sel4-sys package cargo fetches) and, on
    /// x86_64, the root task with a system's manifest; with --boot, boot them in QEMU.
    ///
    /// Examples: `kos board build qemu-x86_64 --boot`; `kos board build qemu-x86_64
    /// --system my.dts --boot`; `kos board build sabre` (the ARM kernel compiles;
    /// booting it needs an elfloader).
    Build {
        /// The board.
        name: String,
        /// The system to build in [default: systems/demo-sel4.dts of this checkout].
        #[arg(long, value_name = "SYSTEM.dts")]
        system: Option<PathBuf>,
        /// Where the build goes [default: target/sel4/NAME beside this kos binary].
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Boot the result in QEMU and exit with the system's verdict.
        #[arg(long)]
        boot: bool,
        /// Longest boot before QEMU is stopped.
        #[arg(long, value_parser = humantime::parse_duration, default_value = "60s")]
        timeout: Duration,
        /// Make the TSC count guest instructions while booted (`-icount shift=0`).
        #[arg(long)]
        count_instructions: bool,
    },
}

#[derive(Subcommand)]
enum BundleCommand {
    /// Check a system image (DIR/system.dts + DIR/elixir/<app>/_build) and write it as a
    /// signed .tar.gz.
    // `--version` here is the bundle's version, not kos's.
    #[command(disable_version_flag = true)]
    Create {
        /// The image directory.
        image: PathBuf,
        /// Where to write the bundle.
        #[arg(long, short)]
        out: PathBuf,
        /// The deployment's signing key (PKCS#8 PEM: `openssl genpkey -algorithm ed25519`).
        #[arg(long)]
        key: PathBuf,
        /// The version the bundle declares (devices report it once it runs).
        #[arg(long)]
        version: String,
        /// Mark it a deliberate rollback (signed): devices refuse a version older than
        /// the one they run unless its bundle says so.
        #[arg(long)]
        rollback: bool,
        /// Where native apps' binaries are looked up [default: next to this kos binary].
        #[arg(long, value_name = "DIR")]
        bin_dir: Option<PathBuf>,
    },
    /// Print a bundle's version and files.
    Show {
        /// The bundle (.tar.gz).
        bundle: PathBuf,
    },
}

#[derive(Subcommand)]
enum ManifestCommand {
    /// Check a manifest against every rule; on error, name the node and the rule.
    Check {
        /// The manifest (.dts or .dtb).
        file: PathBuf,
    },
    /// Print a readable summary: apps in start order, message servers, access matrix.
    Show {
        /// The manifest (.dts or .dtb).
        file: PathBuf,
    },
    /// Print the manifest's limits (name lengths and characters, memory and heap
    /// budgets, I2C addresses, bus speeds), as the checker applies them.
    ///
    /// Examples: `kos manifest limits` (a table); `kos manifest limits --format erlang`
    /// (one Erlang term a line, what the mix tasks read).
    Limits {
        /// `text` for people, `erlang` for tools (`:file.consult/1`-able terms).
        #[arg(long, value_enum, default_value_t = manifest_cmd::LimitsFormat::Text)]
        format: manifest_cmd::LimitsFormat,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        // The hosted-only options do not apply on a board; --stop-after bounds the boot.
        Command::Run {
            manifest,
            stop_after,
            board: Some(board),
            count_instructions,
            ..
        } if board != "hosted" => board_cmd::build(
            &board,
            Some(manifest),
            None,
            true,
            stop_after.unwrap_or(Duration::from_secs(120)),
            count_instructions,
        ),
        Command::Run {
            manifest,
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
            board: _,
            count_instructions: _,
            log_lines,
            no_isolation,
        } => run_cmd::run(
            &manifest,
            run_cmd::Settings {
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
                isolate: !no_isolation,
            },
        ),
        Command::Logs {
            app,
            system,
            follow,
        } => logs_cmd::logs(&app, &system, follow),
        Command::Manifest(ManifestCommand::Check { file }) => manifest_cmd::check(&file),
        Command::Manifest(ManifestCommand::Show { file }) => manifest_cmd::show(&file),
        Command::Manifest(ManifestCommand::Limits { format }) => {
            print!("{}", manifest_cmd::limits(format));
            Ok(())
        }
        Command::Bundle(BundleCommand::Create {
            image,
            out,
            key,
            version,
            rollback,
            bin_dir,
        }) => match bin_dir.map(Ok).unwrap_or_else(default_bin_dir) {
            Ok(bin_dir) => bundle_cmd::create(&image, &out, &key, &version, rollback, &bin_dir),
            Err(e) => Err(e),
        },
        Command::Bundle(BundleCommand::Show { bundle }) => bundle_cmd::show(&bundle),
        Command::Board(BoardCommand::List) => board_cmd::list(),
        Command::Board(BoardCommand::Show { name }) => board_cmd::show(&name),
        Command::Board(BoardCommand::Build {
            name,
            system,
            out,
            boot,
            timeout,
            count_instructions,
        }) => board_cmd::build(&name, system, out, boot, timeout, count_instructions),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kos: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The directory of this kos binary, where the native apps are built next to it.
fn default_bin_dir() -> anyhow::Result<PathBuf> {
    use anyhow::Context;
    std::env::current_exe()
        .context("locating the kos binary")?
        .parent()
        .map(std::path::Path::to_path_buf)
        .context("the kos binary has no parent directory")
}
