//! The service against scripted buses: `embedded-hal-mock` fails a test on any bus
//! call it was not told to expect, so each test states exactly what reaches the bus.

extern crate std;

use std::vec;
use std::vec::Vec;

use embedded_hal::i2c::{ErrorKind, ErrorType, I2c, NoAcknowledgeSource, Operation};
use embedded_hal_mock::eh1::i2c::{Mock, Transaction};

use super::*;
use crate::classify_kind;
use crate::protocol::*;

const WEATHER: &str = "weather";
const DISPLAY: &str = "display";
const BME280: u8 = 0x76;
const OLED: u8 = 0x3C;

fn policy() -> AddressPolicy {
    let mut policy = AddressPolicy::new();
    policy.allow(WEATHER, &[BME280]).unwrap();
    policy.allow(DISPLAY, &[OLED]).unwrap();
    policy
}

const SIM: BusInfo = BusInfo {
    speed_hz: 400_000,
    backend: "sim",
};

/// A service over a mock expecting `expected`, and a handle on the mock to finish it.
fn service(expected: &[Transaction]) -> (I2cService<Mock>, Mock) {
    let bus = Mock::new(expected);
    (
        I2cService::new(bus.clone(), classify_kind, SIM, policy()),
        bus,
    )
}

struct Call<'a> {
    label: u64,
    param: u64,
    payload: &'a [u8],
}

fn call(s: &mut I2cService<Mock>, client: &str, c: Call<'_>) -> (Answer, Vec<u8>) {
    let mut out = [0u8; MAX_TRANSFER];
    let answer = s.handle(client, c.label, c.param, c.payload, &mut out);
    (answer, out[..answer.len].to_vec())
}

fn status(s: &mut I2cService<Mock>, client: &str, c: Call<'_>) -> Status {
    call(s, client, c).0.status
}

#[test]
fn write_is_one_bus_write() {
    let (mut s, mut bus) = service(&[
        Transaction::write(BME280, vec![0xF4, 0x27]),
        Transaction::write(BME280, vec![]),
    ]);
    let (answer, payload) = call(
        &mut s,
        WEATHER,
        Call {
            label: WRITE,
            param: BME280.into(),
            payload: &[0xF4, 0x27],
        },
    );
    assert_eq!(
        (answer, payload.len()),
        (Answer::new(Status::Ok).with_len(0), 0)
    );
    let probe = Call {
        label: WRITE,
        param: BME280.into(),
        payload: &[],
    };
    assert_eq!(status(&mut s, WEATHER, probe), Status::Ok);
    bus.done();
}

#[test]
fn read_returns_the_bytes_read() {
    let (mut s, mut bus) = service(&[Transaction::read(BME280, vec![1, 2, 3])]);
    let read = Call {
        label: READ,
        param: transfer_param(BME280, 3),
        payload: &[],
    };
    assert_eq!(
        call(&mut s, WEATHER, read),
        (Answer::new(Status::Ok).with_len(3), vec![1, 2, 3])
    );
    bus.done();
}

#[test]
fn write_read_is_one_transaction_with_a_repeated_start() {
    let (mut s, mut bus) = service(&[Transaction::write_read(BME280, vec![0xD0], vec![0x60])]);
    let chip_id = Call {
        label: WRITE_READ,
        param: transfer_param(BME280, 1),
        payload: &[0xD0],
    };
    assert_eq!(
        call(&mut s, WEATHER, chip_id),
        (Answer::new(Status::Ok).with_len(1), vec![0x60])
    );
    bus.done();
}

#[test]
fn a_transaction_runs_every_operation_in_one_bus_transaction() {
    let (mut s, mut bus) = service(&[
        Transaction::transaction_start(BME280),
        Transaction::write(BME280, vec![0xF7]),
        Transaction::read(BME280, vec![0x50, 0x51, 0x52]),
        Transaction::write(BME280, vec![0xE1, 0xE2]),
        Transaction::read(BME280, vec![0x99]),
        Transaction::transaction_end(BME280),
    ]);
    let ops = [
        OP_WRITE, 1, 0, 0xF7, //
        OP_READ, 3, 0, //
        OP_WRITE, 2, 0, 0xE1, 0xE2, //
        OP_READ, 1, 0,
    ];
    let transaction = Call {
        label: TRANSACTION,
        param: BME280.into(),
        payload: &ops,
    };
    assert_eq!(
        call(&mut s, WEATHER, transaction),
        (
            Answer::new(Status::Ok).with_len(4),
            vec![0x50, 0x51, 0x52, 0x99]
        ),
        "the reads, concatenated"
    );
    let stats = s.stats(WEATHER);
    assert_eq!(
        (stats.transactions, stats.bytes_written, stats.bytes_read),
        (1, 3, 4)
    );
    bus.done();
}

