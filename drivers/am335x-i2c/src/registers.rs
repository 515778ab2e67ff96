//! Register access, shared with the other AM335x drivers (`am335x-mmio`): [`Mmio`] on
//! the board, [`crate::model::Am335xI2cModel`] in tests; offsets are in [`crate::regs`]
//! (e.g. [`crate::regs::I2C2_BASE`] for `Mmio::new`).

pub use am335x_mmio::{Mmio, Registers};
