//! Errno mapping and opening adapters that are not there (this machine has no i2c-dev).
#![cfg(target_os = "linux")]

use std::path::PathBuf;

use embedded_hal::i2c::{Error as _, ErrorKind, NoAcknowledgeSource};
use kos_linux_i2c::{Error, LinuxI2c, OpenErrorKind};

#[test]
fn fault_codes_map_to_the_shared_variants() {
    let cases = [
        (libc::ENXIO, Error::Nack(NoAcknowledgeSource::Address)),
        (libc::EIO, Error::Nack(NoAcknowledgeSource::Data)),
        (libc::EREMOTEIO, Error::Nack(NoAcknowledgeSource::Unknown)),
        (libc::EAGAIN, Error::ArbitrationLoss),
        (libc::EBUSY, Error::BusBusy),
        (libc::ETIMEDOUT, Error::Timeout),
        (libc::EINVAL, Error::Io(libc::EINVAL)),
        (libc::EOPNOTSUPP, Error::Io(libc::EOPNOTSUPP)),
        (libc::ENODEV, Error::Io(libc::ENODEV)),
    ];
    for (errno, expected) in cases {
        assert_eq!(Error::from_errno(errno), expected, "errno {errno}");
    }
}

#[test]
fn variants_map_to_embedded_hal_kinds() {
    let cases = [
        (
            Error::Nack(NoAcknowledgeSource::Address),
            ErrorKind::NoAcknowledge(NoAcknowledgeSource::Address),
        ),
        (Error::ArbitrationLoss, ErrorKind::ArbitrationLoss),
        (Error::BusBusy, ErrorKind::Bus),
        (Error::Timeout, ErrorKind::Other),
        (Error::AddressInUse(0x50), ErrorKind::Other),
        (Error::Io(libc::EINVAL), ErrorKind::Other),
    ];
    for (error, kind) in cases {
        assert_eq!(error.kind(), kind, "{error}");
    }
}

#[test]
fn other_errnos_are_described_by_the_system() {
    let message = Error::Io(libc::EOPNOTSUPP).to_string();
    assert!(message.starts_with("I2C transfer failed: "), "{message}");
    assert!(message.contains("not supported"), "{message}");
    assert!(Error::AddressInUse(0x50).to_string().contains("0x50"));
}

#[test]
fn a_missing_adapter_is_named_and_explained() {
    let error = LinuxI2c::open("/dev/i2c-97").unwrap_err();
    assert_eq!(error.kind(), OpenErrorKind::NotFound);
    assert_eq!(error.path(), PathBuf::from("/dev/i2c-97"));
    let message = error.to_string();
    assert!(
        message.starts_with("cannot open I2C adapter /dev/i2c-97: no such device"),
        "{message}"
    );
    assert!(message.contains("i2c-dev"), "{message}");
}

#[test]
fn a_device_that_is_not_an_adapter_is_refused() {
    let error = LinuxI2c::open("/dev/null").unwrap_err();
    assert_eq!(error.kind(), OpenErrorKind::NotAnAdapter);
    assert!(
        error.to_string().contains("/dev/null: not an I2C adapter"),
        "{error}"
    );
}

#[test]
fn regular_files_and_directories_are_not_adapters() {
    let directory = std::env::temp_dir().join(format!("kos-linux-i2c-{}", std::process::id()));
    std::fs::create_dir_all(&directory).expect("temp dir");
    let file = directory.join("fake-i2c");
    std::fs::write(&file, b"").expect("temp file");
    let file_error = LinuxI2c::open(&file).unwrap_err();
    let directory_error = LinuxI2c::open(&directory).unwrap_err();
    std::fs::remove_dir_all(&directory).expect("clean up");
    assert_eq!(file_error.kind(), OpenErrorKind::NotAnAdapter);
    assert_eq!(directory_error.kind(), OpenErrorKind::NotAnAdapter);
}
