//! The one arena a component's heap may use.

use core::alloc::Layout;
use core::sync::atomic::{AtomicUsize, Ordering};

use talc::base::binning::Binning;
use talc::base::Talc;
use talc::source::Source;

/// Budget used when the process was not started by `kos run` (no `KOS_HEAP_KIB`),
/// e.g. a component run by hand during development.
pub const DEFAULT_HEAP_KIB: usize = 64 * 1024;

/// The budget in bytes, once the arena has been reserved (0 before the first allocation).
static BUDGET: AtomicUsize = AtomicUsize::new(0);

/// The arena's size in bytes (0 until the first allocation reserved it).
pub fn budget_bytes() -> usize {
    BUDGET.load(Ordering::Relaxed)
}

/// A talc [`Source`] that reserves one arena of the component's budget on first need
/// and refuses every later request for more memory.
#[derive(Debug)]
pub struct BudgetArena {
    claimed: bool,
}

impl BudgetArena {
    /// An arena not reserved yet.
    pub const fn new() -> Self {
        BudgetArena { claimed: false }
    }
}

impl Default for BudgetArena {
    fn default() -> Self {
        Self::new()
    }
}

/// Reads `KOS_HEAP_KIB` without allocating (this runs inside the allocator).
fn budget_kib_from_env() -> usize {
    // SAFETY: getenv with a NUL-terminated name; the result is read before any other
    // code could change the environment (we are inside the first allocation).
    let value = unsafe { libc::getenv(c"KOS_HEAP_KIB".as_ptr()) };
    if value.is_null() {
        return DEFAULT_HEAP_KIB;
    }
    // SAFETY: getenv returned a NUL-terminated string.
    let bytes = unsafe { core::ffi::CStr::from_ptr(value) }.to_bytes();
    let mut kib: usize = 0;
    for &b in bytes {
        if !b.is_ascii_digit() {
            return DEFAULT_HEAP_KIB;
        }
        kib = kib.saturating_mul(10).saturating_add((b - b'0') as usize);
    }
    if kib == 0 {
        DEFAULT_HEAP_KIB
    } else {
        kib
    }
}

// SAFETY: `acquire` only calls mmap and `Talc::claim`; it never allocates.
unsafe impl Source for BudgetArena {
    fn acquire<B: Binning>(talc: &mut Talc<Self, B>, _layout: Layout) -> Result<(), ()> {
        if talc.source.claimed {
            return Err(());
        }
        talc.source.claimed = true;
        let size = budget_kib_from_env().saturating_mul(1024);
        // NORESERVE: the budget caps what may be used; pages are committed only when
        // touched, so an idle component costs no more than it uses.
        // SAFETY: an anonymous private mapping that nothing else refers to.
        let base = unsafe {
            libc::mmap(
                core::ptr::null_mut(),
                size,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(());
        }
        // SAFETY: the mapping is ours alone and lives for the rest of the process.
        match unsafe { talc.claim(base.cast(), size) } {
            Some(_) => {
                BUDGET.store(size, Ordering::Relaxed);
                Ok(())
            }
            None => Err(()),
        }
    }
}
