//! `kos-bench drivers`: I2C and CAN through their servers from Elixir, beside the same
//! work done in Rust directly, in one run.
//!
//! - I2C: `write_read` of the BME280's chip id. Ours: `Kos.I2C.write_read/4` from a
//!   BEAM app through `i2c_server` to the simulated bus (`systems/bench-drivers.dts`).
//!   Baselines: the same transaction on the same simulated bus, called from Rust; and
//!   a bare `Kos.Msg.call` round trip from the same app to a native server that only
//!   echoes (`echo_server`): the I2C server's own share is the difference.
//! - CAN: 8-byte frames from four clients of `can_server` on the simulated 500 kbit/s
//!   bus. Baseline: what the wire can carry, from the simulator's exact bit count of
//!   those frames (a controller called directly cannot beat the wire either).

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use embedded_hal::i2c::I2c;

/// Options of `kos-bench drivers`.
#[derive(clap::Args)]
pub struct Args {
    /// The benchmark system (`kos_demo` in `driver_bench` mode must be built).
    #[arg(long, default_value = "systems/bench-drivers.dts")]
    manifest: PathBuf,
    /// The compiled mix projects.
    #[arg(long, default_value = "elixir")]
    beam_dir: PathBuf,
    /// Seconds per direct measurement (the system's own are set in its manifest).
    #[arg(long, default_value_t = 3)]
    seconds: u64,
}

/// Runs both, prints the table.
pub fn run(args: &Args) -> Result<()> {
    let direct_i2c = direct_i2c_rate(args.seconds);
    let lines = through_kos(args)?;
    let field = |key: &str| -> Result<Vec<f64>> {
        let line = lines
            .iter()
            .find(|l| l.contains(&format!("bench: {key} ")))
            .with_context(|| format!("no `{key}` line from the system"))?;
        let rest = line.split(&format!("bench: {key} ")).nth(1).unwrap_or("");
        Ok(rest
            .split_whitespace()
            .filter_map(|w| w.parse().ok())
            .collect())
    };
    let i2c = field("i2c_write_read")?;
    let call = field("msg_call")?;
    let ours_call = call[0] / (call[1] / 1e6);
    let can = field("can_frames_sent")?;
    let ours_i2c = i2c[0] / (i2c[1] / 1e6);
    let ours_can = can[0] / (can[1] / 1e6);
    let wire = can_wire_limit(500_000);
    println!("| measure | KOS (through the server, from Elixir) | baseline | ratio |");
    println!("|:---|---:|:---|---:|");
    println!(
        "| I2C `write_read` (1 + 1 byte, BME280 chip id) | {:.0} /s ({:.1} µs) | {:.0} /s ({:.2} µs), sim bus from Rust | {:.3} |",
        ours_i2c,
        1e6 / ours_i2c,
        direct_i2c,
        1e6 / direct_i2c,
        ours_i2c / direct_i2c
    );
    println!(
        "| I2C `write_read` time against a bare `Kos.Msg.call` (same payload) | {:.1} µs | {:.1} µs, `Kos.Msg.call` to the native echo server | {:.2}× |",
        1e6 / ours_i2c,
        1e6 / ours_call,
        ours_call / ours_i2c
    );
    println!(
        "| CAN frames, 4 clients, 8-byte data, 500 kbit/s | {:.0} /s | {:.0} /s, the wire's limit | {:.3} |",
        ours_can,
        wire,
        ours_can / wire
    );
    Ok(())
}

/// Round trips per second on the simulated bus, called directly.
fn direct_i2c_rate(seconds: u64) -> f64 {
    let mut bus = kos_i2c_server::sim::bus(400_000, 1);
    let mut id = [0u8; 1];
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let mut n = 0u64;
    while n % 1024 != 0 || Instant::now() < deadline {
        bus.write_read(0x76, &[0xD0], &mut id)
            .expect("the simulated BME280 answers");
        assert_eq!(id[0], 0x60);
        n += 1;
    }
    n as f64 / started.elapsed().as_secs_f64()
}

/// Frames per second the simulated wire carries for the benchmark's frames.
/// The frames are those `KosDemo.DriverBench` sends: client `c` sends id `0x100 + c`
/// with data `[c, i, 0, 0, 0, 0, 0, 0]`, i = 1..16; their stuff bits differ, so the
/// limit is the bitrate over their mean length.
fn can_wire_limit(bitrate: u32) -> f64 {
    use kos_sim_devices::can::{frame_bits, CanFrame};
    let mut bits = Vec::new();
    for c in 1u8..=4 {
        for i in 1u8..=16 {
            let frame = CanFrame::standard(0x100 + u16::from(c), &[c, i, 0, 0, 0, 0, 0, 0])
                .expect("a valid frame");
            bits.push(f64::from(frame_bits(&frame).total));
        }
    }
    f64::from(bitrate) / (bits.iter().sum::<f64>() / bits.len() as f64)
}

/// Boots the benchmark system and returns its `bench:` lines.
fn through_kos(args: &Args) -> Result<Vec<String>> {
    let kos = std::env::current_exe()?
        .parent()
        .context("the bench binary's directory")?
        .join("kos");
    let mut child = Command::new(&kos)
        .arg("run")
        .arg(&args.manifest)
        .arg("--beam-dir")
        .arg(&args.beam_dir)
        .arg("--stop-after")
        .arg("60s")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("starting {}", kos.display()))?;
    let out = child.stdout.take().context("kos stdout")?;
    let mut lines = Vec::new();
    for line in BufReader::new(out).lines().map_while(Result::ok) {
        if line.contains("bench: done") {
            break;
        }
        if line.contains("bench: ") {
            lines.push(line);
        }
    }
    // SAFETY: kill(2) on our own child: SIGTERM makes kos stop every app cleanly.
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGTERM);
    }
    child.wait()?;
    if lines.is_empty() {
        bail!("the benchmark system printed no results (is kos_demo built?)");
    }
    Ok(lines)
}
