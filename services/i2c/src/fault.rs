//! What went wrong on the bus, independent of the backend that noticed it.
//!
//! Every backend (the AM335x register driver, Linux `i2c-dev`, the simulator) has its
//! own error type, and some of them tell apart more than `embedded_hal::i2c::ErrorKind`
//! can (a busy bus, a timeout). The server binary therefore hands the service a
//! classifier per backend, `fn(&B::Error) -> Fault`; [`classify_kind`] is the one for
//! backends whose errors say no more than their `ErrorKind`.

use embedded_hal::i2c::{Error, ErrorKind, NoAcknowledgeSource};

use crate::protocol::Status;

/// A bus fault, one per reply status a bus error can produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// No device acknowledged the address.
    NackAddress,
    /// The device refused a data byte.
    NackData,
    /// Another master won arbitration.
    ArbitrationLost,
    /// The bus never became free.
    BusBusy,
    /// The controller gave up waiting.
    Timeout,
    /// Anything else.
    Other,
}

impl Fault {
    /// The reply status for this fault.
    pub const fn status(self) -> Status {
        match self {
            Fault::NackAddress => Status::NackAddress,
            Fault::NackData => Status::NackData,
            Fault::ArbitrationLost => Status::ArbitrationLost,
            Fault::BusBusy => Status::BusBusy,
            Fault::Timeout => Status::BusTimeout,
            Fault::Other => Status::BusError,
        }
    }
}

impl core::fmt::Display for Fault {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Fault::NackAddress => "address not acknowledged",
            Fault::NackData => "data not acknowledged",
            Fault::ArbitrationLost => "arbitration lost",
            Fault::BusBusy => "bus busy",
            Fault::Timeout => "timeout",
            Fault::Other => "bus error",
        })
    }
}

/// A classifier for any `embedded_hal` I2C error, from its `ErrorKind` alone.
///
/// A NACK of unknown source (Linux's `i2c-dev` reports `ENXIO` either way) counts as
/// an address NACK: almost always the device is absent or asleep.
pub fn classify_kind<E: Error>(error: &E) -> Fault {
    match error.kind() {
        ErrorKind::NoAcknowledge(NoAcknowledgeSource::Data) => Fault::NackData,
        ErrorKind::NoAcknowledge(_) => Fault::NackAddress,
        ErrorKind::ArbitrationLoss => Fault::ArbitrationLost,
        _ => Fault::Other,
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn error_kinds_map_to_the_faults_they_name() {
        let nack = |source| classify_kind(&ErrorKind::NoAcknowledge(source));
        assert_eq!(nack(NoAcknowledgeSource::Address), Fault::NackAddress);
        assert_eq!(nack(NoAcknowledgeSource::Data), Fault::NackData);
        assert_eq!(nack(NoAcknowledgeSource::Unknown), Fault::NackAddress);
        assert_eq!(
            classify_kind(&ErrorKind::ArbitrationLoss),
            Fault::ArbitrationLost
        );
        assert_eq!(classify_kind(&ErrorKind::Bus), Fault::Other);
        assert_eq!(classify_kind(&ErrorKind::Overrun), Fault::Other);
    }

    #[test]
    fn every_fault_has_its_own_status() {
        let all = [
            Fault::NackAddress,
            Fault::NackData,
            Fault::ArbitrationLost,
            Fault::BusBusy,
            Fault::Timeout,
            Fault::Other,
        ];
        let statuses = all.map(Fault::status);
        assert_eq!(
            statuses,
            [
                Status::NackAddress,
                Status::NackData,
                Status::ArbitrationLost,
                Status::BusBusy,
                Status::BusTimeout,
                Status::BusError
            ]
        );
    }
}
