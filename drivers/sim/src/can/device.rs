//! Peer devices that live on the bus as nodes of their own (an ECU, a sensor module),
//! driven by the bus's time: they wake when they asked to and hear every frame their
//! node's filters accept, and they answer by putting frames in an [`Outbox`].

use core::any::Any;

use super::frame::CanFrame;

/// Frames a device may queue in one call; more are refused, as a device's driver
/// would find its mailboxes full.
pub const OUTBOX_CAPACITY: usize = 8;

/// A simulated device's program.
pub trait CanDevice {
    /// When the device next wants [`wake`](Self::wake) called, in µs; `None` for never.
    fn next_wakeup_us(&self) -> Option<u64>;
    /// The wake-up time has come.
    fn wake(&mut self, now_us: u64, out: &mut Outbox);
    /// A frame passed the node's filters at `now_us` (the end of its EOF).
    fn receive(&mut self, now_us: u64, frame: &CanFrame, out: &mut Outbox);
}

/// Frames a device hands its node for transmission.
#[derive(Debug, Default)]
pub struct Outbox {
    frames: [Option<CanFrame>; OUTBOX_CAPACITY],
    len: usize,
}

impl Outbox {
    /// Queues `frame`; `false` if the outbox is full.
    pub fn send(&mut self, frame: CanFrame) -> bool {
        match self.frames.get_mut(self.len) {
            Some(slot) => {
                *slot = Some(frame);
                self.len += 1;
                true
            }
            None => false,
        }
    }

    /// The queued frames, in order.
    pub(crate) fn drain(&mut self) -> impl Iterator<Item = CanFrame> + '_ {
        self.len = 0;
        self.frames.iter_mut().filter_map(Option::take)
    }
}

/// A `CanDevice` the bus can hand back as its concrete type (see the I2C bus's
/// `AnyDevice` for why this exists).
pub(crate) trait AnyCanDevice: CanDevice {
    fn as_any(&self) -> &dyn Any;
    fn as_any_mut(&mut self) -> &mut dyn Any;
}

impl<T: CanDevice + Any> AnyCanDevice for T {
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}
