//! `libkos_malloc_cap.so`: the C allocator API over talc and one fixed arena.
//!
//! Loaded with `LD_PRELOAD` into a BEAM VM started with `+Mea min` (all of ERTS's
//! allocators then call malloc), it makes the app's memory budget a hard limit the
//! way it is on seL4: the first allocation mmaps one arena of `KOS_MALLOC_CAP_MIB`
//! MiB (default 64, `MAP_NORESERVE`, so only touched pages cost RSS), and once the
//! arena is full malloc returns NULL with errno ENOMEM. Nothing is ever returned to
//! the kernel: RSS stays at the arena's high-water mark.
//!
//! Every block carries a 16-byte header just before the pointer handed out (its
//! requested size and its alignment), because talc needs the `Layout` back at free.

use core::alloc::{GlobalAlloc, Layout};
use core::ffi::{c_int, c_void};
use core::ptr::null_mut;
use core::sync::atomic::{AtomicUsize, Ordering};

use talc::base::binning::Binning;
use talc::base::Talc;
use talc::source::Source;

/// Budget when `KOS_MALLOC_CAP_MIB` is unset or not a positive number.
const DEFAULT_CAP_MIB: usize = 64;
/// Header size and malloc's alignment (glibc's on x86_64 and aarch64).
const HDR: usize = 16;
const PAGE: usize = 4096;

/// Arena bounds, to tell our blocks from foreign ones (0 until reserved).
static ARENA_BASE: AtomicUsize = AtomicUsize::new(0);
static ARENA_END: AtomicUsize = AtomicUsize::new(0);

/// A talc `Source` that mmaps one arena on first need and refuses every later request
/// (the same idea as kos-core/heap's `BudgetArena`).
#[derive(Debug)]
struct CapArena {
    claimed: bool,
}

/// Reads `KOS_MALLOC_CAP_MIB` without allocating (we are inside malloc).
fn cap_mib_from_env() -> usize {
    // SAFETY: NUL-terminated name; getenv does not allocate.
    let value = unsafe { libc::getenv(c"KOS_MALLOC_CAP_MIB".as_ptr()) };
    if value.is_null() {
        return DEFAULT_CAP_MIB;
    }
    // SAFETY: getenv returned a NUL-terminated string.
    let bytes = unsafe { core::ffi::CStr::from_ptr(value) }.to_bytes();
    let mut mib: usize = 0;
    for &b in bytes {
        if !b.is_ascii_digit() {
            return DEFAULT_CAP_MIB;
        }
        mib = mib.saturating_mul(10).saturating_add((b - b'0') as usize);
    }
    if mib == 0 { DEFAULT_CAP_MIB } else { mib }
}

