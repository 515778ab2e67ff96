//! What a system version may be: the one rule for every version string KOS handles.
//!
//! A version travels far: an operator types it into `kos bundle create`, it is signed
//! into a bundle's index, Orbit reads it from an upload before any signature check,
//! sends it to devices in upgrade commands, and devices report theirs when they
//! connect. It ends up in logs, terminals, a web page and file names on a device. So
//! it is not free text: ASCII letters, digits and `.` `_` `+` `-`, starting with a
//! letter or a digit, at most [`MAX_VERSION_LEN`] bytes. That admits every semantic
//! version (`1.2.3-rc.1+build.5`) and the usual `v2`, `2022.4`, and rules out path
//! separators, `..` and dot-files as a whole name, option-like names, spaces, quotes,
//! control characters and terminal escapes. Every reader checks it: a device never
//! trusts that Orbit did, and Orbit never trusts that the bundle's creator did.
#![no_std]
#![deny(missing_docs)]

use core::fmt;

/// The longest version accepted, in bytes.
pub const MAX_VERSION_LEN: usize = 64;

/// Why a string is not a version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionProblem {
    /// The empty string.
    Empty,
    /// Longer than [`MAX_VERSION_LEN`] bytes (the length is given).
    TooLong(usize),
    /// The first character is not an ASCII letter or digit.
    BadStart(char),
    /// A character outside letters, digits and `.` `_` `+` `-`.
    BadChar(char),
}

impl fmt::Display for VersionProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VersionProblem::Empty => f.write_str("a version must not be empty"),
            VersionProblem::TooLong(n) => write!(
                f,
                "a version has at most {MAX_VERSION_LEN} bytes, this one has {n}"
            ),
            VersionProblem::BadStart(c) => {
                write!(f, "a version starts with a letter or a digit, not {:?}", c)
            }
            VersionProblem::BadChar(c) => write!(
                f,
                "a version has only letters, digits and . _ + -, not {:?}",
                c
            ),
        }
    }
}

/// Checks `v` against the version rule (module documentation).
pub fn check_version(v: &str) -> Result<(), VersionProblem> {
    let mut chars = v.chars();
    let first = chars.next().ok_or(VersionProblem::Empty)?;
    if v.len() > MAX_VERSION_LEN {
        return Err(VersionProblem::TooLong(v.len()));
    }
    if !first.is_ascii_alphanumeric() {
        return Err(VersionProblem::BadStart(first));
    }
    match chars.find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '+' | '-'))) {
        Some(c) => Err(VersionProblem::BadChar(c)),
        None => Ok(()),
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn accepts_semantic_and_common_versions() {
        for v in [
            "0",
            "v2",
            "0.1.0",
            "2022.4",
            "1.2.3-rc.1+build.5",
            "1_0",
            &"9".repeat(MAX_VERSION_LEN),
        ] {
            assert_eq!(check_version(v), Ok(()), "{v}");
        }
    }

    #[test]
    fn refuses_anything_that_could_be_a_path_an_option_or_markup() {
        let cases: &[(&str, VersionProblem)] = &[
            ("", VersionProblem::Empty),
            ("..", VersionProblem::BadStart('.')),
            (".hidden", VersionProblem::BadStart('.')),
            ("-rf", VersionProblem::BadStart('-')),
            ("../../tmp/victim.x", VersionProblem::BadStart('.')),
            ("1/../../victim", VersionProblem::BadChar('/')),
            ("1\\2", VersionProblem::BadChar('\\')),
            ("1 2", VersionProblem::BadChar(' ')),
            ("1\n2", VersionProblem::BadChar('\n')),
            ("1\u{1b}[31m", VersionProblem::BadChar('\u{1b}')),
            ("1<b>", VersionProblem::BadChar('<')),
            ("1é", VersionProblem::BadChar('é')),
            ("1\0", VersionProblem::BadChar('\0')),
        ];
        for (v, problem) in cases {
            assert_eq!(check_version(v), Err(*problem), "{v:?}");
        }
        let long = "1".repeat(MAX_VERSION_LEN + 1);
        assert_eq!(
            check_version(&long),
            Err(VersionProblem::TooLong(MAX_VERSION_LEN + 1))
        );
    }

    #[test]
    fn problems_read_as_sentences() {
        extern crate std;
        use std::string::ToString;
        assert_eq!(
            VersionProblem::BadChar('/').to_string(),
            "a version has only letters, digits and . _ + -, not '/'"
        );
    }
}