#[test]
fn a_forbidden_address_never_reaches_the_bus() {
    let (mut s, mut bus) = service(&[]);
    for (client, address) in [(WEATHER, OLED), (DISPLAY, BME280), ("intruder", BME280)] {
        let calls = [
            (WRITE, u64::from(address), &[1u8][..]),
            (READ, transfer_param(address, 1), &[]),
            (WRITE_READ, transfer_param(address, 1), &[1]),
            (TRANSACTION, address.into(), &[OP_READ, 1, 0]),
        ];
        for (label, param, payload) in calls {
            let c = Call {
                label,
                param,
                payload,
            };
            assert_eq!(status(&mut s, client, c), Status::NotPermitted);
        }
    }
    assert_eq!(s.stats(WEATHER).refused, 4);
    assert_eq!(s.unlisted_stats().refused, 4);
    assert_eq!(s.stats(WEATHER).transactions, 0);
    bus.done();
}

#[test]
fn a_malformed_request_never_reaches_the_bus() {
    let (mut s, mut bus) = service(&[]);
    let bad = [
        (WRITE, 0x80, &[1u8][..]),
        (READ, transfer_param(BME280, 0), &[]),
        (READ, transfer_param(BME280, 4096) + (1 << 16), &[]),
        (READ, transfer_param(BME280, 1), &[0]),
        (WRITE_READ, transfer_param(BME280, 1), &[]),
        (TRANSACTION, BME280.into(), &[OP_READ, 1]),
        (TRANSACTION, BME280.into(), &[]),
        (TRANSACTION, BME280.into(), &[7, 1, 0]),
    ];
    for (label, param, payload) in bad {
        let c = Call {
            label,
            param,
            payload,
        };
        assert_eq!(
            status(&mut s, WEATHER, c),
            Status::BadRequest,
            "{label} {param:#x}"
        );
    }
    let unknown = Call {
        label: 42,
        param: BME280.into(),
        payload: &[],
    };
    assert_eq!(status(&mut s, WEATHER, unknown), Status::UnknownOperation);
    assert_eq!(s.stats(WEATHER).malformed, 9);
    bus.done();
}

#[test]
fn bus_errors_come_back_as_statuses() {
    let nack = |source| ErrorKind::NoAcknowledge(source);
    let (mut s, mut bus) = service(&[
        Transaction::write(BME280, vec![1]).with_error(nack(NoAcknowledgeSource::Address)),
        Transaction::write(BME280, vec![1]).with_error(nack(NoAcknowledgeSource::Data)),
        Transaction::read(BME280, vec![0]).with_error(ErrorKind::ArbitrationLoss),
        Transaction::write_read(BME280, vec![1], vec![0]).with_error(ErrorKind::Bus),
        Transaction::write(BME280, vec![1]),
    ]);
    let write = || Call {
        label: WRITE,
        param: BME280.into(),
        payload: &[1],
    };
    assert_eq!(status(&mut s, WEATHER, write()), Status::NackAddress);
    assert_eq!(status(&mut s, WEATHER, write()), Status::NackData);
    let read = Call {
        label: READ,
        param: transfer_param(BME280, 1),
        payload: &[],
    };
    assert_eq!(
        call(&mut s, WEATHER, read).0,
        Answer::new(Status::ArbitrationLost)
    );
    let write_read = Call {
        label: WRITE_READ,
        param: transfer_param(BME280, 1),
        payload: &[1],
    };
    assert_eq!(status(&mut s, WEATHER, write_read), Status::BusError);
    assert_eq!(
        status(&mut s, WEATHER, write()),
        Status::Ok,
        "and the next call works"
    );
    let stats = s.stats(WEATHER);
    assert_eq!((stats.transactions, stats.bus_errors), (5, 4));
    assert_eq!(
        (stats.bytes_written, stats.bytes_read),
        (1, 0),
        "failures move nothing"
    );
    bus.done();
}

#[test]
fn the_backend_classifier_decides_what_an_error_means() {
    // A backend whose error type knows busy buses and timeouts, as the AM335x's does.
    fn classify(e: &ErrorKind) -> Fault {
        match e {
            ErrorKind::Bus => Fault::BusBusy,
            ErrorKind::Overrun => Fault::Timeout,
            _ => Fault::Other,
        }
    }
    let mut bus = Mock::new(&[
        Transaction::write(OLED, vec![0]).with_error(ErrorKind::Bus),
        Transaction::write(OLED, vec![0]).with_error(ErrorKind::Overrun),
        Transaction::write(OLED, vec![0]).with_error(ErrorKind::Other),
    ]);
    let mut s = I2cService::new(bus.clone(), classify, SIM, policy());
    let mut out = [0u8; MAX_TRANSFER];
    let mut write = || s.handle(DISPLAY, WRITE, OLED.into(), &[0], &mut out).status;
    assert_eq!(write(), Status::BusBusy);
    assert_eq!(write(), Status::BusTimeout);
    assert_eq!(write(), Status::BusError);
    bus.done();
}

