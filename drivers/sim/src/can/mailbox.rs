//! A node's transmit mailboxes: a few slots, each holding a frame waiting for the bus.
//! The node offers the bus its highest-priority frame (the lowest arbitration key,
//! oldest first among equals), as controllers such as bxCAN do in id-priority mode.

use alloc::vec::Vec;

use super::error::CanError;
use super::frame::CanFrame;

/// A frame waiting in a mailbox, with its queueing order.
#[derive(Debug, Clone, Copy)]
struct Pending {
    frame: CanFrame,
    order: u64,
}

/// The transmit mailboxes of one node.
#[derive(Debug)]
pub(crate) struct Mailboxes {
    slots: Vec<Option<Pending>>,
    next_order: u64,
}

impl Mailboxes {
    pub(crate) fn new(count: usize) -> Self {
        let mut slots = Vec::with_capacity(count);
        slots.resize(count, None);
        Self {
            slots,
            next_order: 0,
        }
    }

    /// Queues `frame` per `embedded_can::nb::Can::transmit`: into a free slot, else in
    /// place of a lower-priority pending frame (which is returned), else `WouldBlock`.
    /// The slot on the wire (`sending`) cannot be replaced.
    pub(crate) fn queue(
        &mut self,
        frame: CanFrame,
        sending: Option<usize>,
    ) -> nb::Result<Option<CanFrame>, CanError> {
        let pending = Pending {
            frame,
            order: self.next_order,
        };
        self.next_order += 1;
        if let Some(free) = self.slots.iter_mut().find(|slot| slot.is_none()) {
            *free = Some(pending);
            return Ok(None);
        }
        let key = frame.arbitration_key();
        let worst = self
            .slots
            .iter_mut()
            .enumerate()
            .filter(|(index, _)| Some(*index) != sending)
            .filter_map(|(_, slot)| slot.as_mut())
            .max_by_key(|p| (p.frame.arbitration_key(), p.order));
        match worst {
            Some(worst) if key < worst.frame.arbitration_key() => {
                let replaced = core::mem::replace(worst, pending);
                Ok(Some(replaced.frame))
            }
            _ => Err(nb::Error::WouldBlock),
        }
    }

    /// The slot and frame the node puts up for arbitration.
    pub(crate) fn best(&self) -> Option<(usize, CanFrame)> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(index, slot)| slot.map(|p| (index, p)))
            .min_by_key(|(_, p)| (p.frame.arbitration_key(), p.order))
            .map(|(index, p)| (index, p.frame))
    }

    /// Empties a slot whose frame was sent.
    pub(crate) fn take(&mut self, slot: usize) {
        if let Some(entry) = self.slots.get_mut(slot) {
            *entry = None;
        }
    }

    /// Frames waiting.
    pub(crate) fn pending(&self) -> usize {
        self.slots.iter().filter(|slot| slot.is_some()).count()
    }
}

#[cfg(test)]
mod test {
    use super::*;

    fn frame(id: u16) -> CanFrame {
        CanFrame::standard(id, &[]).unwrap()
    }

    #[test]
    fn full_mailboxes_replace_a_lower_priority_frame_or_block() {
        let mut mailboxes = Mailboxes::new(2);
        assert_eq!(mailboxes.queue(frame(0x200), None), Ok(None));
        assert_eq!(mailboxes.queue(frame(0x300), None), Ok(None));
        assert_eq!(mailboxes.queue(frame(0x100), None), Ok(Some(frame(0x300))));
        assert_eq!(
            mailboxes.queue(frame(0x400), None),
            Err(nb::Error::WouldBlock)
        );
        assert_eq!(mailboxes.best().map(|(_, f)| f), Some(frame(0x100)));
    }

    #[test]
    fn the_frame_on_the_wire_is_not_replaced() {
        let mut mailboxes = Mailboxes::new(1);
        mailboxes.queue(frame(0x300), None).unwrap();
        assert_eq!(
            mailboxes.queue(frame(0x100), Some(0)),
            Err(nb::Error::WouldBlock)
        );
    }
}
