//! Serves `kos_echo_protocol`: replies to each call with its payload and label, and
//! the caller's badge as `param`.

use clap::Parser;
use kos_client::kos_service::{Answer, Call, Client, Reply, Service, Status};
use kos_client::MAX_PAYLOAD;
use kos_demo_apps::{kos, say, ECHO_PROTOCOL};

kos_heap::global_heap!();

/// Echo server.
#[derive(Parser)]
struct Args {
    /// Crash (exit status 3) on this call number, to show supervision.
    #[arg(long)]
    crash_on_call: Option<u64>,
}

/// The echo protocol has no statuses: a reply's label is the call's.
#[derive(Debug, Clone, Copy)]
struct SameLabel(u64);

impl Status for SameLabel {
    fn label(self) -> u64 {
        self.0
    }

    fn name(self) -> &'static str {
        "SameLabel"
    }
}

struct Echo {
    calls: u64,
    crash_on_call: Option<u64>,
}

impl Service for Echo {
    type Status = SameLabel;

    fn call(
        &mut self,
        client: Client<'_>,
        call: Call<'_>,
        out: &mut [u8; MAX_PAYLOAD],
        _now_us: u64,
    ) -> Reply<SameLabel> {
        self.calls += 1;
        if self.crash_on_call == Some(self.calls) {
            say!("crashing on call {} as asked", self.calls);
            std::process::exit(3);
        }
        out[..call.payload.len()].copy_from_slice(call.payload);
        Reply::Now(
            Answer::new(SameLabel(call.label))
                .with_param(client.badge)
                .with_len(call.payload.len()),
        )
    }

    fn wait_us(&self, _now_us: u64) -> u64 {
        // Nothing to do between calls: wake once a minute.
        60_000_000
    }
}

fn main() {
    let args = Args::parse();
    let kos = kos();
    let msg_server = kos.only_msg_server().unwrap_or_else(|e| panic!("{e}"));
    msg_server
        .publish(ECHO_PROTOCOL)
        .unwrap_or_else(|e| panic!("publish {ECHO_PROTOCOL}: {e}"));
    let server = msg_server.serve().expect("serve");
    say!("serving {ECHO_PROTOCOL}");
    let mut echo = Echo {
        calls: 0,
        crash_on_call: args.crash_on_call,
    };
    let error = kos_client::serve(server, &mut echo, |line| say!("{line}"));
    say!("message server gone: {error}");
    std::process::exit(1);
}
