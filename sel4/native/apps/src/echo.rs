//! The echo service: each call answered with its payload, its label as the status and
//! the caller's badge as the param — what the hosted echo server answers. A server
//! told `panic_on LABEL` (its manifest `args`) panics on a call with that label, so a
//! test can end a server in the middle of a call, as a bug would; one told `quiet`
//! logs nothing per call (the benchmark's).

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
    quiet: bool,
}

impl<'c> Echo<'c> {
    /// The service for `component`, reading `panic_on LABEL` and `quiet` from its
    /// arguments.
    pub fn new(component: &'c Component) -> Echo<'c> {
        let mut echo = Echo {
            component,
            panic_on: None,
            quiet: false,
        };
        let mut args = component.args();
        while let Some(arg) = args.next() {
            match arg {
                "panic_on" => echo.panic_on = args.next().and_then(|l| l.parse().ok()),
                "quiet" => echo.quiet = true,
                _ => {}
            }
        }
        echo
    }
}

impl Echo<'_> {
    /// One line per call, unless told to be quiet.
    #[cold]
    fn log_call(&self, client: Client<'_>, call: &Call<'_>) {
        say!(
            self.component,
            "call from {} (badge {:#x}): {} bytes",
            client.app,
            client.badge,
            call.payload.len()
        );
    }
}

/// The failure a test asks for with `panic_on LABEL`.
#[cold]
fn fail_on(label: u64) -> ! {
    panic!("told to fail on label {label}")
}

impl Service for Echo<'_> {
    type Status = SameLabel;

    #[inline]
    fn call(
        &mut self,
        client: Client<'_>,
        call: Call<'_>,
        out: &mut [u8; MAX_PAYLOAD],
        _now_us: u64,
    ) -> Reply<SameLabel> {
        if !self.quiet {
            self.log_call(client, &call);
        }
        if self.panic_on == Some(call.label) {
            fail_on(call.label);
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
