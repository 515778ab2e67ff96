//! A Linux SocketCAN interface as a `kos_can::Controller`. The kernel's driver does
//! its own bus-off recovery (`ip link set can0 type can restart-ms 100`), so `recover`
//! has nothing to do but wait for its report.

use embedded_can::nb::Can;
use kos_can::{BusState, Controller, ControllerStatus, Fault, Frame};
use kos_socketcan::{BusState as KernelState, Error, SocketCan};

/// A SocketCAN interface.
pub struct SocketCanController(pub SocketCan);

fn fault(e: Error) -> Fault {
    match e {
        Error::Bus(kind) => Fault::from(kind),
        _ => Fault::Other,
    }
}

impl Controller for SocketCanController {
    fn transmit(&mut self, frame: &Frame) -> nb::Result<(), Fault> {
        let Some(frame) = frame.to_frame() else {
            return Err(nb::Error::Other(Fault::Other));
        };
        match self.0.transmit(&frame) {
            Ok(None) => Ok(()),
            // A pending frame pushed out by this one would be lost: report it.
            Ok(Some(_)) => Err(nb::Error::Other(Fault::Overrun)),
            Err(nb::Error::WouldBlock) => Err(nb::Error::WouldBlock),
            Err(nb::Error::Other(e)) => Err(nb::Error::Other(fault(e))),
        }
    }

    fn receive(&mut self) -> nb::Result<Frame, Fault> {
        match self.0.receive() {
            Ok(frame) => Frame::from_frame(&frame).ok_or(nb::Error::Other(Fault::Other)),
            Err(nb::Error::WouldBlock) => Err(nb::Error::WouldBlock),
            Err(nb::Error::Other(e)) => Err(nb::Error::Other(fault(e))),
        }
    }

    fn status(&self) -> ControllerStatus {
        let (tec, rec) = self.0.error_counters().unwrap_or((0, 0));
        let state = match self.0.state() {
            KernelState::ErrorActive => BusState::ErrorActive,
            KernelState::ErrorPassive => BusState::ErrorPassive,
            KernelState::BusOff => BusState::BusOff,
        };
        ControllerStatus { state, tec, rec }
    }

    fn recover(&mut self) {}
}
