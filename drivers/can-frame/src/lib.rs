//! One classic CAN 2.0 frame type: standard (11-bit) or extended (29-bit) identifier,
//! data or remote, 0–8 bytes, plain `Copy` data implementing `embedded_can::Frame`.
//!
//! The AM335x D_CAN driver, the simulated bus and the CAN service all use it, so a
//! frame moves between them without conversion; other backends' frame types (a
//! SocketCAN frame, say) convert with [`CanFrame::from_frame`] and
//! [`CanFrame::to_frame`]. Construction refuses more than 8 data bytes, so every
//! `CanFrame` is valid, and bytes past the DLC are zero, so equal frames compare equal.
#![no_std]

use embedded_can::{ExtendedId, Frame, Id, StandardId};

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
    /// A data frame carrying `data`; `None` if it is longer than 8 bytes.
    pub fn data_frame(id: impl Into<Id>, data: &[u8]) -> Option<Self> {
        let mut bytes = [0; MAX_DATA];
        bytes.get_mut(..data.len())?.copy_from_slice(data);
        Some(CanFrame {
            id: id.into(),
            remote: false,
            dlc: data.len() as u8,
            data: bytes,
        })
    }

    /// A remote frame asking for `dlc` bytes; `None` if `dlc` is above 8.
    pub fn remote_frame(id: impl Into<Id>, dlc: usize) -> Option<Self> {
        (dlc <= MAX_DATA).then(|| CanFrame {
            id: id.into(),
            remote: true,
            dlc: dlc as u8,
            data: [0; MAX_DATA],
        })
    }

    /// A standard-id data frame, or `None` if `id` > 0x7FF or more than 8 bytes.
    pub fn standard(id: u16, data: &[u8]) -> Option<Self> {
        Self::data_frame(StandardId::new(id)?, data)
    }

    /// An extended-id data frame, or `None` if `id` > 0x1FFF_FFFF or more than 8 bytes.
    pub fn extended(id: u32, data: &[u8]) -> Option<Self> {
        Self::data_frame(ExtendedId::new(id)?, data)
    }

    /// The identifier as a number (11 or 29 bits; [`Frame::is_extended`] says which).
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

    /// Copies any `embedded_can` frame; `None` if it has more than 8 data bytes (a
    /// CAN FD frame, which classic CAN does not carry).
    pub fn from_frame<F: Frame>(frame: &F) -> Option<Self> {
        if frame.is_remote_frame() {
            Self::remote_frame(frame.id(), frame.dlc())
        } else {
            Self::data_frame(frame.id(), frame.data())
        }
    }

    /// This frame as another `embedded_can` frame type (`None` only if that type
    /// refuses it).
    pub fn to_frame<F: Frame>(&self) -> Option<F> {
        if self.remote {
            F::new_remote(self.id, self.dlc.into())
        } else {
            F::new(self.id, self.data())
        }
    }
}

impl Frame for CanFrame {
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
        self.dlc.into()
    }

    /// The data bytes; none for a remote frame, whose DLC is the length asked for.
    fn data(&self) -> &[u8] {
        if self.remote {
            &[]
        } else {
            &self.data[..self.dlc.into()]
        }
    }
}

#[cfg(test)]
mod arbitration {
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

#[cfg(test)]
mod conversion {
    use embedded_can::{ExtendedId, StandardId};

    use super::*;

    /// Another backend's frame type, as SocketCAN's would be.
    #[derive(Debug, PartialEq)]
    struct Other {
        id: Id,
        remote: bool,
        dlc: usize,
        data: [u8; 64],
    }

    impl embedded_can::Frame for Other {
        fn new(id: impl Into<Id>, data: &[u8]) -> Option<Self> {
            let mut bytes = [0; 64];
            bytes.get_mut(..data.len())?.copy_from_slice(data);
            let (id, dlc) = (id.into(), data.len());
            Some(Other {
                id,
                remote: false,
                dlc,
                data: bytes,
            })
        }
        fn new_remote(id: impl Into<Id>, dlc: usize) -> Option<Self> {
            let id = id.into();
            Some(Other {
                id,
                remote: true,
                dlc,
                data: [0; 64],
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
            self.dlc
        }
        fn data(&self) -> &[u8] {
            &self.data[..if self.remote { 0 } else { self.dlc }]
        }
    }

    #[test]
    fn frames_convert_to_and_from_other_frame_types() {
        let std_id = StandardId::new(0x123).unwrap();
        let ext_id = ExtendedId::new(0x1ABC_DEF0).unwrap();
        let data = CanFrame::new(std_id, &[1, 2, 3]).unwrap();
        let remote = CanFrame::new_remote(ext_id, 4).unwrap();
        for frame in [data, remote] {
            let other: Other = frame.to_frame().unwrap();
            assert_eq!(CanFrame::from_frame(&other), Some(frame));
        }
        assert_eq!(
            (data.raw_id(), data.is_extended(), data.data()),
            (0x123, false, &[1, 2, 3][..])
        );
        assert_eq!(
            (remote.raw_id(), remote.is_extended(), remote.dlc()),
            (0x1ABC_DEF0, true, 4)
        );
        assert!(remote.data().is_empty());
    }

    #[test]
    fn more_than_eight_bytes_is_not_a_classic_frame() {
        let id = StandardId::new(1).unwrap();
        assert!(CanFrame::new(id, &[0; 9]).is_none());
        assert!(CanFrame::new_remote(id, 9).is_none());
        let fd = Other::new(id, &[0; 12]).unwrap();
        assert_eq!(CanFrame::from_frame(&fd), None);
    }
}
