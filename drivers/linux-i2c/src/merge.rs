//! Adjacent operations of one direction, merged into one i2c-dev message.
//!
//! Every `I2C_RDWR` message begins with a (repeated) START, but the embedded-hal contract
//! sends adjacent same-direction operations back to back with none in between. Writes
//! are concatenated and reads land in one buffer that is then split back, so each run is
//! one message. Most transactions alternate already and pass through without copying.

use std::ops::Range;

use embedded_hal::i2c::Operation;

/// Whether two adjacent operations have the same direction.
pub(crate) fn needs_merging(ops: &[Operation<'_>]) -> bool {
    ops.windows(2)
        .any(|pair| is_read(&pair[0]) == is_read(&pair[1]))
}

/// Runs `transfer` on `ops` with each run of same-direction operations merged into one,
/// then hands the bytes read back to the original read buffers.
pub(crate) fn with_merged<E>(
    ops: &mut [Operation<'_>],
    transfer: impl FnOnce(&mut [Operation<'_>]) -> Result<(), E>,
) -> Result<(), E> {
    let runs = runs(ops);
    let mut buffers: Vec<Vec<u8>> = runs
        .iter()
        .map(|(read, range)| {
            let ops = &ops[range.clone()];
            if *read {
                vec![0; ops.iter().map(op_len).sum()]
            } else {
                ops.iter()
                    .flat_map(|op| match op {
                        Operation::Write(bytes) => bytes.iter().copied(),
                        Operation::Read(_) => [].iter().copied(),
                    })
                    .collect()
            }
        })
        .collect();
    let mut merged: Vec<Operation<'_>> = buffers
        .iter_mut()
        .zip(&runs)
        .map(|(buffer, (read, _))| {
            if *read {
                Operation::Read(buffer.as_mut_slice())
            } else {
                Operation::Write(buffer.as_slice())
            }
        })
        .collect();
    transfer(&mut merged)?;
    drop(merged);
    for (buffer, (read, range)) in buffers.iter().zip(&runs) {
        if !*read {
            continue;
        }
        let mut received = buffer.as_slice();
        for op in &mut ops[range.clone()] {
            if let Operation::Read(destination) = op {
                let (head, rest) = received.split_at(destination.len());
                destination.copy_from_slice(head);
                received = rest;
            }
        }
    }
    Ok(())
}

/// Direction and operation range of each run of same-direction operations.
fn runs(ops: &[Operation<'_>]) -> Vec<(bool, Range<usize>)> {
    let mut runs: Vec<(bool, Range<usize>)> = Vec::new();
    for (index, op) in ops.iter().enumerate() {
        match runs.last_mut() {
            Some((read, range)) if *read == is_read(op) => range.end = index + 1,
            _ => runs.push((is_read(op), index..index + 1)),
        }
    }
    runs
}

fn is_read(op: &Operation<'_>) -> bool {
    matches!(op, Operation::Read(_))
}

fn op_len(op: &Operation<'_>) -> usize {
    match op {
        Operation::Read(buffer) => buffer.len(),
        Operation::Write(bytes) => bytes.len(),
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn alternating_operations_need_no_merging() {
        let mut buffer = [0u8; 1];
        let ops = [Operation::Write(&[1]), Operation::Read(&mut buffer)];
        assert!(!needs_merging(&ops));
        let ops = [Operation::Write(&[1]), Operation::Write(&[2])];
        assert!(needs_merging(&ops));
    }

    #[test]
    fn runs_become_single_messages_and_reads_are_split_back() {
        let (mut a, mut b, mut c) = ([0u8; 1], [0u8; 2], [0u8; 1]);
        let mut ops = [
            Operation::Write(&[0x10]),
            Operation::Write(&[0x20, 0x21]),
            Operation::Read(&mut a),
            Operation::Read(&mut b),
            Operation::Write(&[0x30]),
            Operation::Read(&mut c),
        ];
        let mut seen = Vec::new();
        let result: Result<(), ()> = with_merged(&mut ops, |merged| {
            for op in merged.iter_mut() {
                match op {
                    Operation::Write(bytes) => seen.push((false, bytes.to_vec())),
                    Operation::Read(buffer) => {
                        seen.push((true, vec![0; buffer.len()]));
                        for (i, byte) in buffer.iter_mut().enumerate() {
                            *byte = 0xA0 + i as u8;
                        }
                    }
                }
            }
            Ok(())
        });
        assert_eq!(result, Ok(()));
        assert_eq!(
            seen,
            [
                (false, vec![0x10, 0x20, 0x21]),
                (true, vec![0; 3]),
                (false, vec![0x30]),
                (true, vec![0; 1]),
            ]
        );
        assert_eq!((a, b, c), ([0xA0], [0xA1, 0xA2], [0xA0]));
    }

    #[test]
    fn a_failed_transfer_leaves_read_buffers_alone() {
        let (mut a, mut b) = ([7u8; 1], [7u8; 1]);
        let mut ops = [Operation::Read(&mut a), Operation::Read(&mut b)];
        let result = with_merged(&mut ops, |merged| {
            if let Operation::Read(buffer) = &mut merged[0] {
                buffer.fill(1);
            }
            Err("bus fault")
        });
        assert_eq!(result, Err("bus fault"));
        assert_eq!((a, b), ([7], [7]));
    }
}
