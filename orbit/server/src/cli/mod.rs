//! The `orbit` command line: its arguments, and the operating commands (everything
//! but `serve`), which talk to a running Orbit through the typed [`crate::client`].

mod progress;
mod show;

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::client::{read_file, Client, ClientError};
use progress::{mib, Progress};

#[derive(Parser)]
#[command(
    name = "orbit",
    version,
    about = "Orbit, the KOS fleet service: registers devices, shows which are alive, pings, restarts and upgrades them",
    after_help = "Start with `orbit serve`; it prints where the dashboard is. The other commands talk to a \
                  running Orbit over its API, with the admin token from the data directory.\n\n\
                  Examples:\n  \
                  orbit serve --listen 127.0.0.1:4000\n  \
                  orbit device register dev1 --public-key dev1.pub.pem\n  \
                  orbit devices\n  \
                  orbit ping dev1\n  \
                  orbit upgrade dev1 app-2.0.0.tar.gz\n  \
                  orbit commands --device dev1"
)]
pub struct Cli {
    /// Orbit's data directory (SQLite store, instance id, admin token); created on first
    /// run [default: KOS_ORBIT_DATA, else ~/.kos/orbit-data — where `mix kos.orbit.start`
    /// keeps it too].
    #[arg(long, global = true, env = "ORBIT_DATA")]
    pub data: Option<PathBuf>,
    /// Where a running Orbit is, for the operating commands.
    #[arg(
        long,
        global = true,
        env = "ORBIT_URL",
        default_value = "http://127.0.0.1:4000"
    )]
    pub orbit: String,
    /// Admin token; defaults to the one in the data directory.
    #[arg(long, global = true, env = "ORBIT_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    #[command(subcommand)]
    pub command: Cmd,
}

impl Cli {
    /// The data directory: `--data` (or `ORBIT_DATA`), else the one `mix kos.orbit.start`
    /// uses.
    pub fn data_dir(&self) -> PathBuf {
        self.data.clone().unwrap_or_else(|| {
            default_data(std::env::var_os("KOS_ORBIT_DATA"), std::env::var_os("HOME"))
        })
    }
}

/// `KOS_ORBIT_DATA`, else `HOME/.kos/orbit-data` (`./orbit-data` without a home).
fn default_data(
    kos_orbit_data: Option<std::ffi::OsString>,
    home: Option<std::ffi::OsString>,
) -> PathBuf {
    match (kos_orbit_data, home) {
        (Some(dir), _) if !dir.is_empty() => PathBuf::from(dir),
        (_, Some(home)) if !home.is_empty() => PathBuf::from(home).join(".kos/orbit-data"),
        _ => PathBuf::from("orbit-data"),
    }
}

#[cfg(test)]
mod data_dir_test {
    use super::default_data;
    use std::path::PathBuf;

    #[test]
    fn the_default_data_directory_is_the_mix_tasks() {
        assert_eq!(
            default_data(None, Some("/home/ada".into())),
            PathBuf::from("/home/ada/.kos/orbit-data")
        );
        assert_eq!(
            default_data(Some("/srv/orbit".into()), Some("/home/ada".into())),
            PathBuf::from("/srv/orbit")
        );
        assert_eq!(default_data(None, None), PathBuf::from("orbit-data"));
    }
}

