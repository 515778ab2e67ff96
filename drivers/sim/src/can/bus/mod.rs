//! The bus as its owner sees it: adding nodes and devices, reaching them by id,
//! configuring filters, injecting faults, reading state and statistics. How time moves
//! on the wire is in `events`.

mod events;

use alloc::boxed::Box;
use alloc::vec::Vec;

use super::bits::frame_bits;
use super::device::CanDevice;
use super::error::{CanError, SetupError};
use super::filter::{Filter, MAX_FILTERS};
use super::frame::CanFrame;
use super::handle::Node;
use super::node::{NodeConfig, NodeId, NodeState, NodeStatus, Port, Received};
use super::recovery::Recovery;
use super::state::ErrorState;
use events::InFlight;

const US_PER_S: u128 = 1_000_000;

/// What the wire has carried.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BusStats {
    /// Frames delivered.
    pub frames: u64,
    /// Transmission attempts that ended in an error frame.
    pub error_frames: u64,
    /// Bit times the wire was busy, error frames included.
    pub busy_bits: u64,
    /// `advance_to` calls that stopped at the event limit before reaching their time.
    pub deferred: u64,
}

/// A CAN bus shared by simulated nodes, owned by one party (the CAN server) that
/// reaches the nodes by [`NodeId`].
pub struct SimCanBus {
    bitrate: u32,
    nodes: Vec<NodeState>,
    /// Bit time up to which the bus has been simulated.
    cursor: u64,
    in_flight: Option<InFlight>,
    stats: BusStats,
}

impl SimCanBus {
    /// An empty bus at `bitrate` bit/s (e.g. 500_000), at time 0.
    pub fn new(bitrate: u32) -> Self {
        Self {
            bitrate: bitrate.max(1),
            nodes: Vec::new(),
            cursor: 0,
            in_flight: None,
            stats: BusStats::default(),
        }
    }

    /// The bit rate in bit/s.
    pub fn bitrate(&self) -> u32 {
        self.bitrate
    }

    /// The time the bus has been simulated up to, in µs.
    pub fn now_us(&self) -> u64 {
        self.bits_to_us(self.cursor)
    }

    /// Adds a node with a controller of the default size, accepting every frame.
    pub fn add_node(&mut self) -> NodeId {
        self.add_node_with(NodeConfig::default())
    }

    /// Adds a node with a controller of the given size, accepting every frame.
    pub fn add_node_with(&mut self, config: NodeConfig) -> NodeId {
        self.nodes.push(NodeState::controller(config));
        NodeId(self.nodes.len() - 1)
    }

    /// Adds a simulated device as a node of its own, accepting every frame.
    pub fn add_device(&mut self, device: impl CanDevice + 'static) -> NodeId {
        self.nodes.push(NodeState::device(Box::new(device)));
        NodeId(self.nodes.len() - 1)
    }

