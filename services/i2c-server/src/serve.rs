//! The I2C service on the service seam: calls into [`I2cService`], its answers back,
//! driven by the one loop every server runs (`kos_client::serve`).

use embedded_hal::i2c::I2c;
use kos_client::kos_service::{Call, Client, Ready, Reply, Service};
use kos_client::{Error, Server, MAX_PAYLOAD};
use kos_i2c::protocol::Status;
use kos_i2c::I2cService;

/// How often `tick` runs when no call comes (the sim's unplug switch is read there).
const TICK_US: u64 = 100_000;

/// [`I2cService`] as a [`Service`]: `tick` runs between calls and at least every
/// 100 ms; a client that goes is logged with what it did.
struct I2cServer<'s, B: I2c, T, L> {
    service: &'s mut I2cService<B>,
    tick: T,
    log: L,
}

impl<B: I2c, T: FnMut(&mut I2cService<B>), L: Fn(&str)> Service for I2cServer<'_, B, T, L> {
    type Status = Status;

    fn call(
        &mut self,
        client: Client<'_>,
        call: Call<'_>,
        out: &mut [u8; MAX_PAYLOAD],
        _now_us: u64,
    ) -> Reply<Status> {
        Reply::Now(
            self.service
                .handle(client.app, call.label, call.param, call.payload, out),
        )
    }

    fn disconnected(&mut self, client: Client<'_>) {
        let stats = self.service.stats(client.app);
        (self.log)(&format!(
            "client {} (badge {}) did: {stats}",
            client.app, client.badge
        ));
    }

    fn wait_us(&self, _now_us: u64) -> u64 {
        TICK_US
    }

    fn tick(&mut self, _now_us: u64, _out: &mut [u8; MAX_PAYLOAD], _ready: &mut Ready<'_, Status>) {
        (self.tick)(self.service);
    }
}

/// Serves `kos_i2c_protocol` on `server` until its message server goes away (the error
/// says why). `tick` runs between calls and at least every 100 ms (the sim's unplug
/// switch uses it).
pub fn serve<B: I2c>(
    server: Server,
    service: &mut I2cService<B>,
    tick: impl FnMut(&mut I2cService<B>),
    log: impl Fn(&str),
) -> Error {
    let mut served = I2cServer {
        service,
        tick,
        log: &log,
    };
    kos_client::serve(server, &mut served, &log)
}
