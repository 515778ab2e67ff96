//! The `sim` board's CAN bus: a simulated bus at the manifest's bitrate shared by the
//! server's own node and an engine ECU that broadcasts every 100 ms and answers OBD-II
//! requests. With the ECU unplugged (`set_ecu_connected`, driven by the server's
//! unplug file) the server's node is alone, its frames go unacknowledged, and clients
//! see the error counters climb to error-passive, as on a bus with a broken cable.

use embedded_can::nb::Can;
use kos_can::{BusState, Controller, ControllerStatus, Fault, Frame};
use kos_sim_devices::can::devices::Ecu;
use kos_sim_devices::can::{CanError, ErrorState, NodeConfig, NodeId, SimCanBus};

/// The bus, the server's node on it and the ECU's.
pub struct SimCan {
    /// The shared bus.
    pub bus: SimCanBus,
    me: NodeId,
    ecu: NodeId,
}

impl SimCan {
    /// A bus at `bitrate` with the server's node and an ECU (its drive cycle seeded).
    pub fn new(bitrate: u32, seed: u64) -> SimCan {
        let mut bus = SimCanBus::new(bitrate);
        let me = bus.add_node();
        let ecu = bus.add_device(Ecu::new(seed, 0));
        SimCan { bus, me, ecu }
    }

    /// The server's own node.
    pub fn node_id(&self) -> NodeId {
        self.me
    }

    /// Plugs the ECU in or out.
    pub fn set_ecu_connected(&mut self, connected: bool) {
        // Both nodes were made by `new`, so the id is valid.
        let _ = self.bus.set_connected(self.ecu, connected);
    }
}

fn fault(e: CanError) -> Fault {
    match e {
        CanError::Overrun => Fault::Overrun,
        _ => Fault::Other,
    }
}

impl Controller for SimCan {
    fn transmit(&mut self, frame: &Frame) -> nb::Result<(), Fault> {
        // A full set of mailboxes would take a higher-priority frame by pushing out a
        // lower one (embedded-can's `transmit` hands it back); the service has no way
        // to take it back, so wait for a free mailbox instead and lose nothing.
        let pending = self.bus.status(self.me).map_or(0, |s| s.pending_tx);
        if pending >= NodeConfig::default().tx_mailboxes {
            return Err(nb::Error::WouldBlock);
        }
        let Some(mut node) = self.bus.node(self.me) else {
            return Err(nb::Error::Other(Fault::Other));
        };
        match node.transmit(frame) {
            Ok(None) => Ok(()),
            // Cannot happen with a free mailbox; if it did, the frame is lost, so say so.
            Ok(Some(_)) => Err(nb::Error::Other(Fault::Overrun)),
            Err(nb::Error::WouldBlock) => Err(nb::Error::WouldBlock),
            Err(nb::Error::Other(e)) => Err(nb::Error::Other(fault(e))),
        }
    }

    fn receive(&mut self) -> nb::Result<Frame, Fault> {
        let Some(mut node) = self.bus.node(self.me) else {
            return Err(nb::Error::Other(Fault::Other));
        };
        match node.receive() {
            Ok(frame) => Ok(frame),
            Err(nb::Error::WouldBlock) => Err(nb::Error::WouldBlock),
            Err(nb::Error::Other(e)) => Err(nb::Error::Other(fault(e))),
        }
    }

    fn status(&self) -> ControllerStatus {
        let Some(s) = self.bus.status(self.me) else {
            return ControllerStatus::ACTIVE;
        };
        ControllerStatus {
            state: match s.state {
                ErrorState::ErrorActive => BusState::ErrorActive,
                ErrorState::ErrorPassive => BusState::ErrorPassive,
                ErrorState::BusOff => BusState::BusOff,
            },
            tec: s.counters.tec.min(255) as u8,
            rec: s.counters.rec.min(255) as u8,
        }
    }

    fn recover(&mut self) {
        let _ = self.bus.recover(self.me);
    }
}