#[derive(Subcommand)]
pub enum Cmd {
    /// Run Orbit: device WebSocket, API and dashboard on one port (Ctrl-C stops it).
    Serve {
        /// Address to listen on. Without TLS, only loopback is allowed.
        #[arg(long, default_value = "127.0.0.1:4000")]
        listen: SocketAddr,
        /// Serve TLS (wss://, https://) with this PEM certificate chain.
        #[arg(long, requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// The certificate's PEM private key.
        #[arg(long, requires = "tls_cert")]
        tls_key: Option<PathBuf>,
        /// Stop when standard input closes: for tools that run Orbit as a child (`mix
        /// kos.orbit.start`), so it stops when they do.
        #[arg(long)]
        stop_on_eof: bool,
    },
    /// Register or revoke devices.
    #[command(subcommand)]
    Device(DeviceCmd),
    /// List devices: alive or not, last seen, version, last ping.
    Devices,
    /// Ping a device and show the round trip.
    Ping { device: String },
    /// Restart every application on a device.
    Restart { device: String },
    /// Upgrade a device: upload a signed bundle (.tar.gz), then follow the upgrade to its result.
    Upgrade {
        device: String,
        /// The bundle, as `mix kos.build --bundle` (or kos-bundle) writes it.
        bundle: PathBuf,
    },
    /// Show recent commands and their results.
    Commands {
        /// Only this device's.
        #[arg(long)]
        device: Option<String>,
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
}

#[derive(Subcommand)]
pub enum DeviceCmd {
    /// Register a device by its Ed25519 public key or registration certificate (PEM).
    Register {
        name: String,
        /// PEM file: `openssl pkey -pubout` output or an X.509 certificate.
        #[arg(long)]
        public_key: PathBuf,
    },
    /// Revoke a device: it is disconnected and refused from now on.
    Revoke { name: String },
    /// One line for scripts: `NAME online|offline|revoked VERSION` (`-` when it never
    /// reported one); a device that is not registered is an error.
    Status { name: String },
}

/// Runs an operating command against the Orbit `cli` names.
pub fn operate(cli: &Cli) -> Result<(), String> {
    let token = match &cli.token {
        Some(t) => t.clone(),
        None => std::fs::read_to_string(cli.data_dir().join("admin-token"))
            .map(|t| t.trim().to_string())
            .map_err(|e| {
                format!(
                    "no admin token: pass --token or ORBIT_TOKEN, or --data pointing at Orbit's data directory ({}: {e})",
                    cli.data_dir().join("admin-token").display()
                )
            })?,
    };
    let client = Client::new(&cli.orbit, &token);
    run(&cli.command, &client).map_err(|e| e.to_string())
}

/// An error of an operating command: the API's, or the command's own verdict.
#[derive(Debug)]
enum Failed {
    Client(ClientError),
    Command(String),
}

impl std::fmt::Display for Failed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failed::Client(e) => e.fmt(f),
            Failed::Command(e) => f.write_str(e),
        }
    }
}

impl From<ClientError> for Failed {
    fn from(e: ClientError) -> Self {
        Failed::Client(e)
    }
}

fn run(command: &Cmd, client: &Client) -> Result<(), Failed> {
    match command {
        Cmd::Serve { .. } => unreachable!("handled by main"),
        Cmd::Device(DeviceCmd::Register { name, public_key }) => {
            let pem = read_file(public_key)?;
            client.register(name, &pem)?;
            println!("registered {name}");
        }
        Cmd::Device(DeviceCmd::Revoke { name }) => {
            client.revoke(name)?;
            println!("revoked {name}");
        }
        Cmd::Device(DeviceCmd::Status { name }) => {
            let devices = client.devices()?;
            let device = devices
                .iter()
                .find(|d| d.record.name == *name)
                .ok_or_else(|| Failed::Command(format!("no device {name:?} is registered")))?;
            println!("{}", show::status_line(device));
        }
        Cmd::Devices => show::devices(&client.devices()?),
        Cmd::Ping { device } => show::finish(client, client.ping(device)?, device)?,
        Cmd::Restart { device } => show::finish(client, client.restart(device)?, device)?,
        Cmd::Upgrade { device, bundle } => {
            let file = std::fs::File::open(bundle).map_err(|error| ClientError::File {
                path: bundle.display().to_string(),
                error,
            })?;
            let size = file.metadata().map(|m| m.len()).unwrap_or(0);
            eprintln!(
                "uploading {} ({:.1} MiB) to {}",
                bundle.display(),
                mib(size),
                client.base()
            );
            let sent = client.upgrade(device, Progress::new(file, size), size)?;
            eprintln!("uploaded; waiting for the device to report");
            show::finish(client, sent, device)?;
        }
        Cmd::Commands { device, limit } => {
            show::commands(&client.commands(device.as_deref(), *limit)?)
        }
    }
    Ok(())
}
