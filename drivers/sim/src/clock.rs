//! Time as the owner supplies it. A simulation never reads a system clock: the owner
//! (a server on the `sim` board, or a test) decides what "now" is, so runs are
//! reproducible and the crate stays portable to targets without a clock.

use alloc::rc::Rc;
use core::cell::Cell;

/// A source of the current time in microseconds, supplied by the owner of a simulation.
pub trait Clock {
    /// The current time in microseconds since an origin the owner chooses.
    fn now_us(&self) -> u64;
}

impl<C: Clock + ?Sized> Clock for &C {
    fn now_us(&self) -> u64 {
        (**self).now_us()
    }
}

impl<C: Clock + ?Sized> Clock for Rc<C> {
    fn now_us(&self) -> u64 {
        (**self).now_us()
    }
}

/// A clock that moves only when told to: for tests and for owners that step time.
///
/// It uses a `Cell` so that a bus can hold `&ManualClock` while the owner advances it.
#[derive(Debug, Default)]
pub struct ManualClock {
    now_us: Cell<u64>,
}

impl ManualClock {
    /// A clock that reads `start_us` until it is moved.
    pub const fn new(start_us: u64) -> Self {
        Self {
            now_us: Cell::new(start_us),
        }
    }

    /// Sets the time.
    pub fn set(&self, now_us: u64) {
        self.now_us.set(now_us);
    }

    /// Moves the time forward by `us`.
    pub fn advance(&self, us: u64) {
        self.now_us.set(self.now_us.get().saturating_add(us));
    }
}

impl Clock for ManualClock {
    fn now_us(&self) -> u64 {
        self.now_us.get()
    }
}
