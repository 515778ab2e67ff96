//! Serves `kos_echo_protocol`: replies to each call with its payload, and the
//! caller's badge as `param`.

use clap::Parser;
use kos_client::{Incoming, Message};
use kos_demo_apps::{kos, say, ECHO_PROTOCOL};

kos_heap::global_heap!();

/// Echo server.
#[derive(Parser)]
struct Args {
    /// Crash (exit status 3) on this call number, to show supervision.
    #[arg(long)]
    crash_on_call: Option<u64>,
}

fn main() {
    let args = Args::parse();
    let kos = kos();
    let msg_server = kos.only_msg_server().unwrap_or_else(|e| panic!("{e}"));
    msg_server
        .publish(ECHO_PROTOCOL)
        .unwrap_or_else(|e| panic!("publish {ECHO_PROTOCOL}: {e}"));
    let mut server = msg_server.serve().expect("serve");
    say!("serving {ECHO_PROTOCOL}");
    let mut calls = 0u64;
    loop {
        match server.next(None) {
            Ok(Some(Incoming::Connected(c))) => {
                say!("client {} connected (badge {})", c.app, c.badge)
            }
            Ok(Some(Incoming::Disconnected(c))) => {
                say!("client {} disconnected (badge {})", c.app, c.badge)
            }
            Ok(Some(Incoming::Call {
                from,
                reply_to,
                msg,
                ..
            })) => {
                calls += 1;
                if args.crash_on_call == Some(calls) {
                    say!("crashing on call {calls} as asked");
                    std::process::exit(3);
                }
                let _ = server.reply(
                    reply_to,
                    Message::new(msg.label, &msg.payload).with_param(from.badge),
                );
            }
            Ok(Some(Incoming::Send { .. })) | Ok(None) => {}
            Ok(Some(Incoming::Rejected { from, error })) => {
                say!("rejected a frame from {}: {error}", from.app)
            }
            Err(e) => {
                say!("message server gone: {e}");
                std::process::exit(1);
            }
        }
    }
}
