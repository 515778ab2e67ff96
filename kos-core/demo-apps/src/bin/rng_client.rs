//! Uses `kos_rng_protocol`: prints a few random bytes at an interval, or pulls a large
//! stream and reports its rate. Rides out an RNG server restart by reconnecting.

use std::time::{Duration, Instant};

use clap::Parser;
use kos_client::Error;
use kos_demo_apps::{kos, say};
use kos_rng_client::RngClient;

kos_heap::global_heap!();

/// RNG client.
#[derive(Parser)]
struct Args {
    /// Pause between samples, in milliseconds.
    #[arg(long, default_value_t = 2000)]
    interval_ms: u64,
    /// Instead of sampling: read this many bytes through the server's own generator
    /// (4 KiB reads), report, and idle.
    #[arg(long)]
    server_bytes: Option<u64>,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn main() {
    let args = Args::parse();
    let kos = kos();
    let mut rng = match RngClient::connect(&kos) {
        Ok(r) => r,
        Err(e) => {
            say!("cannot use kos_rng_protocol: {e}");
            // Stay up: a refusal is reported, not crash-looped.
            loop {
                std::thread::park();
            }
        }
    };
    say!("connected to kos_rng_protocol");
    if let Some(total) = args.server_bytes {
        let start = Instant::now();
        let mut buf = vec![0u8; 64 * 1024];
        let mut done = 0u64;
        while done < total {
            let n = buf.len().min((total - done) as usize);
            rng.read_from_server(&mut buf[..n])
                .unwrap_or_else(|e| panic!("read failed after {done} bytes: {e}"));
            done += n as u64;
        }
        let secs = start.elapsed().as_secs_f64();
        say!(
            "read {done} bytes from the server in {secs:.2} s ({:.1} MB/s)",
            done as f64 / secs / 1e6
        );
        loop {
            std::thread::park();
        }
    }
    loop {
        let mut sample = [0u8; 16];
        match rng.request_stream(&mut sample) {
            Ok(()) => say!("random: {}", hex(&sample)),
            Err(Error::Closed) => {
                say!("connection lost; reconnecting");
                match RngClient::connect(&kos) {
                    Ok(r) => rng = r,
                    Err(e) => {
                        say!("cannot reconnect: {e}");
                        std::process::exit(1);
                    }
                }
                continue;
            }
            Err(e) => {
                say!("request failed: {e}");
                std::process::exit(1);
            }
        }
        std::thread::sleep(Duration::from_millis(args.interval_ms));
    }
}
