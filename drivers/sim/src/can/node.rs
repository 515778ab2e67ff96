//! One node on the simulated bus: its controller's mailboxes, receive queue, filters and
//! fault-confinement counters, or a simulated device in place of the receive queue.

use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::vec;
use alloc::vec::Vec;

use super::device::AnyCanDevice;
use super::error::CanError;
use super::filter::Filter;
use super::frame::CanFrame;
use super::mailbox::Mailboxes;
use super::recovery::Recovery;
use super::state::{ErrorCounters, ErrorState};

/// Names a node of one [`SimCanBus`](super::SimCanBus); handed out by `add_node`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NodeId(pub(crate) usize);

/// The size of a node's controller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeConfig {
    /// Transmit mailboxes (1–8; bxCAN has 3).
    pub tx_mailboxes: usize,
    /// Frames the receive queue holds before it overruns (1–256).
    pub rx_queue: usize,
}

impl Default for NodeConfig {
    fn default() -> Self {
        Self {
            tx_mailboxes: 3,
            rx_queue: 16,
        }
    }
}

/// A frame as a node received it, with the time its EOF ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Received {
    /// The frame.
    pub frame: CanFrame,
    /// When it was received, in µs on the bus's timeline.
    pub at_us: u64,
}

/// What a node has done, for the CAN server's statistics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NodeStats {
    /// Frames sent and acknowledged.
    pub tx_frames: u64,
    /// Attempts that got no acknowledgement.
    pub tx_ack_errors: u64,
    /// Attempts that ended in a bit error (injected).
    pub tx_bit_errors: u64,
    /// Frames a device queued that found no free mailbox.
    pub tx_dropped: u64,
    /// Frames received and kept.
    pub rx_frames: u64,
    /// Frames received but not matching any filter.
    pub rx_filtered: u64,
    /// Frames lost because the receive queue was full.
    pub rx_overruns: u64,
    /// Receive errors (error frames seen, and injected ones).
    pub rx_errors: u64,
    /// Times the node went bus-off.
    pub bus_off_count: u64,
}

/// A snapshot of a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeStatus {
    /// Fault-confinement state.
    pub state: ErrorState,
    /// TEC and REC.
    pub counters: ErrorCounters,
    /// Whether the node is plugged in.
    pub connected: bool,
    /// Whether a bus-off recovery is under way.
    pub recovering: bool,
    /// Frames waiting in the transmit mailboxes.
    pub pending_tx: usize,
    /// Frames waiting in the receive queue.
    pub queued_rx: usize,
    /// Counters of what it has done.
    pub stats: NodeStats,
}

/// Where a node's received frames go.
pub(crate) enum Port {
    /// A controller's receive FIFO, read through `embedded_can`.
    Controller(RxQueue),
    /// A simulated device that handles frames itself.
    Device(Box<dyn AnyCanDevice>),
}

/// A bounded receive FIFO that remembers an overrun until it is reported.
pub(crate) struct RxQueue {
    frames: VecDeque<Received>,
    capacity: usize,
    overrun: bool,
}

impl RxQueue {
    fn push(&mut self, received: Received) -> bool {
        if self.frames.len() >= self.capacity {
            self.overrun = true;
            return false;
        }
        self.frames.push_back(received);
        true
    }

    /// The next frame, or the overrun first if frames were lost.
    pub(crate) fn pop(&mut self) -> nb::Result<Received, CanError> {
        if core::mem::take(&mut self.overrun) {
            return Err(nb::Error::Other(CanError::Overrun));
        }
        self.frames.pop_front().ok_or(nb::Error::WouldBlock)
    }
}

/// Everything the bus keeps about one node.
pub(crate) struct NodeState {
    pub(crate) connected: bool,
    pub(crate) counters: ErrorCounters,
    pub(crate) recovery: Option<Recovery>,
    pub(crate) mailboxes: Mailboxes,
    /// An error-passive node waits this long after its own transmission.
    pub(crate) not_before_bit: u64,
    pub(crate) filters: Vec<Filter>,
    pub(crate) port: Port,
    pub(crate) tx_errors_to_inject: u32,
    pub(crate) stats: NodeStats,
}

impl NodeState {
    pub(crate) fn controller(config: NodeConfig) -> Self {
        let capacity = config.rx_queue.clamp(1, 256);
        Self::with_port(
            config.tx_mailboxes,
            Port::Controller(RxQueue {
                frames: VecDeque::with_capacity(capacity),
                capacity,
                overrun: false,
            }),
        )
    }

    pub(crate) fn device(device: Box<dyn AnyCanDevice>) -> Self {
        Self::with_port(NodeConfig::default().tx_mailboxes, Port::Device(device))
    }

    fn with_port(tx_mailboxes: usize, port: Port) -> Self {
        Self {
            connected: true,
            counters: ErrorCounters::default(),
            recovery: None,
            mailboxes: Mailboxes::new(tx_mailboxes.clamp(1, 8)),
            not_before_bit: 0,
            filters: vec![Filter::ACCEPT_ALL],
            port,
            tx_errors_to_inject: 0,
            stats: NodeStats::default(),
        }
    }

    pub(crate) fn state(&self) -> ErrorState {
        self.counters.state()
    }

    /// Plugged in and not bus-off: it acknowledges, receives, and may transmit.
    pub(crate) fn on_bus(&self) -> bool {
        self.connected && self.state() != ErrorState::BusOff
    }

    pub(crate) fn accepts(&self, frame: &CanFrame) -> bool {
        self.filters.iter().any(|filter| filter.matches(frame))
    }

    /// Keeps a received frame in the controller's queue, or counts an overrun.
    pub(crate) fn enqueue(&mut self, received: Received) {
        let Port::Controller(queue) = &mut self.port else {
            return;
        };
        if queue.push(received) {
            self.stats.rx_frames += 1;
        } else {
            self.stats.rx_overruns += 1;
        }
    }

    pub(crate) fn status(&self) -> NodeStatus {
        NodeStatus {
            state: self.state(),
            counters: self.counters,
            connected: self.connected,
            recovering: self.recovery.is_some(),
            pending_tx: self.mailboxes.pending(),
            queued_rx: match &self.port {
                Port::Controller(queue) => queue.frames.len(),
                Port::Device(_) => 0,
            },
            stats: self.stats,
        }
    }
}
