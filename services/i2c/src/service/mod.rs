//! What the I2C server does with a request, apart from any transport.
//!
//! The server's event loop passes every call (with the caller's manifest name, which
//! the message server vouches for) to [`I2cService::handle`] and sends back what it
//! returns. One [`I2cService`] owns the bus and the event loop is its only owner, so
//! calls are served one at a time: each runs as exactly one bus transaction, and no
//! other client's traffic can land between a register select and its read. A request
//! is checked — its layout first, then the client's addresses — before the bus is
//! touched, so a malformed or forbidden request never reaches a device. Bus errors
//! come back as statuses; no input makes the service panic.

mod request;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod vectors;

use embedded_hal::i2c::{I2c, Operation};
use heapless::Vec;

use crate::protocol::{Status, MAX_OPERATIONS, MAX_TRANSFER};
use crate::{AddressPolicy, ClientStats, Fault, MAX_CLIENTS};
use request::{Op, Operations, Request};

/// Longest backend name sent in a `FEATURES` reply; longer names are cut.
pub const MAX_BACKEND_NAME: usize = 64;

/// The answer to one request: a [`Status`], a param (always 0 in this protocol),
/// and how many bytes of the output buffer form the payload.
pub type Answer = kos_service::Answer<Status>;

/// What `FEATURES` reports about the bus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BusInfo {
    /// SCL frequency the backend was configured with, in Hz.
    pub speed_hz: u32,
    /// The backend's name: `"sim"`, `"am335x"`, `"linux"`, …
    pub backend: &'static str,
}

/// The I2C server's state: the bus, how its errors read, who may use which address,
/// and what each client has done.
pub struct I2cService<B: I2c> {
    bus: B,
    classify: fn(&B::Error) -> Fault,
    info: BusInfo,
    policy: AddressPolicy,
    /// Indexed like `policy.clients()`.
    stats: [ClientStats; MAX_CLIENTS],
    /// Callers the policy does not name (they can only be refused, but that is worth
    /// a log line).
    unlisted: ClientStats,
}

impl<B: I2c> I2cService<B> {
    /// A service owning `bus`, whose errors `classify` turns into faults
    /// ([`crate::classify_kind`] for backends that report only an `ErrorKind`).
    pub fn new(
        bus: B,
        classify: fn(&B::Error) -> Fault,
        info: BusInfo,
        policy: AddressPolicy,
    ) -> Self {
        I2cService {
            bus,
            classify,
            info,
            policy,
            stats: [ClientStats::default(); MAX_CLIENTS],
            unlisted: ClientStats::default(),
        }
    }

    /// The bus, for its owner's own business between calls (a simulated bus's fault
    /// switches, say); never reached by clients this way.
    pub fn bus_mut(&mut self) -> &mut B {
        &mut self.bus
    }

    /// Gives the bus back.
    pub fn release(self) -> B {
        self.bus
    }

    /// The access policy in force.
    pub fn policy(&self) -> &AddressPolicy {
        &self.policy
    }

    /// What `client` has done (all zero for a client that has done nothing).
    pub fn stats(&self, client: &str) -> ClientStats {
        match self.policy.index_of(client) {
            Some(i) => self.stats[i],
            None => self.unlisted,
        }
    }

    /// Every named client's statistics, in policy order.
    pub fn all_stats(&self) -> impl Iterator<Item = (&str, &ClientStats)> {
        self.policy
            .clients()
            .map(|(name, _)| name)
            .zip(self.stats.iter())
    }

    /// What all clients the policy does not name have done together.
    pub fn unlisted_stats(&self) -> ClientStats {
        self.unlisted
    }

