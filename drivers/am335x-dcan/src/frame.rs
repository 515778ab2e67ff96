//! The driver's CAN 2.0 frame: standard or extended identifier, data or remote frame,
//! DLC 0–8. It is plain data (`Copy`), so the driver and the model need no allocation.

use embedded_can::{ExtendedId, Id, StandardId};

use crate::regs::ifarb;

/// A classic CAN frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CanFrame {
    id: Id,
    remote: bool,
    dlc: u8,
    data: [u8; 8],
}

impl CanFrame {
    /// A data frame carrying `data` (at most 8 bytes); `None` if `data` is longer.
    pub fn data_frame(id: impl Into<Id>, data: &[u8]) -> Option<Self> {
        let mut bytes = [0; 8];
        bytes.get_mut(..data.len())?.copy_from_slice(data);
        Some(Self {
            id: id.into(),
            remote: false,
            dlc: data.len() as u8,
            data: bytes,
        })
    }

    /// A remote frame requesting `dlc` bytes (at most 8); `None` if `dlc` is larger.
    pub fn remote_frame(id: impl Into<Id>, dlc: usize) -> Option<Self> {
        (dlc <= 8).then(|| Self {
            id: id.into(),
            remote: true,
            dlc: dlc as u8,
            data: [0; 8],
        })
    }

    /// The identifier as the IFxARB/object ID field holds it (standard ids in bits 28:18),
    /// with Xtd set for extended ids.
    pub(crate) fn arb_id(&self) -> u32 {
        match self.id {
            Id::Standard(id) => u32::from(id.as_raw()) << ifarb::STD_ID_SHIFT,
            Id::Extended(id) => id.as_raw() | ifarb::XTD,
        }
    }

    /// Rebuilds a frame from an object's arbitration field, DLC and data bytes.
    /// A DLC above 8 means 8 bytes in classic CAN.
    pub(crate) fn from_parts(arb: u32, remote: bool, dlc: u32, data: [u8; 8]) -> Self {
        let raw = arb & ifarb::ID_MASK;
        let id = if arb & ifarb::XTD != 0 {
            Id::Extended(ExtendedId::new(raw).unwrap_or(ExtendedId::ZERO))
        } else {
            let raw = (raw >> ifarb::STD_ID_SHIFT) as u16;
            Id::Standard(StandardId::new(raw).unwrap_or(StandardId::ZERO))
        };
        Self {
            id,
            remote,
            dlc: dlc.min(8) as u8,
            data: if remote { [0; 8] } else { data },
        }
    }

    /// The eight data bytes as the object stores them (unused bytes are zero).
    pub(crate) fn raw_data(&self) -> [u8; 8] {
        self.data
    }
}

impl embedded_can::Frame for CanFrame {
    fn new(id: impl Into<Id>, data: &[u8]) -> Option<Self> {
        Self::data_frame(id, data)
    }

    fn new_remote(id: impl Into<Id>, dlc: usize) -> Option<Self> {
        Self::remote_frame(id, dlc)
    }

    fn is_extended(&self) -> bool {
        matches!(self.id, Id::Extended(_))
    }

    fn is_remote_frame(&self) -> bool {
        self.remote
    }

    fn id(&self) -> Id {
        self.id
    }

    fn dlc(&self) -> usize {
        usize::from(self.dlc)
    }

    fn data(&self) -> &[u8] {
        if self.remote {
            &[]
        } else {
            &self.data[..usize::from(self.dlc)]
        }
    }
}
