//! The kernel's debug console as a `core::fmt::Write`: each byte is one
//! `seL4_DebugPutChar`.

use crate::sel4;

/// Writes to the serial console through the kernel.
pub struct Console;

impl core::fmt::Write for Console {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        for b in s.bytes() {
            sel4::debug_put_char(b);
        }
        Ok(())
    }
}
