//! A queue-backed controller for the service's tests: frames "arrive" when a test
//! pushes them, transmit space is a budget the test sets, and state changes are
//! whatever the test writes into `status`.

extern crate std;

use std::collections::VecDeque;
use std::vec::Vec;

use crate::{Controller, ControllerStatus, Fault, Frame};

#[derive(Debug)]
pub struct FakeController {
    /// Frames `transmit` accepts before it says `WouldBlock`.
    pub tx_budget: usize,
    /// A fault the next `transmit` returns instead of accepting the frame.
    pub tx_fault: Option<Fault>,
    /// Frames accepted, in order.
    pub sent: Vec<Frame>,
    /// What `receive` returns, in order.
    pub rx: VecDeque<Result<Frame, Fault>>,
    pub status: ControllerStatus,
    /// How often `recover` was called.
    pub recoveries: usize,
    /// `recover` does not bring the controller back (the bus is still broken).
    pub stuck: bool,
}

impl FakeController {
    pub fn new() -> Self {
        FakeController {
            tx_budget: usize::MAX,
            tx_fault: None,
            sent: Vec::new(),
            rx: VecDeque::new(),
            status: ControllerStatus::ACTIVE,
            recoveries: 0,
            stuck: false,
        }
    }
}

impl Controller for FakeController {
    fn transmit(&mut self, frame: &Frame) -> nb::Result<(), Fault> {
        if let Some(fault) = self.tx_fault.take() {
            return Err(nb::Error::Other(fault));
        }
        if self.tx_budget == 0 {
            return Err(nb::Error::WouldBlock);
        }
        self.tx_budget -= 1;
        self.sent.push(*frame);
        Ok(())
    }

    fn receive(&mut self) -> nb::Result<Frame, Fault> {
        match self.rx.pop_front() {
            Some(Ok(frame)) => Ok(frame),
            Some(Err(fault)) => Err(nb::Error::Other(fault)),
            None => Err(nb::Error::WouldBlock),
        }
    }

    fn status(&self) -> ControllerStatus {
        self.status
    }

    /// Recovers at once unless `stuck` (a real controller waits for 128 × 11
    /// recessive bits).
    fn recover(&mut self) {
        self.recoveries += 1;
        if !self.stuck {
            self.status = ControllerStatus::ACTIVE;
        }
    }
}
