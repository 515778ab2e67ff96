//! The `sim` board's I2C bus: a simulated bus at the manifest's speed with a BME280 at
//! 0x76 whose air drifts over the day (the server's unplug file disconnects it, as
//! pulling the sensor's cable would).

use std::time::Instant;

use kos_sim_devices::bme280::{Bme280, ADDRESS_PRIMARY};
use kos_sim_devices::i2c::SimI2cBus;
use kos_sim_devices::Clock;

/// Microseconds since the server started: the simulation's time.
#[derive(Debug, Clone, Copy)]
pub struct Monotonic(Instant);

impl Clock for Monotonic {
    fn now_us(&self) -> u64 {
        self.0.elapsed().as_micros() as u64
    }
}

/// The simulated bus, with its sensors attached.
pub fn bus(speed_hz: u32, seed: u64) -> SimI2cBus<Monotonic> {
    let clock = Monotonic(Instant::now());
    let mut bus = SimI2cBus::new(clock, speed_hz);
    // A fresh bus has nothing at 0x76, so attaching cannot fail.
    let _ = bus.attach(ADDRESS_PRIMARY, Bme280::new(seed, clock.now_us()));
    bus
}
