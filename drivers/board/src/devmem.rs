//! A board controller's register block, mapped from `/dev/mem`, for the register-level
//! drivers (`am335x-i2c`, `am335x-dcan`) on a board running Linux. Only ARM boards have
//! these controllers; elsewhere mapping is refused before `/dev/mem` is touched, since
//! the same physical address is something else entirely on a PC.

use std::fmt;

/// A mapped register block, unmapped on drop.
#[derive(Debug)]
pub struct DevMem {
    base: *mut libc::c_void,
    len: usize,
}

// SAFETY: the mapping is plain memory-mapped I/O owned by this value; moving it to
// another thread is as safe as using it on this one.
unsafe impl Send for DevMem {}

/// Why registers could not be mapped.
#[derive(Debug)]
pub enum MapError {
    /// This machine is not an ARM board.
    NotThisMachine(&'static str),
    /// `/dev/mem` could not be opened (not root, or the kernel forbids it).
    Open(std::io::Error),
    /// `mmap` refused the range.
    Map(std::io::Error),
}

impl fmt::Display for MapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MapError::NotThisMachine(arch) => write!(
                f,
                "register-level backends drive an AM335x's own controllers (BeagleBone Black); this machine is {arch}: use backend = \"sim\" or \"linux\""
            ),
            MapError::Open(e) => write!(f, "opening /dev/mem (needs root): {e}"),
            MapError::Map(e) => write!(f, "mapping the registers: {e}"),
        }
    }
}

impl std::error::Error for MapError {}

impl DevMem {
    /// Maps `len` bytes of physical memory at `phys` (page-aligned).
    pub fn map(phys: u64, len: usize) -> Result<DevMem, MapError> {
        if !cfg!(target_arch = "arm") {
            return Err(MapError::NotThisMachine(std::env::consts::ARCH));
        }
        let path = c"/dev/mem";
        // SAFETY: a plain open(2) of a NUL-terminated path.
        let fd = unsafe { libc::open(path.as_ptr(), libc::O_RDWR | libc::O_SYNC) };
        if fd < 0 {
            return Err(MapError::Open(std::io::Error::last_os_error()));
        }
        // SAFETY: mapping a device range we own for the mapping's lifetime; the result
        // is checked before use.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd,
                phys as libc::off_t,
            )
        };
        let error = std::io::Error::last_os_error();
        // SAFETY: closing the descriptor we opened; the mapping stays valid.
        unsafe { libc::close(fd) };
        if base == libc::MAP_FAILED {
            return Err(MapError::Map(error));
        }
        Ok(DevMem { base, len })
    }

    /// The virtual address of the block.
    pub fn base(&self) -> usize {
        self.base as usize
    }
}

impl Drop for DevMem {
    fn drop(&mut self) {
        // SAFETY: unmapping exactly what `map` mapped.
        unsafe { libc::munmap(self.base, self.len) };
    }
}
