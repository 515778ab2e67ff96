//! The KOS root task: the first thread seL4 starts. From its boot info it takes the
//! largest untyped region and a range of free capability slots, and builds a component
//! (an ELF embedded at build time, `KOS_COMPONENT_ELF`) its own world: a TCB, a CNode
//! as its whole CSpace (a badged endpoint to the root and a fault endpoint, nothing
//! else), a VSpace with its segments, stack and IPC buffer. It answers the component's
//! call, receives its fault, and ends QEMU through the exit device with the verdict.
//!
//! Next (the issue "KOS on seL4"): the components and their grants from the manifest,
//! the directory over endpoints, restarts by the manifest's policy.

#![no_std]
#![no_main]

extern crate alloc;

mod elf;
mod sel4;

use alloc::vec::Vec;

use core::time::Duration;

use kos_manifest::{App, AppKind, Manifest};
use kos_restart::{Decision, ExitKind, Moment, RestartTracker};

use kos_sel4_rt as sel4call;
use kos_sel4_rt::k;

use core::arch::global_asm;
use core::fmt::Write;
use core::panic::PanicInfo;
use core::sync::atomic::{compiler_fence, Ordering};

use elf::{Elf, PF_W};
use sel4::{BootInfo, Error};
use sel4call::Console;

/// QEMU's exit device.
const EXIT_PORT: u16 = 0xf4;
const EXIT_SUCCESS: u8 = 0x10; // QEMU exits 33
const EXIT_FAILURE: u8 = 0x11; // QEMU exits 35

/// The component's ELF: the probe, standing in for every native app until the SDK
/// builds the apps themselves for seL4.
static COMPONENT: &[u8] = include_bytes!(env!("KOS_COMPONENT_ELF"));
/// The system's manifest, compiled by dtc and checked at build time; read here again
/// with the same `kos-manifest` rules.
static SYSTEM: &[u8] = include_bytes!(env!("KOS_SYSTEM_DTB"));
/// Most components the root starts today.
const MAX_COMPONENTS: usize = 8;
/// The root's priority while it supervises: below every component, so it runs only
/// when they are all blocked.
const ROOT_SUPERVISING_PRIO: usize = 1;

/// The root task's heap: `kos-manifest` builds its model with `alloc`.
static mut HEAP_ARENA: [u8; 256 * 1024] = [0; 256 * 1024];
#[global_allocator]
// SAFETY: the arena is used by this allocator alone, for the whole run.
static HEAP: talc::TalcLock<spinning_top::RawSpinlock, talc::source::Claim> =
    talc::TalcLock::new(unsafe { talc::source::Claim::array(core::ptr::addr_of_mut!(HEAP_ARENA)) });

/// The component's world.
const COMP_CNODE_BITS: usize = 8; // 2^8 slots
const COMP_SLOT_EP: usize = 1;
const COMP_SLOT_FAULT_EP: usize = 2;
/// The low byte of a badge says what came: a request, or a fault.
const REQUEST: usize = 0x61;
const FAULT: usize = 0xfa;
/// Component `i`'s badges: `(i + 1) << 8` and what came.
const fn badge(i: usize, kind: usize) -> usize {
    ((i + 1) << 8) | kind
}
const COMP_STACK_TOP: usize = 0x0080_0000;
const COMP_STACK_PAGES: usize = 4;
const COMP_IPC_BUFFER: usize = 0x0090_0000;
const COMP_PRIO: usize = 254; // below the root's 255: the root runs until it waits
/// Where the root maps a component frame to fill it (far from its own image at 2 MiB).
const SCRATCH: usize = 0x4000_0000;
const PAGE: usize = 1 << k::PAGE_BITS;
const MAX_PAGES: usize = 64;

