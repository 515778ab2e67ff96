//! An i2c-dev adapter as an embedded-hal I2C bus.

use std::fmt;
use std::path::{Path, PathBuf};

use embedded_hal::i2c::{ErrorType, I2c, Operation, SevenBitAddress};
use linux_embedded_hal::i2cdev::linux::LinuxI2CError;
use linux_embedded_hal::{I2CError, I2cdev};

use crate::error::Error;
use crate::merge::{needs_merging, with_merged};
use crate::open::OpenError;

/// A Linux I2C adapter (`/dev/i2c-N`), one transaction per `I2C_RDWR` ioctl.
pub struct LinuxI2c {
    device: I2cdev,
    path: PathBuf,
    // The address last accepted by I2C_SLAVE, checked by us (see `select`).
    selected: Option<u8>,
}

impl LinuxI2c {
    /// Opens the adapter at `path`, e.g. `/dev/i2c-2`. The error names the path and
    /// whether it is missing, not permitted, or not an I2C adapter.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, OpenError> {
        let path = path.as_ref();
        let device = I2cdev::new(path).map_err(|error| OpenError::new(path, errno(error)))?;
        Ok(Self {
            device,
            path: path.to_path_buf(),
            selected: None,
        })
    }

    /// The adapter's device path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `I2cdev` selects a new address with the I2C_SLAVE ioctl, which fails with EBUSY when
    /// a kernel driver owns it, and that would read as a busy bus. Doing the ioctl here
    /// first tells the two apart; it is only needed when the address changes.
    fn select(&mut self, address: u8) -> Result<(), Error> {
        if self.selected == Some(address) {
            return Ok(());
        }
        self.device
            .set_slave_address(u16::from(address))
            .map_err(|error| match errno(error) {
                libc::EBUSY => Error::AddressInUse(address),
                other => Error::Io(other),
            })?;
        self.selected = Some(address);
        Ok(())
    }
}

impl fmt::Debug for LinuxI2c {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LinuxI2c")
            .field("path", &self.path)
            .field("selected", &self.selected)
            .finish_non_exhaustive()
    }
}

fn errno(error: LinuxI2CError) -> i32 {
    match error {
        LinuxI2CError::Errno(errno) => errno,
        LinuxI2CError::Io(error) => Error::errno_of(&error),
    }
}

fn transfer_error(error: I2CError) -> Error {
    Error::from_errno(match error.inner() {
        LinuxI2CError::Errno(errno) => *errno,
        LinuxI2CError::Io(error) => Error::errno_of(error),
    })
}

impl ErrorType for LinuxI2c {
    type Error = Error;
}

impl I2c<SevenBitAddress> for LinuxI2c {
    /// Runs `operations` as one `I2C_RDWR`: one START, a repeated START at each change of
    /// direction, one STOP. Adjacent same-direction operations are merged first.
    fn transaction(
        &mut self,
        address: SevenBitAddress,
        operations: &mut [Operation<'_>],
    ) -> Result<(), Self::Error> {
        if operations.is_empty() {
            return Ok(());
        }
        self.select(address)?;
        let device = &mut self.device;
        let mut run = |ops: &mut [Operation<'_>]| {
            I2c::<SevenBitAddress>::transaction(device, address, ops).map_err(transfer_error)
        };
        if needs_merging(operations) {
            with_merged(operations, run)
        } else {
            run(operations)
        }
    }
}
