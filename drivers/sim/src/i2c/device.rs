//! What a simulated I2C device sees of the wire: START (with direction), each byte, STOP.
//!
//! Every event carries the time at which it happens on the wire, so a device's state
//! machine (a conversion finishing, a reset completing) runs on the bus's timeline.

use core::any::Any;

/// A device that answers at one address on a [`SimI2cBus`](super::SimI2cBus).
///
/// The bus calls `start` once the device has acknowledged its address (again after a
/// repeated START), then `write` or `read` once per byte, then `stop`.
pub trait SimDevice {
    /// The device was addressed; `read` is the R/W bit.
    fn start(&mut self, now_us: u64, read: bool);
    /// The master wrote `byte`; the device answers with ACK (`true`) or NACK.
    fn write(&mut self, now_us: u64, byte: u8) -> bool;
    /// The master clocks a byte out of the device.
    fn read(&mut self, now_us: u64) -> u8;
    /// STOP: the transaction is over.
    fn stop(&mut self, now_us: u64);
    /// How long the device holds SCL low after being addressed (clock stretching), in
    /// microseconds; `u64::MAX` means it never lets go.
    fn clock_stretch_us(&mut self, _now_us: u64) -> u64 {
        0
    }
}

/// A `SimDevice` the bus can also hand back as its concrete type.
///
/// A blanket impl covers every device; it exists because `dyn SimDevice` cannot be
/// upcast to `dyn Any` on the toolchain the workspace supports.
pub(crate) trait AnyDevice: SimDevice {
    fn as_any(&self) -> &dyn Any;
    fn as_any_mut(&mut self) -> &mut dyn Any;
}

impl<T: SimDevice + Any> AnyDevice for T {
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}
