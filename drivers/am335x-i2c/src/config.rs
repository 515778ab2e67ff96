//! Driver configuration and the clock divider arithmetic of TRM section 21.3 ("I2C clock
//! generation").
//!
//! The functional clock (48 MHz on the AM335x, `PER_CLKOUTM2 / 4`) is divided by
//! `PSC + 1` into the internal clock ICLK, which the TRM wants near 12 MHz in
//! fast/standard mode (U-Boot and Linux cite a 7–12 MHz window). SCL is then shaped in
//! ICLK periods: tLOW = (SCLL + 7), tHIGH = (SCLH + 5).

use core::fmt;

/// Internal clock the prescaler aims for, at most (TRM: "approximately 12 MHz").
const ICLK_TARGET_HZ: u32 = 12_000_000;
/// Fixed extra ICLK periods the controller adds to SCLL.
const SCLL_TRIM: u32 = 7;
/// Fixed extra ICLK periods the controller adds to SCLH.
const SCLH_TRIM: u32 = 5;
/// Highest standard-mode rate.
pub const STANDARD_MODE_HZ: u32 = 100_000;
/// Highest fast-mode rate; high-speed mode (3.4 MHz) is not supported.
pub const FAST_MODE_HZ: u32 = 400_000;

/// How the driver sets up the controller and how long it waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// Functional clock of the module (`I2C_FCLK`), in Hz: 48 MHz on the AM335x.
    pub functional_clock_hz: u32,
    /// Requested SCL rate in Hz, up to 400 kHz. The bus never runs faster than this.
    pub bus_hz: u32,
    /// Status polls a single wait may take without the controller making progress
    /// (a byte moved, the reset finished, the bus freed) before the driver gives up.
    pub timeout_polls: u32,
}

impl Config {
    /// Standard mode (100 kHz) from the AM335x's 48 MHz functional clock.
    pub const fn standard() -> Self {
        Self {
            functional_clock_hz: 48_000_000,
            bus_hz: STANDARD_MODE_HZ,
            // A register read on the L4 bus takes a few hundred ns and a byte at 100 kHz
            // about 90 µs, so this is tens of milliseconds of silence: long past any
            // reasonable clock stretch, short enough not to hang a server.
            timeout_polls: 100_000,
        }
    }

    /// Fast mode (400 kHz) from the 48 MHz functional clock.
    pub const fn fast() -> Self {
        Self {
            bus_hz: FAST_MODE_HZ,
            ..Self::standard()
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self::standard()
    }
}

/// The values programmed into `PSC`, `SCLL` and `SCLH`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockSettings {
    /// Prescaler: ICLK = functional clock / (psc + 1).
    pub psc: u8,
    /// SCL low time: (scll + 7) ICLK periods.
    pub scll: u8,
    /// SCL high time: (sclh + 5) ICLK periods.
    pub sclh: u8,
}

impl ClockSettings {
    /// Divider values for `bus_hz` from `functional_clock_hz`.
    ///
    /// One SCL period is ceil(ICLK / bus_hz) ICLK periods, rounded up so the bus is never
    /// faster than asked. Standard mode splits it evenly; fast mode gives two thirds to
    /// the low phase, because the I2C specification's minimum tLOW (1.3 µs) is more than
    /// half of a 2.5 µs period while the minimum tHIGH (0.6 µs) is far less (the split
    /// Linux's i2c-omap uses for the same reason).
    pub fn compute(functional_clock_hz: u32, bus_hz: u32) -> Result<Self, ConfigError> {
        if bus_hz == 0 || bus_hz > FAST_MODE_HZ {
            return Err(ConfigError::BusSpeed(bus_hz));
        }
        if functional_clock_hz == 0 {
            return Err(ConfigError::FunctionalClock(functional_clock_hz));
        }
        let divider = functional_clock_hz.div_ceil(ICLK_TARGET_HZ);
        let psc = u8::try_from(divider - 1)
            .map_err(|_| ConfigError::FunctionalClock(functional_clock_hz))?;
        let iclk_hz = functional_clock_hz / divider;
        let period = iclk_hz.div_ceil(bus_hz);
        let (low, high) = if bus_hz <= STANDARD_MODE_HZ {
            (period - period / 2, period / 2)
        } else {
            (period - period / 3, period / 3)
        };
        let scll = low
            .checked_sub(SCLL_TRIM)
            .and_then(|v| u8::try_from(v).ok())
            .ok_or(ConfigError::BusSpeed(bus_hz))?;
        let sclh = high
            .checked_sub(SCLH_TRIM)
            .and_then(|v| u8::try_from(v).ok())
            .ok_or(ConfigError::BusSpeed(bus_hz))?;
        Ok(Self { psc, scll, sclh })
    }

    /// The internal clock these settings give from `functional_clock_hz`, in Hz.
    pub fn iclk_hz(&self, functional_clock_hz: u32) -> u32 {
        functional_clock_hz / (u32::from(self.psc) + 1)
    }

    /// SCL low time in nanoseconds.
    pub fn t_low_ns(&self, functional_clock_hz: u32) -> u64 {
        periods_ns(
            u32::from(self.scll) + SCLL_TRIM,
            self.iclk_hz(functional_clock_hz),
        )
    }

    /// SCL high time in nanoseconds (before rise time, which only lengthens it).
    pub fn t_high_ns(&self, functional_clock_hz: u32) -> u64 {
        periods_ns(
            u32::from(self.sclh) + SCLH_TRIM,
            self.iclk_hz(functional_clock_hz),
        )
    }
}

fn periods_ns(periods: u32, clock_hz: u32) -> u64 {
    u64::from(periods) * 1_000_000_000 / u64::from(clock_hz.max(1))
}

/// A [`Config`] the controller cannot run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigError {
    /// The bus rate (Hz) is 0, above 400 kHz, or too slow for the 8-bit SCL dividers
    /// at this functional clock.
    BusSpeed(u32),
    /// The functional clock (Hz) is 0 or needs a prescaler above 255.
    FunctionalClock(u32),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BusSpeed(hz) => write!(
                f,
                "bus rate {hz} Hz is out of range (1 Hz..=400 kHz, within the SCL dividers)"
            ),
            Self::FunctionalClock(hz) => {
                write!(
                    f,
                    "functional clock {hz} Hz cannot be prescaled to about 12 MHz"
                )
            }
        }
    }
}

impl core::error::Error for ConfigError {}