/// `seL4_CNode_CapData` (kernel `cnode_capdata`): guard in bits 8..25, guard size in
/// bits 2..7; libsel4's `seL4_CapData_Guard_new` also sets the tag bit 31, which the
/// kernel ignores.
const fn cnode_guard_data(guard: usize, guard_size: usize) -> usize {
    (1 << 31) | ((guard & 0x3ffff) << 8) | ((guard_size & 0x3f) << 2)
}
/// Guard size so that one 2^8-slot CNode resolves a whole 64-bit cptr.
const COMP_GUARD_DATA: usize = cnode_guard_data(0, k::WORD_BITS - COMP_CNODE_BITS);
/// `seL4_PrioProps`: prio in bits 0..7, mcp in bits 8..15.
const fn prio_props(prio: usize, mcp: usize) -> usize {
    (prio & 0xff) | ((mcp & 0xff) << 8)
}
const _: () = {
    assert!(COMP_GUARD_DATA == k::GUARD_0_56);
    assert!(prio_props(254, 0) == k::PRIO_PROPS_254_0);
    assert!(sel4call::msg_info(5, 3, 2) == k::MSGINFO_L5_C3_N2);
    assert!(k::ipcbuf::CAPS_OR_BADGES == 8 * (k::MSG_MAX_LENGTH + 2));
    assert!(k::ctx::RDI == 8 && k::ctx::RSP == 1 && k::ctx::RIP == 0);
};

const STACK_SIZE: usize = 64 * 1024;
#[repr(C, align(16))]
struct Stack([u8; STACK_SIZE]);
#[no_mangle]
static mut KOS_ROOT_STACK: Stack = Stack([0; STACK_SIZE]);

global_asm!(
    ".section .text._start,\"ax\",@progbits",
    ".global _start",
    "_start:",
    "    lea rsp, [rip + {stack} + {size}]",
    "    and rsp, -16",
    "    xor ebp, ebp",
    "    call {main}",
    "    ud2",
    stack = sym KOS_ROOT_STACK,
    size = const STACK_SIZE,
    main = sym root_main,
);

/// What went wrong, for the console.
struct Fail {
    what: &'static str,
    err: usize,
}
fn fail(what: &'static str) -> impl FnOnce(Error) -> Fail {
    move |Error(err)| Fail { what, err }
}
fn bad(what: &'static str) -> Fail {
    Fail {
        what,
        err: usize::MAX,
    }
}

/// Free slots of the root CNode (from bootinfo.empty) and one untyped to carve.
struct Alloc {
    next: usize,
    end: usize,
    ut: usize,
    made: usize,
    /// Paging objects made but not mapped yet (their map found a missing level).
    spare: [Option<usize>; 3],
}

impl Alloc {
    fn slot(&mut self) -> Result<usize, Fail> {
        if self.next >= self.end {
            return Err(bad("out of CNode slots"));
        }
        self.next += 1;
        Ok(self.next - 1)
    }
    /// One object of `ty` (size_bits only matters for CNodes and untypeds).
    fn obj(&mut self, ty: usize, size_bits: usize) -> Result<usize, Fail> {
        let slot = self.slot()?;
        sel4::untyped_retype(self.ut, ty, size_bits, slot).map_err(fail("Untyped_Retype"))?;
        self.made += 1;
        Ok(slot)
    }
}

/// Maps `frame` at `vaddr` in `vroot`, making and mapping a page table, page directory
/// or PDPT each time the kernel says a level is missing (seL4_FailedLookup).
fn map_page(
    a: &mut Alloc,
    frame: usize,
    vroot: usize,
    vaddr: usize,
    rights: usize,
) -> Result<(), Fail> {
    const LEVELS: [(usize, usize, &str); 3] = [
        (
            k::OBJ_X86_PAGE_TABLE,
            k::X86_PAGE_TABLE_MAP,
            "X86_PageTable_Map",
        ),
        (
            k::OBJ_X86_PAGE_DIRECTORY,
            k::X86_PAGE_DIRECTORY_MAP,
            "X86_PageDirectory_Map",
        ),
        (k::OBJ_X86_PDPT, k::X86_PDPT_MAP, "X86_PDPT_Map"),
    ];
    for _ in 0..4 {
        match sel4::page_map(frame, vroot, vaddr, rights) {
            Ok(()) => return Ok(()),
            Err(Error(e)) if e == k::ERR_FAILED_LOOKUP => {}
            Err(e) => return Err(fail("X86_Page_Map")(e)),
        }
        let mut level = 0;
        loop {
            let (ty, label, what) = LEVELS[level];
            let obj = match a.spare[level].take() {
                Some(c) => c,
                None => a.obj(ty, 0)?,
            };
            match sel4::paging_map(label, obj, vroot, vaddr) {
                Ok(()) => break,
                Err(Error(e)) if e == k::ERR_FAILED_LOOKUP && level < 2 => {
                    a.spare[level] = Some(obj);
                    level += 1;
                }
                Err(e) => return Err(fail(what)(e)),
            }
        }
    }
    Err(bad(
        "paging structures: still missing after PDPT, PD and PT",
    ))
}

