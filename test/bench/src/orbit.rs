//! `kos-bench orbit`: one Orbit (`orbit serve`, its own process) and N authenticated
//! device connections from this process on loopback.
//!
//! Reports the connections held, Orbit's resident memory per connection (RSS after all
//! N are connected, minus RSS with the N devices registered but none connected, over
//! N), the time to connect them, and the fleet-wide restart: the time from the
//! operator's request to every device's acknowledged result (`POST /api/fleet/restart`,
//! which records N commands, sends them and waits for every result), measured by the
//! operator's clock, several rounds. Baseline: the same N devices pinged one at a time
//! through the per-device API would take N round trips; the fleet ping is reported
//! beside the restart for the protocol's own cost.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use ed25519_dalek::pkcs8::EncodePublicKey;
use ed25519_dalek::SigningKey;
use orbit_device::orbit_protocol::Command as OrbitCommand;
use orbit_device::{Handler, Identity};

/// Arguments of `kos-bench orbit`.
#[derive(clap::Args)]
pub struct Args {
    /// Device connections to open.
    #[arg(long, default_value_t = 10_000)]
    devices: usize,
    /// Fleet-wide restart rounds.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Connections opened at once.
    #[arg(long, default_value_t = 200)]
    concurrency: usize,
    /// The `orbit` binary (default: next to this one).
    #[arg(long)]
    orbit_bin: Option<PathBuf>,
}

/// A bench device: answers every command at once.
struct Instant0;

impl Handler for Instant0 {
    async fn handle(
        &mut self,
        _id: u64,
        command: &OrbitCommand,
        _: &str,
    ) -> Result<String, orbit_device::CommandError> {
        Ok(match command {
            OrbitCommand::Ping => "pong".into(),
            _ => "done".into(),
        })
    }
}

struct Orbit {
    child: Child,
    base: String,
    token: String,
    _data: tempfile::TempDir,
}

impl Drop for Orbit {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn rss_kib(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .context("VmRSS")
}

/// Lets this process and the Orbit it starts (which inherits the limit) hold `n`
/// descriptors each.
fn raise_nofile(n: u64) -> anyhow::Result<()> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: plain getrlimit/setrlimit on a local struct.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            bail!("getrlimit failed");
        }
        if lim.rlim_cur < n {
            // Root may raise the hard limit too; others get what it allows.
            if lim.rlim_max < n {
                let raised = libc::rlimit {
                    rlim_cur: n,
                    rlim_max: n,
                };
                if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                    return Ok(());
                }
            }
            lim.rlim_cur = n.min(lim.rlim_max);
            if libc::setrlimit(libc::RLIMIT_NOFILE, &lim) != 0 {
                bail!("setrlimit failed");
            }
        }
        if lim.rlim_cur < n {
            bail!(
                "only {} descriptors allowed (hard limit); need {n}",
                lim.rlim_cur
            );
        }
    }
    Ok(())
}

