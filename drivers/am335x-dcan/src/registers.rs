//! Register access, shared with the other AM335x drivers (`am335x-mmio`): [`Mmio`] on
//! the board, [`crate::model::DcanModel`] in tests; offsets are in [`crate::regs`]
//! (see [`crate::regs::base`] for `Mmio::new`).

pub use am335x_mmio::{Mmio, Registers};
