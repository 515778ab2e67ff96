//! `kos_can_protocol`: a client's share of the CAN bus the server owns.
//!
//! A client sends frames, chooses which frames it receives with acceptance filters,
//! and fetches what arrived with a long poll: a [`RECV`] with nothing pending is held
//! by the server and answered as soon as something arrives (or, empty, after the
//! server's hold limit). Frames one client sends reach the server's other clients
//! whose filters accept them, as on SocketCAN with local loopback, so clients of one
//! server see each other as they would on a shared bus. Changes of the controller's
//! state (error-passive, bus-off, recovery) and its faults reach every client as
//! bus-event records, whatever its filters.
//!
//! The reply's label is a [`Status`]. Integers on the wire are little-endian. The
//! Elixir library encodes the same bytes, so every layout here is part of the
//! contract:
//!
//! | label | param | request payload | reply param | reply payload |
//! |---|---|---|---|---|
//! | [`SEND`] | ignored | 1..=170 frame records | frames queued | empty |
//! | [`SET_FILTERS`] | ignored | 0..=16 [`Filter`]s | filters set | empty |
//! | [`RECV`] | most records wanted (≥ 1) | empty | records still pending | records |
//! | [`STATUS`] | ignored | empty | 0 | [`StatusReport`] |

mod filter;
mod record;
mod report;

pub use filter::{Filter, FILTER_LEN, MAX_FILTERS};
pub use record::{
    BusEvent, Content, Record, RecordError, EXTENDED_FLAG, ID_MASK, KIND_EVENT, KIND_FRAME,
    MAX_RECORDS, RECORD_LEN, REMOTE_FLAG,
};
pub use report::{StatusReport, STATUS_REPORT_LEN};

/// Protocol name, as written in `dir_access_control`.
pub const PROTOCOL: &str = "kos_can_protocol";

/// Queue frames for transmission. Payload: 1..=[`MAX_RECORDS`] frame [`Record`]s
/// (their timestamps are ignored). Every record is checked before any is queued; then
/// as many as fit join the client's send queue, in order. Reply param: how many were
/// queued. Refused with [`Status::BusOff`] while the controller is bus-off.
pub const SEND: u64 = 1;
/// Replace the client's acceptance filters. Payload: 0..=[`MAX_FILTERS`] [`Filter`]s
/// of [`FILTER_LEN`] bytes. A frame is delivered when any filter accepts it; with no
/// filters the client receives no frames (bus events still arrive). Frames already
/// waiting for the client stay. A new client starts with no filters.
pub const SET_FILTERS: u64 = 2;
/// Fetch up to `param` (≥ 1; more than [`MAX_RECORDS`] counts as that many) pending
/// records, oldest first. With none pending the server holds the call until a record
/// arrives or its hold limit passes (then the reply is OK with no records). A client
/// has at most one RECV held: a new one releases the older one with an empty reply,
/// so a caller that timed out and called again loses nothing. When frames were lost
/// because the client's receive queue was full, the next reply starts with an
/// overrun bus event whose `dropped` field says how many.
pub const RECV: u64 = 3;
/// Report the controller's state and the server's counters: a [`StatusReport`].
pub const STATUS: u64 = 4;

kos_service::statuses! {
    /// The status a reply carries as its label.
    pub enum Status {
        /// Done.
        Ok = 0,
        /// The client's send queue filled; `param` says how many of the frames were
        /// queued (the first ones) before it did.
        QueueFull = 1,
        /// The controller is bus-off; nothing was queued. The server recovers it after a
        /// fixed delay and every client gets a bus event when it has.
        BusOff = 2,
        /// A malformed param or payload (a record that is not a valid frame, a payload
        /// that is not whole records or filters, too many filters, `param` 0 for RECV);
        /// nothing changed.
        BadRequest = 3,
        /// The label names no operation of this protocol.
        UnknownOperation = 4,
        /// The server already serves as many clients as it has queues for.
        TooManyClients = 5,
        /// To a held RECV: a newer RECV of the same client took its place (one receiver
        /// per client; the newer one gets the records).
        Superseded = 6,
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn statuses_round_trip_through_their_labels() {
        use kos_service::Status as _;
        for (label, s) in Status::ALL.iter().enumerate() {
            assert_eq!(s.label(), label as u64);
            assert_eq!(Status::from_label(label as u64), Some(*s));
        }
        assert_eq!(Status::from_label(7), None);
    }
}
