//! The 24-byte record: one CAN frame or one bus event, with a timestamp.
//!
//! ```text
//! offset size
//!  0     4    id word, u32 LE: bits 0..29 the identifier (11 bits for a standard
//!             frame), bit 29 zero, bit 30 remote frame, bit 31 extended identifier
//!  4     1    dlc: 0..=8
//!  5     1    kind: 0 frame, 1 bus event
//!  6     2    reserved, zero
//!  8     8    data, zero past dlc
//! 16     8    timestamp in microseconds, u64 LE
//! ```
//!
//! A bus event has id word 0, dlc 8, and in its data: `[state u8: 0 error-active,
//! 1 error-passive, 2 bus-off][tec u8][rec u8][error u8: 0 none, 1 overrun, 2 bit,
//! 3 stuff, 4 crc, 5 form, 6 ack, 7 other][dropped u32 LE]`, `dropped` counting this
//! client's frames lost to a full receive queue since its previous event.
//!
//! Timestamps are the server's clock when the frame reached it (read from the
//! controller, or sent by another client), not the controller's hardware time.

use embedded_can::{ExtendedId, Frame as _, Id, StandardId};

use crate::{BusState, ControllerStatus, Fault, Frame};

/// Bytes in one record.
pub const RECORD_LEN: usize = 24;
/// Most records one payload holds (170).
pub const MAX_RECORDS: usize = kos_msg::MAX_PAYLOAD / RECORD_LEN;
/// Id word: the identifier is extended (29-bit).
pub const EXTENDED_FLAG: u32 = 1 << 31;
/// Id word: a remote frame (a request for data; `dlc` is the length asked for).
pub const REMOTE_FLAG: u32 = 1 << 30;
/// Id word: the identifier bits.
pub const ID_MASK: u32 = 0x1FFF_FFFF;
/// Record kind: a CAN frame.
pub const KIND_FRAME: u8 = 0;
/// Record kind: a bus event.
pub const KIND_EVENT: u8 = 1;

/// Data bytes an event uses (its dlc).
const EVENT_DLC: u8 = 8;

/// A frame or an event, and when the server saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record {
    /// Server time, in microseconds (ignored in a SEND).
    pub timestamp_us: u64,
    /// What happened.
    pub content: Content,
}

/// What a record carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Content {
    /// A frame on the bus.
    Frame(Frame),
    /// A change on the bus.
    Event(BusEvent),
}

/// A change of the controller's state, a fault, or lost frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BusEvent {
    /// The controller's state and error counters at the time.
    pub status: ControllerStatus,
    /// The fault that caused the event, if one did.
    pub error: Option<Fault>,
    /// Frames this client lost to a full receive queue since its previous event.
    pub dropped: u32,
}

/// Why bytes are not a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordError {
    /// Kind neither 0 nor 1.
    Kind(u8),
    /// Reserved bytes, or id bit 29, not zero.
    Reserved,
    /// A standard identifier above 0x7FF.
    Id(u32),
    /// A dlc above 8.
    Dlc(u8),
    /// An event's state code above 2.
    State(u8),
    /// An event's error code above 7.
    Error(u8),
}

impl core::fmt::Display for RecordError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            RecordError::Kind(k) => write!(f, "unknown record kind {k}"),
            RecordError::Reserved => f.write_str("reserved bits set"),
            RecordError::Id(id) => write!(f, "standard identifier {id:#x} above 0x7ff"),
            RecordError::Dlc(d) => write!(f, "dlc {d} above 8"),
            RecordError::State(s) => write!(f, "unknown bus state {s}"),
            RecordError::Error(e) => write!(f, "unknown error kind {e}"),
        }
    }
}

impl Record {
    /// A frame seen at `timestamp_us`.
    pub const fn frame(frame: Frame, timestamp_us: u64) -> Self {
        Record {
            timestamp_us,
            content: Content::Frame(frame),
        }
    }

    /// An event at `timestamp_us`.
    pub const fn event(event: BusEvent, timestamp_us: u64) -> Self {
        Record {
            timestamp_us,
            content: Content::Event(event),
        }
    }

    /// The wire form.
    pub fn encode(&self) -> [u8; RECORD_LEN] {
        let mut out = [0; RECORD_LEN];
        let (id_word, dlc, kind) = match &self.content {
            Content::Frame(frame) => {
                out[8..8 + frame.data().len()].copy_from_slice(frame.data());
                (id_word(frame), frame.dlc() as u8, KIND_FRAME)
            }
            Content::Event(event) => {
                out[8] = event.status.state.code();
                out[9] = event.status.tec;
                out[10] = event.status.rec;
                out[11] = event.error.map_or(0, Fault::code);
                out[12..16].copy_from_slice(&event.dropped.to_le_bytes());
                (0, EVENT_DLC, KIND_EVENT)
            }
        };
        out[0..4].copy_from_slice(&id_word.to_le_bytes());
        out[4] = dlc;
        out[5] = kind;
        out[16..24].copy_from_slice(&self.timestamp_us.to_le_bytes());
        out
    }

    /// Reads a record, refusing anything the layout does not allow.
    pub fn decode(bytes: &[u8; RECORD_LEN]) -> Result<Self, RecordError> {
        let [id0, id1, id2, id3, dlc, kind, r0, r1, data @ .., t0, t1, t2, t3, t4, t5, t6, t7] =
            *bytes;
        let timestamp_us = u64::from_le_bytes([t0, t1, t2, t3, t4, t5, t6, t7]);
        if (r0, r1) != (0, 0) {
            return Err(RecordError::Reserved);
        }
        let content = match kind {
            KIND_FRAME => {
                let id_word = u32::from_le_bytes([id0, id1, id2, id3]);
                Content::Frame(decode_frame(id_word, dlc, &data)?)
            }
            KIND_EVENT => Content::Event(decode_event(&data)?),
            other => return Err(RecordError::Kind(other)),
        };
        Ok(Record {
            timestamp_us,
            content,
        })
    }
}

