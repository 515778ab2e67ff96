//! The hosted KOS transport: the only part of KOS that knows it runs on Linux.
//!
//! Everything above it sees three things: a [`Channel`] (frames in and out, a token
//! moved with a frame, a cut that both peers see), a way to wait on several channels
//! and be woken ([`wait`]), and the [`Handoff`] that gives an app its channels at
//! start. On seL4 these are endpoints with badged capabilities, a notification, and
//! the capabilities the root task places in a component's CSpace; this crate is what
//! gets replaced.
//!
//! Hosted, every channel is a connected `SOCK_SEQPACKET` Unix socket pair made by the
//! root server and handed to each side; nothing listens on a path, so an app can reach
//! only the channels it was handed.

mod channel;
mod handoff;
pub mod wait;

pub use channel::{Channel, Incoming, Received, RECV_BUFFER};
pub use handoff::{
    take_handoff, AppChannels, Handoff, HandoffError, MsgServerChannels, MsgServerFds, ENV_APP,
    ENV_HEAP_KIB, ENV_MANIFEST, ENV_MSG_SERVERS,
};
pub use wait::{wait_any, wakeup, Ready, Waker, Wakeup};
