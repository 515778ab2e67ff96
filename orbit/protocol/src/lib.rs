//! The Orbit device protocol, shared by Orbit and the device admin.
//!
//! A device opens a WebSocket to Orbit's `/device/ws` and the two exchange JSON text
//! frames, each one [`ToDevice`] or [`ToOrbit`] value:
//!
//! 1. Orbit sends [`ToDevice::Challenge`] with a fresh random nonce and its own id.
//! 2. The device answers [`ToOrbit::Hello`]: its registered name, its running system's
//!    version ([`check_version`]) and an Ed25519 signature over [`transcript`] — the nonce bound to the
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

pub use kos_version::{check_version, VersionProblem, MAX_VERSION_LEN};

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
    /// Orbit has the [`ToOrbit::Result`] of command `id` (recorded, or already
    /// finished): the device may forget it. Until then the device keeps the result and
    /// sends it again on its next connection.
    Recorded {
        /// The command's id.
        id: u64,
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
        /// The version the bundle's index declares; the device checks it with
        /// [`check_version`] and against the verified index, and never builds a path
        /// from it.
        version: String,
    },
}

/// Where a device fetches bundles from (the path of an upgrade command's `url`).
pub const BUNDLES_PATH: &str = "/device/bundles/";

impl Command {
    /// Checks what the types cannot: an upgrade's version keeps the version rule
    /// ([`check_version`]), its digest is 64 lowercase hex digits, and its URL is a path
    /// under [`BUNDLES_PATH`] on the same Orbit. Orbit checks a command before sending it
    /// and the device again on receipt, so neither end trusts the other to have done so.
    pub fn check(&self) -> Result<(), String> {
        use alloc::format;
        let Command::Upgrade {
            url,
            sha256,
            version,
            ..
        } = self
        else {
            return Ok(());
        };
        check_version(version).map_err(|p| format!("upgrade command: {p}"))?;
        if sha256.len() != 64
            || !sha256
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        {
            return Err("upgrade command: sha256 is not 64 lowercase hex digits".into());
        }
        if !url.starts_with(BUNDLES_PATH) || url.contains("..") || url.contains("//") {
            return Err(format!(
                "upgrade command: url is not a path under {BUNDLES_PATH}"
            ));
        }
        Ok(())
    }
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
    use alloc::format;
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

    fn upgrade(url: &str, sha256: &str, version: &str) -> Command {
        Command::Upgrade {
            url: url.into(),
            sha256: sha256.into(),
            size: 10,
            version: version.into(),
        }
    }

    #[test]
    fn upgrade_commands_are_checked_field_by_field() {
        let sha = "ab".repeat(32);
        let url = format!("/device/bundles/{sha}?token=00ff");
        assert_eq!(upgrade(&url, &sha, "1.2.0").check(), Ok(()));
        assert_eq!(Command::Ping.check(), Ok(()));
        let bad = [
            (
                upgrade(&url, &sha, "../../victim.x"),
                "starts with a letter",
            ),
            (upgrade(&url, &sha, "1/2"), "not '/'"),
            (upgrade(&url, &"AB".repeat(32), "1"), "sha256"),
            (upgrade(&url, "abc", "1"), "sha256"),
            (upgrade("http://elsewhere/x", &sha, "1"), "url"),
            (upgrade("/device/bundles/../api/x", &sha, "1"), "url"),
            (upgrade("/device/bundles//x", &sha, "1"), "url"),
        ];
        for (cmd, why) in bad {
            let err = cmd.check().unwrap_err();
            assert!(err.contains(why), "{cmd:?}: {err}");
        }
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
