//! The seL4 calls the root task makes, with the numbers of the kernel it runs on.
//!
//! `k` is `KOS_SEL4_CONSTANTS`, printed by a C program compiled against this kernel
//! build's own headers (kos-sel4-build's `constants`): syscall numbers, invocation
//! labels, initial capability slots, and the offsets of `seL4_BootInfo`. The
//! [`BootInfo`] struct below is checked against those offsets at compile time, so a
//! layout that disagrees with the kernel's does not build.
//!
//! The x86_64 `syscall` convention (libsel4's `syscalls_syscall.h`): rdx the syscall
//! number, rdi the capability (or a character), rsi the message info, r10, r8, r9 and
//! r15 the first four message registers; the kernel saves the user stack pointer in
//! rbx and clobbers rcx and r11. LLVM reserves rbx, so it is parked in r12 around
//! the instruction.

use core::arch::asm;

#[allow(dead_code)]
pub mod k {
    include!(env!("KOS_SEL4_CONSTANTS"));
}

/// `seL4_SlotRegion`: capability slots `[start, end)` of the root CNode.
#[repr(C, packed)]
#[derive(Clone, Copy)]
pub struct SlotRegion {
    pub start: usize,
    pub end: usize,
}

/// `seL4_UntypedDesc`.
#[repr(C, packed)]
#[derive(Clone, Copy)]
pub struct UntypedDesc {
    pub paddr: usize,
    pub padding: [u8; 2],
    pub size_bits: u8,
    pub is_device: u8,
}

/// `seL4_BootInfo` of seL4 5.0 (every integer a machine word, except the CNode size).
#[repr(C, packed)]
pub struct BootInfo {
    pub extra_len: usize,
    pub node_id: usize,
    pub num_nodes: usize,
    pub num_iopt_levels: usize,
    pub ipc_buffer: usize,
    pub empty: SlotRegion,
    pub shared_frames: SlotRegion,
    pub user_image_frames: SlotRegion,
    pub user_image_paging: SlotRegion,
    pub io_space_caps: SlotRegion,
    pub extra_bi_pages: SlotRegion,
    pub init_thread_cnode_size_bits: u8,
    pub init_thread_domain: usize,
    pub arch_info: usize,
    pub untyped: SlotRegion,
    pub untyped_list: [UntypedDesc; k::MAX_BOOTINFO_UNTYPED],
}

/// Fails the build where this binding and the kernel's header disagree.
macro_rules! at {
    ($field:ident, $offset:expr) => {
        assert!(core::mem::offset_of!(BootInfo, $field) == $offset);
    };
}
const _: () = {
    use k::bootinfo as c;
    at!(extra_len, c::EXTRA_LEN);
    at!(node_id, c::NODE_ID);
    at!(num_nodes, c::NUM_NODES);
    at!(num_iopt_levels, c::NUM_IOPT_LEVELS);
    at!(ipc_buffer, c::IPC_BUFFER);
    at!(empty, c::EMPTY);
    at!(shared_frames, c::SHARED_FRAMES);
    at!(user_image_frames, c::USER_IMAGE_FRAMES);
    at!(user_image_paging, c::USER_IMAGE_PAGING);
    at!(io_space_caps, c::IO_SPACE_CAPS);
    at!(extra_bi_pages, c::EXTRA_BI_PAGES);
    at!(init_thread_cnode_size_bits, c::INIT_THREAD_CNODE_SIZE_BITS);
    at!(init_thread_domain, c::INIT_THREAD_DOMAIN);
    at!(arch_info, c::ARCH_INFO);
    at!(untyped, c::UNTYPED);
    at!(untyped_list, c::UNTYPED_LIST);
    assert!(core::mem::size_of::<BootInfo>() == c::SIZE);
    assert!(core::mem::size_of::<UntypedDesc>() == c::UNTYPED_DESC_SIZE);
};

/// One seL4 system call: `number` in rdx, `rdi` and `rsi` (capability or argument,
/// message info), the first four message registers; returns rsi and rdi after it
/// (the reply's message info and badge).
fn syscall(number: isize, rdi: usize, rsi: usize, mr: [usize; 4]) -> (usize, usize) {
    let (info, badge);
    // SAFETY: the seL4 syscall ABI above; every register the kernel changes is declared.
    unsafe {
        asm!(
            "mov r12, rbx",
            "mov rbx, rsp",
            "syscall",
            "mov rsp, rbx",
            "mov rbx, r12",
            inout("rdx") number => _,
            inout("rdi") rdi => badge,
            inout("rsi") rsi => info,
            inout("r10") mr[0] => _,
            inout("r8") mr[1] => _,
            inout("r9") mr[2] => _,
            inout("r15") mr[3] => _,
            out("r12") _, out("rcx") _, out("r11") _,
            options(nostack),
        );
    }
    (info, badge)
}

/// `seL4_DebugPutChar` (debug kernels).
pub fn debug_put_char(c: u8) {
    syscall(k::SYS_DEBUG_PUT_CHAR, usize::from(c), 0, [0; 4]);
}

/// `seL4_DebugHalt`: stops the kernel (debug kernels).
pub fn debug_halt() -> ! {
    syscall(k::SYS_DEBUG_HALT, 0, 0, [0; 4]);
    #[allow(clippy::empty_loop)]
    loop {}
}

/// `seL4_Call` on `cap` with `label` and two message registers; the reply's label.
pub fn call2(cap: usize, label: usize, mr0: usize, mr1: usize) -> usize {
    // seL4_MessageInfo: label in bits 12.., length (2) in bits 0..7.
    let info = (label << 12) | 2;
    let (reply, _badge) = syscall(k::SYS_CALL, cap, info, [mr0, mr1, 0, 0]);
    reply >> 12
}

/// `seL4_X86_IOPort_Out8` on the root task's I/O port capability; 0 on success.
pub fn io_port_out8(port: u16, value: u8) -> usize {
    call2(
        k::CAP_IO_PORT,
        k::X86_IO_PORT_OUT8,
        usize::from(port),
        usize::from(value),
    )
}
