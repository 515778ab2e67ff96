//! The BME280's trimming parameters (datasheet BST-BME280-DS002 §4.2.2, table 16) and
//! their layout in the two calibration blocks, including the humidity block's odd
//! packing of dig_H4 and dig_H5 into three bytes.

use super::registers::{CALIB_HUM_LEN, CALIB_TP_LEN};

/// The compensation constants a BME280 carries in its NVM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Calibration {
    /// dig_T1 (0x88/0x89).
    pub dig_t1: u16,
    /// dig_T2 (0x8A/0x8B).
    pub dig_t2: i16,
    /// dig_T3 (0x8C/0x8D).
    pub dig_t3: i16,
    /// dig_P1 (0x8E/0x8F).
    pub dig_p1: u16,
    /// dig_P2 (0x90/0x91).
    pub dig_p2: i16,
    /// dig_P3 (0x92/0x93).
    pub dig_p3: i16,
    /// dig_P4 (0x94/0x95).
    pub dig_p4: i16,
    /// dig_P5 (0x96/0x97).
    pub dig_p5: i16,
    /// dig_P6 (0x98/0x99).
    pub dig_p6: i16,
    /// dig_P7 (0x9A/0x9B).
    pub dig_p7: i16,
    /// dig_P8 (0x9C/0x9D).
    pub dig_p8: i16,
    /// dig_P9 (0x9E/0x9F).
    pub dig_p9: i16,
    /// dig_H1 (0xA1).
    pub dig_h1: u8,
    /// dig_H2 (0xE1/0xE2).
    pub dig_h2: i16,
    /// dig_H3 (0xE3).
    pub dig_h3: u8,
    /// dig_H4, 12-bit signed: 0xE4 holds bits 11:4, 0xE5 bits 3:0 its bits 3:0.
    pub dig_h4: i16,
    /// dig_H5, 12-bit signed: 0xE5 bits 7:4 hold bits 3:0, 0xE6 bits 11:4.
    pub dig_h5: i16,
    /// dig_H6 (0xE7).
    pub dig_h6: i8,
}

impl Calibration {
    /// The model's part: T and P from the BMP280 datasheet's worked example
    /// (BST-BMP280-DS001 §3.12), H values typical of shipped BME280 parts.
    pub const TYPICAL: Self = Self {
        dig_t1: 27504,
        dig_t2: 26435,
        dig_t3: -1000,
        dig_p1: 36477,
        dig_p2: -10685,
        dig_p3: 3024,
        dig_p4: 2855,
        dig_p5: 140,
        dig_p6: -7,
        dig_p7: 15500,
        dig_p8: -14600,
        dig_p9: 6000,
        dig_h1: 75,
        dig_h2: 362,
        dig_h3: 0,
        dig_h4: 313,
        dig_h5: 50,
        dig_h6: 30,
    };

    /// Reads the constants from the two blocks a driver burst-reads: 26 bytes from 0x88
    /// and 7 bytes from 0xE1.
    pub fn from_registers(tp: &[u8; CALIB_TP_LEN], hum: &[u8; CALIB_HUM_LEN]) -> Self {
        let u16_at = |i: usize| u16::from_le_bytes([tp[i], tp[i + 1]]);
        let i16_at = |i: usize| i16::from_le_bytes([tp[i], tp[i + 1]]);
        // The MSB byte of H4/H5 is signed; shifting it as i8 keeps the sign (§4.2.2 note).
        let h4 = (i16::from(hum[3] as i8) << 4) | i16::from(hum[4] & 0x0F);
        let h5 = (i16::from(hum[5] as i8) << 4) | i16::from(hum[4] >> 4);
        Self {
            dig_t1: u16_at(0),
            dig_t2: i16_at(2),
            dig_t3: i16_at(4),
            dig_p1: u16_at(6),
            dig_p2: i16_at(8),
            dig_p3: i16_at(10),
            dig_p4: i16_at(12),
            dig_p5: i16_at(14),
            dig_p6: i16_at(16),
            dig_p7: i16_at(18),
            dig_p8: i16_at(20),
            dig_p9: i16_at(22),
            dig_h1: tp[25],
            dig_h2: i16::from_le_bytes([hum[0], hum[1]]),
            dig_h3: hum[2],
            dig_h4: h4,
            dig_h5: h5,
            dig_h6: hum[6] as i8,
        }
    }

    /// The two register blocks as the NVM image holds them (0x88.. and 0xE1..).
    /// dig_H4 and dig_H5 keep their low 12 bits, the width the registers have.
    pub fn to_registers(&self) -> ([u8; CALIB_TP_LEN], [u8; CALIB_HUM_LEN]) {
        let mut tp = [0u8; CALIB_TP_LEN];
        let words: [[u8; 2]; 12] = [
            self.dig_t1.to_le_bytes(),
            self.dig_t2.to_le_bytes(),
            self.dig_t3.to_le_bytes(),
            self.dig_p1.to_le_bytes(),
            self.dig_p2.to_le_bytes(),
            self.dig_p3.to_le_bytes(),
            self.dig_p4.to_le_bytes(),
            self.dig_p5.to_le_bytes(),
            self.dig_p6.to_le_bytes(),
            self.dig_p7.to_le_bytes(),
            self.dig_p8.to_le_bytes(),
            self.dig_p9.to_le_bytes(),
        ];
        for (chunk, word) in tp.chunks_exact_mut(2).zip(words.iter()) {
            chunk.copy_from_slice(word);
        }
        // 0xA0 is unused; 0xA1 holds dig_H1.
        tp[25] = self.dig_h1;
        let [h2_lsb, h2_msb] = self.dig_h2.to_le_bytes();
        let hum = [
            h2_lsb,
            h2_msb,
            self.dig_h3,
            (self.dig_h4 >> 4) as u8,
            ((self.dig_h4 & 0x0F) as u8) | (((self.dig_h5 & 0x0F) as u8) << 4),
            (self.dig_h5 >> 4) as u8,
            self.dig_h6 as u8,
        ];
        (tp, hum)
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn registers_round_trip() {
        let (tp, hum) = Calibration::TYPICAL.to_registers();
        assert_eq!(Calibration::from_registers(&tp, &hum), Calibration::TYPICAL);
    }

    #[test]
    fn negative_h4_and_h5_survive_the_packing() {
        let calibration = Calibration {
            dig_h4: -1234,
            dig_h5: -7,
            ..Calibration::TYPICAL
        };
        let (tp, hum) = calibration.to_registers();
        assert_eq!(Calibration::from_registers(&tp, &hum), calibration);
    }

    #[test]
    fn h4_h5_packing_matches_the_datasheet_layout() {
        // H4 = 0x123, H5 = 0x456: E4 = 0x12, E5 = 0x63 (H5[3:0] << 4 | H4[3:0]), E6 = 0x45.
        let calibration = Calibration {
            dig_h4: 0x123,
            dig_h5: 0x456,
            ..Calibration::TYPICAL
        };
        let (_, hum) = calibration.to_registers();
        assert_eq!(&hum[3..6], &[0x12, 0x63, 0x45]);
    }
}
