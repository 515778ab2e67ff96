//! Bit timing for the standard bitrates from the BeagleBone Black's 24 MHz clock, and
//! rejection of bitrates that cannot be made exactly.

use am335x_dcan::model::DcanModel;
use am335x_dcan::{BitTiming, BitTimingError, Config, ConfigError, Dcan, Error};

const CLOCK: u32 = 24_000_000;

#[test]
fn standard_rates_give_the_expected_btr_values() {
    // (bitrate, BTR): BRP-1 | (SJW-1)<<6 | (TSEG1-1)<<8 | (TSEG2-1)<<12.
    // 125k: brp 12, 1+13+2 tq; 250k: brp 6; 500k: brp 3; 1M: brp 3, 1+6+1 tq.
    let expected = [
        (125_000, 0x1C4B),
        (250_000, 0x1C45),
        (500_000, 0x1C42),
        (1_000_000, 0x0502),
    ];
    for (bitrate, btr) in expected {
        let timing = BitTiming::compute(CLOCK, bitrate, 875).expect("standard rate");
        assert_eq!(timing.btr(), btr, "BTR for {bitrate}");
    }
}

#[test]
fn standard_rates_are_exact_with_the_sample_point_at_87_5_percent() {
    for bitrate in [125_000, 250_000, 500_000, 1_000_000] {
        let timing = BitTiming::compute(CLOCK, bitrate, 875).expect("standard rate");
        let decoded = BitTiming::from_btr(timing.btr());
        assert_eq!(decoded, timing, "BTR round trip at {bitrate}");
        assert_eq!(
            CLOCK % decoded.clocks_per_bit(),
            0,
            "exact division at {bitrate}"
        );
        assert_eq!(decoded.bitrate(CLOCK), bitrate);
        assert_eq!(decoded.sample_point_permille(), 875);
        assert!((8..=25).contains(&decoded.quanta()));
        assert!(decoded.sjw <= decoded.tseg2 && decoded.sjw <= 4);
    }
}

#[test]
fn the_trm_reset_value_is_500k_from_8_mhz() {
    let timing = BitTiming::from_btr(0x2301);
    assert_eq!(
        (timing.brp, timing.tseg1, timing.tseg2, timing.sjw),
        (2, 4, 3, 1)
    );
    assert_eq!(timing.bitrate(8_000_000), 500_000);
}

#[test]
fn large_prescalers_use_the_brpe_extension() {
    // 10 kbit/s needs 2400 clocks per bit: a prescaler above 64.
    let timing = BitTiming::compute(CLOCK, 10_000, 875).expect("10 kbit/s");
    assert!(timing.brp > 64);
    assert_ne!(timing.btr() & 0xF_0000, 0, "BRPE in use");
    assert_eq!(BitTiming::from_btr(timing.btr()).bitrate(CLOCK), 10_000);
}

#[test]
fn a_bitrate_that_cannot_be_made_exactly_is_rejected() {
    assert_eq!(
        BitTiming::compute(CLOCK, 125_001, 875),
        Err(BitTimingError::Unreachable {
            clock_hz: CLOCK,
            bitrate: 125_001
        })
    );
    assert_eq!(
        BitTiming::compute(CLOCK, 2_000_000, 875),
        Err(BitTimingError::BitrateOutOfRange { bitrate: 2_000_000 })
    );
    assert_eq!(
        BitTiming::compute(CLOCK, 0, 875),
        Err(BitTimingError::BitrateOutOfRange { bitrate: 0 })
    );
}

#[test]
fn init_refuses_an_impossible_bitrate_before_touching_the_controller() {
    let mut can = Dcan::new(DcanModel::new(), Config::new(333_333));
    let err = can.init().expect_err("333333 bit/s is not reachable");
    assert!(matches!(
        err,
        Error::Config(ConfigError::BitTiming(BitTimingError::Unreachable { .. }))
    ));
    assert!(can.registers().in_init(), "controller left in Init");
}

#[test]
fn init_programs_the_computed_btr() {
    let mut can = Dcan::new(DcanModel::new(), Config::new(250_000));
    can.init().expect("init");
    assert_eq!(can.registers().btr(), 0x1C45);
    assert!(!can.registers().in_init());
}
