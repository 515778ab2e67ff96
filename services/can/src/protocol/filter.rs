//! Acceptance filters: which frames a client receives.
//!
//! The layout and the rule are SocketCAN's `struct can_filter`, so a filter set that
//! works there works here. A filter is 8 bytes, `[id u32 LE][mask u32 LE]`, both in
//! the record's id-word form (bits 0..29 identifier, bit 30 remote, bit 31
//! extended). A frame is accepted when, on every bit set in the mask, its id word
//! equals the filter's id: so mask bit 31 set means "the extended flag must match",
//! mask bit 30 "the remote flag must match". Bit 29 is ignored.

use crate::protocol::{EXTENDED_FLAG, ID_MASK, REMOTE_FLAG};
use crate::Frame;
use embedded_can::Frame as _;

/// Bytes in one filter.
pub const FILTER_LEN: usize = 8;
/// Most filters a client has.
pub const MAX_FILTERS: usize = 16;

/// One acceptance filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Filter {
    /// The id word a frame's must equal on the mask's bits.
    pub id: u32,
    /// Which bits must match.
    pub mask: u32,
}

impl Filter {
    /// Accepts every frame.
    pub const ACCEPT_ALL: Filter = Filter { id: 0, mask: 0 };

    /// Standard-identifier frames whose identifier equals `id` on `mask`'s bits.
    pub const fn standard(id: u16, mask: u16) -> Self {
        Filter {
            id: id as u32 & 0x7FF,
            mask: mask as u32 & 0x7FF | EXTENDED_FLAG,
        }
    }

    /// Extended-identifier frames whose identifier equals `id` on `mask`'s bits.
    pub const fn extended(id: u32, mask: u32) -> Self {
        Filter {
            id: id & ID_MASK | EXTENDED_FLAG,
            mask: mask & ID_MASK | EXTENDED_FLAG,
        }
    }

    /// Does this filter accept `frame`?
    pub fn matches(&self, frame: &Frame) -> bool {
        let mut word = frame.raw_id();
        if frame.is_extended() {
            word |= EXTENDED_FLAG;
        }
        if frame.is_remote_frame() {
            word |= REMOTE_FLAG;
        }
        (word ^ self.id) & self.mask & (ID_MASK | EXTENDED_FLAG | REMOTE_FLAG) == 0
    }

    /// The wire form.
    pub fn encode(&self) -> [u8; FILTER_LEN] {
        let mut out = [0; FILTER_LEN];
        out[..4].copy_from_slice(&self.id.to_le_bytes());
        out[4..].copy_from_slice(&self.mask.to_le_bytes());
        out
    }

    /// Reads a filter (every bit pattern is one).
    pub fn decode(bytes: &[u8; FILTER_LEN]) -> Self {
        let [i0, i1, i2, i3, m0, m1, m2, m3] = *bytes;
        Filter {
            id: u32::from_le_bytes([i0, i1, i2, i3]),
            mask: u32::from_le_bytes([m0, m1, m2, m3]),
        }
    }
}

#[cfg(test)]
mod test {
    use embedded_can::{ExtendedId, StandardId};

    use super::*;

    fn std(id: u16) -> Frame {
        Frame::new(StandardId::new(id).unwrap(), &[1]).unwrap()
    }

    fn ext(id: u32) -> Frame {
        Frame::new(ExtendedId::new(id).unwrap(), &[1]).unwrap()
    }

    #[test]
    fn filters_follow_socketcan() {
        let all = Filter::ACCEPT_ALL;
        assert!(all.matches(&std(0x123)) && all.matches(&ext(0x123)));
        let range = Filter::standard(0x120, 0x7F0);
        assert!(range.matches(&std(0x120)) && range.matches(&std(0x12F)));
        assert!(!range.matches(&std(0x130)));
        assert!(!range.matches(&ext(0x120)), "the extended flag must match");
        let either = Filter {
            id: 0x120,
            mask: 0x7F0,
        };
        assert!(
            either.matches(&ext(0x120)),
            "no flag in the mask: either kind"
        );
        let one = Filter::extended(0x1ABC_DEF0, ID_MASK);
        assert!(one.matches(&ext(0x1ABC_DEF0)) && !one.matches(&ext(0x1ABC_DEF1)));
        let remote = Frame::new_remote(StandardId::new(0x120).unwrap(), 1).unwrap();
        let data_only = Filter {
            id: 0x120,
            mask: 0x7FF | EXTENDED_FLAG | REMOTE_FLAG,
        };
        assert!(data_only.matches(&std(0x120)) && !data_only.matches(&remote));
        let everything_exact = Filter {
            id: 0x120,
            mask: u32::MAX,
        };
        assert!(everything_exact.matches(&std(0x120)), "bit 29 is ignored");
    }

    #[test]
    fn filters_round_trip() {
        let filter = Filter::extended(0x1234_5678, 0x1FFF_FF00);
        let bytes = filter.encode();
        assert_eq!(bytes, [0x78, 0x56, 0x34, 0x92, 0x00, 0xFF, 0xFF, 0x9F]);
        assert_eq!(Filter::decode(&bytes), filter);
    }
}
