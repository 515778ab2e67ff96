//! A small EEPROM-like target: a register pointer and a memory, with auto-increment.
//!
//! The first byte written after a START sets the pointer; further written bytes are stored
//! and reads return memory, both advancing the pointer and wrapping at the end (as a
//! 24C02 does). It can be told to stop acknowledging written bytes, to test data NACKs.

use super::target::Target;

/// An EEPROM of `N` bytes (at most 256: the pointer is one byte) behind a register pointer.
#[derive(Debug, Clone)]
pub struct Eeprom<const N: usize> {
    memory: [u8; N],
    pointer: usize,
    expecting_pointer: bool,
    written_in_transfer: usize,
    ack_limit: Option<usize>,
    stops: usize,
}

impl<const N: usize> Eeprom<N> {
    /// An erased EEPROM (all bytes 0xFF), pointer at 0.
    pub fn new() -> Self {
        Self {
            memory: [0xFF; N],
            pointer: 0,
            expecting_pointer: false,
            written_in_transfer: 0,
            ack_limit: None,
            stops: 0,
        }
    }

    /// The memory contents.
    pub fn memory(&self) -> &[u8; N] {
        &self.memory
    }

    /// The memory, to preload contents.
    pub fn memory_mut(&mut self) -> &mut [u8; N] {
        &mut self.memory
    }

    /// The register pointer.
    pub fn pointer(&self) -> usize {
        self.pointer
    }

    /// STOP conditions seen.
    pub fn stops(&self) -> usize {
        self.stops
    }

    /// Acknowledge only the first `limit` bytes of every write transfer (pointer byte
    /// included) and NACK the rest, as a write-protected or full device would;
    /// `None` acknowledges everything.
    pub fn set_ack_limit(&mut self, limit: Option<usize>) {
        self.ack_limit = limit;
    }
}

impl<const N: usize> Default for Eeprom<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> Target for Eeprom<N> {
    fn start(&mut self, read: bool) -> bool {
        if !read {
            self.expecting_pointer = true;
            self.written_in_transfer = 0;
        }
        true
    }

    fn write(&mut self, byte: u8) -> bool {
        if self
            .ack_limit
            .is_some_and(|limit| self.written_in_transfer >= limit)
        {
            return false;
        }
        self.written_in_transfer += 1;
        if N == 0 {
            return true;
        }
        if self.expecting_pointer {
            self.expecting_pointer = false;
            self.pointer = usize::from(byte) % N;
        } else {
            self.memory[self.pointer] = byte;
            self.pointer = (self.pointer + 1) % N;
        }
        true
    }

    fn read(&mut self) -> u8 {
        let Some(&byte) = self.memory.get(self.pointer) else {
            return 0xFF;
        };
        self.pointer = (self.pointer + 1) % N;
        byte
    }

    fn stop(&mut self) {
        self.stops += 1;
        self.expecting_pointer = false;
    }
}
