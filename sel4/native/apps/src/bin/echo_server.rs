//! The echo server on seL4: answers each call with its payload, the label as status
//! and the caller's badge as param — what the hosted echo server answers.
#![no_std]
#![no_main]

use kos_sel4_apps::ECHO_PROTOCOL;
use kos_sel4_sdk::kos_service::{Answer, Call, Client, Reply, Service, Status, MAX_PAYLOAD};
use kos_sel4_sdk::{say, Component};

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

struct Echo<'c> {
    component: &'c Component,
}

impl Service for Echo<'_> {
    type Status = SameLabel;

    fn call(
        &mut self,
        client: Client<'_>,
        call: Call<'_>,
        out: &mut [u8; MAX_PAYLOAD],
        _now_us: u64,
    ) -> Reply<SameLabel> {
        say!(
            self.component,
            "call from {} (badge {:#x}): {} bytes",
            client.app,
            client.badge,
            call.payload.len()
        );
        out[..call.payload.len()].copy_from_slice(call.payload);
        Reply::Now(
            Answer::new(SameLabel(call.label))
                .with_param(client.badge)
                .with_len(call.payload.len()),
        )
    }

    fn wait_us(&self, _now_us: u64) -> u64 {
        60_000_000
    }
}

fn run(c: &Component) -> u64 {
    say!(c, "serving {ECHO_PROTOCOL}");
    let _ = c.serve(ECHO_PROTOCOL, &mut Echo { component: c });
    say!(
        c,
        "the manifest does not make this app the server of {ECHO_PROTOCOL}"
    );
    1
}

kos_sel4_sdk::main!(run);
