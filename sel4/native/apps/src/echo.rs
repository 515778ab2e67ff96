//! The echo service: each call answered with its payload, its label as the status and
//! the caller's badge as the param — what the hosted echo server answers. A server
//! told `panic_on LABEL` (its manifest `args`) panics on a call with that label, so a
//! test can end a server in the middle of a call, as a bug would.

use kos_sel4_sdk::kos_service::{Answer, Call, Client, Reply, Service, Status, MAX_PAYLOAD};
use kos_sel4_sdk::{say, Component};

/// The echo protocol's status: the call's own label.
#[derive(Debug, Clone, Copy)]
pub struct SameLabel(pub u64);

impl Status for SameLabel {
    fn label(self) -> u64 {
        self.0
    }
    fn name(self) -> &'static str {
        "SameLabel"
    }
}

/// The service, logging each call under the component's name.
pub struct Echo<'c> {
    component: &'c Component,
    panic_on: Option<u64>,
}

impl<'c> Echo<'c> {
    /// The service for `component`, reading `panic_on LABEL` from its arguments.
    pub fn new(component: &'c Component) -> Echo<'c> {
        let mut args = component.args();
        let panic_on = match (args.next(), args.next()) {
            (Some("panic_on"), Some(label)) => label.parse().ok(),
            _ => None,
        };
        Echo {
            component,
            panic_on,
        }
    }
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
        if self.panic_on == Some(call.label) {
            panic!("told to fail on label {}", call.label);
        }
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
