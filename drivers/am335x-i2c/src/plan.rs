//! How a list of embedded-hal operations becomes controller transfers.
//!
//! The embedded-hal contract sends adjacent operations of the same direction back to back
//! with no repeated START between them, so each run of same-direction operations becomes
//! one controller transfer (one `CNT`, one START). Empty operations carry no bytes and the
//! controller cannot transfer zero bytes (`CNT` = 0 means 65536), so they are skipped.

use embedded_hal::i2c::Operation;

/// One controller transfer: a run of same-direction operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Transfer {
    /// Read (receiver) or write (transmitter).
    pub read: bool,
    /// Index of its first operation.
    pub start: usize,
    /// One past its last operation.
    pub end: usize,
    /// Bytes in the whole run.
    pub len: usize,
}

/// The transfer that begins at or after operation `from`; `None` once only empty
/// operations remain.
pub(crate) fn next_transfer(ops: &[Operation<'_>], from: usize) -> Option<Transfer> {
    let start = (from..ops.len()).find(|&i| op_len(&ops[i]) > 0)?;
    let read = matches!(ops[start], Operation::Read(_));
    let mut end = start;
    let mut len = 0;
    while let Some(op) = ops.get(end) {
        let op_read = matches!(op, Operation::Read(_));
        if op_len(op) > 0 && op_read != read {
            break;
        }
        len += op_len(op);
        end += 1;
    }
    Some(Transfer {
        read,
        start,
        end,
        len,
    })
}

fn op_len(op: &Operation<'_>) -> usize {
    match op {
        Operation::Read(buffer) => buffer.len(),
        Operation::Write(bytes) => bytes.len(),
    }
}

/// Position of the next byte within a transfer's operations.
#[derive(Debug)]
pub(crate) struct Cursor {
    op: usize,
    byte: usize,
    end: usize,
}

impl Cursor {
    /// At the first byte of `transfer`.
    pub fn new(transfer: &Transfer) -> Self {
        Self {
            op: transfer.start,
            byte: 0,
            end: transfer.end,
        }
    }

    /// The next byte to send, if any remain.
    pub fn next_write(&mut self, ops: &[Operation<'_>]) -> Option<u8> {
        while self.op < self.end {
            if let Some(Operation::Write(bytes)) = ops.get(self.op) {
                if let Some(&byte) = bytes.get(self.byte) {
                    self.byte += 1;
                    return Some(byte);
                }
            }
            self.op += 1;
            self.byte = 0;
        }
        None
    }

    /// Stores a received byte; false when every read buffer is already full.
    pub fn put_read(&mut self, ops: &mut [Operation<'_>], value: u8) -> bool {
        while self.op < self.end {
            if let Some(Operation::Read(buffer)) = ops.get_mut(self.op) {
                if let Some(slot) = buffer.get_mut(self.byte) {
                    *slot = value;
                    self.byte += 1;
                    return true;
                }
            }
            self.op += 1;
            self.byte = 0;
        }
        false
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn same_direction_operations_merge_and_empty_ones_vanish() {
        let (a, b) = ([1u8, 2], [3u8]);
        let (mut x, mut y) = ([0u8; 2], [0u8; 3]);
        let mut empty = [0u8; 0];
        let ops = [
            Operation::Write(&[]),
            Operation::Write(&a),
            Operation::Read(&mut empty),
            Operation::Write(&b),
            Operation::Read(&mut x),
            Operation::Write(&[]),
            Operation::Read(&mut y),
        ];
        let first = next_transfer(&ops, 0);
        assert_eq!(
            first,
            Some(Transfer {
                read: false,
                start: 1,
                end: 4,
                len: 3
            })
        );
        let second = next_transfer(&ops, 4);
        assert_eq!(
            second,
            Some(Transfer {
                read: true,
                start: 4,
                end: 7,
                len: 5
            })
        );
        assert_eq!(next_transfer(&ops, 7), None);
    }

    #[test]
    fn only_empty_operations_make_no_transfer() {
        let ops = [Operation::Write(&[]), Operation::Write(&[])];
        assert_eq!(next_transfer(&ops, 0), None);
    }

    #[test]
    fn cursor_walks_across_operations() {
        let (a, b) = ([1u8, 2], [3u8]);
        let ops = [
            Operation::Write(&a),
            Operation::Write(&[]),
            Operation::Write(&b),
        ];
        let transfer = next_transfer(&ops, 0).expect("a transfer");
        let mut cursor = Cursor::new(&transfer);
        let mut sent = [0u8; 3];
        for slot in &mut sent {
            *slot = cursor.next_write(&ops).expect("a byte");
        }
        assert_eq!(sent, [1, 2, 3]);
        assert_eq!(cursor.next_write(&ops), None);

        let (mut x, mut y) = ([0u8; 1], [0u8; 2]);
        let mut ops = [Operation::Read(&mut x), Operation::Read(&mut y)];
        let transfer = next_transfer(&ops, 0).expect("a transfer");
        let mut cursor = Cursor::new(&transfer);
        for value in [7, 8, 9] {
            assert!(cursor.put_read(&mut ops, value));
        }
        assert!(!cursor.put_read(&mut ops, 10));
        assert_eq!((x, y), ([7], [8, 9]));
    }
}
