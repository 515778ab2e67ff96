//! Each backend's errors as the service's `Fault`s, and the register-level backend's
//! mapping of the controller.

use am335x_i2c::{Am335xI2c, Config, Mmio};
use embedded_hal::i2c::NoAcknowledgeSource;
use kos_board::DevMem;
use kos_i2c::Fault;

fn nack(source: NoAcknowledgeSource) -> Fault {
    match source {
        NoAcknowledgeSource::Data => Fault::NackData,
        // An unknown source is most often nobody at the address.
        _ => Fault::NackAddress,
    }
}

/// The simulated bus's errors.
pub fn classify_sim(e: &kos_sim_devices::i2c::Error) -> Fault {
    use kos_sim_devices::i2c::Error;
    match *e {
        Error::Nack(source) => nack(source),
        Error::ArbitrationLoss => Fault::ArbitrationLost,
        Error::BusBusy => Fault::BusBusy,
        Error::Timeout => Fault::Timeout,
    }
}

/// The AM335x controller's errors.
pub fn classify_am335x(e: &am335x_i2c::Error) -> Fault {
    use am335x_i2c::Error;
    match *e {
        Error::Nack(source) => nack(source),
        Error::ArbitrationLoss => Fault::ArbitrationLost,
        Error::BusBusy => Fault::BusBusy,
        Error::Timeout => Fault::Timeout,
        _ => Fault::Other,
    }
}

/// The I2C2 module of the BeagleBone Black (the header's P9.19/P9.20 bus), as the
/// manifest's `reg` counts (a 32-bit cell).
pub const AM335X_I2C2_BASE: u32 = am335x_i2c::regs::I2C2_BASE as u32;

/// The AM335x controller at `base`, with its mapping (which must outlive the driver,
/// so they travel together).
pub struct Am335xBus {
    /// The driver.
    pub driver: Am335xI2c<Mmio>,
    _mapping: DevMem,
}

impl Am335xBus {
    /// Maps the controller at `base` and initialises it for `speed_hz`.
    pub fn open(base: u32, speed_hz: u32) -> Result<Am335xBus, String> {
        let mapping = DevMem::map(u64::from(base), 4096).map_err(|e| e.to_string())?;
        // SAFETY: `mapping` is the module's register block and lives as long as the driver.
        let regs = unsafe { Mmio::new(mapping.base()) };
        let config = Config {
            bus_hz: speed_hz,
            ..Config::standard()
        };
        let driver = Am335xI2c::new(regs, config).map_err(|e| format!("{e:?}"))?;
        Ok(Am335xBus {
            driver,
            _mapping: mapping,
        })
    }
}

/// Linux i2c-dev's errors.
pub fn classify_linux(e: &kos_linux_i2c::Error) -> Fault {
    use kos_linux_i2c::Error;
    match *e {
        Error::Nack(source) => nack(source),
        Error::ArbitrationLoss => Fault::ArbitrationLost,
        Error::BusBusy => Fault::BusBusy,
        Error::Timeout => Fault::Timeout,
        _ => Fault::Other,
    }
}
