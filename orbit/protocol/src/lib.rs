//! The Orbit device protocol, shared by Orbit and the device admin.
//!
//! A device opens a WebSocket to Orbit's `/device/ws` and the two exchange JSON text
//! frames, each one [`ToDevice`] or [`ToOrbit`] value:
//!
//! 1. Orbit sends [`ToDevice::Challenge`] with a fresh random nonce and its own id.
//! 2. The device answers [`ToOrbit::Hello`]: its registered name, its running system's
//!    version and an Ed25519 signature over [`transcript`] — the nonce bound to the
//!    device's name, Orbit's id and the endpoint path, so a signature cannot be
//!    replayed on another connection, to another Orbit or for another device.
//! 3. Orbit answers [`ToDevice::Welcome`] or [`ToDevice::Refused`] (then closes).
//! 4. Orbit sends [`ToDevice::Command`]s; the device acknowledges each at once
//!    ([`ToOrbit::Ack`]) and reports how it ended ([`ToOrbit::Result`]).
//!
//! `no_std` (with `alloc`): the protocol logic must follow KOS to seL4; only the
//! transport knows it runs on Linux.

#![no_std]

extern crate alloc;

use alloc::string::String;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

/// Path of the device endpoint on an Orbit server.
pub const DEVICE_PATH: &str = "/device/ws";
/// Length of a challenge nonce in bytes.
pub const NONCE_BYTES: usize = 32;
/// Domain separation for the signed transcript; bumped if its layout ever changes.
pub const TRANSCRIPT_TAG: &[u8] = b"KOS-ORBIT-AUTH-v1\0";

/// What Orbit sends to a device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToDevice {
    /// Prove who you are: sign [`transcript`] of this nonce.
    Challenge {
        /// Hex of [`NONCE_BYTES`] random bytes, fresh for this connection.
        nonce: String,
        /// The Orbit instance's id, part of what the device signs.
        orbit: String,
    },
    /// Authenticated; commands follow.
    Welcome,
    /// Not authenticated; the connection closes. The reason is for logs, not for
    /// programs to branch on.
    Refused {
        /// Why, in words.
        reason: String,
    },
    /// Do something; acknowledge with [`ToOrbit::Ack`], finish with [`ToOrbit::Result`].
    Command {
        /// Orbit's id of the command, echoed in the answers.
        id: u64,
        /// What to do.
        command: Command,
    },
}

/// A command for a device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Command {
    /// Answer at once; Orbit measures the round trip.
    Ping,
    /// Restart every application of the running system.
    Restart,
    /// Download the bundle at `url` (relative to Orbit), verify it, swap it in and
    /// restart; report the new version or why not.
    Upgrade {
        /// Where to fetch the bundle, e.g. `/device/bundles/<sha256>`.
        url: String,
        /// Hex SHA-256 of the whole bundle file.
        sha256: String,
        /// Size of the bundle file in bytes.
        size: u64,
        /// The version the bundle's index declares.
        version: String,
    },
}

/// What a device sends to Orbit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToOrbit {
    /// The answer to [`ToDevice::Challenge`].
    Hello {
        /// The name the device was registered under.
        device: String,
        /// Version of the system it runs now.
        version: String,
        /// Hex of the Ed25519 signature over [`transcript`].
        signature: String,
    },
    /// Command `id` was received and is being carried out.
    Ack {
        /// The command's id.
        id: u64,
    },
    /// Command `id` ended.
    Result {
        /// The command's id.
        id: u64,
        /// Whether it did what was asked.
        ok: bool,
        /// What happened (for an upgrade: the version now running), or why it failed.
        detail: String,
    },
    /// The system's version changed (after an upgrade or a rollback).
    Status {
        /// Version now running.
        version: String,
    },
}

/// The bytes a device signs to answer a challenge: [`TRANSCRIPT_TAG`], then the
/// device's name, the nonce, Orbit's id and the endpoint path, each prefixed by its
/// length (4 bytes, big-endian) so no two different inputs give the same bytes.
pub fn transcript(device: &str, nonce: &[u8], orbit: &str, path: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(
        TRANSCRIPT_TAG.len() + 16 + device.len() + nonce.len() + orbit.len() + path.len(),
    );
    out.extend_from_slice(TRANSCRIPT_TAG);
    for part in [device.as_bytes(), nonce, orbit.as_bytes(), path.as_bytes()] {
        out.extend_from_slice(&(part.len() as u32).to_be_bytes());
        out.extend_from_slice(part);
    }
    out
}

#[cfg(test)]
mod test {
    extern crate std;
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn messages_have_a_stable_json_form() {
        let cmd = ToDevice::Command {
            id: 7,
            command: Command::Ping,
        };
        let json = serde_json::to_string(&cmd).unwrap();
        assert_eq!(
            json,
            r#"{"type":"command","id":7,"command":{"kind":"ping"}}"#
        );
        let back: ToDevice = serde_json::from_str(&json).unwrap();
        assert_eq!(back, cmd);
        let result: ToOrbit =
            serde_json::from_str(r#"{"type":"result","id":7,"ok":false,"detail":"bad signature"}"#)
                .unwrap();
        assert_eq!(
            result,
            ToOrbit::Result {
                id: 7,
                ok: false,
                detail: "bad signature".to_string()
            }
        );
    }

    #[test]
    fn unknown_message_types_do_not_decode() {
        assert!(serde_json::from_str::<ToOrbit>(r#"{"type":"format_disk"}"#).is_err());
    }

    #[test]
    fn transcript_parts_cannot_be_shifted_into_each_other() {
        // Moving bytes from the device name into the Orbit id must change the bytes.
        let a = transcript("dev", b"nonce", "orbit", "/p");
        let b = transcript("de", b"vnonce", "orbit", "/p");
        assert_ne!(a, b);
        assert!(a.starts_with(TRANSCRIPT_TAG));
        assert_eq!(a, transcript("dev", b"nonce", "orbit", "/p"));
    }
}
