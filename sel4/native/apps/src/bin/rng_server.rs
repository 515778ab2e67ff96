//! The RNG server on seL4: `kos_rng::service::RngService` — the code the hosted server
//! runs — as a `kos_service::Service`, seeded and reseeded from the CPU's hardware
//! generator (or, on a CPU without one, seeded from the boot image's seed), served by
//! the SDK's loop on the endpoint the manifest makes it serve.
#![cfg_attr(not(feature = "hosted"), no_std, no_main)]

use kos_rng::protocol::{Status, PROTOCOL};
use kos_rng::service::{ReseedPolicy, RngService};
use kos_sel4_apps::cpu_entropy;
use kos_sel4_sdk::kos_service::{Call, Client, Ready, Reply, Service, MAX_PAYLOAD};
use kos_sel4_sdk::{say, Component};

struct RngServer {
    service: RngService,
}

impl Service for RngServer {
    type Status = Status;

    fn call(
        &mut self,
        _client: Client<'_>,
        call: Call<'_>,
        out: &mut [u8; MAX_PAYLOAD],
        _now_us: u64,
    ) -> Reply<Status> {
        Reply::Now(self.service.handle(call.label, call.param, out))
    }

    fn wait_us(&self, now_us: u64) -> u64 {
        self.service.millis_to_reseed(now_us / 1000).max(1) * 1000
    }

    fn tick(&mut self, now_us: u64, _out: &mut [u8; MAX_PAYLOAD], _ready: &mut Ready<'_, Status>) {
        let now_ms = now_us / 1000;
        if self.service.reseed_due(now_ms) {
            if let Some(entropy) = cpu_entropy() {
                self.service.reseed(&entropy, now_ms);
            }
        }
    }

    fn replied(&mut self, payload: &mut [u8]) {
        // Served randomness does not linger in our memory.
        for b in payload.iter_mut() {
            // SAFETY: a plain write through a valid reference; volatile so it stays.
            unsafe { core::ptr::write_volatile(b, 0) };
        }
    }
}

fn run(c: &Component) -> u64 {
    // The CPU's generator where there is one; else the seed the boot image carried
    // (fresh each boot; without a hardware source the server cannot reseed later, and
    // fast key erasure still keeps what it served from being recovered).
    let (seed, from) = match (cpu_entropy(), c.boot_seed()) {
        (Some(seed), _) => (seed, "the CPU"),
        (None, Some(seed)) => (
            seed,
            "the boot image's seed (this CPU has no RDRAND/RDSEED)",
        ),
        (None, None) => {
            say!(
                c,
                "no hardware entropy (RDSEED/RDRAND) on this CPU and no boot seed: cannot seed"
            );
            return 1;
        }
    };
    let mut server = RngServer {
        service: RngService::new(seed, ReseedPolicy::default(), c.now_us() / 1000),
    };
    say!(c, "seeded from {from}; serving {PROTOCOL}");
    let refusal = c.serve(PROTOCOL, &mut server);
    say!(c, "publish {PROTOCOL} refused: {refusal}");
    1
}

kos_sel4_sdk::main!(run);
