//! `kos_i2c_protocol`'s wire vectors for the Elixir library (`Kos.I2C`): every call
//! the library makes, as the label, param and payload it must send, each checked here
//! against the server's own request parser, and the `FEATURES` reply as the service
//! writes it. See `kos-wire-vectors` for how the file is kept in step.

extern crate std;

use std::vec;
use std::vec::Vec;

use kos_wire_vectors::{
    atom, bytes, check, failure_statuses, int, list, record, text, tuple, Term,
};

use super::request::Request;
use super::{features, BusInfo};
use crate::protocol::*;

/// What the Elixir library asks for, and what the server must make of its bytes.
enum Call {
    Write(u8, &'static [u8]),
    Read(u8, u16),
    WriteRead(u8, &'static [u8], u16),
    Transaction(u8, &'static [Op]),
}

enum Op {
    Write(&'static [u8]),
    Read(u16),
}

impl Call {
    /// The call in the form the Elixir suite rebuilds it: `{write, Address, Data}`, …
    fn term(&self) -> Term {
        match *self {
            Call::Write(a, data) => tuple([atom("write"), int(a), bytes(data)]),
            Call::Read(a, n) => tuple([atom("read"), int(a), int(n)]),
            Call::WriteRead(a, data, n) => tuple([atom("write_read"), int(a), bytes(data), int(n)]),
            Call::Transaction(a, ops) => {
                let ops = ops.iter().map(|op| match *op {
                    Op::Write(data) => tuple([atom("write"), bytes(data)]),
                    Op::Read(n) => tuple([atom("read"), int(n)]),
                });
                tuple([atom("transaction"), int(a), list(ops)])
            }
        }
    }

    /// The label, param and payload, laid out from the protocol's documentation.
    fn wire(&self) -> (u64, u64, Vec<u8>) {
        match *self {
            Call::Write(a, data) => (WRITE, u64::from(a), data.to_vec()),
            Call::Read(a, n) => (READ, transfer_param(a, n), vec![]),
            Call::WriteRead(a, data, n) => (WRITE_READ, transfer_param(a, n), data.to_vec()),
            Call::Transaction(a, ops) => {
                let mut payload = Vec::new();
                for op in ops {
                    let (kind, len, data): (u8, u16, &[u8]) = match *op {
                        Op::Write(data) => (OP_WRITE, data.len() as u16, data),
                        Op::Read(n) => (OP_READ, n, &[]),
                    };
                    payload.push(kind);
                    payload.extend_from_slice(&len.to_le_bytes());
                    payload.extend_from_slice(data);
                }
                (TRANSACTION, u64::from(a), payload)
            }
        }
    }

    /// The server's parser must read the wire form back as this very call.
    fn assert_parses(&self, label: u64, param: u64, payload: &[u8]) {
        let parsed = Request::parse(label, param, payload).expect("the server refuses it");
        match (self, parsed) {
            (Call::Write(a, data), Request::Write { address, data: d }) => {
                assert_eq!((*a, *data), (address, d));
            }
            (Call::Read(a, n), Request::Read { address, len }) => {
                assert_eq!((*a, usize::from(*n)), (address, len));
            }
            (
                Call::WriteRead(a, data, n),
                Request::WriteRead {
                    address,
                    data: d,
                    len,
                },
            ) => {
                assert_eq!((*a, *data, usize::from(*n)), (address, d, len));
            }
            (Call::Transaction(a, ops), Request::Transaction { address, ops: wire }) => {
                assert_eq!(*a, address);
                let read: Vec<_> = super::request::Operations(wire).collect();
                assert_eq!(read.len(), ops.len());
                for (want, got) in ops.iter().zip(read) {
                    match (want, got.unwrap()) {
                        (Op::Write(d), super::request::Op::Write(g)) => assert_eq!(*d, g),
                        (Op::Read(n), super::request::Op::Read(g)) => {
                            assert_eq!(usize::from(*n), g)
                        }
                        _ => panic!("operation kind differs"),
                    }
                }
            }
            _ => panic!("parsed as another request: {parsed:?}"),
        }
    }
}

const BME280: u8 = 0x76;

/// One call of every kind, at the edges of each length.
const CALLS: &[Call] = &[
    Call::Write(BME280, &[0xF4, 0x25]),
    Call::Write(0x3C, &[]),
    Call::Read(BME280, 1),
    Call::Read(0x7F, MAX_TRANSFER as u16),
    Call::WriteRead(BME280, &[0xD0], 1),
    Call::WriteRead(BME280, &[0x88], 26),
    Call::Transaction(BME280, &[Op::Write(&[0xF7]), Op::Read(8)]),
    Call::Transaction(
        0x50,
        &[Op::Write(&[0x00, 0x10, 0xAB]), Op::Read(2), Op::Read(1)],
    ),
];

#[test]
fn vectors() {
    let mut terms = vec![
        tuple([atom("protocol"), text(PROTOCOL)]),
        tuple([
            atom("labels"),
            record([
                ("features", int(FEATURES)),
                ("write", int(WRITE)),
                ("read", int(READ)),
                ("write_read", int(WRITE_READ)),
                ("transaction", int(TRANSACTION)),
            ]),
        ]),
        // Every failure status and the atom the library returns for it.
        failure_statuses(Status::ALL),
        tuple([
            atom("limits"),
            record([
                ("max_transfer", int(MAX_TRANSFER as u64)),
                ("max_operations", int(MAX_OPERATIONS as u64)),
                ("max_address", int(MAX_ADDRESS)),
            ]),
        ]),
    ];
    for call in CALLS {
        let (label, param, payload) = call.wire();
        call.assert_parses(label, param, &payload);
        let wire = tuple([int(label), int(param), bytes(&payload)]);
        terms.push(tuple([atom("call"), call.term(), wire]));
    }
    for (speed_hz, backend) in [(100_000, "sim"), (400_000, "am335x")] {
        let mut out = [0; MAX_TRANSFER];
        let answer = features(&BusInfo { speed_hz, backend }, &mut out);
        terms.push(tuple([
            atom("features"),
            bytes(&out[..answer.len]),
            record([
                ("speed_hz", int(speed_hz)),
                ("max_transfer", int(MAX_TRANSFER as u64)),
                ("backend", text(backend)),
            ]),
        ]));
    }
    check("kos_i2c_protocol", "kos_i2c::protocol", &terms);
}
