//! Acceptance filters: which frames a node's controller keeps. A frame passes if any
//! filter in the node's list matches; an empty list keeps nothing, as on controllers
//! whose filter banks are all disabled.

use super::frame::CanFrame;
use embedded_can::Frame;

/// The most filters a node can hold (bxCAN has 14 banks; the sim allows a few more).
pub const MAX_FILTERS: usize = 16;

/// Which identifier kinds a filter matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Standard,
    Extended,
    Any,
}

/// An id/mask filter: a frame matches if its id agrees with `id` on every bit set in
/// `mask` and it has the right identifier kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Filter {
    id: u32,
    mask: u32,
    kind: Kind,
}

impl Filter {
    /// Matches every frame.
    pub const ACCEPT_ALL: Self = Self {
        id: 0,
        mask: 0,
        kind: Kind::Any,
    };

    /// Standard frames whose 11-bit id matches `id` under `mask`.
    pub fn standard(id: u16, mask: u16) -> Self {
        Self {
            id: u32::from(id & 0x7FF),
            mask: u32::from(mask & 0x7FF),
            kind: Kind::Standard,
        }
    }

    /// Extended frames whose 29-bit id matches `id` under `mask`.
    pub fn extended(id: u32, mask: u32) -> Self {
        Self {
            id: id & 0x1FFF_FFFF,
            mask: mask & 0x1FFF_FFFF,
            kind: Kind::Extended,
        }
    }

    /// Whether `frame` passes this filter.
    pub fn matches(&self, frame: &CanFrame) -> bool {
        let kind_ok = match self.kind {
            Kind::Any => true,
            Kind::Standard => frame.is_standard(),
            Kind::Extended => frame.is_extended(),
        };
        kind_ok && (frame.raw_id() ^ self.id) & self.mask == 0
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn masks_select_id_ranges_of_one_kind() {
        let filter = Filter::standard(0x100, 0x7F0);
        assert!(filter.matches(&CanFrame::standard(0x10F, &[]).unwrap()));
        assert!(!filter.matches(&CanFrame::standard(0x110, &[]).unwrap()));
        assert!(!filter.matches(&CanFrame::extended(0x100, &[]).unwrap()));
        assert!(Filter::ACCEPT_ALL.matches(&CanFrame::extended(0x1234_5678, &[]).unwrap()));
    }
}
