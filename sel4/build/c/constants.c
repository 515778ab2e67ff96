/* Prints the constants of one seL4 kernel build as Rust (kos-sel4-build runs it).
 * Syscalls and invocation labels: the build's generated headers (they depend on the
 * configuration). Object types, sizes, the IPC buffer, capability data, message info,
 * faults, errors and the boot info: libsel4, with its bitfield headers generated for
 * this configuration (libsel4's objecttype headers are the kernel's own, byte for byte). */
#include <stdio.h>
#include <stddef.h>
typedef unsigned long word_t;
#define UNUSED __attribute__((unused))
#include <autoconf.h>
#include <arch/api/syscall.h>
#include <arch/api/invocation.h>
#include <sel4/macros.h>
#include <sel4/simple_types.h>
#include <sel4/sel4_arch/types.h>
#include <sel4/sel4_arch/types_gen.h>
#include <sel4/types_gen.h>
#include <sel4/errors.h>
#include <sel4/constants.h>
#include <sel4/objecttype.h>
#include <sel4/sel4_arch/objecttype.h>
#include <sel4/arch/objecttype.h>
#include <sel4/shared_types_gen.h>
#include <sel4/shared_types.h>
#include <sel4/sel4_arch/constants.h>
#include <sel4/bootinfo_types.h>
/* as libsel4/include/sel4/types.h:44 (not included: it needs the generated syscall.h) */
#define seL4_NilData seL4_CapData_Badge_new(0)

#define I(rust, e) printf("pub const %s: isize = %ld;\n", rust, (long)(e))
#define U(rust, e) printf("pub const %s: usize = %lu;\n", rust, (unsigned long)(e))
#define OFF(rust, t, f) printf("    pub const %s: usize = %zu;\n", rust, offsetof(t, f))

