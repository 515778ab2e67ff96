//! Asks `_root`, through `kos_root_protocol`, to restart applications, report on
//! them, or switch to an upgrade image.

use std::time::Duration;

use clap::{Parser, Subcommand};
use kos_client::{root, Message};
use kos_demo_apps::{kos, say};

kos_heap::global_heap!();

/// Asks the root server to restart applications, after a delay.
#[derive(Parser)]
struct Args {
    /// Wait this long before asking, in milliseconds.
    #[arg(long, default_value_t = 1000)]
    after_ms: u64,
    #[command(subcommand)]
    what: What,
}

#[derive(Subcommand)]
enum What {
    /// Restart every application.
    RestartAll,
    /// Restart one application.
    RestartApp {
        /// Its manifest name.
        name: String,
    },
    /// Print every application's state and memory.
    Status,
    /// Switch the system to the image in DIR (system.dts + elixir/).
    Upgrade {
        /// The image directory.
        dir: String,
    },
}

fn main() {
    let args = Args::parse();
    let kos = kos();
    let msg_server = kos.only_msg_server().unwrap_or_else(|e| panic!("{e}"));
    std::thread::sleep(Duration::from_millis(args.after_ms));
    let mut token = match msg_server.connect_wait(root::PROTOCOL, Duration::from_secs(10)) {
        Ok(t) => t,
        Err(e) => {
            say!("no access to {}: {e}", root::PROTOCOL);
            // Stay up: a refused request is not a reason to crash-loop.
            loop {
                std::thread::park();
            }
        }
    };
    let request = match &args.what {
        What::RestartAll => Message::new(root::RESTART_ALL, b""),
        What::RestartApp { name } => Message::new(root::RESTART_APP, name.as_bytes()),
        What::Status => Message::new(root::STATUS, b""),
        What::Upgrade { dir } => Message::new(root::UPGRADE, dir.as_bytes()),
    };
    say!(
        "asking _root to {}",
        match &args.what {
            What::RestartAll => "restart all applications".to_string(),
            What::RestartApp { name } => format!("restart {name}"),
            What::Status => "report every app's state".to_string(),
            What::Upgrade { dir } => format!("switch to the system in {dir}"),
        }
    );
    match token.call(request) {
        Ok(reply) if reply.label == root::STATUS_OK => {
            say!("_root accepted");
            for line in String::from_utf8_lossy(&reply.payload).lines() {
                say!("status: {line}");
            }
        }
        Ok(reply) => say!(
            "_root refused with status {}: {}",
            reply.label,
            String::from_utf8_lossy(&reply.payload)
        ),
        Err(e) => say!("call to _root failed: {e}"),
    }
    loop {
        std::thread::park();
    }
}
