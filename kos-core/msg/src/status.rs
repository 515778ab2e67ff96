//! Why a message server refused a directory operation.

use core::fmt;
use serde::{Deserialize, Serialize};

/// A message server's reason for refusing a request. Every refusal leaves the
/// server and its other clients untouched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Refusal {
    /// The manifest's `dir_access_control` does not grant this app that role for the protocol.
    NotGranted,
    /// No server has published the protocol (yet).
    NotPublished,
    /// Another connection already publishes the protocol.
    AlreadyPublished,
    /// The app already holds the most tokens it may hold.
    TooManyTokens,
    /// The badge names no token this app may act on.
    UnknownBadge,
    /// The request did not decode (malformed, oversized, wrong version).
    BadFrame,
    /// The protocol name is empty or longer than [`crate::MAX_PROTOCOL_LEN`].
    BadName,
    /// The server is not taking new clients now: it has not read its earlier ones.
    Busy,
}

impl Refusal {
    /// Every refusal, in the order of its [`code`](Refusal::code).
    pub const ALL: [Refusal; 8] = [
        Refusal::NotGranted,
        Refusal::NotPublished,
        Refusal::AlreadyPublished,
        Refusal::TooManyTokens,
        Refusal::UnknownBadge,
        Refusal::BadFrame,
        Refusal::BadName,
        Refusal::Busy,
    ];

    /// A stable number for transports that carry a refusal as a word (seL4's root task
    /// answers a directory request with `1 + code` as the reply's label): 0 to 7.
    pub const fn code(self) -> u8 {
        self as u8
    }

    /// The refusal of [`code`](Refusal::code) `code`.
    pub fn from_code(code: u64) -> Option<Refusal> {
        Refusal::ALL
            .into_iter()
            .find(|r| u64::from(r.code()) == code)
    }

    /// A short, stable description for logs and error messages.
    pub const fn describe(self) -> &'static str {
        match self {
            Refusal::NotGranted => "not granted by the manifest's dir_access_control",
            Refusal::NotPublished => "no server has published the protocol",
            Refusal::AlreadyPublished => "the protocol is already published",
            Refusal::TooManyTokens => "the app holds the maximum number of tokens",
            Refusal::UnknownBadge => "no such token",
            Refusal::BadFrame => "malformed frame",
            Refusal::BadName => "bad protocol name",
            Refusal::Busy => "the server is not taking new clients now",
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn every_refusal_has_a_code_that_comes_back_as_itself() {
        for (i, refusal) in Refusal::ALL.into_iter().enumerate() {
            // A new variant must join ALL: this match stops compiling until it does.
            match refusal {
                Refusal::NotGranted
                | Refusal::NotPublished
                | Refusal::AlreadyPublished
                | Refusal::TooManyTokens
                | Refusal::UnknownBadge
                | Refusal::BadFrame
                | Refusal::BadName
                | Refusal::Busy => {}
            }
            assert_eq!(usize::from(refusal.code()), i);
            assert_eq!(Refusal::from_code(u64::from(refusal.code())), Some(refusal));
        }
        assert_eq!(Refusal::from_code(Refusal::ALL.len() as u64), None);
    }
}