struct Spawned {
    entry: usize,
    pages: usize,
}

/// Builds component `index` its world — TCB, CNode, VSpace — around the root's
/// endpoint `ep`, and starts it.
fn spawn(a: &mut Alloc, out: &mut Console, ep: usize, index: usize) -> Result<Spawned, Fail> {
    let elf = Elf::parse(COMPONENT).map_err(bad)?;
    let tcb = a.obj(k::OBJ_TCB, 0)?;
    let cnode = a.obj(k::OBJ_CAP_TABLE, COMP_CNODE_BITS)?;
    let pml4 = a.obj(k::OBJ_X64_PML4, 0)?;
    sel4::asid_pool_assign(k::CAP_INIT_THREAD_ASID_POOL, pml4)
        .map_err(fail("X86_ASIDPool_Assign"))?;
    let _ = writeln!(
        out,
        "kos root task: component {index}: TCB in slot {tcb}, CNode {cnode}, PML4 {pml4} (ASID assigned)"
    );

    // Every page some PT_LOAD segment touches, once, writable if any segment on it is.
    let mut pages = [(0usize, false); MAX_PAGES];
    let mut n = 0;
    for i in 0..elf.phnum() {
        let Some(s) = elf.load_segment(i).map_err(bad)? else {
            continue;
        };
        let mut p = s.vaddr & !(PAGE - 1);
        while p < s.vaddr + s.memsz {
            let w = s.flags & PF_W != 0;
            match pages[..n].iter_mut().find(|(v, _)| *v == p) {
                Some(e) => e.1 |= w,
                None if n < MAX_PAGES => {
                    pages[n] = (p, w);
                    n += 1;
                }
                None => return Err(bad("component too large")),
            }
            p += PAGE;
        }
    }
    for &(page, writable) in &pages[..n] {
        let stack_low = COMP_STACK_TOP - COMP_STACK_PAGES * PAGE;
        if (stack_low..COMP_STACK_TOP).contains(&page) || page == COMP_IPC_BUFFER {
            return Err(bad("component image overlaps its stack or IPC buffer"));
        }
        let frame = a.obj(k::OBJ_X86_4K, 0)?;
        // Fill it through a temporary mapping in the root's own VSpace.
        map_page(a, frame, k::CAP_INIT_THREAD_VSPACE, SCRATCH, k::READ_WRITE)?;
        compiler_fence(Ordering::SeqCst);
        for i in 0..elf.phnum() {
            let Some(s) = elf.load_segment(i).map_err(bad)? else {
                continue;
            };
            // File bytes of this segment that fall in [page, page + PAGE).
            let lo = s.vaddr.max(page);
            let hi = (s.vaddr + s.filesz).min(page + PAGE);
            if lo < hi {
                let src = &COMPONENT[s.offset + (lo - s.vaddr)..s.offset + (hi - s.vaddr)];
                // SAFETY: SCRATCH..SCRATCH+PAGE is mapped read-write right now; the
                // range is inside it. Fresh frames are zeroed by the kernel (bss).
                unsafe {
                    core::ptr::copy_nonoverlapping(
                        src.as_ptr(),
                        (SCRATCH + (lo - page)) as *mut u8,
                        src.len(),
                    )
                };
            }
        }
        compiler_fence(Ordering::SeqCst);
        sel4::page_unmap(frame).map_err(fail("X86_Page_Unmap"))?;
        let rights = if writable { k::READ_WRITE } else { k::CAN_READ };
        map_page(a, frame, pml4, page, rights)?;
    }
    for i in 0..COMP_STACK_PAGES {
        let frame = a.obj(k::OBJ_X86_4K, 0)?;
        map_page(
            a,
            frame,
            pml4,
            COMP_STACK_TOP - (i + 1) * PAGE,
            k::READ_WRITE,
        )?;
    }
    let ipc_frame = a.obj(k::OBJ_X86_4K, 0)?;
    map_page(a, ipc_frame, pml4, COMP_IPC_BUFFER, k::READ_WRITE)?;

    // Its CSpace: the endpoint twice, with two badges (requests, faults).
    sel4::cnode_mint(
        cnode,
        COMP_SLOT_EP,
        COMP_CNODE_BITS,
        k::CAP_INIT_THREAD_CNODE,
        ep,
        k::WORD_BITS,
        k::ALL_RIGHTS,
        badge(index, REQUEST),
    )
    .map_err(fail("CNode_Mint (endpoint)"))?;
    sel4::cnode_mint(
        cnode,
        COMP_SLOT_FAULT_EP,
        COMP_CNODE_BITS,
        k::CAP_INIT_THREAD_CNODE,
        ep,
        k::WORD_BITS,
        k::ALL_RIGHTS,
        badge(index, FAULT),
    )
    .map_err(fail("CNode_Mint (fault endpoint)"))?;

    sel4::tcb_configure(
        tcb,
        COMP_SLOT_FAULT_EP,
        // One priority below the other: each runs until it blocks, so their lines on
        // the one console never interleave.
        prio_props(COMP_PRIO - index, 0),
        cnode,
        COMP_GUARD_DATA,
        pml4,
        k::NIL_DATA,
        COMP_IPC_BUFFER,
        ipc_frame,
    )
    .map_err(fail("TCB_Configure"))?;
    let mut regs = [0usize; k::ctx::RDI + 1];
    regs[k::ctx::RIP] = elf.entry;
    regs[k::ctx::RSP] = COMP_STACK_TOP;
    regs[k::ctx::RDI] = COMP_IPC_BUFFER;
    regs[k::ctx::RSI] = index;
    sel4::tcb_write_registers(tcb, &regs).map_err(fail("TCB_WriteRegisters"))?;
    sel4::tcb_resume(tcb).map_err(fail("TCB_Resume"))?;
    Ok(Spawned {
        entry: elf.entry,
        pages: n,
    })
}