int main(void) {
    I("SYS_CALL", SysCall); I("SYS_REPLY_RECV", SysReplyRecv); I("SYS_SEND", SysSend);
    I("SYS_NB_SEND", SysNBSend); I("SYS_RECV", SysRecv); I("SYS_REPLY", SysReply);
    I("SYS_YIELD", SysYield); I("SYS_NB_RECV", SysNBRecv);
    I("SYS_DEBUG_PUT_CHAR", SysDebugPutChar); I("SYS_DEBUG_HALT", SysDebugHalt);
    /* invocation labels */
    U("UNTYPED_RETYPE", UntypedRetype);
    U("TCB_READ_REGISTERS", TCBReadRegisters); U("TCB_WRITE_REGISTERS", TCBWriteRegisters);
    U("TCB_CONFIGURE", TCBConfigure); U("TCB_SET_PRIORITY", TCBSetPriority);
    U("TCB_SET_IPC_BUFFER", TCBSetIPCBuffer); U("TCB_SET_SPACE", TCBSetSpace);
    U("TCB_SUSPEND", TCBSuspend); U("TCB_RESUME", TCBResume);
    U("CNODE_REVOKE", CNodeRevoke); U("CNODE_DELETE", CNodeDelete);
    U("CNODE_COPY", CNodeCopy); U("CNODE_MINT", CNodeMint); U("CNODE_MOVE", CNodeMove);
    U("CNODE_MUTATE", CNodeMutate); U("CNODE_SAVE_CALLER", CNodeSaveCaller);
    U("X86_PDPT_MAP", X86PDPTMap);
    U("X86_PAGE_DIRECTORY_MAP", X86PageDirectoryMap);
    U("X86_PAGE_TABLE_MAP", X86PageTableMap);
    U("X86_PAGE_MAP", X86PageMap); U("X86_PAGE_UNMAP", X86PageUnmap);
    U("X86_ASID_POOL_ASSIGN", X86ASIDPoolAssign);
    U("X86_IO_PORT_IN8", X86IOPortIn8); U("X86_IO_PORT_OUT8", X86IOPortOut8);
    /* initial caps */
    U("CAP_INIT_THREAD_TCB", seL4_CapInitThreadTCB);
    U("CAP_INIT_THREAD_CNODE", seL4_CapInitThreadCNode);
    U("CAP_INIT_THREAD_VSPACE", seL4_CapInitThreadVSpace);
    U("CAP_IRQ_CONTROL", seL4_CapIRQControl);
    U("CAP_ASID_CONTROL", seL4_CapASIDControl);
    U("CAP_INIT_THREAD_ASID_POOL", seL4_CapInitThreadASIDPool);
    U("CAP_IO_PORT", seL4_CapIOPort);
    U("CAP_BOOT_INFO_FRAME", seL4_CapBootInfoFrame);
    U("CAP_INIT_THREAD_IPC_BUFFER", seL4_CapInitThreadIPCBuffer);
    U("ROOT_CNODE_SIZE_BITS", CONFIG_ROOT_CNODE_SIZE_BITS);
    U("MAX_BOOTINFO_UNTYPED", CONFIG_MAX_NUM_BOOTINFO_UNTYPED_CAPS);
    U("WORD_BITS", seL4_WordBits);
    /* object types (this config: no IOMMU, no VT-x, no huge pages) */
    U("OBJ_UNTYPED", seL4_UntypedObject); U("OBJ_TCB", seL4_TCBObject);
    U("OBJ_ENDPOINT", seL4_EndpointObject); U("OBJ_NOTIFICATION", seL4_NotificationObject);
    U("OBJ_CAP_TABLE", seL4_CapTableObject);
    U("OBJ_X86_PDPT", seL4_X86_PDPTObject); U("OBJ_X64_PML4", seL4_X64_PML4Object);
    U("OBJ_X86_4K", seL4_X86_4K); U("OBJ_X86_LARGE_PAGE", seL4_X86_LargePageObject);
    U("OBJ_X86_PAGE_TABLE", seL4_X86_PageTableObject);
    U("OBJ_X86_PAGE_DIRECTORY", seL4_X86_PageDirectoryObject);
    U("OBJ_TYPE_COUNT", seL4_ObjectTypeCount);
    /* object size bits */
    U("PAGE_BITS", seL4_PageBits); U("SLOT_BITS", seL4_SlotBits); U("TCB_BITS", seL4_TCBBits);
    U("ENDPOINT_BITS", seL4_EndpointBits); U("PAGE_TABLE_BITS", seL4_PageTableBits);
    U("PAGE_DIR_BITS", seL4_PageDirBits); U("PDPT_BITS", seL4_PDPTBits); U("PML4_BITS", seL4_PML4Bits);
    /* message / cap data encodings */
    U("MSG_MAX_LENGTH", seL4_MsgMaxLength); U("MSG_MAX_EXTRA_CAPS", seL4_MsgMaxExtraCaps);
    U("NIL_DATA", seL4_NilData.words[0]);
    U("ALL_RIGHTS", seL4_AllRights.words[0]); U("READ_WRITE", seL4_ReadWrite.words[0]);
    U("CAN_READ", seL4_CanRead.words[0]);
    /* a client's endpoint cap: call (write; and grant, without which 5.0 makes no reply cap for a Call), never receive */
    U("CALL_RIGHTS", seL4_CapRights_new(1, 0, 1).words[0]);
    U("ERR_INVALID_CAPABILITY", seL4_InvalidCapability);
    U("GUARD_0_56", seL4_CapData_Guard_new(0, 56).words[0]);
    U("GUARD_0_0", seL4_CapData_Guard_new(0, 0).words[0]);
    U("BADGE_1234", seL4_CapData_Badge_new(0x1234).words[0]);
    U("PRIO_PROPS_254_0", seL4_PrioProps_new(0, 254).words[0]);  /* (mcp, prio) */
    U("MSGINFO_L5_C3_N2", seL4_MessageInfo_new(5, 0, 3, 2).words[0]);
    U("FAULT_NULL", seL4_Fault_NullFault); U("FAULT_CAP", seL4_Fault_CapFault);
    U("FAULT_UNKNOWN_SYSCALL", seL4_Fault_UnknownSyscall);
    U("FAULT_USER_EXCEPTION", seL4_Fault_UserException); U("FAULT_VM", seL4_Fault_VMFault);
    U("ERR_FAILED_LOOKUP", seL4_FailedLookup); U("ERR_DELETE_FIRST", seL4_DeleteFirst);
    printf("/// Offsets of seL4_IPCBuffer's fields, and its size.\npub mod ipcbuf {\n");
    OFF("TAG", seL4_IPCBuffer, tag); OFF("MSG", seL4_IPCBuffer, msg);
    OFF("USER_DATA", seL4_IPCBuffer, userData); OFF("CAPS_OR_BADGES", seL4_IPCBuffer, caps_or_badges);
    OFF("RECEIVE_CNODE", seL4_IPCBuffer, receiveCNode); OFF("RECEIVE_INDEX", seL4_IPCBuffer, receiveIndex);
    OFF("RECEIVE_DEPTH", seL4_IPCBuffer, receiveDepth);
    printf("    pub const SIZE: usize = %zu;\n}\n", sizeof(seL4_IPCBuffer));
    printf("/// seL4_UserContext (TCB_WriteRegisters order).\npub mod ctx {\n");
    printf("    pub const RIP: usize = %zu;\n", offsetof(seL4_UserContext, rip) / 8);
    printf("    pub const RSP: usize = %zu;\n", offsetof(seL4_UserContext, rsp) / 8);
    printf("    pub const RDI: usize = %zu;\n", offsetof(seL4_UserContext, rdi) / 8);
    printf("    pub const RSI: usize = %zu;\n", offsetof(seL4_UserContext, rsi) / 8);
    printf("    pub const RDX: usize = %zu;\n", offsetof(seL4_UserContext, rdx) / 8);
    printf("    pub const WORDS: usize = %zu;\n}\n", sizeof(seL4_UserContext) / 8);
    printf("/// Offsets of seL4_BootInfo's fields, and its size.\npub mod bootinfo {\n");
    OFF("EXTRA_LEN", seL4_BootInfo, extraLen); OFF("NODE_ID", seL4_BootInfo, nodeID);
    OFF("NUM_NODES", seL4_BootInfo, numNodes); OFF("NUM_IOPT_LEVELS", seL4_BootInfo, numIOPTLevels);
    OFF("IPC_BUFFER", seL4_BootInfo, ipcBuffer); OFF("EMPTY", seL4_BootInfo, empty);
    OFF("SHARED_FRAMES", seL4_BootInfo, sharedFrames); OFF("USER_IMAGE_FRAMES", seL4_BootInfo, userImageFrames);
    OFF("USER_IMAGE_PAGING", seL4_BootInfo, userImagePaging); OFF("IO_SPACE_CAPS", seL4_BootInfo, ioSpaceCaps);
    OFF("EXTRA_BI_PAGES", seL4_BootInfo, extraBIPages);
    OFF("INIT_THREAD_CNODE_SIZE_BITS", seL4_BootInfo, initThreadCNodeSizeBits);
    OFF("INIT_THREAD_DOMAIN", seL4_BootInfo, initThreadDomain); OFF("ARCH_INFO", seL4_BootInfo, archInfo);
    OFF("UNTYPED", seL4_BootInfo, untyped); OFF("UNTYPED_LIST", seL4_BootInfo, untypedList);
    printf("    pub const SIZE: usize = %zu;\n", sizeof(seL4_BootInfo));
    printf("    pub const UNTYPED_DESC_SIZE: usize = %zu;\n}\n", sizeof(seL4_UntypedDesc));
    return 0;
}