    /// A handle on node `id` that implements `embedded_can::nb::Can`.
    pub fn node(&mut self, id: NodeId) -> Option<Node<'_>> {
        self.nodes.get(id.0)?;
        Some(Node::new(self, id))
    }

    /// The device behind node `id`, if it is a `T`.
    pub fn device<T: CanDevice + 'static>(&self, id: NodeId) -> Option<&T> {
        match &self.nodes.get(id.0)?.port {
            Port::Device(device) => device.as_any().downcast_ref(),
            Port::Controller(_) => None,
        }
    }

    /// The device behind node `id`, if it is a `T`, to change its behaviour.
    pub fn device_mut<T: CanDevice + 'static>(&mut self, id: NodeId) -> Option<&mut T> {
        match &mut self.nodes.get_mut(id.0)?.port {
            Port::Device(device) => device.as_any_mut().downcast_mut(),
            Port::Controller(_) => None,
        }
    }

    /// A snapshot of node `id`'s state, counters and statistics.
    pub fn status(&self, id: NodeId) -> Option<NodeStatus> {
        self.nodes.get(id.0).map(NodeState::status)
    }

    /// What the wire has carried.
    pub fn stats(&self) -> BusStats {
        self.stats
    }

    /// Replaces node `id`'s acceptance filters; an empty list receives nothing.
    pub fn set_filters(&mut self, id: NodeId, filters: &[Filter]) -> Result<(), SetupError> {
        if filters.len() > MAX_FILTERS {
            return Err(SetupError::TooManyFilters);
        }
        let node = self.state_mut(id)?;
        node.filters.clear();
        node.filters.extend_from_slice(filters);
        Ok(())
    }

    /// Plugs node `id` in or out; an unplugged node neither sends nor acknowledges.
    pub fn set_connected(&mut self, id: NodeId, connected: bool) -> Result<(), SetupError> {
        self.state_mut(id)?.connected = connected;
        Ok(())
    }

    /// Makes node `id`'s next `count` transmission attempts end in a bit error (a
    /// failing transceiver): each raises its TEC by 8 and the REC of the others by 1.
    pub fn inject_tx_errors(&mut self, id: NodeId, count: u32) -> Result<(), SetupError> {
        let node = self.state_mut(id)?;
        node.tx_errors_to_inject = node.tx_errors_to_inject.saturating_add(count);
        Ok(())
    }

    /// Counts `count` receive errors at node `id` (REC +1 each), as if it had seen that
    /// many corrupted frames.
    pub fn inject_rx_errors(&mut self, id: NodeId, count: u32) -> Result<(), SetupError> {
        let node = self.state_mut(id)?;
        if node.state() != ErrorState::BusOff {
            for _ in 0..count.min(256) {
                node.counters.receive_error();
                node.stats.rx_errors += 1;
            }
        }
        Ok(())
    }

    /// Starts bus-off recovery of node `id`: it rejoins, error active with both counters
    /// zero, after seeing 128 × 11 recessive bits. Does nothing if it is not bus-off.
    pub fn recover(&mut self, id: NodeId) -> Result<(), SetupError> {
        let node = self.state_mut(id)?;
        if node.state() == ErrorState::BusOff && node.recovery.is_none() {
            node.recovery = Some(Recovery::default());
        }
        Ok(())
    }

    /// The bits `frame` takes on this bus, in µs (without errors).
    pub fn frame_time_us(&self, frame: &CanFrame) -> u64 {
        self.bits_to_us(u64::from(frame_bits(frame).total))
    }

    /// Queues a frame in node `index`'s mailboxes at the current time.
    pub(crate) fn transmit(
        &mut self,
        index: usize,
        frame: CanFrame,
    ) -> nb::Result<Option<CanFrame>, CanError> {
        let sending = self.sending_slot(index);
        let node = self.nodes.get_mut(index).ok_or(nb::Error::WouldBlock)?;
        if node.state() == ErrorState::BusOff {
            return Err(nb::Error::Other(CanError::BusOff));
        }
        node.mailboxes.queue(frame, sending)
    }

    /// Takes the next received frame of node `index`.
    pub(crate) fn receive(&mut self, index: usize) -> nb::Result<Received, CanError> {
        match self.nodes.get_mut(index).map(|node| &mut node.port) {
            Some(Port::Controller(queue)) => queue.pop(),
            _ => Err(nb::Error::WouldBlock),
        }
    }

    fn state_mut(&mut self, id: NodeId) -> Result<&mut NodeState, SetupError> {
        self.nodes.get_mut(id.0).ok_or(SetupError::UnknownNode)
    }

    fn sending_slot(&self, index: usize) -> Option<usize> {
        self.in_flight.filter(|f| f.node == index).map(|f| f.slot)
    }

    fn us_to_bits(&self, us: u64) -> u64 {
        let bits = u128::from(us) * u128::from(self.bitrate) / US_PER_S;
        u64::try_from(bits).unwrap_or(u64::MAX)
    }

    /// Rounds up, so a device woken at the returned bit is not early.
    fn us_to_bits_ceil(&self, us: u64) -> u64 {
        let bits = (u128::from(us) * u128::from(self.bitrate)).div_ceil(US_PER_S);
        u64::try_from(bits).unwrap_or(u64::MAX)
    }

    fn bits_to_us(&self, bits: u64) -> u64 {
        let us = u128::from(bits) * US_PER_S / u128::from(self.bitrate);
        u64::try_from(us).unwrap_or(u64::MAX)
    }
}
