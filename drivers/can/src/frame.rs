//! A classic CAN frame as the service keeps it: small, `Copy`, and the same for every
//! backend.
//!
//! Each backend has its own frame type (SocketCAN's, the DCAN driver's, the
//! simulator's), all implementing `embedded_can::Frame`; the server's wrapper converts
//! with [`Frame::from_frame`] and [`Frame::to_frame`], so queues and records never
//! depend on a backend. Construction goes through `embedded_can::Frame::new` /
//! `new_remote`, which refuse more than 8 data bytes, so every `Frame` is valid.

use embedded_can::{Frame as CanFrame, Id};

/// Most data bytes in a classic CAN frame.
pub const MAX_DATA: usize = 8;

/// A classic CAN data or remote frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Frame {
    id: Id,
    remote: bool,
    dlc: u8,
    /// Bytes past `dlc` (all of them for a remote frame) are zero, so equal frames
    /// compare equal.
    data: [u8; MAX_DATA],
}

impl Frame {
    /// The identifier as a number (11 or 29 bits; [`CanFrame::is_extended`] says
    /// which).
    pub fn raw_id(&self) -> u32 {
        match self.id {
            Id::Standard(id) => id.as_raw().into(),
            Id::Extended(id) => id.as_raw(),
        }
    }

    /// Copies any `embedded_can` frame; `None` if it has more than 8 data bytes (a
    /// CAN FD frame, which this service does not carry).
    pub fn from_frame<F: CanFrame>(frame: &F) -> Option<Self> {
        if frame.is_remote_frame() {
            Self::new_remote(frame.id(), frame.dlc())
        } else {
            Self::new(frame.id(), frame.data())
        }
    }

    /// This frame as another `embedded_can` frame type (`None` only if that type
    /// refuses it).
    pub fn to_frame<F: CanFrame>(&self) -> Option<F> {
        if self.remote {
            F::new_remote(self.id, self.dlc.into())
        } else {
            F::new(self.id, self.data())
        }
    }
}

impl CanFrame for Frame {
    fn new(id: impl Into<Id>, data: &[u8]) -> Option<Self> {
        let dlc = u8::try_from(data.len())
            .ok()
            .filter(|&n| usize::from(n) <= MAX_DATA)?;
        let mut bytes = [0; MAX_DATA];
        bytes[..data.len()].copy_from_slice(data);
        Some(Frame {
            id: id.into(),
            remote: false,
            dlc,
            data: bytes,
        })
    }

    fn new_remote(id: impl Into<Id>, dlc: usize) -> Option<Self> {
        let dlc = u8::try_from(dlc)
            .ok()
            .filter(|&n| usize::from(n) <= MAX_DATA)?;
        Some(Frame {
            id: id.into(),
            remote: true,
            dlc,
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
        self.dlc.into()
    }

    /// The data bytes; none for a remote frame, whose `dlc` is the length asked for.
    fn data(&self) -> &[u8] {
        if self.remote {
            &[]
        } else {
            &self.data[..self.dlc.into()]
        }
    }
}

#[cfg(test)]
mod test {
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

    impl CanFrame for Other {
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
        let data = Frame::new(std_id, &[1, 2, 3]).unwrap();
        let remote = Frame::new_remote(ext_id, 4).unwrap();
        for frame in [data, remote] {
            let other: Other = frame.to_frame().unwrap();
            assert_eq!(Frame::from_frame(&other), Some(frame));
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
        assert!(Frame::new(id, &[0; 9]).is_none());
        assert!(Frame::new_remote(id, 9).is_none());
        let fd = Other::new(id, &[0; 12]).unwrap();
        assert_eq!(Frame::from_frame(&fd), None);
    }
}
