//! A classic CAN 2.0 frame: standard (11-bit) or extended (29-bit) identifier, data or
//! remote, 0–8 bytes; and its arbitration field as the bits a controller sends.

use embedded_can::{ExtendedId, Id, StandardId};

/// The most data a classic CAN frame carries.
pub const MAX_DATA: usize = 8;

/// A CAN 2.0A/2.0B frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CanFrame {
    id: Id,
    remote: bool,
    dlc: u8,
    data: [u8; MAX_DATA],
}

impl CanFrame {
    /// A standard-id data frame, or `None` if `id` > 0x7FF or more than 8 bytes.
    pub fn standard(id: u16, data: &[u8]) -> Option<Self> {
        embedded_can::Frame::new(StandardId::new(id)?, data)
    }

    /// An extended-id data frame, or `None` if `id` > 0x1FFF_FFFF or more than 8 bytes.
    pub fn extended(id: u32, data: &[u8]) -> Option<Self> {
        embedded_can::Frame::new(ExtendedId::new(id)?, data)
    }

    /// The identifier as a number, without saying which kind it is.
    pub fn raw_id(&self) -> u32 {
        match self.id {
            Id::Standard(id) => u32::from(id.as_raw()),
            Id::Extended(id) => id.as_raw(),
        }
    }

    /// The arbitration field as the bits on the wire, most significant first, padded to
    /// 32 bits: a smaller key wins arbitration, because dominant (0) beats recessive.
    ///
    /// Standard: `ID[10:0] RTR IDE=0`. Extended: `ID[28:18] SRR=1 IDE=1 ID[17:0] RTR`.
    /// So a lower identifier wins, a data frame beats a remote frame with the same id,
    /// and a standard frame beats an extended frame with the same base id (its RTR or
    /// IDE bit is dominant where the extended frame sends a recessive SRR or IDE).
    pub fn arbitration_key(&self) -> u32 {
        let rtr = u32::from(self.remote);
        match self.id {
            Id::Standard(id) => (u32::from(id.as_raw()) << 21) | (rtr << 20),
            Id::Extended(id) => {
                let raw = id.as_raw();
                let base = raw >> 18;
                let low = raw & 0x3_FFFF;
                (base << 21) | (1 << 20) | (1 << 19) | (low << 1) | rtr
            }
        }
    }
}

impl embedded_can::Frame for CanFrame {
    fn new(id: impl Into<Id>, data: &[u8]) -> Option<Self> {
        if data.len() > MAX_DATA {
            return None;
        }
        let mut bytes = [0; MAX_DATA];
        bytes[..data.len()].copy_from_slice(data);
        Some(Self {
            id: id.into(),
            remote: false,
            dlc: data.len() as u8,
            data: bytes,
        })
    }

    fn new_remote(id: impl Into<Id>, dlc: usize) -> Option<Self> {
        if dlc > MAX_DATA {
            return None;
        }
        Some(Self {
            id: id.into(),
            remote: true,
            dlc: dlc as u8,
            data: [0; MAX_DATA],
        })
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
        // A remote frame's DLC says how much it asks for; it carries none.
        if self.remote {
            &[]
        } else {
            &self.data[..usize::from(self.dlc)]
        }
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use embedded_can::Frame;

    fn remote(id: impl Into<Id>) -> CanFrame {
        CanFrame::new_remote(id, 0).unwrap()
    }

    #[test]
    fn lower_id_wins() {
        let a = CanFrame::standard(0x100, &[]).unwrap();
        let b = CanFrame::standard(0x101, &[]).unwrap();
        assert!(a.arbitration_key() < b.arbitration_key());
    }

    #[test]
    fn data_beats_remote_with_the_same_id() {
        let data = CanFrame::standard(0x100, &[1]).unwrap();
        let rtr = remote(StandardId::new(0x100).unwrap());
        assert!(data.arbitration_key() < rtr.arbitration_key());
        let data = CanFrame::extended(0x100, &[1]).unwrap();
        let rtr = remote(ExtendedId::new(0x100).unwrap());
        assert!(data.arbitration_key() < rtr.arbitration_key());
    }

    #[test]
    fn standard_beats_extended_with_the_same_base_id() {
        let extended = CanFrame::extended(0x100 << 18, &[]).unwrap();
        let standard_remote = remote(StandardId::new(0x100).unwrap());
        assert!(standard_remote.arbitration_key() < extended.arbitration_key());
        // …but a lower base id in an extended frame still wins.
        let low = CanFrame::extended(0x0FF << 18 | 0x3_FFFF, &[]).unwrap();
        assert!(low.arbitration_key() < standard_remote.arbitration_key());
    }

    #[test]
    fn oversized_frames_are_refused() {
        assert!(CanFrame::standard(0x800, &[]).is_none());
        assert!(CanFrame::standard(0x1, &[0; 9]).is_none());
        assert!(CanFrame::new_remote(StandardId::ZERO, 9).is_none());
    }

    #[test]
    fn a_remote_frame_carries_no_data() {
        let frame = CanFrame::new_remote(StandardId::ZERO, 4).unwrap();
        assert_eq!(frame.dlc(), 4);
        assert!(frame.data().is_empty());
    }
}
