//! Device buses in the manifest: which backend a bus server drives (board selection),
//! and which I2C addresses a client may use.
//!
//! ```dts
//! i2c_server { kind = "native"; binary = "i2c_server"; ...;
//!              i2c_bus { backend = "sim"; speed_hz = <100000>; }; };
//! can_server { kind = "native"; binary = "can_server"; ...;
//!              can_bus { backend = "linux"; device = "can0"; bitrate = <500000>; }; };
//! weatherstation { kind = "beam"; ...; i2c_addresses = <0x76>; };
//! ```

use alloc::string::String;
use core::fmt;

/// Which implementation of a bus a server drives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Simulated bus and devices, in the server itself: the default.
    Sim,
    /// The AM335x's own controller, at register level (BeagleBone Black).
    Am335x,
    /// The Linux kernel's driver: `/dev/i2c-N` or a SocketCAN interface.
    Linux,
}

impl Backend {
    /// The manifest spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            Backend::Sim => "sim",
            Backend::Am335x => "am335x",
            Backend::Linux => "linux",
        }
    }

    /// Parses the manifest spelling.
    pub fn from_name(name: &str) -> Option<Backend> {
        match name {
            "sim" => Some(Backend::Sim),
            "am335x" => Some(Backend::Am335x),
            "linux" => Some(Backend::Linux),
            _ => None,
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A bus an app drives (its `i2c_bus` or `can_bus` node).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bus {
    /// `backend`: `sim` (default), `am335x` or `linux`.
    pub backend: Backend,
    /// `speed_hz` (I2C, default 100 kHz) or `bitrate` (CAN, default 500 kbit/s).
    pub speed: u32,
    /// `device`: the Linux device (`/dev/i2c-2`, `can0`); required for `linux`.
    pub device: Option<String>,
    /// `reg`: the controller's register base address for `am335x` (default: the
    /// BeagleBone Black's I2C2 at 0x4819_C000 or DCAN0 at 0x481C_C000).
    pub reg: Option<u32>,
}

/// I2C bus speeds a server may be given (standard, fast and fast-mode plus).
pub const I2C_SPEED_HZ: core::ops::RangeInclusive<u32> = 10_000..=1_000_000;
/// CAN bitrates a server may be given.
pub const CAN_BITRATE: core::ops::RangeInclusive<u32> = 10_000..=1_000_000;
/// Default I2C speed: standard mode.
pub const DEFAULT_I2C_SPEED_HZ: u32 = 100_000;
/// Default CAN bitrate.
pub const DEFAULT_CAN_BITRATE: u32 = 500_000;

/// Apps that may have `i2c_addresses` in one system: the I2C server's client table.
pub const MAX_I2C_CLIENTS: usize = 16;
