//! The `orbit` command: run the fleet service, or operate a running one.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use orbit::{Orbit, Settings};

#[derive(Parser)]
#[command(
    name = "orbit",
    version,
    about = "Orbit, the KOS fleet service: registers devices, shows which are alive, pings, restarts and upgrades them",
    after_help = "Start with `orbit serve`; it prints where the dashboard is. The other commands talk to a \
                  running Orbit over its API, with the admin token from the data directory."
)]
struct Cli {
    /// Orbit's data directory (SQLite store, instance id, admin token); created on first run.
    #[arg(long, global = true, env = "ORBIT_DATA", default_value = "orbit-data")]
    data: PathBuf,
    /// Where a running Orbit is, for the operating commands.
    #[arg(
        long,
        global = true,
        env = "ORBIT_URL",
        default_value = "http://127.0.0.1:4000"
    )]
    orbit: String,
    /// Admin token; defaults to the one in the data directory.
    #[arg(long, global = true, env = "ORBIT_TOKEN", hide_env_values = true)]
    token: Option<String>,
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
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
enum DeviceCmd {
    /// Register a device by its Ed25519 public key or registration certificate (PEM).
    Register {
        name: String,
        /// PEM file: `openssl pkey -pubout` output or an X.509 certificate.
        #[arg(long)]
        public_key: PathBuf,
    },
    /// Revoke a device: it is disconnected and refused from now on.
    Revoke { name: String },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Cmd::Serve {
            listen,
            tls_cert,
            tls_key,
            stop_on_eof,
        } => serve(
            &cli,
            *listen,
            tls_cert.as_deref().zip(tls_key.as_deref()),
            *stop_on_eof,
        ),
        _ => operate(&cli),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("orbit: {e}");
            ExitCode::FAILURE
        }
    }
}

fn serve(
    cli: &Cli,
    listen: SocketAddr,
    tls: Option<(&std::path::Path, &std::path::Path)>,
    stop_on_eof: bool,
) -> Result<(), String> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "orbit=info".into()),
        )
        .init();
    let acceptor = tls
        .map(|(cert, key)| orbit::tls::acceptor(cert, key))
        .transpose()?;
    let (http, ws) = if acceptor.is_some() {
        ("https", "wss")
    } else {
        ("http", "ws")
    };
    let orbit = Orbit::open(&cli.data, Settings::default())?;
    let runtime = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let token = orbit.admin_token.clone();
        let running = match acceptor {
            Some(acceptor) => orbit::start_tls(orbit, listen, acceptor).await?,
            None => orbit::start(orbit, listen).await?,
        };
        tracing::info!(
            "Orbit listening on {} (data in {}); devices connect to {ws}://{}{}",
            running.addr,
            cli.data.display(),
            running.addr,
            orbit_protocol::DEVICE_PATH
        );
        tracing::info!("dashboard: {http}://{}/#token={token}", running.addr);
        wait_for_signal(stop_on_eof).await;
        tracing::info!("stopping");
        running.stop().await;
        Ok(())
    })
}