// SAFETY: `acquire` only calls mmap and `Talc::claim`; it never allocates.
unsafe impl Source for CapArena {
    fn acquire<B: Binning>(talc: &mut Talc<Self, B>, _layout: Layout) -> Result<(), ()> {
        if talc.source.claimed {
            return Err(()); // the budget is spent
        }
        talc.source.claimed = true;
        let size = cap_mib_from_env().saturating_mul(1024 * 1024);
        // SAFETY: a fresh anonymous private mapping nothing else refers to.
        let base = unsafe {
            libc::mmap(
                null_mut(),
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
        ARENA_BASE.store(base as usize, Ordering::Relaxed);
        ARENA_END.store(base as usize + size, Ordering::Relaxed);
        // SAFETY: the mapping is ours alone and lives as long as the process.
        match unsafe { talc.claim(base.cast(), size) } {
            Some(_) => Ok(()),
            None => Err(()),
        }
    }
}

type Heap = talc::TalcLock<spinning_top::RawSpinlock, CapArena>;
static HEAP: Heap = Heap::new(CapArena { claimed: false });

// ---- fork safety -------------------------------------------------------------------
// A spinlock held by another thread at fork() stays held forever in the child. So the
// forking thread takes the lock before fork and drops it on both sides afterwards.

type Guard = talc::lock_api::MutexGuard<'static, spinning_top::RawSpinlock, Talc<CapArena, talc::DefaultBinning>>;
/// The guard held across fork; touched only by the forking thread (and the child).
static mut FORK_GUARD: Option<Guard> = None;

extern "C" fn fork_prepare() {
    let guard = HEAP.lock();
    // SAFETY: only the forking thread runs atfork handlers; the lock serialises forks' use.
    unsafe { *core::ptr::addr_of_mut!(FORK_GUARD) = Some(guard) };
}
extern "C" fn fork_release() {
    // SAFETY: as above; dropping the guard unlocks.
    unsafe { *core::ptr::addr_of_mut!(FORK_GUARD) = None };
}
extern "C" fn init() {
    // Registered from a constructor, not from malloc: pthread_atfork may itself allocate.
    // SAFETY: plain function pointers with C ABI.
    unsafe { libc::pthread_atfork(Some(fork_prepare), Some(fork_release), Some(fork_release)) };
}
#[used]
#[link_section = ".init_array"]
static INIT: extern "C" fn() = init;

// ---- the block layout ----------------------------------------------------------------

/// Pad before the user pointer: the header, rounded up to the alignment.
fn pad(align: usize) -> usize {
    align.max(HDR)
}

fn set_enomem() {
    // SAFETY: the calling thread's errno.
    unsafe { *libc::__errno_location() = libc::ENOMEM };
}

/// Allocates `size` bytes aligned to `align` (a power of two), or NULL.
unsafe fn alloc_aligned(size: usize, align: usize) -> *mut c_void {
    let pad = pad(align);
    let layout = match size.checked_add(pad).map(|t| Layout::from_size_align(t, pad)) {
        Some(Ok(l)) => l,
        _ => return null_mut(),
    };
    let base = HEAP.alloc(layout);
    if base.is_null() {
        return null_mut();
    }
    let user = base.add(pad);
    let hdr = user.cast::<usize>().sub(2);
    hdr.write(size);
    hdr.add(1).write(align);
    user.cast()
}

/// Is `p` a block of ours? (ld.so or a pre-preload caller could hand us others.)
fn ours(p: *mut c_void) -> bool {
    let a = p as usize;
    a >= ARENA_BASE.load(Ordering::Relaxed) && a < ARENA_END.load(Ordering::Relaxed)
}

/// (requested size, alignment) from a block's header.
unsafe fn header(p: *mut c_void) -> (usize, usize) {
    let hdr = p.cast::<usize>().sub(2);
    (hdr.read(), hdr.add(1).read())
}

unsafe fn layout_of(size: usize, align: usize) -> Layout {
    Layout::from_size_align_unchecked(size + pad(align), pad(align))
}

// ---- the C API -----------------------------------------------------------------------

#[no_mangle]
pub unsafe extern "C" fn malloc(size: usize) -> *mut c_void {
    let p = alloc_aligned(size, HDR);
    if p.is_null() {
        set_enomem();
    }
    p
}

#[no_mangle]
pub unsafe extern "C" fn free(p: *mut c_void) {
    if p.is_null() || !ours(p) {
        return; // foreign blocks are leaked rather than corrupting the arena
    }
    let (size, align) = header(p);
    HEAP.dealloc(p.cast::<u8>().sub(pad(align)), layout_of(size, align));
}

#[no_mangle]
pub unsafe extern "C" fn calloc(n: usize, size: usize) -> *mut c_void {
    let Some(total) = n.checked_mul(size) else {
        set_enomem();
        return null_mut();
    };
    let p = malloc(total);
    if !p.is_null() {
        p.cast::<u8>().write_bytes(0, total); // reused chunks are not zero
    }
    p
}

#[no_mangle]
pub unsafe extern "C" fn realloc(p: *mut c_void, size: usize) -> *mut c_void {
    if p.is_null() {
        return malloc(size);
    }
    if size == 0 {
        free(p);
        return null_mut(); // glibc's behaviour
    }
    if !ours(p) {
        set_enomem();
        return null_mut();
    }
    let (old, align) = header(p);
    if align == HDR {
        // talc grows or shrinks in place when it can.
        let base = p.cast::<u8>().sub(HDR);
        let Some(total) = size.checked_add(HDR).filter(|t| *t <= isize::MAX as usize - HDR) else {
            set_enomem();
            return null_mut();
        };
        let nb = HEAP.realloc(base, layout_of(old, align), total);
        if nb.is_null() {
            set_enomem();
            return null_mut();
        }
        nb.cast::<usize>().write(size); // header sits at the block's base; align is kept
        return nb.add(HDR).cast();
    }
    // Over-aligned block (memalign'd): realloc need only keep malloc's alignment.
    let q = malloc(size);
    if !q.is_null() {
        core::ptr::copy_nonoverlapping(p.cast::<u8>(), q.cast::<u8>(), old.min(size));
        free(p);
    }
    q
}

#[no_mangle]
pub unsafe extern "C" fn posix_memalign(out: *mut *mut c_void, align: usize, size: usize) -> c_int {
    if !align.is_power_of_two() || align % core::mem::size_of::<usize>() != 0 {
        return libc::EINVAL;
    }
    let p = alloc_aligned(size, align);
    if p.is_null() {
        return libc::ENOMEM;
    }
    *out = p;
    0
}

#[no_mangle]
pub unsafe extern "C" fn memalign(align: usize, size: usize) -> *mut c_void {
    if !align.is_power_of_two() {
        *libc::__errno_location() = libc::EINVAL;
        return null_mut();
    }
    let p = alloc_aligned(size, align);
    if p.is_null() {
        set_enomem();
    }
    p
}

#[no_mangle]
pub unsafe extern "C" fn aligned_alloc(align: usize, size: usize) -> *mut c_void {
    memalign(align, size)
}

#[no_mangle]
pub unsafe extern "C" fn valloc(size: usize) -> *mut c_void {
    memalign(PAGE, size)
}

#[no_mangle]
pub unsafe extern "C" fn pvalloc(size: usize) -> *mut c_void {
    match size.checked_add(PAGE - 1) {
        Some(s) => memalign(PAGE, s & !(PAGE - 1)),
        None => {
            set_enomem();
            null_mut()
        }
    }
}

#[no_mangle]
pub unsafe extern "C" fn malloc_usable_size(p: *mut c_void) -> usize {
    if p.is_null() || !ours(p) { 0 } else { header(p).0 }
}
