//! Exits with a non-zero status after a delay: a stand-in for a buggy component.

use std::time::Duration;

use clap::Parser;
use kos_demo_apps::say;

kos_heap::global_heap!();

/// Crashes on purpose.
#[derive(Parser)]
struct Args {
    /// Run this long before crashing, in milliseconds.
    #[arg(long, default_value_t = 200)]
    after_ms: u64,
    /// Exit status.
    #[arg(long, default_value_t = 3)]
    status: i32,
}

fn main() {
    let args = Args::parse();
    say!("up; crashing in {} ms", args.after_ms);
    std::thread::sleep(Duration::from_millis(args.after_ms));
    say!("crashing now (status {})", args.status);
    std::process::exit(args.status);
}
