//! The seL4 calls the root task makes, with the numbers of the kernel it runs on.
//!
//! `k` is `KOS_SEL4_CONSTANTS`, printed by a C program compiled against this kernel
//! build's own headers (kos-sel4-build's `constants`): syscall numbers, invocation
//! labels, initial capability slots, and the offsets of `seL4_BootInfo`. The
//! [`BootInfo`] struct below is checked against those offsets at compile time, so a
//! layout that disagrees with the kernel's does not build.
//!
//! The system calls themselves are `kos-sel4-rt`'s (shared with every component).

use kos_sel4_rt::k;

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

use kos_sel4_rt::IpcBuffer;

/// A kernel invocation that failed: the `seL4_Error` in the reply's label.
#[derive(Clone, Copy, Debug)]
pub struct Error(pub usize);

/// The root task's IPC buffer (`bootinfo.ipcBuffer`), set once at start.
static mut ROOT_IPC: usize = 0;

pub fn set_root_ipc_buffer(addr: usize) {
    // SAFETY: one thread; written once before any invocation.
    unsafe { ROOT_IPC = addr }
}

pub fn ipc() -> IpcBuffer {
    // SAFETY: one thread.
    IpcBuffer(unsafe { ROOT_IPC })
}

/// Invokes `cap` with `label`, `args` (MRs 0..) and extra `caps`; the reply's first
/// four MRs, or the seL4_Error the kernel returned as the label.
pub fn invoke(
    cap: usize,
    label: usize,
    args: &[usize],
    caps: &[usize],
) -> Result<[usize; 4], Error> {
    let r = ipc().call(cap, label, args, caps);
    match r.label() {
        0 => Ok(r.mr),
        e => Err(Error(e)),
    }
}

/// `seL4_Untyped_Retype(ut, type, size_bits, root, node_index = 0, node_depth = 0,
/// node_offset = slot, num_objects = 1)`: one object into `slot` of the root CNode
/// (depth 0 means the `root` cap itself is the destination CNode).
pub fn untyped_retype(ut: usize, ty: usize, size_bits: usize, slot: usize) -> Result<(), Error> {
    invoke(
        ut,
        k::UNTYPED_RETYPE,
        &[ty, size_bits, 0, 0, slot, 1],
        &[k::CAP_INIT_THREAD_CNODE],
    )
    .map(|_| ())
}

/// `seL4_CNode_Mint(dest_cnode, dest_index, dest_depth, src_root, src_index, src_depth,
/// rights, badge)`.
#[allow(clippy::too_many_arguments)]
pub fn cnode_mint(
    dest: usize,
    index: usize,
    depth: usize,
    src_root: usize,
    src: usize,
    src_depth: usize,
    rights: usize,
    data: usize,
) -> Result<(), Error> {
    invoke(
        dest,
        k::CNODE_MINT,
        &[index, depth, src, src_depth, rights, data],
        &[src_root],
    )
    .map(|_| ())
}

/// `seL4_CNode_Revoke(root, index, depth)`: deletes every capability derived from the
/// one at `index` (for an untyped: every object made from it, which frees it whole).
pub fn cnode_revoke(root: usize, index: usize, depth: usize) -> Result<(), Error> {
    invoke(root, k::CNODE_REVOKE, &[index, depth], &[]).map(|_| ())
}

/// `seL4_CNode_Delete(root, index, depth)`: empties the slot.
pub fn cnode_delete(root: usize, index: usize, depth: usize) -> Result<(), Error> {
    invoke(root, k::CNODE_DELETE, &[index, depth], &[]).map(|_| ())
}

/// `seL4_CNode_SaveCaller(root, index, depth)`: moves the reply capability of the
/// call just received into the (empty) slot, so it can be answered later with a
/// `seL4_Send` on it while the root receives other messages.
pub fn cnode_save_caller(root: usize, index: usize, depth: usize) -> Result<(), Error> {
    invoke(root, k::CNODE_SAVE_CALLER, &[index, depth], &[]).map(|_| ())
}

/// `seL4_X86_ASIDPool_Assign(pool, vroot)`.
pub fn asid_pool_assign(pool: usize, vroot: usize) -> Result<(), Error> {
    invoke(pool, k::X86_ASID_POOL_ASSIGN, &[], &[vroot]).map(|_| ())
}

