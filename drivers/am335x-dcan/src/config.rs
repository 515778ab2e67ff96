//! Driver configuration: clock, bitrate, how the 64 message objects are split between
//! the receive FIFO and the transmit objects, the FIFO's acceptance filter, and the
//! poll budget that bounds every wait.

use core::fmt;

use embedded_can::{ExtendedId, StandardId};

use crate::regs::{ifarb, ifmsk, MESSAGE_OBJECTS};
use crate::timing::BitTimingError;

/// The DCAN functional clock on the BeagleBone Black: the 24 MHz main oscillator.
pub const BBB_DCAN_CLOCK_HZ: u32 = 24_000_000;

/// Hardware acceptance filter of the receive FIFO (TRM §23.3.15.6).
///
/// A frame is accepted when the identifier bits selected by `mask` equal those of `id`.
/// Every object of the FIFO carries the same filter, which is what chains them into
/// one FIFO.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Filter {
    /// IFxARB image: identifier and Xtd.
    pub(crate) arb: u32,
    /// IFxMSK image: identifier mask and MXtd (MDir stays clear, see `accept_all`).
    pub(crate) msk: u32,
}

impl Filter {
    /// Accepts every frame: standard and extended, data and remote.
    ///
    /// MDir is left clear in every filter so remote frames reach the FIFO too; the
    /// controller then stores the frame's RTR in the object's Dir bit, which is how the
    /// driver tells them apart (the Linux c_can driver relies on the same behaviour).
    pub const fn accept_all() -> Self {
        Self { arb: 0, msk: 0 }
    }

    /// Accepts standard frames whose identifier matches `id` in the bits set in `mask`
    /// (11 bits); extended frames are rejected.
    pub fn standard(id: StandardId, mask: u16) -> Self {
        Self {
            arb: u32::from(id.as_raw()) << ifarb::STD_ID_SHIFT,
            msk: (u32::from(mask & 0x7FF) << ifarb::STD_ID_SHIFT) | ifmsk::MXTD,
        }
    }

    /// Accepts extended frames whose identifier matches `id` in the bits set in `mask`
    /// (29 bits); standard frames are rejected.
    pub fn extended(id: ExtendedId, mask: u32) -> Self {
        Self {
            arb: id.as_raw() | ifarb::XTD,
            msk: (mask & ifmsk::MSK_MASK) | ifmsk::MXTD,
        }
    }
}

/// A configuration the driver cannot apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfigError {
    /// No bit timing for the clock and bitrate.
    BitTiming(BitTimingError),
    /// The receive FIFO and transmit objects need 1..=63 objects each and at most 64
    /// together.
    ObjectLayout {
        /// Requested receive FIFO length.
        rx_fifo_len: u8,
        /// Requested number of transmit objects.
        tx_objects: u8,
    },
    /// A poll budget of zero would time out every wait before looking once.
    ZeroPollBudget,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BitTiming(e) => write!(f, "bit timing: {e}"),
            Self::ObjectLayout {
                rx_fifo_len,
                tx_objects,
            } => write!(
                f,
                "{rx_fifo_len} receive + {tx_objects} transmit objects do not fit the \
                 {MESSAGE_OBJECTS} message objects (each needs at least one)"
            ),
            Self::ZeroPollBudget => f.write_str("the poll budget must be at least 1"),
        }
    }
}

impl From<BitTimingError> for ConfigError {
    fn from(e: BitTimingError) -> Self {
        Self::BitTiming(e)
    }
}

/// Driver configuration; build it with [`Config::new`] and the `with_*` methods.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// CAN functional clock in Hz.
    pub clock_hz: u32,
    /// Bitrate in bit/s.
    pub bitrate: u32,
    /// Target sample point in per mille of the bit time.
    pub sample_point_permille: u16,
    /// Message objects chained into the receive FIFO (objects 1..=rx_fifo_len).
    pub rx_fifo_len: u8,
    /// Message objects used for transmission (right after the FIFO).
    pub tx_objects: u8,
    /// Acceptance filter of the receive FIFO.
    pub filter: Filter,
    /// Register reads a wait may take before it ends in [`crate::Error::Timeout`].
    pub poll_budget: u32,
    /// Internal loopback (TEST.LBack): own frames are received back, nothing is needed
    /// on the bus. For a self-test on a board without a transceiver or peer.
    pub loopback: bool,
}

impl Config {
    /// `bitrate` from the BeagleBone Black's 24 MHz clock, sample point 87.5 %, a
    /// 16-object receive FIFO accepting everything, 8 transmit objects.
    pub const fn new(bitrate: u32) -> Self {
        Self {
            clock_hz: BBB_DCAN_CLOCK_HZ,
            bitrate,
            sample_point_permille: 875,
            rx_fifo_len: 16,
            tx_objects: 8,
            filter: Filter::accept_all(),
            poll_budget: 100_000,
            loopback: false,
        }
    }

    /// With another functional clock.
    pub const fn with_clock_hz(mut self, clock_hz: u32) -> Self {
        self.clock_hz = clock_hz;
        self
    }

    /// With another target sample point (per mille).
    pub const fn with_sample_point(mut self, permille: u16) -> Self {
        self.sample_point_permille = permille;
        self
    }

    /// With another split of the message objects.
    pub const fn with_objects(mut self, rx_fifo_len: u8, tx_objects: u8) -> Self {
        self.rx_fifo_len = rx_fifo_len;
        self.tx_objects = tx_objects;
        self
    }

    /// With a receive acceptance filter.
    pub const fn with_filter(mut self, filter: Filter) -> Self {
        self.filter = filter;
        self
    }

    /// With another poll budget.
    pub const fn with_poll_budget(mut self, reads: u32) -> Self {
        self.poll_budget = reads;
        self
    }

    /// With internal loopback on or off.
    pub const fn with_loopback(mut self, loopback: bool) -> Self {
        self.loopback = loopback;
        self
    }

    /// Checks the object split and the poll budget (the bit timing is checked by
    /// [`crate::BitTiming::compute`]).
    pub(crate) fn check_layout(&self) -> Result<(), ConfigError> {
        let total = u16::from(self.rx_fifo_len) + u16::from(self.tx_objects);
        if self.rx_fifo_len == 0 || self.tx_objects == 0 || total > u16::from(MESSAGE_OBJECTS) {
            return Err(ConfigError::ObjectLayout {
                rx_fifo_len: self.rx_fifo_len,
                tx_objects: self.tx_objects,
            });
        }
        if self.poll_budget == 0 {
            return Err(ConfigError::ZeroPollBudget);
        }
        Ok(())
    }
}
