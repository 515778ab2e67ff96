//! The driver's frame is the shared classic CAN frame (`kos-can-frame`); this module
//! adds what only a message object needs: the identifier as the IFxARB field holds it,
//! the eight data bytes as the object stores them, and a frame rebuilt from those.

use embedded_can::{ExtendedId, Frame, Id, StandardId};

pub use kos_can_frame::CanFrame;

use crate::regs::ifarb;

/// A frame as the fields of a D_CAN message object.
pub(crate) trait MessageObject: Sized {
    /// The identifier as the IFxARB/object ID field holds it (standard ids in bits
    /// 28:18), with Xtd set for extended ids.
    fn arb_id(&self) -> u32;
    /// The eight data bytes as the object stores them (unused bytes are zero).
    fn raw_data(&self) -> [u8; 8];
    /// Rebuilds a frame from an object's arbitration field, DLC and data bytes.
    /// A DLC above 8 means 8 bytes in classic CAN.
    fn from_parts(arb: u32, remote: bool, dlc: u32, data: [u8; 8]) -> Self;
}

impl MessageObject for CanFrame {
    fn arb_id(&self) -> u32 {
        match self.id() {
            Id::Standard(id) => u32::from(id.as_raw()) << ifarb::STD_ID_SHIFT,
            Id::Extended(id) => id.as_raw() | ifarb::XTD,
        }
    }

    fn raw_data(&self) -> [u8; 8] {
        let mut bytes = [0; 8];
        bytes[..self.data().len()].copy_from_slice(self.data());
        bytes
    }

    fn from_parts(arb: u32, remote: bool, dlc: u32, data: [u8; 8]) -> Self {
        let raw = arb & ifarb::ID_MASK;
        let id = if arb & ifarb::XTD != 0 {
            Id::Extended(ExtendedId::new(raw).unwrap_or(ExtendedId::ZERO))
        } else {
            let raw = (raw >> ifarb::STD_ID_SHIFT) as u16;
            Id::Standard(StandardId::new(raw).unwrap_or(StandardId::ZERO))
        };
        let dlc = dlc.min(8) as usize;
        let frame = if remote {
            CanFrame::remote_frame(id, dlc)
        } else {
            CanFrame::data_frame(id, &data[..dlc])
        };
        // Both constructors accept a DLC of at most 8.
        frame.unwrap_or_else(|| unreachable!("a DLC of at most 8 is a valid frame"))
    }
}
