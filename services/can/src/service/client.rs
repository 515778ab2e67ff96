//! One client's share of the controller: its filters, its two queues, and the
//! receive call the server may be holding for it.
//!
//! Both queues are fixed-size so a client costs the same whatever it does: a sender
//! faster than the bus meets a full send queue (and is told so), and a reader slower
//! than the bus loses its oldest frames (and is told how many), never anyone else's.

use heapless::{Deque, Vec};

use crate::protocol::{
    BusEvent, Content, Filter, Record, FILTER_LEN, MAX_FILTERS, MAX_RECORDS, RECORD_LEN,
};
use crate::{ControllerStatus, Fault, Frame};

/// Frames a client can have waiting for the controller.
pub const SEND_QUEUE: usize = 32;
/// Records a client can have waiting to be read.
pub const RECV_QUEUE: usize = 128;

/// A RECV the server is holding until there is something to answer with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Held {
    /// Most records the reply may carry.
    pub max: usize,
    /// When the RECV arrived.
    pub since_us: u64,
}

#[derive(Debug)]
pub(super) struct Client {
    pub badge: u64,
    filters: Vec<Filter, MAX_FILTERS>,
    pub send: Deque<Frame, SEND_QUEUE>,
    recv: Deque<Record, RECV_QUEUE>,
    /// Frames lost to a full receive queue, not yet reported.
    dropped: u32,
    last_drop_us: u64,
    pub held: Option<Held>,
}

impl Client {
    /// A new client receives no frames until it sets filters.
    pub fn new(badge: u64) -> Self {
        Client {
            badge,
            filters: Vec::new(),
            send: Deque::new(),
            recv: Deque::new(),
            dropped: 0,
            last_drop_us: 0,
            held: None,
        }
    }

    /// Replaces the filters with those in `payload`; `None` if it is not whole filters
    /// or holds too many (and then nothing changes).
    pub fn set_filters(&mut self, payload: &[u8]) -> Option<usize> {
        let filters = payload.chunks_exact(FILTER_LEN);
        if !filters.remainder().is_empty() || filters.len() > MAX_FILTERS {
            return None;
        }
        let mut new = Vec::new();
        for bytes in filters {
            new.push(Filter::decode(bytes.try_into().ok()?)).ok()?;
        }
        self.filters = new;
        Some(self.filters.len())
    }

    pub fn accepts(&self, frame: &Frame) -> bool {
        self.filters.iter().any(|f| f.matches(frame))
    }

    /// Adds a record for the client to read. A full queue makes room by dropping its
    /// oldest record: a reader that fell behind wants the newest data, and the count
    /// of lost frames tells it that it fell behind. (An event dropped this way is not
    /// counted: 128 records later it is stale, and STATUS gives the state now.)
    pub fn deliver(&mut self, record: Record, now_us: u64) {
        if self.recv.is_full() {
            if let Some(Record {
                content: Content::Frame(_),
                ..
            }) = self.recv.pop_front()
            {
                self.dropped = self.dropped.saturating_add(1);
                self.last_drop_us = now_us;
            }
        }
        // Cannot fail: there is room now.
        let _ = self.recv.push_back(record);
    }

    /// Is there anything to answer a RECV with?
    pub fn has_pending(&self) -> bool {
        !self.recv.is_empty() || self.dropped > 0
    }

    /// Records waiting to be read.
    pub fn pending(&self) -> usize {
        self.recv.len()
    }

    /// Writes up to `max` pending records to `out`, oldest first, and returns how many.
    /// Lost frames come first, as an overrun event at the place of the gap, carrying
    /// the controller's `status`.
    pub fn take(&mut self, out: &mut [u8], max: usize, status: ControllerStatus) -> usize {
        let slots = out.chunks_exact_mut(RECORD_LEN).take(max.min(MAX_RECORDS));
        let mut written = 0;
        for slot in slots {
            let record = if self.dropped > 0 {
                let overrun = BusEvent {
                    status,
                    error: Some(Fault::Overrun),
                    dropped: core::mem::take(&mut self.dropped),
                };
                Record::event(overrun, self.last_drop_us)
            } else if let Some(record) = self.recv.pop_front() {
                record
            } else {
                break;
            };
            slot.copy_from_slice(&record.encode());
            written += 1;
        }
        written
    }
}
