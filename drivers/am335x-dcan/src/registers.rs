//! The one door between the driver and the hardware: a 32-bit register read/write by
//! offset. On the board it is [`Mmio`]; in tests it is the register model
//! ([`crate::model::DcanModel`]). Keeping the door this small is what lets the whole
//! driver run unchanged against the model.

/// 32-bit access to the D_CAN registers by offset from the module base.
///
/// `read` takes `&mut self` because reads have side effects on this controller (reading
/// ES clears TxOk/RxOk and the last error code).
pub trait Registers {
    /// Reads the register at `offset`.
    fn read(&mut self, offset: u32) -> u32;
    /// Writes `value` to the register at `offset`.
    fn write(&mut self, offset: u32, value: u32);
}

impl<R: Registers + ?Sized> Registers for &mut R {
    fn read(&mut self, offset: u32) -> u32 {
        (**self).read(offset)
    }

    fn write(&mut self, offset: u32, value: u32) {
        (**self).write(offset, value)
    }
}

/// Volatile memory-mapped access to a D_CAN module.
#[derive(Debug)]
pub struct Mmio {
    base: *mut u32,
}

impl Mmio {
    /// Accesses the module whose registers start at `base` (see [`crate::regs::base`]).
    ///
    /// # Safety
    ///
    /// `base` must be the mapped address of a D_CAN module (clock enabled, pins muxed),
    /// valid for volatile 32-bit access over its 512-byte register window for as long as
    /// this value lives, and no other code may drive the same module meanwhile.
    pub const unsafe fn new(base: usize) -> Self {
        Self {
            base: base as *mut u32,
        }
    }

    fn reg(&self, offset: u32) -> *mut u32 {
        // Offsets are word aligned and inside the module window (see `regs`), which the
        // caller of `new` vouched for.
        self.base.wrapping_byte_add(offset as usize)
    }
}

// SAFETY: `Mmio` only holds the address of a device; whoever owns the value owns the
// device (the contract of `new`), so moving it to another thread is sound.
unsafe impl Send for Mmio {}

impl Registers for Mmio {
    fn read(&mut self, offset: u32) -> u32 {
        // SAFETY: the address is inside the register window promised by `new`.
        unsafe { core::ptr::read_volatile(self.reg(offset)) }
    }

    fn write(&mut self, offset: u32, value: u32) {
        // SAFETY: as for `read`.
        unsafe { core::ptr::write_volatile(self.reg(offset), value) }
    }
}
