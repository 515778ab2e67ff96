//! Kernel acceptance filters (`CAN_RAW_FILTER`): `(id, mask, extended)` triples to
//! `can_filter` words. A frame passes when `frame_id & mask == id & mask`, where the
//! kernel's identifier word also carries the EFF (extended) and RTR flags.

use crate::error::Error;

/// Extended frame flag in a kernel CAN identifier word.
const CAN_EFF_FLAG: u32 = 0x8000_0000;
/// Standard identifier bits.
const CAN_SFF_MASK: u32 = 0x0000_07FF;
/// Extended identifier bits.
const CAN_EFF_MASK: u32 = 0x1FFF_FFFF;

/// The `(can_id, can_mask)` pair for a filter. The EFF flag is always in the mask so a
/// standard filter never passes extended frames and the other way round; RTR is left
/// out so data and remote frames both pass.
pub(crate) fn encode(id: u32, mask: u32, extended: bool) -> Result<(u32, u32), Error> {
    let id_bits = if extended { CAN_EFF_MASK } else { CAN_SFF_MASK };
    if id & !id_bits != 0 {
        return Err(Error::InvalidFilter { id, extended });
    }
    let flag = if extended { CAN_EFF_FLAG } else { 0 };
    Ok((id | flag, (mask & id_bits) | CAN_EFF_FLAG))
}

#[cfg(test)]
mod test {
    use super::*;

    /// The kernel's match rule (net/can/af_can.c).
    fn passes((id, mask): (u32, u32), frame_id: u32) -> bool {
        frame_id & mask == id & mask
    }

    #[test]
    fn a_standard_filter_matches_standard_ids_only() {
        let filter = encode(0x120, 0x7F0, false).expect("valid");
        assert_eq!(filter, (0x120, 0x8000_07F0));
        assert!(passes(filter, 0x12F));
        assert!(!passes(filter, 0x130));
        assert!(!passes(filter, 0x12F | CAN_EFF_FLAG));
        assert!(
            passes(filter, 0x12F | 0x4000_0000),
            "remote frames pass too"
        );
    }

    #[test]
    fn an_extended_filter_matches_extended_ids_only() {
        let filter = encode(0x18FF_0000, 0x1FFF_0000, true).expect("valid");
        assert!(passes(filter, 0x18FF_1234 | CAN_EFF_FLAG));
        assert!(!passes(filter, 0x18FE_1234 | CAN_EFF_FLAG));
        assert!(!passes(filter, 0x7FF));
    }

    #[test]
    fn ids_wider_than_their_format_are_rejected() {
        assert!(matches!(
            encode(0x800, 0x7FF, false),
            Err(Error::InvalidFilter {
                id: 0x800,
                extended: false
            })
        ));
        assert!(encode(0x2000_0000, 0, true).is_err());
        assert!(encode(0x1FFF_FFFF, 0, true).is_ok());
    }
}
