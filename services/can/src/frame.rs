//! A classic CAN frame as the service keeps it: the shared `kos-can-frame` type, small
//! and `Copy`, and the same for every backend.
//!
//! The D_CAN driver and the simulated bus use the same type; other backends' frames
//! (SocketCAN's) convert with [`Frame::from_frame`] and [`Frame::to_frame`], so queues
//! and records never depend on a backend. Construction refuses more than 8 data bytes,
//! so every `Frame` is valid.

pub use kos_can_frame::CanFrame as Frame;