fn run(bi: &BootInfo, out: &mut Console) -> Result<(), Fail> {
    // The largest RAM (non-device) untyped.
    let (us, ue) = (bi.untyped.start, bi.untyped.end);
    let mut best: Option<(usize, u8)> = None;
    for i in 0..(ue - us).min(k::MAX_BOOTINFO_UNTYPED) {
        let d = bi.untyped_list[i];
        if d.is_device == 0 && best.is_none_or(|(_, b)| d.size_bits > b) {
            best = Some((i, d.size_bits));
        }
    }
    let (i, bits) = best.ok_or(bad("no RAM untyped"))?;
    let paddr = bi.untyped_list[i].paddr;
    let _ = writeln!(
        out,
        "kos root task: carving untyped {} (slot {}, 2^{bits} bytes at {paddr:#x})",
        i,
        us + i
    );
    let mut a = Alloc {
        next: bi.empty.start,
        end: bi.empty.end,
        ut: us + i,
        made: 0,
        spare: [None; 3],
    };
    let system = Manifest::from_dtb(SYSTEM).map_err(|e| {
        let _ = writeln!(out, "kos root task: manifest: {e}");
        bad("the system manifest is broken")
    })?;
    let apps: Vec<&App> = system
        .start_order()
        .into_iter()
        .filter(|app| matches!(app.kind, AppKind::Native { .. }))
        .collect();
    let _ = writeln!(
        out,
        "kos root task: manifest: {} apps, {} message servers; starting the native ones in order: {}",
        system.apps.len(),
        system.msg_servers.len(),
        apps.iter().map(|a| a.name.as_str()).collect::<Vec<_>>().join(", ")
    );
    if apps.is_empty() || apps.len() > MAX_COMPONENTS {
        return Err(bad("a system on seL4 has 1 to 8 native apps"));
    }
    // One endpoint for every component; the badge says who sent what.
    let ep = a.obj(k::OBJ_ENDPOINT, 0)?;
    let mut slots: Vec<Slot> = Vec::new();
    for (index, app) in apps.iter().enumerate() {
        let s = spawn(&mut a, out, ep, index)?;
        let _ = writeln!(
            out,
            "kos root task: component {index} is {}: started at {:#x}, {} image pages",
            app.name, s.entry, s.pages
        );
        slots.push(Slot {
            tracker: RestartTracker::new(app.restart),
            restart_at: None,
            down: false,
        });
    }
    let _ = writeln!(
        out,
        "kos root task: {} objects retyped, slots {}..{} used",
        a.made,
        { bi.empty.start },
        a.next
    );
    // From now on the root runs only when every component is blocked: it answers
    // calls, takes faults and restarts by each app's policy (kos-restart, as the
    // hosted root server does), polling its endpoint and its restart deadlines.
    sel4::tcb_set_priority(k::CAP_INIT_THREAD_TCB, ROOT_SUPERVISING_PRIO)
        .map_err(fail("TCB_SetPriority"))?;
    let ipc = sel4::ipc();
    while slots.iter().any(|s| !s.down) {
        let m = sel4call::nb_recv(ep);
        if m.badge == 0 {
            // Nothing sent: start whatever is due, then let the others run.
            let now = Tsc::now();
            for (index, slot) in slots.iter_mut().enumerate() {
                if slot.restart_at.is_some_and(|due: Tsc| due.0 <= now.0) {
                    slot.restart_at = None;
                    let s = spawn(&mut a, out, ep, index)?;
                    let _ = writeln!(
                        out,
                        "kos root task: component {index} is {}: started again at {:#x}",
                        apps[index].name, s.entry
                    );
                }
            }
            sel4call::yield_now();
            continue;
        }
        let index = (m.badge >> 8).wrapping_sub(1);
        let Some(app) = apps.get(index) else {
            return Err(bad("a message under a badge the root never minted"));
        };
        match m.badge & 0xff {
            REQUEST => {
                let _ = write!(
                    out,
                    "kos root task: {} called: badge {:#x}, label {:#x}, {} words:",
                    app.name,
                    m.badge,
                    m.label(),
                    m.length()
                );
                let mut sum = 0usize;
                for i in 0..m.length() {
                    let w = ipc.get(&m, i);
                    sum = sum.wrapping_add(w);
                    let _ = write!(out, " {w:#x}");
                }
                let _ = writeln!(out);
                ipc.reply(0, &[0x600d, m.length(), sum, index, 0x8888]);
            }
            FAULT if m.label() == k::FAULT_VM => {
                // seL4_VMFault_IP, _Addr, _PrefetchFault, _FSR
                let how = Fault {
                    ip: ipc.get(&m, 0),
                    addr: ipc.get(&m, 1),
                    fsr: ipc.get(&m, 3),
                };
                let slot = &mut slots[index];
                let policy = app.restart;
                let _ = write!(
                    out,
                    "kos root task: {} faulted: badge {:#x}, VM fault at ip {:#x}, address {:#x}, FSR {:#x}; ",
                    app.name, m.badge, how.ip, how.addr, how.fsr
                );
                let now = Tsc::now();
                match slot.tracker.on_exit(ExitKind::Abnormal, now) {
                    Decision::Restart { after, count } => {
                        let _ = writeln!(
                            out,
                            "restarting in {} ms (restart {count} of {} allowed within {} s)",
                            after.as_millis(),
                            policy.max_restarts,
                            policy.max_seconds
                        );
                        slot.restart_at = Some(now.plus(after));
                    }
                    Decision::Stay(why) => {
                        let _ = writeln!(out, "{why}");
                        slot.down = true;
                    }
                    Decision::GiveUp { restarts, within } => {
                        let _ = writeln!(
                            out,
                            "giving up: {restarts} restarts within {} s reached the restart intensity limit (max_restarts = {}, max_seconds = {}); it stays down",
                            within.as_secs(),
                            policy.max_restarts,
                            policy.max_seconds
                        );
                        slot.down = true;
                    }
                }
            }
            _ => return Err(bad("an unexpected message")),
        }
    }
    let _ = writeln!(
        out,
        "kos root task: every app is down for good; {} objects retyped in all",
        a.made
    );
    Ok(())
}

