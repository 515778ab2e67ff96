//! A borrowed view of one node that implements `embedded_can::nb::Can`.
//!
//! Why a view and not an owned handle per node: the bus is one shared medium whose
//! state (who is on the wire, who acknowledges, every node's counters) changes as a
//! whole, and its owner — the CAN server — is a single process. Keeping all state in
//! the [`SimCanBus`] and handing out `Node<'_>` views on demand needs no `Rc`,
//! `RefCell` or locks, works the same under `no_std`, and lets the borrow checker rule
//! out a node being used while the bus is advanced. A view costs nothing to make:
//! `bus.node(id)?.transmit(&frame)`.

use embedded_can::nb::Can;

use super::bus::SimCanBus;
use super::error::CanError;
use super::frame::CanFrame;
use super::node::{NodeId, NodeStatus, Received};

/// One node of a [`SimCanBus`], borrowed from it.
pub struct Node<'a> {
    bus: &'a mut SimCanBus,
    id: NodeId,
}

impl<'a> Node<'a> {
    pub(crate) fn new(bus: &'a mut SimCanBus, id: NodeId) -> Self {
        Self { bus, id }
    }

    /// Which node this is.
    pub fn id(&self) -> NodeId {
        self.id
    }

    /// The node's state, counters and statistics.
    pub fn status(&self) -> Option<NodeStatus> {
        self.bus.status(self.id)
    }

    /// Like `receive`, with the time the frame arrived.
    pub fn receive_timed(&mut self) -> nb::Result<Received, CanError> {
        self.bus.receive(self.id.0)
    }
}

impl Can for Node<'_> {
    type Frame = CanFrame;
    type Error = CanError;

    /// Queues the frame at the bus's current time (`SimCanBus::now_us`); it goes on the
    /// wire during a later `advance_to`, so advance the bus to "now" before sending.
    fn transmit(&mut self, frame: &CanFrame) -> nb::Result<Option<CanFrame>, CanError> {
        self.bus.transmit(self.id.0, *frame)
    }

    fn receive(&mut self) -> nb::Result<CanFrame, CanError> {
        self.bus.receive(self.id.0).map(|received| received.frame)
    }
}
