//! Calls `kos_echo_protocol` at an interval and reports each reply; when the server
//! goes away it reconnects, so a server restart costs it a call, not its life.

use std::time::{Duration, Instant};

use clap::Parser;
use kos_client::{Error, Message};
use kos_demo_apps::{kos, say, ECHO, ECHO_PROTOCOL};

kos_heap::global_heap!();

/// Echo client.
#[derive(Parser)]
struct Args {
    /// Pause between calls, in milliseconds.
    #[arg(long, default_value_t = 1000)]
    interval_ms: u64,
    /// Exit normally after this many replies (runs forever without it).
    #[arg(long)]
    calls: Option<u64>,
}

fn main() {
    let args = Args::parse();
    let kos = kos();
    let msg_server = kos.only_msg_server().unwrap_or_else(|e| panic!("{e}"));
    let mut replies = 0u64;
    'connect: loop {
        let mut token = match msg_server.connect_wait(ECHO_PROTOCOL, Duration::from_secs(30)) {
            Ok(t) => t,
            Err(e) => {
                say!("cannot connect to {ECHO_PROTOCOL}: {e}");
                std::process::exit(1);
            }
        };
        say!("connected to {ECHO_PROTOCOL} (badge {})", token.badge());
        loop {
            let text = format!("hello #{}", replies + 1);
            let start = Instant::now();
            match token.call(Message::new(ECHO, text.as_bytes())) {
                Ok(reply) => {
                    replies += 1;
                    say!(
                        "reply {replies}: {:?} in {} µs (server saw badge {})",
                        String::from_utf8_lossy(&reply.payload),
                        start.elapsed().as_micros(),
                        reply.param
                    );
                    if args.calls == Some(replies) {
                        say!("done after {replies} replies");
                        return;
                    }
                }
                Err(Error::Closed) => {
                    say!("connection lost; reconnecting");
                    continue 'connect;
                }
                Err(e) => {
                    say!("call failed: {e}");
                    std::process::exit(1);
                }
            }
            std::thread::sleep(Duration::from_millis(args.interval_ms));
        }
    }
}
