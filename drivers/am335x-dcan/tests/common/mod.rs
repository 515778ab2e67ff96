//! Helpers shared by the integration tests: a driver on a fresh model, and ids.

#![allow(dead_code)]

use am335x_dcan::model::DcanModel;
use am335x_dcan::{CanFrame, Config, Dcan};
use embedded_can::{ExtendedId, Frame, StandardId};

/// A driver initialised on a fresh model.
pub fn started(config: Config) -> Dcan<DcanModel> {
    let mut can = Dcan::new(DcanModel::new(), config);
    can.init().expect("init on the model");
    can
}

/// A standard identifier.
pub fn sid(raw: u16) -> StandardId {
    StandardId::new(raw).expect("11-bit id")
}

/// An extended identifier.
pub fn eid(raw: u32) -> ExtendedId {
    ExtendedId::new(raw).expect("29-bit id")
}

/// A standard data frame.
pub fn data(raw: u16, bytes: &[u8]) -> CanFrame {
    CanFrame::new(sid(raw), bytes).expect("at most 8 bytes")
}