/// Until Ctrl-C, SIGTERM or — with `stop_on_eof` — the end of standard input.
async fn wait_for_signal(stop_on_eof: bool) {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
    let (eof_tx, eof_rx) = tokio::sync::oneshot::channel::<()>();
    if stop_on_eof {
        // A parent that runs Orbit through a pipe (mix does, from its own session,
        // where the terminal's Ctrl-C never reaches Orbit) ends by closing it.
        std::thread::spawn(move || {
            let mut sink = [0u8; 256];
            let mut stdin = std::io::stdin().lock();
            while matches!(std::io::Read::read(&mut stdin, &mut sink), Ok(n) if n > 0) {}
            let _ = eof_tx.send(());
        });
    }
    let eof = async move {
        if stop_on_eof {
            let _ = eof_rx.await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
        _ = eof => {}
    }
}

/// The operating commands: HTTP calls to a running Orbit.
fn operate(cli: &Cli) -> Result<(), String> {
    let token = match &cli.token {
        Some(t) => t.clone(),
        None => std::fs::read_to_string(cli.data.join("admin-token"))
            .map(|t| t.trim().to_string())
            .map_err(|e| {
                format!(
                    "no admin token: pass --token or ORBIT_TOKEN, or --data pointing at Orbit's data directory ({}: {e})",
                    cli.data.join("admin-token").display()
                )
            })?,
    };
    let api = Api {
        base: cli.orbit.trim_end_matches('/').to_string(),
        token,
    };
    match &cli.command {
        Cmd::Serve { .. } => unreachable!("handled by main"),
        Cmd::Device(DeviceCmd::Register { name, public_key }) => {
            let pem = std::fs::read_to_string(public_key)
                .map_err(|e| format!("{}: {e}", public_key.display()))?;
            api.post(
                "/api/devices",
                serde_json::json!({ "name": name, "public_key": pem }),
            )?;
            println!("registered {name}");
        }
        Cmd::Device(DeviceCmd::Revoke { name }) => {
            api.post(
                &format!("/api/devices/{name}/revoke"),
                serde_json::json!({}),
            )?;
            println!("revoked {name}");
        }
        Cmd::Devices => print_devices(&api.get("/api/devices")?),
        Cmd::Ping { device } => {
            let r = api.post(
                &format!("/api/devices/{device}/ping"),
                serde_json::json!({}),
            )?;
            finish_command(&api, &r, device)?;
        }
        Cmd::Restart { device } => {
            let r = api.post(
                &format!("/api/devices/{device}/restart"),
                serde_json::json!({}),
            )?;
            finish_command(&api, &r, device)?;
        }
        Cmd::Upgrade { device, bundle } => {
            let r = api.upload(&format!("/api/devices/{device}/upgrade"), bundle)?;
            finish_command(&api, &r, device)?;
        }
        Cmd::Commands { device, limit } => {
            let mut path = format!("/api/commands?limit={limit}");
            if let Some(d) = device {
                path.push_str(&format!("&device={d}"));
            }
            print_commands(&api.get(&path)?);
        }
    }
    Ok(())
}

struct Api {
    base: String,
    token: String,
}

impl Api {
    fn get(&self, path: &str) -> Result<serde_json::Value, String> {
        self.answer(
            ureq::get(&format!("{}{path}", self.base))
                .set("Authorization", &format!("Bearer {}", self.token))
                .call(),
        )
    }

    fn post(&self, path: &str, body: serde_json::Value) -> Result<serde_json::Value, String> {
        self.answer(
            ureq::post(&format!("{}{path}", self.base))
                .set("Authorization", &format!("Bearer {}", self.token))
                .send_json(body),
        )
    }

    /// POSTs a file as the body, with progress on stderr.
    fn upload(&self, path: &str, file: &std::path::Path) -> Result<serde_json::Value, String> {
        let f = std::fs::File::open(file).map_err(|e| format!("{}: {e}", file.display()))?;
        let size = f.metadata().map_err(|e| e.to_string())?.len();
        let reader = Progress {
            inner: f,
            done: 0,
            size,
            shown: None,
        };
        eprintln!(
            "uploading {} ({:.1} MiB) to {}",
            file.display(),
            mib(size),
            self.base
        );
        let r = ureq::post(&format!("{}{path}", self.base))
            .set("Authorization", &format!("Bearer {}", self.token))
            .set("Content-Type", "application/gzip")
            .set("Content-Length", &size.to_string())
            .send(reader);
        eprintln!("uploaded; waiting for the device to report");
        self.answer(r)
    }

    fn answer(&self, r: Result<ureq::Response, ureq::Error>) -> Result<serde_json::Value, String> {
        match r {
            Ok(resp) => resp
                .into_json()
                .map_err(|e| format!("bad answer from Orbit: {e}")),
            Err(ureq::Error::Status(code, resp)) => {
                let body: serde_json::Value = resp.into_json().unwrap_or_default();
                Err(format!(
                    "{} ({code})",
                    body["error"].as_str().unwrap_or("request refused")
                ))
            }
            Err(e) => Err(format!(
                "cannot reach Orbit at {}: {e} (is `orbit serve` running?)",
                self.base
            )),
        }
    }
}

/// Prints a command's outcome; an error result fails the CLI command. An upgrade
/// restarts the device, so its result comes later: follow it (bounded: 5 minutes).
fn finish_command(api: &Api, r: &serde_json::Value, device: &str) -> Result<(), String> {
    let mut r = r.clone();
    if r["kind"] == "upgrade" && matches!(r["state"].as_str(), Some("sent" | "acked")) {
        eprintln!("{device} is switching to the new system; waiting for it to report");
        let id = r["id"].as_u64().unwrap_or(0);
        let t0 = std::time::Instant::now();
        while matches!(r["state"].as_str(), Some("sent" | "acked"))
            && t0.elapsed() < std::time::Duration::from_secs(300)
        {
            std::thread::sleep(std::time::Duration::from_millis(500));
            r = api.get(&format!("/api/commands/{id}"))?;
        }
    }
    let r = &r;
    let id = r["id"].as_u64().unwrap_or(0);
    let kind = r["kind"].as_str().unwrap_or("?");
    let detail = r["detail"].as_str().unwrap_or("");
    match r["state"].as_str() {
        Some("ok") => {
            let took = match (r["finished_at"].as_i64(), r["created_at"].as_i64()) {
                (Some(f), Some(c)) => format!(" in {} ms", f - c),
                _ => String::new(),
            };
            println!("{kind} #{id} to {device}: ok{took} — {detail}");
            Ok(())
        }
        Some("error") => Err(format!("{kind} #{id} to {device} failed: {detail}")),
        other => Err(format!(
            "{kind} #{id} to {device}: no result yet (state {}); see `orbit commands --device {device}`",
            other.unwrap_or("?")
        )),
    }
}

fn print_devices(v: &serde_json::Value) {
    let rows = v.as_array().cloned().unwrap_or_default();
    println!(
        "{:<20} {:<8} {:<25} {:<12} {:>9}",
        "DEVICE", "STATUS", "LAST SEEN", "VERSION", "PING ms"
    );
    for d in rows {
        let status = if d["revoked"].as_bool() == Some(true) {
            "revoked"
        } else if d["online"].as_bool() == Some(true) {
            "online"
        } else {
            "offline"
        };
        let seen = d["last_seen"]
            .as_i64()
            .map(format_time)
            .unwrap_or_else(|| "never".into());
        let rtt = d["rtt_ms"]
            .as_f64()
            .map(|r| format!("{r:.1}"))
            .unwrap_or_else(|| "-".into());
        println!(
            "{:<20} {:<8} {:<25} {:<12} {:>9}",
            d["name"].as_str().unwrap_or("?"),
            status,
            seen,
            d["version"].as_str().unwrap_or("-"),
            rtt
        );
    }
}

fn print_commands(v: &serde_json::Value) {
    println!(
        "{:>6} {:<20} {:<8} {:<6} DETAIL",
        "ID", "DEVICE", "KIND", "STATE"
    );
    for c in v.as_array().cloned().unwrap_or_default() {
        println!(
            "{:>6} {:<20} {:<8} {:<6} {}",
            c["id"].as_u64().unwrap_or(0),
            c["device"].as_str().unwrap_or("?"),
            c["kind"].as_str().unwrap_or("?"),
            c["state"].as_str().unwrap_or("?"),
            c["detail"].as_str().unwrap_or("")
        );
    }
}

/// Unix ms as UTC `YYYY-MM-DD HH:MM:SS` (civil-from-days, no time zone database needed).
fn format_time(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// A reader that draws an upload progress bar on stderr, one step per 5 %.
struct Progress<R> {
    inner: R,
    done: u64,
    size: u64,
    shown: Option<u64>,
}

impl<R: std::io::Read> std::io::Read for Progress<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.done += n as u64;
        let step = (self.done * 20).checked_div(self.size).unwrap_or(20);
        if self.shown != Some(step) {
            self.shown = Some(step);
            let bar: String = (0..20).map(|i| if i < step { '#' } else { '.' }).collect();
            eprint!(
                "\r[{bar}] {:>3}% {:.1}/{:.1} MiB",
                step * 5,
                mib(self.done),
                mib(self.size)
            );
            if step == 20 {
                eprintln!();
            }
        }
        Ok(n)
    }
}
