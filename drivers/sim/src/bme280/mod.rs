//! A Bosch BME280 humidity, pressure and temperature sensor (datasheet
//! BST-BME280-DS002) as an I2C device: its register file, its I2C protocol (writes as
//! register/value pairs, reads auto-incrementing from the register pointer, data
//! registers shadowed for the length of a burst), its power modes and conversion
//! timing, the IIR filter, soft reset with the NVM copy, and the air it measures.
//!
//! Attach it to a [`SimI2cBus`](crate::i2c::SimI2cBus) at [`ADDRESS_PRIMARY`] (0x76) or
//! [`ADDRESS_SECONDARY`] (0x77). Readers decode its data with [`compensate`].

mod adc;
mod calibration;
pub mod compensate;
mod conversion;
mod environment;
pub mod registers;
mod schedule;
pub mod timing;

pub use calibration::Calibration;
pub use environment::{Conditions, Environment};
pub use registers::{Mode, ADDRESS_PRIMARY, ADDRESS_SECONDARY, CHIP_ID};

use crate::i2c::SimDevice;
use conversion::{Converter, Raw};
use registers as reg;
use schedule::{Schedule, Settings};

/// How long `im_update` stays set while the NVM is copied after power-on or soft reset
/// (the datasheet's 2 ms start-up time, table 1).
pub const NVM_COPY_US: u64 = 2_000;

/// Where the next byte of a write goes: the datasheet's write protocol alternates
/// register address and value (§6.2.1), there is no auto-increment for writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WritePhase {
    Register,
    Value,
}

/// The registers a master can change, as it reads them back.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Control {
    ctrl_hum: u8,
    ctrl_meas: u8,
    config: u8,
}

/// A simulated BME280.
#[derive(Debug, Clone)]
pub struct Bme280 {
    calibration: Calibration,
    environment: Environment,
    control: Control,
    schedule: Schedule,
    converter: Converter,
    data: Raw,
    nvm_ready_us: u64,
    pointer: u8,
    read_cursor: u8,
    write_phase: WritePhase,
    /// The data registers as they were when the current read began (§4: shadowing).
    shadow: Option<[u8; reg::DATA_LEN]>,
    conversions: u64,
}

impl Bme280 {
    /// A sensor powered on at `now_us`, in air that drifts as `Environment::drifting(seed)`.
    pub fn new(seed: u64, now_us: u64) -> Self {
        Self::with_environment(Environment::drifting(seed), now_us)
    }

    /// A sensor powered on at `now_us` in the given environment.
    pub fn with_environment(environment: Environment, now_us: u64) -> Self {
        let mut sensor = Self {
            calibration: Calibration::TYPICAL,
            environment,
            control: Control::default(),
            schedule: Schedule::Idle,
            converter: Converter::default(),
            data: Raw::RESET,
            nvm_ready_us: 0,
            pointer: 0,
            read_cursor: 0,
            write_phase: WritePhase::Register,
            shadow: None,
            conversions: 0,
        };
        sensor.power_on_reset(now_us);
        sensor
    }

    /// Gives the part different trimming constants (every part has its own).
    pub fn with_calibration(mut self, calibration: Calibration) -> Self {
        self.calibration = calibration;
        self
    }

    /// The part's trimming constants, as a reader gets them from 0x88.. and 0xE1...
    pub fn calibration(&self) -> &Calibration {
        &self.calibration
    }

    /// The air around the sensor.
    pub fn environment(&self) -> &Environment {
        &self.environment
    }

    /// Changes the air around the sensor, e.g. to pin it for a demonstration.
    pub fn set_environment(&mut self, environment: Environment) {
        self.environment = environment;
    }

    /// The power mode at `now_us` (a finished forced conversion has gone back to sleep).
    pub fn mode(&mut self, now_us: u64) -> Mode {
        self.advance(now_us);
        Mode::from_ctrl_meas(self.control.ctrl_meas)
    }

    /// Conversions completed since power-on, for statistics and tests.
    pub fn conversions(&self) -> u64 {
        self.conversions
    }

    /// The power-on-reset procedure: registers to their reset values, conversions
    /// stopped, the filter emptied, and the NVM copied again.
    fn power_on_reset(&mut self, now_us: u64) {
        self.control = Control::default();
        self.schedule = Schedule::Idle;
        self.converter = Converter::default();
        self.data = Raw::RESET;
        self.nvm_ready_us = now_us.saturating_add(NVM_COPY_US);
    }

