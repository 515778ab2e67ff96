//! Every numeric and naming rule of the manifest as data, so tools outside Rust (the
//! mix tasks) check an app's settings against the same limits the parser enforces
//! (`kos manifest limits` prints them) instead of keeping copies that drift.

use crate::{
    CAN_BITRATE, HEAP_KIB_RANGE, I2C_DEVICE_ADDRESSES, I2C_SPEED_HZ, MAX_NAME_LEN,
    MAX_PROTOCOL_LEN, MEMORY_MIB_RANGE, TRACE_BUFFER_KIB_RANGE,
};

/// An inclusive range a manifest value must lie in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// The property (or, for lengths, what is measured): `memory_mib`, `name_len`, …
    pub key: &'static str,
    /// Smallest allowed value.
    pub min: u64,
    /// Largest allowed value.
    pub max: u64,
    /// What it limits, in a phrase for help and errors.
    pub what: &'static str,
}

/// Every range the parser checks.
pub const LIMITS: &[Limit] = &[
    Limit {
        key: "name_len",
        min: 1,
        max: MAX_NAME_LEN as u64,
        what: "bytes in an app or message-server name",
    },
    Limit {
        key: "protocol_len",
        min: 1,
        max: MAX_PROTOCOL_LEN as u64,
        what: "bytes in a protocol name",
    },
    Limit {
        key: "memory_mib",
        min: *MEMORY_MIB_RANGE.start() as u64,
        max: *MEMORY_MIB_RANGE.end() as u64,
        what: "a beam app's memory budget, MiB",
    },
    Limit {
        key: "heap_kib",
        min: *HEAP_KIB_RANGE.start() as u64,
        max: *HEAP_KIB_RANGE.end() as u64,
        what: "a native app's heap, KiB",
    },
    Limit {
        key: "i2c_addresses",
        min: *I2C_DEVICE_ADDRESSES.start() as u64,
        max: *I2C_DEVICE_ADDRESSES.end() as u64,
        what: "7-bit I2C device addresses an app may be given (the rest are reserved)",
    },
    Limit {
        key: "speed_hz",
        min: *I2C_SPEED_HZ.start() as u64,
        max: *I2C_SPEED_HZ.end() as u64,
        what: "an i2c_bus node's speed, Hz",
    },
    Limit {
        key: "bitrate",
        min: *CAN_BITRATE.start() as u64,
        max: *CAN_BITRATE.end() as u64,
        what: "a can_bus node's bitrate, bit/s",
    },
    Limit {
        key: "env_key_len",
        min: 1,
        max: crate::app_env::MAX_ENV_KEY_LEN as u64,
        what: "bytes in a key of a beam app's env node (the characters of a name)",
    },
    Limit {
        key: "env_keys",
        min: 0,
        max: crate::app_env::MAX_ENV_KEYS as u64,
        what: "keys in a beam app's env node",
    },
    Limit {
        key: "buffer_kib",
        min: *TRACE_BUFFER_KIB_RANGE.start() as u64,
        max: *TRACE_BUFFER_KIB_RANGE.end() as u64,
        what: "a tracing node's buffer, KiB",
    },
];

/// May an app or message-server name start with `b`?
pub const fn is_name_start(b: u8) -> bool {
    b.is_ascii_lowercase()
}

/// May an app or message-server name contain `b`?
pub const fn is_name_byte(b: u8) -> bool {
    matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'_')
}

/// Longest OTP application name (`app` of a beam app), in bytes.
pub const MAX_OTP_APP_LEN: usize = 64;

/// Is `name` a plain file name — what a native app's `binary` must be, so it can only
/// name a file in the binary directory: `[A-Za-z0-9._-]`, not starting with `.` or
/// `-` (no `..`, no hidden files, no option-like names), no `/`.
pub fn is_plain_file_name(name: &str) -> bool {
    (1..=255).contains(&name.len())
        && !name.starts_with(['.', '-'])
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Is `name` an OTP application name — what a beam app's `app` must be, so it is
/// only ever an application to start, never code: `[a-z0-9_]`, a letter first.
pub fn is_otp_app_name(name: &str) -> bool {
    name.len() <= MAX_OTP_APP_LEN
        && name.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Is `name` a valid app or message-server name?
pub fn is_valid_name(name: &str) -> bool {
    name.len() <= MAX_NAME_LEN
        && name.bytes().next().is_some_and(is_name_start)
        && name.bytes().all(is_name_byte)
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn every_limit_is_a_non_empty_range_with_a_distinct_key() {
        for (i, l) in LIMITS.iter().enumerate() {
            assert!(l.min <= l.max, "{}", l.key);
            assert!(LIMITS[..i].iter().all(|o| o.key != l.key), "{}", l.key);
        }
    }

    #[test]
    fn binaries_are_plain_file_names_and_apps_are_otp_names() {
        for ok in ["rng_server", "echo-client", "a.out", "Tool2"] {
            assert!(is_plain_file_name(ok), "{ok}");
        }
        for bad in [
            "/bin/sh",
            "../../bin/sh",
            "..",
            ".hidden",
            "-rf",
            "a/b",
            "",
            "a b",
        ] {
            assert!(!is_plain_file_name(bad), "{bad:?}");
        }
        assert!(is_otp_app_name("kos_demo") && is_otp_app_name("app2"));
        for bad in ["x', os:cmd(\"id\"), ('", "Kos", "2app", "a-b", "", "a.b"] {
            assert!(!is_otp_app_name(bad), "{bad:?}");
        }
    }

    #[test]
    fn names_are_lowercase_words() {
        assert!(is_valid_name("weather_station2"));
        assert!(is_valid_name(&"a".repeat(MAX_NAME_LEN)));
        assert!(!is_valid_name(&"a".repeat(MAX_NAME_LEN + 1)));
        for bad in ["", "9lives", "_root", "Hello", "a-b", "a b"] {
            assert!(!is_valid_name(bad), "{bad:?}");
        }
    }
}
