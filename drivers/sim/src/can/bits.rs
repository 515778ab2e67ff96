//! How many bits a frame occupies on the wire (ISO 11898-1): SOF, arbitration, control,
//! data and CRC with their stuff bits, then CRC delimiter, ACK slot, ACK delimiter, EOF
//! and the 3-bit intermission. The CRC-15 is computed so the stuff bits are counted
//! exactly, not estimated.

use super::frame::CanFrame;
use embedded_can::{Frame, Id};

/// CRC delimiter, ACK slot, ACK delimiter, 7 EOF bits and 3 intermission bits.
pub const TAIL_BITS: u32 = 1 + 1 + 1 + 7 + 3;
/// An error flag (6), error delimiter (8) and intermission (3).
pub const ERROR_FRAME_BITS: u32 = 6 + 8 + 3;
/// The extra wait an error-passive node takes after transmitting (suspend transmission).
pub const SUSPEND_BITS: u32 = 8;
/// Consecutive recessive bits that let a bus-off node count one step of recovery.
pub const RECOVERY_SEQUENCE_BITS: u32 = 11;
/// Recovery sequences a bus-off node must see before it may rejoin.
pub const RECOVERY_SEQUENCES: u32 = 128;

/// CRC-15/CAN generator x¹⁵+x¹⁴+x¹⁰+x⁸+x⁷+x⁴+x³+1.
const CRC15_POLY: u16 = 0x4599;

/// The bits a frame takes, split as the CAN standard describes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameBits {
    /// SOF through the CRC sequence, before stuffing.
    pub unstuffed: u32,
    /// Stuff bits inserted into that part.
    pub stuff: u32,
    /// Stuffed header: SOF through the control field (where an early error is seen).
    pub header: u32,
    /// Everything including the intermission.
    pub total: u32,
}

/// Bits in order, first bit most significant. A classic frame's stuffed part is at
/// most 118 bits, so one `u128` holds it.
#[derive(Default)]
struct BitString {
    bits: u128,
    len: u32,
}

impl BitString {
    fn push(&mut self, value: u32, width: u32) {
        let mask = (1u128 << width) - 1;
        self.bits = (self.bits << width) | (u128::from(value) & mask);
        self.len += width;
    }

    fn bit(&self, index: u32) -> bool {
        (self.bits >> (self.len - 1 - index)) & 1 == 1
    }
}

/// Counts the bits of `frame` on the wire.
pub fn frame_bits(frame: &CanFrame) -> FrameBits {
    let mut bits = BitString::default();
    bits.push(0, 1); // SOF, dominant
    let rtr = u32::from(frame.is_remote_frame());
    match frame.id() {
        Id::Standard(id) => {
            bits.push(u32::from(id.as_raw()), 11);
            bits.push(rtr, 1);
            bits.push(0, 1); // IDE: dominant for standard
            bits.push(0, 1); // r0
        }
        Id::Extended(id) => {
            bits.push(id.as_raw() >> 18, 11);
            bits.push(1, 1); // SRR, recessive
            bits.push(1, 1); // IDE, recessive for extended
            bits.push(id.as_raw() & 0x3_FFFF, 18);
            bits.push(rtr, 1);
            bits.push(0, 2); // r1, r0
        }
    }
    bits.push(frame.dlc() as u32, 4);
    let header_len = bits.len;
    for &byte in frame.data() {
        bits.push(u32::from(byte), 8);
    }
    let crc = crc15(&bits);
    bits.push(u32::from(crc), 15);
    let (stuff, header_stuff) = stuff_bits(&bits, header_len);
    FrameBits {
        unstuffed: bits.len,
        stuff,
        header: header_len + header_stuff,
        total: bits.len + stuff + TAIL_BITS,
    }
}

/// The worst case the stuffing can reach for a frame of this shape: one stuff bit per
/// four bits after the first (Davis et al., 2007), for comparison with the exact count.
pub fn worst_case_bits(frame: &CanFrame) -> u32 {
    let header = if frame.is_extended() { 39 } else { 19 };
    let stuffable = header + 8 * frame.data().len() as u32 + 15;
    stuffable + (stuffable - 1) / 4 + TAIL_BITS
}

fn crc15(bits: &BitString) -> u16 {
    let mut crc: u16 = 0;
    for i in 0..bits.len {
        let next = bits.bit(i) ^ (crc >> 14 & 1 == 1);
        crc = (crc << 1) & 0x7FFF;
        if next {
            crc ^= CRC15_POLY;
        }
    }
    crc
}

/// Stuff bits in the whole string, and in its first `header_len` bits. After five equal
/// bits the transmitter inserts their complement, which starts the next run.
fn stuff_bits(bits: &BitString, header_len: u32) -> (u32, u32) {
    let (mut stuff, mut header_stuff) = (0, 0);
    let mut last = None;
    let mut run = 0;
    for i in 0..bits.len {
        let bit = bits.bit(i);
        if last == Some(bit) {
            run += 1;
        } else {
            last = Some(bit);
            run = 1;
        }
        if run == 5 {
            stuff += 1;
            if i < header_len {
                header_stuff += 1;
            }
            last = Some(!bit);
            run = 1;
        }
    }
    (stuff, header_stuff)
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn an_all_zero_frame_has_a_stuff_bit_every_five_bits() {
        // id 0, no data: 34 dominant bits (CRC of zeros is zero) → stuff after bits
        // 5, 10, …, 30 = 6; 34 + 6 + 13 = 53.
        let frame = CanFrame::standard(0, &[]).unwrap();
        let bits = frame_bits(&frame);
        assert_eq!(bits.unstuffed, 34);
        assert_eq!(bits.stuff, 6);
        assert_eq!(bits.total, 53);
        // SOF + 18 control/arbitration bits = 19 zeros: stuff after 5, 10, 15.
        assert_eq!(bits.header, 22);
    }

    #[test]
    fn exact_counts_never_exceed_the_worst_case() {
        for id in (0..0x800u16).step_by(37) {
            for len in 0..=8usize {
                let data = [0xFFu8, 0x00, 0xAA, 0x0F, 0xF0, 0x55, 0x80, 0x01];
                let frame = CanFrame::standard(id, &data[..len]).unwrap();
                assert!(frame_bits(&frame).total <= worst_case_bits(&frame));
            }
        }
    }

    #[test]
    fn crc15_gives_the_catalogued_check_value() {
        // CRC-15/CAN of ASCII "123456789" is 0x059E (Williams/Cook CRC catalogue).
        let mut bits = BitString::default();
        for byte in b"123456789" {
            bits.push(u32::from(*byte), 8);
        }
        assert_eq!(crc15(&bits), 0x059E);
    }

    #[test]
    fn worst_cases_match_the_literature() {
        // Davis et al.: 135 bits for 8 bytes standard, 160 extended.
        let standard = CanFrame::standard(0, &[0; 8]).unwrap();
        let extended = CanFrame::extended(0, &[0; 8]).unwrap();
        assert_eq!(worst_case_bits(&standard), 135);
        assert_eq!(worst_case_bits(&extended), 160);
    }
}