    /// Brings finished conversions into the data registers.
    fn advance(&mut self, now_us: u64) {
        let Self {
            schedule,
            converter,
            environment,
            calibration,
            data,
            conversions,
            ..
        } = self;
        let back_to_sleep = schedule.complete_until(now_us, |start_us, settings| {
            // The ADCs sample at the start of the conversion.
            *data = converter.convert(&environment.at(start_us), calibration, settings);
            *conversions += 1;
        });
        if back_to_sleep {
            self.control.ctrl_meas &= !0x03;
        }
    }

    /// The settings a ctrl_meas write latches: osrs_h comes from ctrl_hum here, which
    /// is why a ctrl_hum change waits for the next ctrl_meas write (§5.4.3).
    fn latch(&self) -> Settings {
        Settings {
            osrs_t: reg::osrs_t(self.control.ctrl_meas),
            osrs_p: reg::osrs_p(self.control.ctrl_meas),
            osrs_h: self.control.ctrl_hum & reg::CTRL_HUM_MASK,
            filter: reg::filter(self.control.config),
            t_sb: reg::t_sb(self.control.config),
        }
    }

    fn write_register(&mut self, now_us: u64, register: u8, value: u8) {
        match register {
            reg::RESET if value == reg::RESET_COMMAND => self.power_on_reset(now_us),
            reg::CTRL_HUM => self.control.ctrl_hum = value & reg::CTRL_HUM_MASK,
            reg::CTRL_MEAS => {
                self.control.ctrl_meas = value;
                let settings = self.latch();
                self.schedule = match Mode::from_ctrl_meas(value) {
                    Mode::Sleep => Schedule::Idle,
                    Mode::Forced => Schedule::forced(now_us, settings),
                    Mode::Normal => Schedule::normal(now_us, settings),
                };
            }
            // "Writes to the config register in normal mode may be ignored" (§5.4.6):
            // this part ignores them, as drivers are told to configure in sleep mode.
            reg::CONFIG if Mode::from_ctrl_meas(self.control.ctrl_meas) != Mode::Normal => {
                self.control.config = value & reg::CONFIG_MASK;
            }
            // Read-only and reserved registers take the write without effect.
            _ => {}
        }
    }

    fn read_register(&self, now_us: u64, register: u8) -> u8 {
        let (tp, hum) = self.calibration.to_registers();
        let offset = |base: u8| usize::from(register - base);
        match register {
            reg::CALIB_TP..=0xA1 => tp[offset(reg::CALIB_TP)],
            reg::ID => reg::CHIP_ID,
            reg::CALIB_HUM..=0xE7 => hum[offset(reg::CALIB_HUM)],
            reg::CTRL_HUM => self.control.ctrl_hum,
            reg::STATUS => self.status(now_us),
            reg::CTRL_MEAS => self.control.ctrl_meas,
            reg::CONFIG => self.control.config,
            reg::DATA..=0xFE => {
                let data = self.shadow.unwrap_or_else(|| self.data.to_registers());
                data[offset(reg::DATA)]
            }
            _ => 0,
        }
    }

    fn status(&self, now_us: u64) -> u8 {
        let mut status = 0;
        if self.schedule.measuring(now_us) {
            status |= reg::STATUS_MEASURING;
        }
        if now_us < self.nvm_ready_us {
            status |= reg::STATUS_IM_UPDATE;
        }
        status
    }
}

impl SimDevice for Bme280 {
    fn start(&mut self, now_us: u64, read: bool) {
        self.advance(now_us);
        if read {
            self.read_cursor = self.pointer;
            self.shadow = Some(self.data.to_registers());
        } else {
            self.shadow = None;
            self.write_phase = WritePhase::Register;
        }
    }

    fn write(&mut self, now_us: u64, byte: u8) -> bool {
        self.advance(now_us);
        match self.write_phase {
            WritePhase::Register => {
                self.pointer = byte;
                self.write_phase = WritePhase::Value;
            }
            WritePhase::Value => {
                self.write_register(now_us, self.pointer, byte);
                self.write_phase = WritePhase::Register;
            }
        }
        // The BME280 acknowledges every byte, even to registers it does not have.
        true
    }

    fn read(&mut self, now_us: u64) -> u8 {
        self.advance(now_us);
        let value = self.read_register(now_us, self.read_cursor);
        self.read_cursor = self.read_cursor.wrapping_add(1);
        value
    }

    fn stop(&mut self, now_us: u64) {
        self.advance(now_us);
        self.shadow = None;
        self.write_phase = WritePhase::Register;
    }
}
