//! The bounded table of token slots an app holds.
//!
//! KOS gives every app a fixed number of token slots (64, a 6-bit index). A token is
//! stored in a free slot and addressed by its index; when all slots are taken, a new
//! token is refused rather than growing memory.

use crate::TOKEN_SLOTS;

/// A slot index in `0..TOKEN_SLOTS`.
pub type Slot = u8;

/// A fixed-size table of `TOKEN_SLOTS` optional entries.
#[derive(Debug)]
pub struct Slots<T> {
    entries: [Option<T>; TOKEN_SLOTS],
}

impl<T> Default for Slots<T> {
    fn default() -> Self {
        Slots {
            entries: core::array::from_fn(|_| None),
        }
    }
}

impl<T> Slots<T> {
    /// Stores `value` in the lowest free slot, or gives it back when the table is full.
    pub fn insert(&mut self, value: T) -> Result<Slot, T> {
        match self.entries.iter().position(Option::is_none) {
            Some(i) => {
                self.entries[i] = Some(value);
                Ok(i as Slot)
            }
            None => Err(value),
        }
    }

    /// The entry in `slot`, if any.
    pub fn get(&self, slot: Slot) -> Option<&T> {
        self.entries.get(slot as usize)?.as_ref()
    }

    /// The entry in `slot`, mutably.
    pub fn get_mut(&mut self, slot: Slot) -> Option<&mut T> {
        self.entries.get_mut(slot as usize)?.as_mut()
    }

    /// Empties `slot` and returns what it held.
    pub fn remove(&mut self, slot: Slot) -> Option<T> {
        self.entries.get_mut(slot as usize)?.take()
    }

    /// How many slots are taken.
    pub fn len(&self) -> usize {
        self.entries.iter().filter(|e| e.is_some()).count()
    }

    /// True when no slot is taken.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The taken slots and their entries.
    pub fn iter(&self) -> impl Iterator<Item = (Slot, &T)> {
        self.entries
            .iter()
            .enumerate()
            .filter_map(|(i, e)| e.as_ref().map(|e| (i as Slot, e)))
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn fills_lowest_free_slot_and_refuses_when_full() {
        let mut slots = Slots::default();
        for i in 0..TOKEN_SLOTS {
            assert_eq!(slots.insert(i), Ok(i as Slot));
        }
        assert_eq!(slots.insert(99), Err(99));
        assert_eq!(slots.remove(10), Some(10));
        assert_eq!(slots.insert(42), Ok(10));
        assert_eq!(slots.get(10), Some(&42));
        assert_eq!(slots.len(), TOKEN_SLOTS);
        assert_eq!(slots.get(TOKEN_SLOTS as Slot), None);
    }
}
