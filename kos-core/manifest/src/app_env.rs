//! A beam app's `env` node: its OTP application environment, set per instance.
//!
//! ```dts
//! weatherstation {
//!     kind = "beam"; app = "weatherstation"; memory_mib = <48>;
//!     env { interval_ms = <5000>; address = <0x76>; label = "garden"; };
//! };
//! ```
//!
//! Each property is one key of the application's environment, read in the app with
//! `Application.get_env(:weatherstation, :interval_ms)`. A value is what `dtc`
//! shows: one cell is an integer, several cells a list of integers, one string a
//! string (an Elixir binary), several strings a list of them. Keys are atoms
//! (`[a-z][a-z0-9_]*`), so nothing in a manifest ever becomes code.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

/// Most keys one `env` node may hold.
pub const MAX_ENV_KEYS: usize = 64;
/// Longest key, in bytes.
pub const MAX_ENV_KEY_LEN: usize = 64;

/// One key of an app's environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvEntry {
    /// The key (an atom's name).
    pub key: String,
    /// Its value.
    pub value: EnvValue,
}

/// A value in an `env` node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvValue {
    /// `<N>`.
    Integer(u32),
    /// `<A B …>`.
    Integers(Vec<u32>),
    /// `"text"`.
    Text(String),
    /// `"a", "b", …`.
    Texts(Vec<String>),
}

/// Is `key` a key an `env` node may have: an atom's name, `[a-z][a-z0-9_]*`?
pub fn is_env_key(key: &str) -> bool {
    // The characters of an app's name (one rule, `kos manifest limits` prints it).
    key.len() <= MAX_ENV_KEY_LEN
        && key.bytes().next().is_some_and(crate::limits::is_name_start)
        && key.bytes().all(crate::limits::is_name_byte)
}

/// Reads a raw property value the way `dtc` shows it: strings when it is one or more
/// non-empty NUL-terminated printable UTF-8 strings, cells when its length is a
/// multiple of four, `None` otherwise.
pub fn read_value(raw: &[u8]) -> Option<EnvValue> {
    if let Some(texts) = as_strings(raw) {
        return Some(match <[String; 1]>::try_from(texts) {
            Ok([one]) => EnvValue::Text(one),
            Err(texts) => EnvValue::Texts(texts),
        });
    }
    if raw.is_empty() || raw.len() % 4 != 0 {
        return None;
    }
    let cells: Vec<u32> = raw
        .chunks_exact(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    Some(match cells.as_slice() {
        [one] => EnvValue::Integer(*one),
        _ => EnvValue::Integers(cells),
    })
}

fn as_strings(raw: &[u8]) -> Option<Vec<String>> {
    let body = raw.strip_suffix(&[0])?;
    body.split(|&b| b == 0)
        .map(|s| {
            let text = core::str::from_utf8(s).ok()?;
            let printable = !text.is_empty() && !text.chars().any(char::is_control);
            printable.then(|| text.to_string())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn values_read_as_dtc_shows_them() {
        assert_eq!(
            read_value(&[0, 0, 0x13, 0x88]),
            Some(EnvValue::Integer(5000))
        );
        assert_eq!(
            read_value(&[0, 0, 0, 1, 0, 0, 0, 2]),
            Some(EnvValue::Integers(vec![1, 2]))
        );
        assert_eq!(
            read_value(b"garden\0"),
            Some(EnvValue::Text("garden".into()))
        );
        assert_eq!(
            read_value(b"a\0b c\0"),
            Some(EnvValue::Texts(vec!["a".into(), "b c".into()]))
        );
        // An empty string is not text: these four bytes are the cell 0.
        assert_eq!(read_value(&[0, 0, 0, 0]), Some(EnvValue::Integer(0)));
        assert_eq!(read_value(&[1, 2, 3]), None);
        assert_eq!(read_value(&[]), None);
    }

    #[test]
    fn keys_are_atom_names() {
        assert!(is_env_key("interval_ms"));
        assert!(is_env_key("a1"));
        for bad in ["", "Interval", "1st", "a-b", "a.b", "a b", "'x'"] {
            assert!(!is_env_key(bad), "{bad}");
        }
        assert!(!is_env_key(&"k".repeat(MAX_ENV_KEY_LEN + 1)));
    }
}
