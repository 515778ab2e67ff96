//! Any sequence of calls to the I2C server's service over the simulated bus with a
//! BME280: each input is a series of (label, param, payload) calls from a granted and
//! an unlisted client. Every call gets an answer whose payload fits the buffer; none
//! panics, and the bus is left usable.
#![no_main]

use kos_i2c::AddressPolicy;
use kos_i2c::protocol::MAX_TRANSFER;
use kos_i2c::{BusInfo, I2cService};
use kos_sim_devices::bme280::Bme280;
use kos_sim_devices::i2c::SimI2cBus;
use kos_sim_devices::ManualClock;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let clock = ManualClock::new(0);
    let mut bus = SimI2cBus::new(&clock, 400_000);
    let _ = bus.attach(0x76, Bme280::new(1, 0));
    let mut policy = AddressPolicy::new();
    policy.allow("weather", &[0x76]).unwrap();
    let info = BusInfo {
        speed_hz: 400_000,
        backend: "sim",
    };
    let mut service = I2cService::new(bus, kos_i2c::classify_kind, info, policy);
    let mut out = [0u8; MAX_TRANSFER];
    let mut rest = data;
    while rest.len() >= 4 {
        let (head, tail) = rest.split_at(4);
        let len = usize::from(head[3]).min(tail.len());
        let (payload, next) = tail.split_at(len);
        let client = if head[0] & 0x80 == 0 { "weather" } else { "stranger" };
        let label = u64::from(head[0] & 0x7f);
        let param = u64::from(u16::from_le_bytes([head[1], head[2]]));
        let answer = service.handle(client, label, param, payload, &mut out);
        assert!(answer.len <= MAX_TRANSFER);
        clock.advance(100);
        rest = next;
    }
});
