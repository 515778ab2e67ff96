//! The KOS message-server protocol, independent of any transport.
//!
//! An application talks to each message server it is connected to over two
//! channels — a *request* channel (app asks, the server answers) and an *event*
//! channel (the server tells a serving app that a client connected) — and to a
//! protocol server over one *data* channel per granted token. This crate defines
//! what travels on those channels ([`frame`]), the message shape shared with the
//! real KOS (`{label, param, token, payload}`, see [`Message`]), and the bounded
//! token slot table every app holds ([`slots`]). It is `no_std` so the same code
//! runs on seL4, where only the transport changes.
#![no_std]
#![deny(missing_docs)]

pub mod frame;
mod message;
pub mod slots;
mod status;

pub use frame::{decode, encode, Control, DataFrame, Event, FrameError, Reply, Request};
pub use message::{Message, MAX_PAYLOAD};
pub use status::Refusal;

/// Version byte that opens every frame; a peer speaking another version is refused.
pub const PROTOCOL_VERSION: u8 = 1;

/// Longest protocol name accepted on the wire; the manifest's rule is this constant.
pub const MAX_PROTOCOL_LEN: usize = 64;

/// Largest encoded frame: version byte, enum tag, ids, message header and a full payload.
pub const MAX_FRAME: usize = MAX_PAYLOAD + 128;

/// Number of token slots each application holds on one message server (6-bit slot index,
/// as on KOS).
pub const TOKEN_SLOTS: usize = 64;

pub mod root;
