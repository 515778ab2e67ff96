//! The BME280's register map and bit fields (datasheet BST-BME280-DS002 §5.3, table 18).

/// I2C address with SDO tied to GND.
pub const ADDRESS_PRIMARY: u8 = 0x76;
/// I2C address with SDO tied to VDDIO.
pub const ADDRESS_SECONDARY: u8 = 0x77;

/// First register of the temperature/pressure calibration block (calib00).
pub const CALIB_TP: u8 = 0x88;
/// Length of the block at 0x88 (calib00..calib25).
pub const CALIB_TP_LEN: usize = 26;
/// chip id register.
pub const ID: u8 = 0xD0;
/// The value of `id` for a BME280 (a BMP280 reads 0x58).
pub const CHIP_ID: u8 = 0x60;
/// Soft reset register.
pub const RESET: u8 = 0xE0;
/// Writing this to `reset` runs the power-on-reset procedure.
pub const RESET_COMMAND: u8 = 0xB6;
/// First register of the humidity calibration block (calib26).
pub const CALIB_HUM: u8 = 0xE1;
/// Length of the block at 0xE1 that holds dig_H2..dig_H6.
pub const CALIB_HUM_LEN: usize = 7;
/// ctrl_hum: osrs_h in bits 2:0.
pub const CTRL_HUM: u8 = 0xF2;
/// status: `measuring` and `im_update`.
pub const STATUS: u8 = 0xF3;
/// ctrl_meas: osrs_t 7:5, osrs_p 4:2, mode 1:0.
pub const CTRL_MEAS: u8 = 0xF4;
/// config: t_sb 7:5, filter 4:2, spi3w_en 0.
pub const CONFIG: u8 = 0xF5;
/// press_msb, the first data register; a burst read of 8 bytes covers P, T and H.
pub const DATA: u8 = 0xF7;
/// Bytes from press_msb to hum_lsb.
pub const DATA_LEN: usize = 8;

/// status bit 3: a conversion is running.
pub const STATUS_MEASURING: u8 = 1 << 3;
/// status bit 0: NVM data are being copied to the image registers.
pub const STATUS_IM_UPDATE: u8 = 1 << 0;

/// Writable bits of ctrl_hum.
pub(crate) const CTRL_HUM_MASK: u8 = 0x07;
/// Writable bits of config (bit 1 is reserved).
pub(crate) const CONFIG_MASK: u8 = 0xFD;

/// What a 20-bit pressure or temperature register holds when its measurement is
/// skipped, and after reset.
pub const SKIPPED_20: u32 = 0x80000;
/// What the 16-bit humidity register holds when skipped, and after reset.
pub const SKIPPED_16: u16 = 0x8000;

/// The power mode field of ctrl_meas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// No conversions; the default after reset.
    Sleep,
    /// One conversion, then back to sleep (mode field 01 or 10).
    Forced,
    /// Conversions repeat with a standby time between them (mode field 11).
    Normal,
}

impl Mode {
    /// Decodes ctrl_meas bits 1:0.
    pub fn from_ctrl_meas(value: u8) -> Self {
        match value & 0x03 {
            0 => Self::Sleep,
            3 => Self::Normal,
            _ => Self::Forced,
        }
    }
}

/// osrs_t in ctrl_meas bits 7:5.
pub(crate) fn osrs_t(ctrl_meas: u8) -> u8 {
    ctrl_meas >> 5
}

/// osrs_p in ctrl_meas bits 4:2.
pub(crate) fn osrs_p(ctrl_meas: u8) -> u8 {
    (ctrl_meas >> 2) & 0x07
}

/// t_sb in config bits 7:5.
pub(crate) fn t_sb(config: u8) -> u8 {
    config >> 5
}

/// filter in config bits 4:2.
pub(crate) fn filter(config: u8) -> u8 {
    (config >> 2) & 0x07
}