    /// Answers one call from `client`; the reply payload is written to the front of
    /// `out`.
    pub fn handle(
        &mut self,
        client: &str,
        label: u64,
        param: u64,
        payload: &[u8],
        out: &mut [u8; MAX_TRANSFER],
    ) -> Answer {
        let slot = self.policy.index_of(client);
        let stats = match slot {
            Some(i) => &mut self.stats[i],
            None => &mut self.unlisted,
        };
        let request = match Request::parse(label, param, payload) {
            Ok(request) => request,
            Err(status) => {
                stats.malformed += 1;
                return Answer::new(status);
            }
        };
        let Some(address) = request.address() else {
            return features(&self.info, out);
        };
        if !self.policy.allows(client, address) {
            stats.refused += 1;
            return Answer::new(Status::NotPermitted);
        }
        stats.transactions += 1;
        match run(&mut self.bus, request, out) {
            Ok(Some((written, read))) => {
                stats.bytes_written += written as u64;
                stats.bytes_read += read as u64;
                Answer::new(Status::Ok).with_len(read)
            }
            // Cannot happen for a validated request; refused rather than trusted.
            Ok(None) => Answer::new(Status::BadRequest),
            Err(error) => {
                stats.bus_errors += 1;
                Answer::new((self.classify)(&error).status())
            }
        }
    }
}

/// The `FEATURES` payload: speed, largest transfer, backend name.
fn features(info: &BusInfo, out: &mut [u8; MAX_TRANSFER]) -> Answer {
    out[..4].copy_from_slice(&info.speed_hz.to_le_bytes());
    out[4..6].copy_from_slice(&(MAX_TRANSFER as u16).to_le_bytes());
    let name = truncate(info.backend, MAX_BACKEND_NAME);
    out[6..6 + name.len()].copy_from_slice(name.as_bytes());
    Answer::new(Status::Ok).with_len(6 + name.len())
}

/// `s` cut to at most `max` bytes on a character boundary, so the name stays UTF-8.
fn truncate(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    // A UTF-8 character is at most 4 bytes, so this steps back at most 3 times.
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Runs a validated request as one bus transaction. Returns the bytes written and
/// read, or `None` if the request turns out not to fit (which validation rules out).
fn run<B: I2c>(
    bus: &mut B,
    request: Request<'_>,
    out: &mut [u8; MAX_TRANSFER],
) -> Result<Option<(usize, usize)>, B::Error> {
    match request {
        Request::Features => Ok(Some((0, 0))),
        Request::Write { address, data } => {
            bus.write(address, data)?;
            Ok(Some((data.len(), 0)))
        }
        Request::Read { address, len } => {
            bus.read(address, &mut out[..len])?;
            Ok(Some((0, len)))
        }
        Request::WriteRead { address, data, len } => {
            bus.write_read(address, data, &mut out[..len])?;
            Ok(Some((data.len(), len)))
        }
        Request::Transaction { address, ops } => {
            let Some(mut ops) = operations(ops, out) else {
                return Ok(None);
            };
            bus.transaction(address, &mut ops.list)?;
            Ok(Some((ops.written, ops.read)))
        }
    }
}

/// A validated operation list as `embedded_hal` operations, and what it moves.
struct OperationList<'a> {
    list: Vec<Operation<'a>, MAX_OPERATIONS>,
    written: usize,
    read: usize,
}

/// Writes borrow the payload; reads get consecutive pieces of `out`, so the reply is
/// their concatenation.
fn operations<'a>(ops: &'a [u8], out: &'a mut [u8]) -> Option<OperationList<'a>> {
    let mut list = Vec::new();
    let (mut written, mut read) = (0, 0);
    let mut rest = out;
    for op in Operations(ops) {
        let op = match op.ok()? {
            Op::Write(data) => {
                written += data.len();
                Operation::Write(data)
            }
            Op::Read(len) if len <= rest.len() => {
                let (piece, tail) = core::mem::take(&mut rest).split_at_mut(len);
                rest = tail;
                read += len;
                Operation::Read(piece)
            }
            Op::Read(_) => return None,
        };
        list.push(op).ok()?;
    }
    Some(OperationList {
        list,
        written,
        read,
    })
}
