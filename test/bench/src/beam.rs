//! Memory and start-up of BEAM instances: 8 small Elixir apps under `kos run`, per
//! erts-port profile, against the same 8 apps started with stock `elixir`.
//!
//! For each configuration the apps are started together, the time until every one
//! has printed "up" is taken, they settle, then each VM's PSS and RSS are read from
//! `/proc/PID/smaps_rollup` while all of them still run (PSS shares the common pages
//! among the running instances, which is what a device with N apps pays per app).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::Args as ClapArgs;

use crate::report;

/// Options of `kos-bench beam`.
#[derive(ClapArgs)]
pub struct Args {
    /// How many apps run at once.
    #[arg(long, default_value_t = 8)]
    apps: usize,
    /// Memory budget of each app under KOS, in MiB.
    #[arg(long, default_value_t = 32)]
    memory_mib: u32,
    /// How long the apps settle before memory is read.
    #[arg(long, default_value = "3s", value_parser = humantime_parse)]
    settle: Duration,
    /// The compiled mix projects (`idle_app` must be built there).
    #[arg(long, default_value = "elixir")]
    beam_dir: PathBuf,
}

fn humantime_parse(s: &str) -> Result<Duration, String> {
    s.strip_suffix('s')
        .and_then(|n| n.parse::<f64>().ok())
        .map(Duration::from_secs_f64)
        .ok_or_else(|| format!("`{s}` is not a duration in seconds like `3s`"))
}

/// One configuration's result.
struct Measured {
    label: String,
    up_ms: u128,
    pss_kib: Vec<u64>,
    rss_kib: Vec<u64>,
}

/// The `Pss:` and `Rss:` of a process, in KiB.
fn pss_rss(pid: u32) -> Result<(u64, u64)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup"))
        .with_context(|| format!("smaps of {pid}"))?;
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    };
    Ok((field("Pss:"), field("Rss:")))
}

/// Reads lines from the children's stdout until `n` "up (os pid N" lines; returns the pids.
fn wait_up(lines: &mpsc::Receiver<String>, n: usize) -> Result<Vec<u32>> {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut pids = Vec::new();
    while pids.len() < n {
        let line = lines
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .context("apps did not come up within 60 s")?;
        if let Some(rest) = line.split("up (os pid ").nth(1) {
            pids.push(rest.split(',').next().unwrap_or("").parse()?);
        }
    }
    Ok(pids)
}

fn forward(child: &mut Child, tx: &mpsc::Sender<String>) {
    if let Some(out) = child.stdout.take() {
        let tx = tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
    }
}

fn settle_and_measure(
    label: String,
    started: Instant,
    pids: &[u32],
    settle: Duration,
) -> Result<Measured> {
    let up_ms = started.elapsed().as_millis();
    std::thread::sleep(settle);
    let mut m = Measured {
        label,
        up_ms,
        pss_kib: Vec::new(),
        rss_kib: Vec::new(),
    };
    for &pid in pids {
        let (pss, rss) = pss_rss(pid)?;
        m.pss_kib.push(pss);
        m.rss_kib.push(rss);
    }
    Ok(m)
}

/// 8 apps under `kos run` with `profile`.
fn under_kos(args: &Args, kos: &Path, beam_dir: &Path, profile: &str) -> Result<Measured> {
    let dir = tempfile::tempdir()?;
    let manifest = dir.path().join("system.dts");
    let apps: String = (0..args.apps)
        .map(|i| format!("        app{i} {{ kind = \"beam\"; app = \"idle_app\"; memory_mib = <{}>; env {{ interval_ms = <60000>; }}; }};\n", args.memory_mib))
        .collect();
    std::fs::write(
        &manifest,
        format!("/dts-v1/;\n/ {{\n    compatible = \"kos,system-0.10\";\n    apps {{\n{apps}    }};\n}};\n"),
    )?;
    let started = Instant::now();
    let mut child = Command::new(kos)
        .arg("run")
        .arg(&manifest)
        .arg("--beam-dir")
        .arg(beam_dir)
        .arg("--vm-profile")
        .arg(profile)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .context("start kos run")?;
    let (tx, rx) = mpsc::channel();
    forward(&mut child, &tx);
    let result = wait_up(&rx, args.apps).and_then(|pids| {
        settle_and_measure(
            format!("KOS, `{profile}` profile"),
            started,
            &pids,
            args.settle,
        )
    });
    // SAFETY: kill(2) on our own child: SIGTERM makes kos stop every app cleanly.
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGTERM);
    }
    child.wait()?;
    result
}

/// The same apps, each started by stock `elixir` (its own default flags).
fn stock_elixir(args: &Args, beam_dir: &Path) -> Result<Measured> {
    let ebin = beam_dir.join("idle_app/_build/dev/lib/idle_app/ebin");
    let started = Instant::now();
    let (tx, rx) = mpsc::channel();
    let mut children = Vec::new();
    for _ in 0..args.apps {
        let mut child = Command::new("elixir")
            .arg("-pa")
            .arg(&ebin)
            .args([
                "-e",
                "Application.ensure_all_started(:idle_app); Process.sleep(:infinity)",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .context("start elixir")?;
        forward(&mut child, &tx);
        children.push(child);
    }
    let result = wait_up(&rx, args.apps)
        .and_then(|pids| settle_and_measure("stock `elixir`".into(), started, &pids, args.settle));
    for mut child in children {
        let _ = child.kill();
        let _ = child.wait();
    }
    result
}

fn mean(v: &[u64]) -> f64 {
    v.iter().sum::<u64>() as f64 / v.len().max(1) as f64
}

/// Runs the benchmark and prints the table.
pub fn run(args: &Args) -> Result<()> {
    let kos = std::env::current_exe()?
        .parent()
        .map(|d| d.join("kos"))
        .context("locating kos")?;
    if !kos.is_file() {
        bail!(
            "{} is missing: build it (cargo build --release -p kos)",
            kos.display()
        );
    }
    let beam_dir = std::fs::canonicalize(&args.beam_dir).context("--beam-dir")?;
    if !beam_dir
        .join("idle_app/_build/dev/lib/idle_app/ebin/idle_app.app")
        .is_file()
    {
        bail!("compile elixir/idle_app first (mix compile)");
    }
    let mut results = vec![stock_elixir(args, &beam_dir)?];
    for profile in ["stock", "embedded", "minimal"] {
        results.push(under_kos(args, &kos, &beam_dir, profile)?);
    }
    println!("Command: `{}`", report::command_line());
    println!("Machine: {}", report::machine());
    println!(
        "\n{} apps (`elixir/idle_app`) at once; KOS budget {} MiB each; memory read after {:?} of settling.\n",
        args.apps, args.memory_mib, args.settle
    );
    println!("| configuration | PSS per app MiB (mean) | PSS min–max | RSS per app MiB (mean) | all up after ms | PSS ÷ stock elixir |");
    println!("|:---|---:|---:|---:|---:|---:|");
    let stock_pss = mean(&results[0].pss_kib);
    for m in &results {
        let pss = mean(&m.pss_kib);
        println!(
            "| {} | {:.1} | {:.1}–{:.1} | {:.1} | {} | {:.2}× |",
            m.label,
            pss / 1024.0,
            *m.pss_kib.iter().min().unwrap_or(&0) as f64 / 1024.0,
            *m.pss_kib.iter().max().unwrap_or(&0) as f64 / 1024.0,
            mean(&m.rss_kib) / 1024.0,
            m.up_ms,
            pss / stock_pss
        );
    }
    Ok(())
}
