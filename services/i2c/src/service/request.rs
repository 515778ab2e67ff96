//! A call's label, param and payload, checked against the protocol's layouts before
//! anything else happens: everything past this point may index without checking.

use crate::protocol::{
    Status, FEATURES, MAX_ADDRESS, MAX_OPERATIONS, MAX_TRANSFER, OP_HEADER, OP_READ, OP_WRITE,
    READ, TRANSACTION, WRITE, WRITE_READ,
};

/// A well-formed request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Request<'p> {
    Features,
    Write {
        address: u8,
        data: &'p [u8],
    },
    Read {
        address: u8,
        len: usize,
    },
    WriteRead {
        address: u8,
        data: &'p [u8],
        len: usize,
    },
    /// `ops` is a validated operation list: [`Operations`] over it yields no error.
    Transaction {
        address: u8,
        ops: &'p [u8],
    },
}

impl<'p> Request<'p> {
    /// Checks a call; the error is the reply status.
    pub(crate) fn parse(label: u64, param: u64, payload: &'p [u8]) -> Result<Self, Status> {
        match label {
            FEATURES => Ok(Request::Features),
            WRITE => Ok(Request::Write {
                address: address(param)?,
                data: checked_len(payload)?,
            }),
            READ if !payload.is_empty() => Err(Status::BadRequest),
            READ => {
                let (address, len) = transfer(param)?;
                Ok(Request::Read { address, len })
            }
            WRITE_READ if payload.is_empty() => Err(Status::BadRequest),
            WRITE_READ => {
                let (address, len) = transfer(param)?;
                let data = checked_len(payload)?;
                Ok(Request::WriteRead { address, data, len })
            }
            TRANSACTION => {
                let address = address(param)?;
                let ops = checked_len(payload)?;
                validate_operations(ops)?;
                Ok(Request::Transaction { address, ops })
            }
            _ => Err(Status::UnknownOperation),
        }
    }

    /// The device the request is for (`None` for [`Request::Features`]).
    pub(crate) fn address(&self) -> Option<u8> {
        match *self {
            Request::Features => None,
            Request::Write { address, .. }
            | Request::Read { address, .. }
            | Request::WriteRead { address, .. }
            | Request::Transaction { address, .. } => Some(address),
        }
    }
}

/// A param that must be exactly a 7-bit address.
fn address(param: u64) -> Result<u8, Status> {
    u8::try_from(param)
        .ok()
        .filter(|&a| a <= MAX_ADDRESS)
        .ok_or(Status::BadRequest)
}

/// A [`crate::protocol::transfer_param`]: address and a length of 1..=4096.
fn transfer(param: u64) -> Result<(u8, usize), Status> {
    let address = address(param & 0xFFFF)?;
    let len = transfer_len(param >> 16)?;
    Ok((address, len))
}

fn transfer_len(len: u64) -> Result<usize, Status> {
    match usize::try_from(len) {
        Ok(len) if (1..=MAX_TRANSFER).contains(&len) => Ok(len),
        _ => Err(Status::BadRequest),
    }
}

/// The transport already bounds payloads; this keeps the service safe on its own.
fn checked_len(payload: &[u8]) -> Result<&[u8], Status> {
    if payload.len() <= MAX_TRANSFER {
        Ok(payload)
    } else {
        Err(Status::BadRequest)
    }
}

fn validate_operations(ops: &[u8]) -> Result<(), Status> {
    let mut count = 0;
    let mut read = 0;
    for op in Operations(ops) {
        count += 1;
        if let Op::Read(len) = op? {
            read += len;
        }
    }
    if count == 0 || count > MAX_OPERATIONS || read > MAX_TRANSFER {
        return Err(Status::BadRequest);
    }
    Ok(())
}

/// One operation of a [`crate::protocol::TRANSACTION`] list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op<'p> {
    Write(&'p [u8]),
    Read(usize),
}

/// Walks an operation list; stops after the first malformed operation. Each step
/// consumes at least [`OP_HEADER`] bytes, so it ends within `len / 3 + 1` steps.
pub(crate) struct Operations<'p>(pub(crate) &'p [u8]);

