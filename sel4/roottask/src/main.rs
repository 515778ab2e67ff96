//! The KOS root task: the first thread seL4 starts. It reads the boot info the kernel
//! hands it, reports what it was given on the console, and ends the system through
//! QEMU's exit device with a status that says whether what it found is sound.
//!
//! This is the first step of KOS on seL4 (the issue "KOS on seL4"): the next ones read
//! the manifest from a boot module and build each component's CSpace, VSpace and TCB.

#![no_std]
#![no_main]

mod console;
mod sel4;

use core::arch::global_asm;
use core::fmt::Write;
use core::panic::PanicInfo;

use console::Console;
use sel4::{k, BootInfo};

/// QEMU's exit device (the board file's `run.exit_port`).
const EXIT_PORT: u16 = 0xf4;
/// Written there when the boot info is sound; QEMU then exits with 33.
const EXIT_SUCCESS: u8 = 0x10;
/// Written there otherwise; QEMU exits with 35.
const EXIT_FAILURE: u8 = 0x11;

const STACK_SIZE: usize = 64 * 1024;

#[repr(C, align(16))]
struct Stack([u8; STACK_SIZE]);

/// The root task's stack: the kernel starts it with none.
#[no_mangle]
static mut KOS_ROOT_STACK: Stack = Stack([0; STACK_SIZE]);

// The kernel starts the root task with the boot info's address in rdi and no stack.
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

/// What the boot info says, checked.
struct Found {
    untyped_regions: usize,
    untyped_bytes: u64,
    device_regions: usize,
}

fn survey(bi: &BootInfo) -> Result<Found, &'static str> {
    let (start, end) = (bi.untyped.start, bi.untyped.end);
    let n = end
        .checked_sub(start)
        .ok_or("untyped region ends before it starts")?;
    if n == 0 || n > k::MAX_BOOTINFO_UNTYPED {
        return Err("untyped region count out of range");
    }
    let mut found = Found {
        untyped_regions: n,
        untyped_bytes: 0,
        device_regions: 0,
    };
    for i in 0..n {
        let d = bi.untyped_list[i];
        // seL4 untypeds are 2^4 .. 2^47 bytes on x86_64.
        if !(4..=47).contains(&d.size_bits) || d.is_device > 1 {
            return Err("an untyped descriptor is garbage: the boot-info layout is wrong");
        }
        if d.is_device == 1 {
            found.device_regions += 1;
        } else {
            found.untyped_bytes += 1u64 << d.size_bits;
        }
    }
    Ok(found)
}

extern "C" fn root_main(bootinfo: *const BootInfo) -> ! {
    // SAFETY: the kernel maps the boot info frame for the root task and passes its
    // address; it is never written while the root task runs.
    let bi = unsafe { &*bootinfo };
    let mut out = Console;
    let cnode_bits = bi.init_thread_cnode_size_bits;
    let (empty_start, empty_end) = (bi.empty.start, bi.empty.end);
    let (nodes, image_frames) = (
        bi.num_nodes,
        bi.user_image_frames.end - bi.user_image_frames.start,
    );
    let _ = writeln!(
        out,
        "kos root task: started on seL4 5.0.0, boot info at {bootinfo:p}"
    );
    let _ = writeln!(
        out,
        "kos root task: {nodes} node(s), root CNode of 2^{cnode_bits} slots, slots {empty_start}..{empty_end} free, image in {image_frames} frames"
    );
    let verdict = match survey(bi) {
        Ok(f) => {
            let _ = writeln!(
                out,
                "kos root task: {} untyped regions, {} KiB of RAM to give out, {} device regions",
                f.untyped_regions,
                f.untyped_bytes / 1024,
                f.device_regions
            );
            if usize::from(cnode_bits) == k::ROOT_CNODE_SIZE_BITS {
                EXIT_SUCCESS
            } else {
                let _ = writeln!(out, "kos root task: the CNode size is not the board's");
                EXIT_FAILURE
            }
        }
        Err(why) => {
            let _ = writeln!(out, "kos root task: {why}");
            EXIT_FAILURE
        }
    };
    let _ = writeln!(
        out,
        "kos root task: {}",
        if verdict == EXIT_SUCCESS {
            "done"
        } else {
            "failed"
        }
    );
    let refused = sel4::io_port_out8(EXIT_PORT, verdict);
    // Only reached without an exit device (or if the kernel refused the port).
    let _ = writeln!(
        out,
        "kos root task: no exit device (reply label {refused}); halting"
    );
    sel4::debug_halt()
}

#[panic_handler]
fn panic(info: &PanicInfo) -> ! {
    let _ = writeln!(Console, "kos root task: panic: {info}");
    sel4::io_port_out8(EXIT_PORT, EXIT_FAILURE);
    sel4::debug_halt()
}

/// The precompiled `core` refers to it even with panic = abort.
#[no_mangle]
extern "C" fn rust_eh_personality() {}
