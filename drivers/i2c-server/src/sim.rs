//! The `sim` board's I2C bus: a simulated bus at the manifest's speed with a BME280 at
//! 0x76 whose air drifts over the day, and an "unplug file" that disconnects it while
//! the file exists — what pulling the sensor's cable does, for demos and tests.

use std::path::PathBuf;
use std::time::{Duration, Instant};

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

/// Watches the unplug file, at most every 100 ms (a `stat` per transaction would cost
/// more than the simulated transaction).
#[derive(Debug)]
pub struct UnplugSwitch {
    path: Option<PathBuf>,
    next_check: Instant,
    unplugged: bool,
}

impl UnplugSwitch {
    /// Watches `path`, or nothing.
    pub fn new(path: Option<PathBuf>) -> Self {
        UnplugSwitch {
            path,
            next_check: Instant::now(),
            unplugged: false,
        }
    }

    /// Applies the file's state to the bus; returns `Some(unplugged)` when it changed.
    pub fn apply(&mut self, bus: &mut SimI2cBus<Monotonic>) -> Option<bool> {
        let path = self.path.as_ref()?;
        let now = Instant::now();
        if now < self.next_check {
            return None;
        }
        self.next_check = now + Duration::from_millis(100);
        let unplugged = path.exists();
        if unplugged == self.unplugged {
            return None;
        }
        self.unplugged = unplugged;
        bus.set_connected(ADDRESS_PRIMARY, !unplugged);
        Some(unplugged)
    }
}
