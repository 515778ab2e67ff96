//! Tries to use and to serve `kos_echo_protocol` without a grant, reports the
//! refusals, and stays up: being refused is not a crash.

use std::time::Duration;

use clap::Parser;
use kos_demo_apps::{kos, say, ECHO_PROTOCOL};

kos_heap::global_heap!();

/// An app the manifest grants nothing.
#[derive(Parser)]
struct Args {
    /// Try again at this interval, in milliseconds.
    #[arg(long, default_value_t = 5000)]
    interval_ms: u64,
}

fn main() {
    let args = Args::parse();
    let kos = kos();
    let msg_server = kos.only_msg_server().unwrap_or_else(|e| panic!("{e}"));
    loop {
        match msg_server.connect(ECHO_PROTOCOL) {
            Ok(_) => say!("UNEXPECTED: connected to {ECHO_PROTOCOL}"),
            Err(e) => say!("connect {ECHO_PROTOCOL}: {e}"),
        }
        match msg_server.publish(ECHO_PROTOCOL) {
            Ok(_) => say!("UNEXPECTED: published {ECHO_PROTOCOL}"),
            Err(e) => say!("publish {ECHO_PROTOCOL}: {e}"),
        }
        std::thread::sleep(Duration::from_millis(args.interval_ms));
    }
}