/// `seL4_X86_Page_Map(frame, vroot, vaddr, rights, attr = 0 (write-back))`.
pub fn page_map(frame: usize, vroot: usize, vaddr: usize, rights: usize) -> Result<(), Error> {
    invoke(frame, k::X86_PAGE_MAP, &[vaddr, rights, 0], &[vroot]).map(|_| ())
}

/// `seL4_X86_Page_Unmap(frame)`.
pub fn page_unmap(frame: usize) -> Result<(), Error> {
    invoke(frame, k::X86_PAGE_UNMAP, &[], &[]).map(|_| ())
}

/// `seL4_X86_{PageTable,PageDirectory,PDPT}_Map(obj, vroot, vaddr, attr = 0)`.
pub fn paging_map(label: usize, obj: usize, vroot: usize, vaddr: usize) -> Result<(), Error> {
    invoke(obj, label, &[vaddr, 0], &[vroot]).map(|_| ())
}

/// `seL4_TCB_Configure(tcb, fault_ep, prio_props, cspace_root, cspace_root_data,
/// vspace_root, vspace_root_data, buffer, buffer_frame)`: MRs fault_ep, prio props,
/// cspace data, vspace data, buffer; caps cspace, vspace, buffer frame.
#[allow(clippy::too_many_arguments)]
pub fn tcb_configure(
    tcb: usize,
    fault_ep: usize,
    prio_props: usize,
    cspace: usize,
    cspace_data: usize,
    vspace: usize,
    vspace_data: usize,
    buffer: usize,
    buffer_frame: usize,
) -> Result<(), Error> {
    invoke(
        tcb,
        k::TCB_CONFIGURE,
        &[fault_ep, prio_props, cspace_data, vspace_data, buffer],
        &[cspace, vspace, buffer_frame],
    )
    .map(|_| ())
}

/// `seL4_TCB_WriteRegisters(tcb, resume = false, arch_flags = 0, count, regs)`:
/// MR0 = resume | arch_flags << 8, MR1 = count, MR2.. = seL4_UserContext words.
pub fn tcb_write_registers(tcb: usize, regs: &[usize]) -> Result<(), Error> {
    let mut args = [0usize; 2 + k::ctx::WORDS];
    args[1] = regs.len();
    args[2..2 + regs.len()].copy_from_slice(regs);
    invoke(tcb, k::TCB_WRITE_REGISTERS, &args[..2 + regs.len()], &[]).map(|_| ())
}

/// `seL4_TCB_SetPriority(tcb, priority)` (5.0: checked against the caller's MCP).
pub fn tcb_set_priority(tcb: usize, priority: usize) -> Result<(), Error> {
    invoke(tcb, k::TCB_SET_PRIORITY, &[priority], &[]).map(|_| ())
}

/// `seL4_TCB_ReadRegisters(tcb, suspend_source = false, arch_flags = 0, count)`: the
/// first `N` words of the thread's seL4_UserContext (for a thread blocked in a system
/// call, the registers it made the call with).
pub fn tcb_read_registers<const N: usize>(tcb: usize) -> Result<[usize; N], Error> {
    let first = invoke(tcb, k::TCB_READ_REGISTERS, &[0, N], &[])?;
    let ipc = ipc();
    Ok(core::array::from_fn(|i| {
        if i < 4 {
            first[i]
        } else {
            ipc.mr(i)
        }
    }))
}

/// `seL4_TCB_Suspend(tcb)`: stops the thread; a call it was blocked in is cancelled.
pub fn tcb_suspend(tcb: usize) -> Result<(), Error> {
    invoke(tcb, k::TCB_SUSPEND, &[], &[]).map(|_| ())
}

/// `seL4_TCB_Resume(tcb)`.
pub fn tcb_resume(tcb: usize) -> Result<(), Error> {
    invoke(tcb, k::TCB_RESUME, &[], &[]).map(|_| ())
}

/// `seL4_X86_IOPort_Out8(port cap, port, value)`; 0 on success.
pub fn io_port_out8(port: u16, value: u8) -> usize {
    ipc()
        .call(
            k::CAP_IO_PORT,
            k::X86_IO_PORT_OUT8,
            &[usize::from(port), usize::from(value)],
            &[],
        )
        .label()
}