impl<'p> Iterator for Operations<'p> {
    type Item = Result<Op<'p>, Status>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.0.is_empty() {
            return None;
        }
        let Some((&[kind, lo, hi], rest)) = self.0.split_first_chunk::<OP_HEADER>() else {
            self.0 = &[];
            return Some(Err(Status::BadRequest));
        };
        let len = match transfer_len(u64::from(u16::from_le_bytes([lo, hi]))) {
            Ok(len) => len,
            Err(status) => {
                self.0 = &[];
                return Some(Err(status));
            }
        };
        let (op, rest) = match kind {
            OP_WRITE if len <= rest.len() => {
                let (data, rest) = rest.split_at(len);
                (Op::Write(data), rest)
            }
            OP_READ => (Op::Read(len), rest),
            _ => {
                self.0 = &[];
                return Some(Err(Status::BadRequest));
            }
        };
        self.0 = rest;
        Some(Ok(op))
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::protocol::transfer_param;

    const OK: Result<(), Status> = Ok(());
    const BAD: Result<(), Status> = Err(Status::BadRequest);

    fn check(label: u64, param: u64, payload: &[u8]) -> Result<(), Status> {
        Request::parse(label, param, payload).map(|_| ())
    }

    #[test]
    fn addresses_must_be_seven_bit_and_alone_in_the_param() {
        assert_eq!(check(WRITE, 0x7F, &[1]), OK);
        assert_eq!(check(WRITE, 0x80, &[1]), BAD);
        assert_eq!(check(WRITE, 0x1_0000_0010, &[1]), BAD);
        assert_eq!(check(TRANSACTION, 0x80, &[OP_READ, 1, 0]), BAD);
        assert_eq!(check(READ, transfer_param(0x80, 1), &[]), BAD);
        assert_eq!(check(READ, 0x0001_0100, &[]), BAD, "address bits 8..16");
    }

    #[test]
    fn lengths_run_from_one_to_one_payload() {
        assert_eq!(check(READ, transfer_param(0x10, 1), &[]), OK);
        assert_eq!(check(READ, transfer_param(0x10, 4096), &[]), OK);
        assert_eq!(check(READ, transfer_param(0x10, 0), &[]), BAD);
        assert_eq!(check(READ, transfer_param(0x10, 4097), &[]), BAD);
        assert_eq!(check(READ, 0x10 | 1 << 40, &[]), BAD);
        assert_eq!(check(READ, transfer_param(0x10, 1), &[0]), BAD, "payload");
        assert_eq!(check(WRITE_READ, transfer_param(0x10, 2), &[0]), OK);
        assert_eq!(check(WRITE_READ, transfer_param(0x10, 2), &[]), BAD);
        assert_eq!(check(WRITE, 0x10, &[]), OK, "the address probe");
        assert_eq!(check(WRITE, 0x10, &[0; 4097]), BAD);
        assert_eq!(check(99, 0, &[]), Err(Status::UnknownOperation));
    }

    #[test]
    fn operation_lists_must_be_exact() {
        let ok = |ops: &[u8]| check(TRANSACTION, 0x10, ops);
        assert_eq!(ok(&[OP_WRITE, 2, 0, 0xAA, 0xBB, OP_READ, 4, 0]), OK);
        assert_eq!(ok(&[]), BAD, "no operations");
        assert_eq!(ok(&[OP_WRITE, 2, 0, 0xAA]), BAD, "data cut short");
        assert_eq!(ok(&[OP_READ, 1, 0, 0]), BAD, "trailing byte");
        assert_eq!(ok(&[OP_READ, 1]), BAD, "header cut short");
        assert_eq!(ok(&[OP_READ, 0, 0]), BAD, "empty read");
        assert_eq!(ok(&[OP_WRITE, 0, 0]), BAD, "empty write");
        assert_eq!(ok(&[2, 1, 0, 0]), BAD, "unknown kind");
        assert_eq!(ok(&[OP_READ, 0x01, 0x10]), BAD, "4097-byte read");
        assert_eq!(ok(&[OP_READ, 0x00, 0x08, OP_READ, 0x00, 0x08]), OK);
        assert_eq!(
            ok(&[OP_READ, 0x00, 0x08, OP_READ, 0x01, 0x08]),
            BAD,
            "4097 bytes read in all"
        );
        let mut many = [0u8; 3 * (MAX_OPERATIONS + 1)];
        for op in many.chunks_mut(3) {
            op.copy_from_slice(&[OP_READ, 1, 0]);
        }
        assert_eq!(ok(&many[..3 * MAX_OPERATIONS]), OK);
        assert_eq!(ok(&many), BAD, "too many operations");
    }
}