/// A component's supervision state.
struct Slot {
    tracker: RestartTracker<Tsc>,
    /// When its next start is due, after a fault.
    restart_at: Option<Tsc>,
    /// Down for good, as its policy says.
    down: bool,
}

/// What a VM fault says.
struct Fault {
    ip: usize,
    addr: usize,
    fsr: usize,
}

/// The time-stamp counter, in ticks of `TSC_MHZ` per microsecond.
#[derive(Clone, Copy, Debug)]
struct Tsc(u64);

/// The TSC's rate, MHz (`bootinfo.archInfo` on x86; set once at start).
static TSC_MHZ: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(1000);

impl Tsc {
    fn now() -> Tsc {
        // SAFETY: rdtsc reads a counter; the root task may (CR4.TSD is clear).
        #[allow(unused_unsafe)]
        Tsc(unsafe { core::arch::x86_64::_rdtsc() })
    }

    fn plus(self, d: Duration) -> Tsc {
        let mhz = TSC_MHZ.load(core::sync::atomic::Ordering::Relaxed);
        Tsc(self
            .0
            .saturating_add((d.as_micros() as u64).saturating_mul(mhz)))
    }
}

impl Moment for Tsc {
    fn since(self, earlier: Tsc) -> Duration {
        let mhz = TSC_MHZ.load(core::sync::atomic::Ordering::Relaxed).max(1);
        Duration::from_micros(self.0.saturating_sub(earlier.0) / mhz)
    }
}