#[test]
fn interleaved_clients_each_get_their_own_device() {
    let (mut s, mut bus) = service(&[
        Transaction::write_read(BME280, vec![0xD0], vec![0x60]),
        Transaction::write_read(OLED, vec![0x00], vec![0x43]),
        Transaction::read(BME280, vec![0xAA, 0xBB]),
        Transaction::write(OLED, vec![0x40, 0xFF]),
    ]);
    let weather_id = Call {
        label: WRITE_READ,
        param: transfer_param(BME280, 1),
        payload: &[0xD0],
    };
    let display_status = Call {
        label: WRITE_READ,
        param: transfer_param(OLED, 1),
        payload: &[0x00],
    };
    assert_eq!(call(&mut s, WEATHER, weather_id).1, [0x60]);
    assert_eq!(call(&mut s, DISPLAY, display_status).1, [0x43]);
    let weather_read = Call {
        label: READ,
        param: transfer_param(BME280, 2),
        payload: &[],
    };
    let display_snoop = Call {
        label: READ,
        param: transfer_param(BME280, 2),
        payload: &[],
    };
    assert_eq!(status(&mut s, DISPLAY, display_snoop), Status::NotPermitted);
    assert_eq!(call(&mut s, WEATHER, weather_read).1, [0xAA, 0xBB]);
    let pixels = Call {
        label: WRITE,
        param: OLED.into(),
        payload: &[0x40, 0xFF],
    };
    assert_eq!(status(&mut s, DISPLAY, pixels), Status::Ok);
    let all: Vec<_> = s.all_stats().map(|(n, st)| (n, st.transactions)).collect();
    assert_eq!(all, [(WEATHER, 2), (DISPLAY, 2)]);
    bus.done();
}

#[test]
fn features_describe_the_bus_without_touching_it() {
    let (mut s, mut bus) = service(&[]);
    let features = Call {
        label: FEATURES,
        param: 0,
        payload: &[],
    };
    let (answer, payload) = call(&mut s, "anyone", features);
    assert_eq!(answer, Answer::new(Status::Ok).with_len(9));
    assert_eq!(
        payload,
        [0x80, 0x1A, 0x06, 0x00, 0x00, 0x10, b's', b'i', b'm']
    );
    bus.done();
}

#[test]
fn a_long_backend_name_is_cut_on_a_character_boundary() {
    assert_eq!(truncate("am335x", 64), "am335x");
    assert_eq!(truncate("ééé", 5), "éé");
    let mut out = [0u8; MAX_TRANSFER];
    let info = BusInfo {
        speed_hz: 100_000,
        backend: "ü-a-very-long-backend-name-that-goes-on-and-on-past-the-limit-of-64",
    };
    let answer = features(&info, &mut out);
    assert!(answer.len <= 6 + MAX_BACKEND_NAME);
    assert!(core::str::from_utf8(&out[6..answer.len]).is_ok());
}

/// A bus that accepts anything, fails now and then, and fails the test if it ever
/// sees an address the client under test was not given.
struct AnyBus {
    allowed: crate::Addresses,
    calls: u64,
}

impl ErrorType for AnyBus {
    type Error = ErrorKind;
}

impl I2c for AnyBus {
    fn transaction(&mut self, address: u8, ops: &mut [Operation<'_>]) -> Result<(), ErrorKind> {
        assert!(
            self.allowed.contains(address),
            "{address:#x} reached the bus"
        );
        self.calls += 1;
        if self.calls % 7 == 0 {
            return Err(ErrorKind::NoAcknowledge(NoAcknowledgeSource::Unknown));
        }
        for op in ops {
            if let Operation::Read(buf) = op {
                buf.fill(0xA5);
            }
        }
        Ok(())
    }
}

/// xorshift64: reproducible noise without a dependency.
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[test]
fn no_input_makes_the_service_panic() {
    let bus = AnyBus {
        allowed: policy().addresses(WEATHER),
        calls: 0,
    };
    let mut s = I2cService::new(bus, classify_kind, SIM, policy());
    let mut noise = Noise(0x9E37_79B9_7F4A_7C15);
    let mut out = [0u8; MAX_TRANSFER];
    let mut payload = [0u8; MAX_TRANSFER + 8];
    let mut ok = 0;
    for _ in 0..20_000 {
        let label = noise.below(8);
        // Mostly near-valid params, so the checks past the first one get exercised.
        let address = [BME280, OLED, 0x7F, noise.next() as u8][noise.below(4) as usize];
        let param = match noise.below(4) {
            0 => noise.next(),
            1 => address.into(),
            _ => transfer_param(address, noise.below(4200) as u16),
        };
        let len =
            [0, 1, 3, 16, noise.below(payload.len() as u64 + 1) as usize][noise.below(5) as usize];
        for byte in &mut payload[..len] {
            // Operation kinds and small lengths are likelier than arbitrary bytes.
            *byte = [0, 1, 2, noise.next() as u8][noise.below(4) as usize];
        }
        let answer = s.handle(WEATHER, label, param, &payload[..len], &mut out);
        assert!(answer.len <= MAX_TRANSFER);
        assert!(answer.status == Status::Ok || answer.len == 0);
        ok += u64::from(answer.status == Status::Ok);
    }
    let stats = s.stats(WEATHER);
    let bus = s.release();
    assert_eq!(stats.transactions, bus.calls);
    assert!(
        bus.calls > 100,
        "the fuzzing reached the bus {} times",
        bus.calls
    );
    assert!(ok > 100, "{ok} calls succeeded");
}
