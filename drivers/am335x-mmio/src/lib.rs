//! The AM335x drivers' only way to the hardware: 32-bit register reads and writes by
//! offset from a module's base.
//!
//! On the board that is [`Mmio`], volatile accesses to the memory-mapped module; in
//! tests it is each driver's register model, which behaves as the TRM describes.
//! Keeping the seam this narrow is what lets the same driver code run against both.
//! `read` takes `&mut self` because reads have side effects on these controllers
//! (reading D_CAN's ES clears TxOk/RxOk and the last error code).
#![no_std]

/// Access to a controller's registers, by offset from the module base.
pub trait Registers {
    /// Reads the 32-bit register at `offset`.
    fn read(&mut self, offset: u32) -> u32;
    /// Writes `value` to the 32-bit register at `offset`.
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

/// The real controller: volatile 32-bit accesses relative to a module base address.
#[derive(Debug)]
pub struct Mmio {
    // An address rather than a pointer keeps `Mmio` `Send`, so a driver can be handed
    // to the thread that owns the bus.
    base: usize,
}

impl Mmio {
    /// Accesses the module whose registers start at `base`.
    ///
    /// # Safety
    ///
    /// `base` must be the mapped register block of a clocked AM335x module, valid for
    /// volatile 32-bit accesses at every offset its driver uses for as long as the
    /// `Mmio` lives, and nothing else may drive that module meanwhile.
    pub const unsafe fn new(base: usize) -> Self {
        Self { base }
    }

    /// The module base address.
    pub fn base(&self) -> usize {
        self.base
    }
}

impl Registers for Mmio {
    fn read(&mut self, offset: u32) -> u32 {
        let address = self.base + offset as usize;
        // SAFETY: `new`'s contract makes every register offset a valid MMIO address.
        unsafe { core::ptr::read_volatile(address as *const u32) }
    }

    fn write(&mut self, offset: u32, value: u32) {
        let address = self.base + offset as usize;
        // SAFETY: as in `read`.
        unsafe { core::ptr::write_volatile(address as *mut u32, value) }
    }
}