fn start_orbit(bin: &PathBuf) -> anyhow::Result<Orbit> {
    let data = tempfile::tempdir()?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let child = Command::new(bin)
        .arg("--data")
        .arg(data.path())
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("RUST_LOG", "orbit=warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| format!("starting {}", bin.display()))?;
    let base = format!("http://127.0.0.1:{port}");
    let t0 = Instant::now();
    while ureq::get(&format!("{base}/health")).call().is_err() {
        if t0.elapsed() > Duration::from_secs(10) {
            bail!("orbit did not come up");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let token = std::fs::read_to_string(data.path().join("admin-token"))?
        .trim()
        .to_string();
    Ok(Orbit {
        child,
        base,
        token,
        _data: data,
    })
}

fn key(i: usize) -> SigningKey {
    let mut seed = [0u8; 32];
    seed[..8].copy_from_slice(&(i as u64 + 1).to_le_bytes());
    SigningKey::from_bytes(&seed)
}

/// Runs the benchmark and prints its tables.
pub fn run(args: &Args) -> anyhow::Result<()> {
    let n = args.devices;
    // Each side holds one descriptor per connection, plus a margin.
    raise_nofile(n as u64 + 4096)?;
    let bin = match &args.orbit_bin {
        Some(b) => b.clone(),
        None => std::env::current_exe()?.with_file_name("orbit"),
    };
    let orbit = start_orbit(&bin)?;
    let pid = orbit.child.id();
    let agent = ureq::AgentBuilder::new().build();
    let auth = format!("Bearer {}", orbit.token);

    let t0 = Instant::now();
    for i in 0..n {
        let pem = key(i)
            .verifying_key()
            .to_public_key_pem(Default::default())?;
        agent
            .post(&format!("{}/api/devices", orbit.base))
            .set("Authorization", &auth)
            .send_json(serde_json::json!({ "name": format!("dev{i}"), "public_key": pem }))
            .with_context(|| format!("registering dev{i}"))?;
    }
    let registered_s = t0.elapsed().as_secs_f64();
    std::thread::sleep(Duration::from_millis(500));
    let rss_registered = rss_kib(pid)?;

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let ws = orbit.base.replacen("http://", "ws://", 1);
    let t0 = Instant::now();
    let connected = rt.block_on(async {
        let gate = Arc::new(tokio::sync::Semaphore::new(args.concurrency));
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        for i in 0..n {
            let (gate, tx, ws) = (gate.clone(), tx.clone(), ws.clone());
            tokio::spawn(async move {
                let id = Identity {
                    name: format!("dev{i}"),
                    key: key(i),
                };
                let permit = gate.acquire_owned().await.expect("gate");
                let session = orbit_device::connect(&ws, &id, "bench").await;
                drop(permit);
                let _ = tx.send(session.is_ok());
                if let Ok(session) = session {
                    session.serve(&mut Instant0).await;
                }
            });
        }
        drop(tx);
        let mut ok = 0;
        for _ in 0..n {
            if rx.recv().await == Some(true) {
                ok += 1;
            }
        }
        ok
    });
    let connect_s = t0.elapsed().as_secs_f64();
    std::thread::sleep(Duration::from_secs(2));
    let rss_connected = rss_kib(pid)?;
    let per_conn_kib =
        (rss_connected.saturating_sub(rss_registered)) as f64 / connected.max(1) as f64;

    let fleet = |kind: &str| -> anyhow::Result<(f64, serde_json::Value)> {
        let t0 = Instant::now();
        let v: serde_json::Value = agent
            .post(&format!("{}/api/fleet/{kind}?wait=30", orbit.base))
            .set("Authorization", &auth)
            .call()?
            .into_json()?;
        Ok((t0.elapsed().as_secs_f64() * 1000.0, v))
    };
    let mut restarts = Vec::new();
    let mut pings = Vec::new();
    for _ in 0..args.rounds {
        restarts.push(fleet("restart")?);
        pings.push(fleet("ping")?);
    }
    drop(rt);

    println!("Orbit with {n} devices (orbit serve pid {pid}, loopback)\n");
    println!("| measure | value |");
    println!("|:---|---:|");
    println!("| devices registered (HTTP API, one at a time) | {n} in {registered_s:.1} s |");
    println!("| connections held (authenticated) | {connected} of {n} |");
    println!(
        "| time to connect all (concurrency {}) | {connect_s:.2} s |",
        args.concurrency
    );
    println!(
        "| Orbit RSS, {n} registered, none connected | {:.1} MiB |",
        rss_registered as f64 / 1024.0
    );
    println!(
        "| Orbit RSS, all connected | {:.1} MiB |",
        rss_connected as f64 / 1024.0
    );
    println!("| Orbit memory per connection | {per_conn_kib:.1} KiB |");
    for (i, ((r_ms, r), (p_ms, p))) in restarts.iter().zip(&pings).enumerate() {
        println!(
            "| round {}: fleet restart, request to every result | {r_ms:.0} ms (ok {}, failed {}, pending {}) |",
            i + 1,
            r["ok"], r["failed"], r["pending"]
        );
        println!(
            "| round {}: fleet ping, request to every result | {p_ms:.0} ms (ok {}, failed {}, pending {}) |",
            i + 1,
            p["ok"], p["failed"], p["pending"]
        );
    }
    let mut r: Vec<f64> = restarts.iter().map(|(ms, _)| *ms).collect();
    r.sort_by(f64::total_cmp);
    let median = r[r.len() / 2];
    let all_ok = restarts
        .iter()
        .all(|(_, v)| v["ok"].as_u64() == Some(connected as u64));
    println!(
        "\nGoal: {n} connections held and the restart fan-out under 2 s: {} (median {median:.0} ms{})",
        if connected == n && median < 2000.0 && all_ok { "met" } else { "NOT met" },
        if all_ok { "" } else { "; not every device acknowledged" }
    );
    Ok(())
}
