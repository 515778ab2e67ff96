//! The AM335x D_CAN controller (register level) as a `kos_can::Controller`.

use am335x_dcan::{BusState as DcanState, Config, Dcan, Error, Mmio};
use embedded_can::nb::Can;
use kos_board::DevMem;
use kos_can::{BusState, Controller, ControllerStatus, Fault, Frame};

/// DCAN0 of the BeagleBone Black (P9.19/P9.20 with the CAN cape's pinmux), as the
/// manifest's `reg` counts (a 32-bit cell).
pub const DCAN0_BASE: u32 = am335x_dcan::regs::base::DCAN0 as u32;

/// The controller's set-up: 48 of the 64 message objects receive (at 1 Mbit/s a full
/// bus brings a frame every ~50 µs, so the FIFO holds ~2.4 ms between the server's
/// 1 ms polls) and 8 transmit.
pub fn config(bitrate: u32) -> Config {
    Config::new(bitrate).with_objects(48, 8)
}

/// The driver with its register mapping (which must outlive it) and the status as
/// last read (the registers need `&mut` to read; `status` takes `&self`).
pub struct Am335xCan {
    driver: Dcan<Mmio>,
    status: ControllerStatus,
    _mapping: DevMem,
}

impl Am335xCan {
    /// Maps the controller at `base` and initialises it at `bitrate`.
    pub fn open(base: u32, bitrate: u32) -> Result<Am335xCan, String> {
        let mapping = kos_board::DevMem::map(u64::from(base), 8192).map_err(|e| e.to_string())?;
        // SAFETY: `mapping` is the module's register block and lives as long as the driver.
        let regs = unsafe { Mmio::new(mapping.base()) };
        let mut driver = Dcan::new(regs, config(bitrate));
        driver.init().map_err(|e| e.to_string())?;
        Ok(Am335xCan {
            driver,
            status: ControllerStatus::ACTIVE,
            _mapping: mapping,
        })
    }

    fn refresh(&mut self) {
        let (tec, rec) = self.driver.error_counters();
        let state = match self.driver.state() {
            DcanState::ErrorActive => BusState::ErrorActive,
            DcanState::ErrorPassive => BusState::ErrorPassive,
            DcanState::BusOff => BusState::BusOff,
        };
        self.status = ControllerStatus { state, tec, rec };
    }
}

fn fault(e: Error) -> Fault {
    match e {
        Error::Overrun => Fault::Overrun,
        _ => Fault::Other,
    }
}

impl Controller for Am335xCan {
    fn transmit(&mut self, frame: &Frame) -> nb::Result<(), Fault> {
        let result = self.driver.transmit(frame);
        self.refresh();
        match result {
            Ok(None) => Ok(()),
            // A pending frame pushed out by this one would be lost: report it.
            Ok(Some(_)) => Err(nb::Error::Other(Fault::Overrun)),
            Err(nb::Error::WouldBlock) => Err(nb::Error::WouldBlock),
            Err(nb::Error::Other(e)) => Err(nb::Error::Other(fault(e))),
        }
    }

    fn receive(&mut self) -> nb::Result<Frame, Fault> {
        let result = self.driver.receive();
        self.refresh();
        match result {
            Ok(frame) => Ok(frame),
            Err(nb::Error::WouldBlock) => Err(nb::Error::WouldBlock),
            Err(nb::Error::Other(e)) => Err(nb::Error::Other(fault(e))),
        }
    }

    fn status(&self) -> ControllerStatus {
        self.status
    }

    fn recover(&mut self) {
        // A failed attempt leaves it bus-off; the service tries again later.
        let _ = self.driver.recover();
        self.refresh();
    }
}
