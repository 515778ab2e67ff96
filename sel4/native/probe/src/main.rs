//! The probe: a component that exercises the world the root task built for it — its
//! own VSpace and CSpace, a badged endpoint to the root, a fault endpoint. It prints,
//! calls the root with six words (two of them through its IPC buffer), prints the
//! reply, then reads address 0x10 so that the root sees its fault.
//!
//! Registers at entry (set by the root with TCB_WriteRegisters): rsp = top of its
//! stack, rdi = its IPC buffer's address, rsi = its number among the components.
//! Its CSpace (one 2^8-slot CNode, guard 56 bits of 0): slot 1 = badged endpoint to
//! the root, slot 2 = its fault endpoint (a second badge on the same endpoint).

#![no_std]
#![no_main]

use core::arch::global_asm;
use core::fmt::Write;
use core::panic::PanicInfo;

use kos_sel4_rt as sel4call;
use kos_sel4_rt::{k, Console, IpcBuffer};

/// The endpoint the root minted into slot 1.
const EP: usize = 1;

global_asm!(
    ".section .text._start,\"ax\",@progbits",
    ".global _start",
    "_start:",
    "    and rsp, -16",
    "    xor ebp, ebp",
    "    call {main}",
    "    ud2",
    main = sym component_main,
);

extern "C" fn component_main(ipc_buffer: usize, index: usize) -> ! {
    let ipc = IpcBuffer(ipc_buffer);
    let mut out = Console;
    let sp: usize;
    // SAFETY: reads rsp.
    unsafe { core::arch::asm!("mov {}, rsp", out(reg) sp) };
    let _ = writeln!(
        out,
        "hello from component {index} (ipc buffer {ipc_buffer:#x}, stack near {sp:#x})"
    );
    // Six words: MRs 0..3 travel in registers, 4 and 5 in the IPC buffer.
    let words = [0x1111, 0x2222, 0x3333, 0x4444, 0x5555, 0x6666];
    let reply = ipc.call(EP, 0x4b, &words, &[]);
    let _ = write!(
        out,
        "component {index}: reply label {:#x}, {} words:",
        reply.label(),
        reply.length()
    );
    for i in 0..reply.length() {
        let _ = write!(out, " {:#x}", ipc.get(&reply, i));
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "component {index}: now reading address 0x10 (a fault on purpose)"
    );
    // SAFETY: none; this faults, and the kernel sends the fault to the root.
    let v = unsafe { (0x10 as *const usize).read_volatile() };
    let _ = writeln!(
        out,
        "component {index}: read {v:#x} at 0x10?! (should not happen)"
    );
    loop {
        sel4call::syscall(k::SYS_YIELD, 0, 0, [0; 4]);
    }
}

#[panic_handler]
fn panic(info: &PanicInfo) -> ! {
    let _ = writeln!(Console, "component: panic: {info}");
    // A user exception the root's fault handler sees (not DebugHalt: that stops the
    // whole machine).
    // SAFETY: ud2 only raises #UD.
    unsafe { core::arch::asm!("ud2", options(noreturn)) }
}
