//! `kos_i2c_protocol`: a client's transfers on the I2C bus the server owns.
//!
//! Every request is one call on a token to the protocol and, when it touches the bus,
//! exactly one bus transaction: START, the operations, STOP, with no other client's
//! traffic in between. A client may only address the 7-bit addresses the server's
//! policy lists for its manifest name; anything else is refused before the bus sees
//! it. The reply's label is a [`Status`]; its `param` is always 0 and its payload is
//! the bytes read (or, for [`FEATURES`], the bus description).
//!
//! Integers on the wire are little-endian. The Elixir library encodes the same bytes,
//! so every layout below is part of the contract.
//!
//! | label | param | request payload | reply payload |
//! |---|---|---|---|
//! | [`FEATURES`] | ignored | ignored | [`FEATURES`] layout |
//! | [`WRITE`] | address | 0..=4096 bytes to write | empty |
//! | [`READ`] | [`transfer_param`] | empty | `len` bytes read |
//! | [`WRITE_READ`] | [`transfer_param`] | 1..=4096 bytes to write | `len` bytes read |
//! | [`TRANSACTION`] | address | operation list | all read bytes, in order |

/// Protocol name, as written in `dir_access_control`.
pub const PROTOCOL: &str = "kos_i2c_protocol";

/// Describe the bus. Reply payload: bus speed in Hz (u32 LE), the most bytes one
/// call can move (u16 LE, [`MAX_TRANSFER`]), then the backend's name in UTF-8 for the
/// rest of the payload (`"sim"`, `"am335x"`, `"linux"`, …).
pub const FEATURES: u64 = 1;
/// Write the payload (0..=4096 bytes) to the device at address `param`. An empty
/// write is the usual probe for "is a device there?": the simulated bus and i2c-dev
/// send only the address; the AM335x controller cannot move zero bytes, so its driver
/// probes with a one-byte read instead.
pub const WRITE: u64 = 2;
/// Read `len` bytes (1..=4096) from a device; `param` is [`transfer_param`]`(address,
/// len)`, the payload must be empty.
pub const READ: u64 = 3;
/// Write the payload (1..=4096 bytes), then a repeated START (no STOP, so no other
/// master can take the bus in between) and read `len` bytes (1..=4096): the usual
/// "select a register, read it". `param` is [`transfer_param`]`(address, len)`.
pub const WRITE_READ: u64 = 4;
/// Run a list of operations on the device at address `param` as one transaction:
/// each operation is `[kind u8: OP_WRITE | OP_READ][len u16 LE][len data bytes if
/// OP_WRITE]`, 1..=[`MAX_OPERATIONS`] of them, every `len` 1..=4096, the reads adding
/// up to at most 4096 bytes, and nothing after the last. Operations are joined by
/// repeated STARTs; the reply carries the read bytes concatenated in order.
pub const TRANSACTION: u64 = 5;

/// Operation kind in a [`TRANSACTION`] list: write the data that follows.
pub const OP_WRITE: u8 = 0;
/// Operation kind in a [`TRANSACTION`] list: read `len` bytes.
pub const OP_READ: u8 = 1;
/// Bytes before an operation's data: kind and length.
pub const OP_HEADER: usize = 3;
/// Most operations in one [`TRANSACTION`]; the server builds the list in a fixed-size
/// table, and real device protocols need two or three.
pub const MAX_OPERATIONS: usize = 16;

/// Most bytes one call writes or reads: one message payload.
pub const MAX_TRANSFER: usize = kos_msg::MAX_PAYLOAD;
/// Highest 7-bit address.
pub const MAX_ADDRESS: u8 = 0x7F;
/// The lowest address a device may be given: 0x00–0x07 are reserved (general call,
/// START byte, CBUS, other bus formats, HS-mode master codes; UM10204 §3.1.12).
pub const FIRST_DEVICE_ADDRESS: u8 = 0x08;
/// The highest address a device may be given: 0x78–0x7F are reserved (10-bit
/// addressing, device ID).
pub const LAST_DEVICE_ADDRESS: u8 = 0x77;

kos_service::statuses! {
    /// The status a reply carries as its label.
    pub enum Status {
        /// Done.
        Ok = 0,
        /// No device acknowledged the address.
        NackAddress = 1,
        /// The device acknowledged its address but refused a data byte.
        NackData = 2,
        /// Another master won the bus in the middle of the transaction.
        ArbitrationLost = 3,
        /// The bus was held by someone else and never became free.
        BusBusy = 4,
        /// The controller gave up waiting (a device stretching the clock for too long, or
        /// a stuck line).
        BusTimeout = 5,
        /// Any other bus fault (misplaced START/STOP, overrun, backend error).
        BusError = 6,
        /// The address is not among this client's; the bus was not touched.
        NotPermitted = 7,
        /// A malformed param or payload (address above 0x7F, `len` 0 or above 4096, a bad
        /// operation list, a payload where none belongs); the bus was not touched.
        BadRequest = 8,
        /// The label names no operation of this protocol.
        UnknownOperation = 9,
    }
}

/// The `param` of [`READ`] and [`WRITE_READ`]: the address in bits 0..16, `len` in
/// bits 16..32.
pub const fn transfer_param(address: u8, len: u16) -> u64 {
    address as u64 | (len as u64) << 16
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn transfer_param_puts_the_length_above_the_address() {
        assert_eq!(transfer_param(0x76, 2), 0x0002_0076);
        assert_eq!(transfer_param(0x7F, 4096), 0x1000_007F);
    }

    #[test]
    fn device_addresses_are_the_ones_the_manifest_grants() {
        assert_eq!(
            FIRST_DEVICE_ADDRESS..=LAST_DEVICE_ADDRESS,
            kos_manifest::I2C_DEVICE_ADDRESSES
        );
    }

    #[test]
    fn statuses_round_trip_through_their_labels() {
        use kos_service::Status as _;
        for (label, s) in Status::ALL.iter().enumerate() {
            assert_eq!(s.label(), label as u64);
            assert_eq!(Status::from_label(label as u64), Some(*s));
        }
        assert_eq!(Status::from_label(10), None);
    }
}