fn id_word(frame: &Frame) -> u32 {
    let mut word = frame.raw_id();
    if frame.is_extended() {
        word |= EXTENDED_FLAG;
    }
    if frame.is_remote_frame() {
        word |= REMOTE_FLAG;
    }
    word
}

fn decode_frame(id_word: u32, dlc: u8, data: &[u8; 8]) -> Result<Frame, RecordError> {
    const RESERVED_ID_BIT: u32 = 1 << 29;
    if id_word & RESERVED_ID_BIT != 0 {
        return Err(RecordError::Reserved);
    }
    let raw = id_word & ID_MASK;
    let id: Id = if id_word & EXTENDED_FLAG != 0 {
        ExtendedId::new(raw).ok_or(RecordError::Id(raw))?.into()
    } else {
        let std = u16::try_from(raw).ok().and_then(StandardId::new);
        std.ok_or(RecordError::Id(raw))?.into()
    };
    let len = usize::from(dlc);
    let frame = if id_word & REMOTE_FLAG != 0 {
        Frame::new_remote(id, len)
    } else {
        data.get(..len).and_then(|data| Frame::new(id, data))
    };
    frame.ok_or(RecordError::Dlc(dlc))
}

fn decode_event(data: &[u8; 8]) -> Result<BusEvent, RecordError> {
    let [state, tec, rec, error, d0, d1, d2, d3] = *data;
    let state = BusState::from_code(state).ok_or(RecordError::State(state))?;
    let error = Fault::from_code(error).map_err(RecordError::Error)?;
    Ok(BusEvent {
        status: ControllerStatus { state, tec, rec },
        error,
        dropped: u32::from_le_bytes([d0, d1, d2, d3]),
    })
}

#[cfg(test)]
mod test {
    use super::*;

    /// A standard data frame 0x123 [DE AD] at 1 s, byte by byte.
    const STD_FRAME: [u8; RECORD_LEN] = [
        0x23, 0x01, 0x00, 0x00, 2, KIND_FRAME, 0, 0, //
        0xDE, 0xAD, 0, 0, 0, 0, 0, 0, //
        0x40, 0x42, 0x0F, 0, 0, 0, 0, 0,
    ];
    /// An extended remote frame 0x1ABCDEF0 asking for 4 bytes, at 0.
    const EXT_REMOTE: [u8; RECORD_LEN] = [
        0xF0, 0xDE, 0xBC, 0xDA, 4, KIND_FRAME, 0, 0, //
        0, 0, 0, 0, 0, 0, 0, 0, //
        0, 0, 0, 0, 0, 0, 0, 0,
    ];
    /// Bus-off, tec 255, rec 3, ack error, 7 frames dropped, at 2 µs.
    const BUS_OFF: [u8; RECORD_LEN] = [
        0, 0, 0, 0, 8, KIND_EVENT, 0, 0, //
        2, 255, 3, 6, 7, 0, 0, 0, //
        2, 0, 0, 0, 0, 0, 0, 0,
    ];

    #[test]
    fn records_match_the_documented_bytes() {
        let std_frame = Frame::new(StandardId::new(0x123).unwrap(), &[0xDE, 0xAD]).unwrap();
        let ext_remote = Frame::new_remote(ExtendedId::new(0x1ABC_DEF0).unwrap(), 4).unwrap();
        let bus_off = BusEvent {
            status: ControllerStatus {
                state: BusState::BusOff,
                tec: 255,
                rec: 3,
            },
            error: Some(Fault::Acknowledge),
            dropped: 7,
        };
        let cases = [
            (Record::frame(std_frame, 1_000_000), STD_FRAME),
            (Record::frame(ext_remote, 0), EXT_REMOTE),
            (Record::event(bus_off, 2), BUS_OFF),
        ];
        for (record, bytes) in cases {
            assert_eq!(record.encode(), bytes);
            assert_eq!(Record::decode(&bytes), Ok(record));
        }
    }

    #[test]
    fn malformed_records_are_refused() {
        let with = |base: [u8; RECORD_LEN], at: usize, byte: u8| {
            let mut bytes = base;
            bytes[at] = byte;
            Record::decode(&bytes)
        };
        assert_eq!(with(STD_FRAME, 5, 2), Err(RecordError::Kind(2)));
        assert_eq!(with(STD_FRAME, 6, 1), Err(RecordError::Reserved));
        assert_eq!(
            with(STD_FRAME, 3, 0x20),
            Err(RecordError::Reserved),
            "id bit 29"
        );
        assert_eq!(with(STD_FRAME, 1, 0x08), Err(RecordError::Id(0x823)));
        assert_eq!(with(STD_FRAME, 4, 9), Err(RecordError::Dlc(9)));
        assert_eq!(with(EXT_REMOTE, 4, 9), Err(RecordError::Dlc(9)));
        assert_eq!(with(BUS_OFF, 8, 3), Err(RecordError::State(3)));
        assert_eq!(with(BUS_OFF, 11, 8), Err(RecordError::Error(8)));
        // Data past the dlc is padding: not sent, and zero again when encoded.
        let padded = with(STD_FRAME, 12, 0x55).unwrap();
        assert_eq!(padded.encode(), STD_FRAME);
    }
}
