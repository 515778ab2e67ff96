//! Bit timing: from the CAN functional clock and a bitrate to the BTR fields
//! (TRM §23.3.2 "CAN Bit Timing", §23.4.1.4 BTR).
//!
//! A bit is `1 + tseg1 + tseg2` time quanta of `brp` clock periods each. The TRM allows
//! 8–25 quanta per bit, a prescaler of 1–1024 (BRP plus the BRPE extension),
//! TSEG1 2–16, TSEG2 1–8 (the D_CAN's information processing time is 0 tq) and
//! SJW 1–4. Only exact bitrates are accepted: a node a fraction of a percent off
//! works on a bench and fails on a long bus, so "close" is treated as an error.

use core::fmt;

use crate::regs::btr;

/// Fewest time quanta per bit the TRM allows.
const MIN_QUANTA: u32 = 8;
/// Most time quanta per bit the TRM allows.
const MAX_QUANTA: u32 = 25;
/// Largest prescaler (BRP with BRPE).
const MAX_BRP: u32 = 1024;
/// TSEG1 range in quanta (Prop_Seg + Phase_Seg1).
const TSEG1_RANGE: (u32, u32) = (2, 16);
/// TSEG2 range in quanta (Phase_Seg2).
const TSEG2_RANGE: (u32, u32) = (1, 8);
/// Largest synchronisation jump width in quanta.
const MAX_SJW: u32 = 4;
/// Highest classic CAN bitrate.
const MAX_BITRATE: u32 = 1_000_000;

/// Why no bit timing exists for a clock and bitrate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BitTimingError {
    /// The bitrate is zero or above 1 Mbit/s.
    BitrateOutOfRange {
        /// The requested bitrate.
        bitrate: u32,
    },
    /// The sample point is not between 50.0 % and 95.0 %.
    SamplePointOutOfRange {
        /// The requested sample point in per mille.
        permille: u16,
    },
    /// No prescaler and quanta count divide the clock into exactly this bitrate.
    Unreachable {
        /// The CAN functional clock.
        clock_hz: u32,
        /// The requested bitrate.
        bitrate: u32,
    },
}

impl fmt::Display for BitTimingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BitrateOutOfRange { bitrate } => {
                write!(f, "bitrate {bitrate} bit/s is outside 1..=1000000")
            }
            Self::SamplePointOutOfRange { permille } => {
                write!(f, "sample point {permille}‰ is outside 500..=950")
            }
            Self::Unreachable { clock_hz, bitrate } => write!(
                f,
                "{bitrate} bit/s cannot be made exactly from a {clock_hz} Hz clock \
                 with 8-25 quanta per bit and a prescaler of 1-1024"
            ),
        }
    }
}

/// Bit timing in functional values (quanta and clock periods, not BTR's "minus one").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BitTiming {
    /// Clock periods per time quantum, 1–1024.
    pub brp: u16,
    /// Quanta before the sample point, excluding the sync segment, 2–16.
    pub tseg1: u8,
    /// Quanta after the sample point, 1–8.
    pub tseg2: u8,
    /// Synchronisation jump width, 1–4.
    pub sjw: u8,
}

impl BitTiming {
    /// Finds the timing for exactly `bitrate` from `clock_hz` whose sample point is
    /// nearest `sample_point_permille`; among equally near ones, the most quanta per bit
    /// (finer resynchronisation). SJW is as wide as TSEG2 allows, up to 4, which
    /// tolerates the most oscillator drift.
    pub fn compute(
        clock_hz: u32,
        bitrate: u32,
        sample_point_permille: u16,
    ) -> Result<Self, BitTimingError> {
        if bitrate == 0 || bitrate > MAX_BITRATE {
            return Err(BitTimingError::BitrateOutOfRange { bitrate });
        }
        if !(500..=950).contains(&sample_point_permille) {
            return Err(BitTimingError::SamplePointOutOfRange {
                permille: sample_point_permille,
            });
        }
        let target = u64::from(sample_point_permille);
        // (timing, quanta, deviation numerator): the deviation is |sp - target| in ‰
        // scaled by `quanta`, compared by cross-multiplication to stay in integers.
        let mut best: Option<(Self, u64, u64)> = None;
        for quanta in (MIN_QUANTA..=MAX_QUANTA).rev() {
            let per_bit = u64::from(bitrate) * u64::from(quanta);
            if u64::from(clock_hz) % per_bit != 0 {
                continue;
            }
            let brp = u64::from(clock_hz) / per_bit;
            if brp == 0 || brp > u64::from(MAX_BRP) {
                continue;
            }
            let quanta = u64::from(quanta);
            for tseg2 in u64::from(TSEG2_RANGE.0)..=u64::from(TSEG2_RANGE.1) {
                let Some(tseg1) = (quanta - 1).checked_sub(tseg2) else {
                    continue;
                };
                if tseg1 < u64::from(TSEG1_RANGE.0) || tseg1 > u64::from(TSEG1_RANGE.1) {
                    continue;
                }
                let deviation = (1000 * (quanta - tseg2)).abs_diff(target * quanta);
                let better = match best {
                    None => true,
                    Some((_, q, d)) => deviation * q < d * quanta,
                };
                if better {
                    let timing = Self {
                        brp: brp as u16,
                        tseg1: tseg1 as u8,
                        tseg2: tseg2 as u8,
                        sjw: tseg2.min(u64::from(MAX_SJW)) as u8,
                    };
                    best = Some((timing, quanta, deviation));
                }
            }
        }
        best.map(|(timing, _, _)| timing)
            .ok_or(BitTimingError::Unreachable { clock_hz, bitrate })
    }

    /// The BTR value: every field minus one, prescaler bits 9:6 in BRPE.
    pub fn btr(&self) -> u32 {
        let brp = u32::from(self.brp) - 1;
        (brp & btr::BRP_MASK)
            | (((brp >> 6) << btr::BRPE_SHIFT) & btr::BRPE_MASK)
            | ((u32::from(self.sjw) - 1) << btr::SJW_SHIFT)
            | ((u32::from(self.tseg1) - 1) << btr::TSEG1_SHIFT)
            | ((u32::from(self.tseg2) - 1) << btr::TSEG2_SHIFT)
    }

    /// Decodes a BTR value.
    pub fn from_btr(value: u32) -> Self {
        let brp = (value & btr::BRP_MASK) | (((value & btr::BRPE_MASK) >> btr::BRPE_SHIFT) << 6);
        Self {
            brp: (brp + 1) as u16,
            sjw: (((value & btr::SJW_MASK) >> btr::SJW_SHIFT) + 1) as u8,
            tseg1: (((value & btr::TSEG1_MASK) >> btr::TSEG1_SHIFT) + 1) as u8,
            tseg2: (((value & btr::TSEG2_MASK) >> btr::TSEG2_SHIFT) + 1) as u8,
        }
    }

    /// Time quanta per bit: sync segment + TSEG1 + TSEG2.
    pub fn quanta(&self) -> u32 {
        1 + u32::from(self.tseg1) + u32::from(self.tseg2)
    }

    /// Clock periods per bit.
    pub fn clocks_per_bit(&self) -> u32 {
        u32::from(self.brp) * self.quanta()
    }

    /// The bitrate this timing gives from `clock_hz` (rounded down if inexact).
    pub fn bitrate(&self, clock_hz: u32) -> u32 {
        clock_hz / self.clocks_per_bit()
    }

    /// Sample point in per mille of the bit time.
    pub fn sample_point_permille(&self) -> u16 {
        ((1000 * (1 + u32::from(self.tseg1))) / self.quanta()) as u16
    }
}