extern "C" fn root_main(bootinfo: *const BootInfo) -> ! {
    // SAFETY: the kernel maps the boot info frame for the root task.
    let bi = unsafe { &*bootinfo };
    sel4::set_root_ipc_buffer(bi.ipc_buffer);
    // x86: the boot info's arch word is the TSC's rate in MHz.
    if bi.arch_info > 0 {
        TSC_MHZ.store(bi.arch_info as u64, core::sync::atomic::Ordering::Relaxed);
    }
    let mut out = Console;
    let _ = writeln!(
        out,
        "kos root task: started, boot info at {bootinfo:p}, IPC buffer {:#x}, TSC {} MHz, manifest {} bytes, component ELF {} bytes",
        { bi.ipc_buffer },
        TSC_MHZ.load(core::sync::atomic::Ordering::Relaxed),
        SYSTEM.len(),
        COMPONENT.len()
    );
    let verdict = match run(bi, &mut out) {
        Ok(()) => {
            let _ = writeln!(out, "kos root task: done");
            EXIT_SUCCESS
        }
        Err(Fail { what, err }) => {
            let _ = writeln!(out, "kos root task: failed: {what} (seL4 error {err})");
            EXIT_FAILURE
        }
    };
    let refused = sel4::io_port_out8(EXIT_PORT, verdict);
    let _ = writeln!(
        out,
        "kos root task: no exit device (reply label {refused}); halting"
    );
    sel4call::debug_halt()
}

#[panic_handler]
fn panic(info: &PanicInfo) -> ! {
    let _ = writeln!(Console, "kos root task: panic: {info}");
    sel4::io_port_out8(EXIT_PORT, EXIT_FAILURE);
    sel4call::debug_halt()
}
