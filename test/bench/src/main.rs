//! `kos-bench`: side-by-side benchmarks of KOS paths against the mechanism under them.
//!
//! Each subcommand measures one KOS path and its baseline in the same run, interleaved
//! round by round so that a noisy machine slows both alike, and prints a markdown
//! table to paste into `BENCHMARKS.md`.

mod beam;
mod cpu;
mod drivers;
mod msg;
mod orbit;
mod report;
mod rng;
mod stats;

use clap::{Parser, Subcommand};

/// Side-by-side benchmarks of KOS paths against their baselines.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    bench: Bench,
}

/// One benchmark per subcommand.
#[derive(Subcommand)]
enum Bench {
    /// Message call round trip: `Token::call` through a hosted message server against a
    /// raw socketpair ping-pong.
    Msg(msg::Args),
    /// Random bytes per request: KOS `request_stream` and `read_from_server` against
    /// `getrandom(2)` and the raw ChaCha20 keystream.
    Rng(rng::Args),
    /// BEAM instances: per-app PSS/RSS and start-up of 8 small Elixir apps under KOS,
    /// per VM profile, against the same apps under stock `elixir`.
    Beam(beam::Args),
    /// I2C and CAN through their servers from Elixir, beside the same work in Rust
    /// directly and the CAN wire's limit.
    Drivers(drivers::Args),
    /// Orbit under load: N authenticated device connections, memory per connection,
    /// and the fleet-wide restart fan-out.
    Orbit(orbit::Args),
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().bench {
        Bench::Msg(args) => msg::run(&args),
        Bench::Rng(args) => rng::run(&args),
        Bench::Beam(args) => beam::run(&args),
        Bench::Orbit(args) => orbit::run(&args),
        Bench::Drivers(args) => drivers::run(&args),
    }
}
