//! The numbers a root task needs, as this kernel build defines them: syscall numbers
//! and invocation labels from the headers the build generated (`arch/api/syscall.h`,
//! `arch/api/invocation.h`, which depend on the configuration), the initial
//! capability slots and the boot-info layout from libsel4's `bootinfo_types.h`.
//!
//! A C program compiled against those headers prints them as Rust; the root task
//! includes the result (`KOS_SEL4_CONSTANTS`) and checks its own `BootInfo` struct
//! against the printed offsets at compile time, so a binding that disagrees with the
//! kernel does not build. (The 2017 `sel4-sys` crate's hand-numbered labels and its
//! boot-info layout are both wrong for 5.0; this is how KOS avoids that class of bug.)

use std::path::{Path, PathBuf};
use std::process::Command;

use kos_boards::Board;

use crate::kernel::KernelBuild;
use crate::{run, write, BuildError};

/// Syscalls, by the names of the kernel's `enum syscall`.
const SYSCALLS: &[(&str, &str)] = &[
    ("SYS_CALL", "SysCall"),
    ("SYS_REPLY_RECV", "SysReplyRecv"),
    ("SYS_SEND", "SysSend"),
    ("SYS_NB_SEND", "SysNBSend"),
    ("SYS_RECV", "SysRecv"),
    ("SYS_REPLY", "SysReply"),
    ("SYS_YIELD", "SysYield"),
    ("SYS_NB_RECV", "SysNBRecv"),
    ("SYS_DEBUG_PUT_CHAR", "SysDebugPutChar"),
    ("SYS_DEBUG_HALT", "SysDebugHalt"),
];

/// Invocation labels every board has (generic).
const LABELS: &[(&str, &str)] = &[
    ("UNTYPED_RETYPE", "UntypedRetype"),
    ("TCB_CONFIGURE", "TCBConfigure"),
    ("TCB_WRITE_REGISTERS", "TCBWriteRegisters"),
    ("TCB_RESUME", "TCBResume"),
    ("TCB_SET_PRIORITY", "TCBSetPriority"),
    ("CNODE_REVOKE", "CNodeRevoke"),
    ("CNODE_DELETE", "CNodeDelete"),
    ("CNODE_COPY", "CNodeCopy"),
    ("CNODE_MINT", "CNodeMint"),
];

/// x86 invocation labels.
const X86_LABELS: &[(&str, &str)] = &[
    ("X86_IO_PORT_IN8", "X86IOPortIn8"),
    ("X86_IO_PORT_OUT8", "X86IOPortOut8"),
    ("X86_PAGE_MAP", "X86PageMap"),
    ("X86_PAGE_TABLE_MAP", "X86PageTableMap"),
];

/// Initial capability slots (libsel4's `seL4_Cap…`).
const CAPS: &[(&str, &str)] = &[
    ("CAP_INIT_THREAD_TCB", "seL4_CapInitThreadTCB"),
    ("CAP_INIT_THREAD_CNODE", "seL4_CapInitThreadCNode"),
    ("CAP_INIT_THREAD_VSPACE", "seL4_CapInitThreadVSpace"),
    ("CAP_IRQ_CONTROL", "seL4_CapIRQControl"),
    ("CAP_ASID_CONTROL", "seL4_CapASIDControl"),
    ("CAP_IO_PORT", "seL4_CapIOPort"),
    ("CAP_BOOT_INFO_FRAME", "seL4_CapBootInfoFrame"),
    ("CAP_INIT_THREAD_IPC_BUFFER", "seL4_CapInitThreadIPCBuffer"),
];

/// `seL4_BootInfo`'s fields, as the root task's `BootInfo` names them.
const BOOTINFO_FIELDS: &[(&str, &str)] = &[
    ("EXTRA_LEN", "extraLen"),
    ("NODE_ID", "nodeID"),
    ("NUM_NODES", "numNodes"),
    ("NUM_IOPT_LEVELS", "numIOPTLevels"),
    ("IPC_BUFFER", "ipcBuffer"),
    ("EMPTY", "empty"),
    ("SHARED_FRAMES", "sharedFrames"),
    ("USER_IMAGE_FRAMES", "userImageFrames"),
    ("USER_IMAGE_PAGING", "userImagePaging"),
    ("IO_SPACE_CAPS", "ioSpaceCaps"),
    ("EXTRA_BI_PAGES", "extraBIPages"),
    ("INIT_THREAD_CNODE_SIZE_BITS", "initThreadCNodeSizeBits"),
    ("INIT_THREAD_DOMAIN", "initThreadDomain"),
    ("ARCH_INFO", "archInfo"),
    ("UNTYPED", "untyped"),
    ("UNTYPED_LIST", "untypedList"),
];

/// The C program: includes the build's headers and prints Rust.
fn program(board: &Board) -> String {
    let mut c = String::from(
        "/* Made by kos-sel4-build: prints this kernel build's constants as Rust. */\n\
         #include <stdio.h>\n#include <stddef.h>\n\
         typedef unsigned long word_t;\n#define UNUSED __attribute__((unused))\n\
         #include <autoconf.h>\n#include <arch/api/syscall.h>\n#include <arch/api/invocation.h>\n\
         #include <sel4/macros.h>\n#include <sel4/sel4_arch/types.h>\n\
         /* Only pointed to by the boot info: its layout does not matter here. */\n\
         typedef struct seL4_IPCBuffer_ seL4_IPCBuffer;\n\
         #include <sel4/bootinfo_types.h>\n\
         int main(void) {\n",
    );
    let mut line = |rust: &str, ty: &str, c_expr: &str| {
        c.push_str(&format!(
            "    printf(\"pub const {rust}: {ty} = %ld;\\n\", (long)({c_expr}));\n"
        ));
    };
    for (rust, name) in SYSCALLS {
        line(rust, "isize", name);
    }
    let mut labels: Vec<_> = LABELS.to_vec();
    if board.arch == "x86_64" {
        labels.extend_from_slice(X86_LABELS);
    }
    for (rust, name) in labels {
        line(rust, "usize", name);
    }
    for (rust, name) in CAPS {
        line(rust, "usize", name);
    }
    line(
        "ROOT_CNODE_SIZE_BITS",
        "usize",
        "CONFIG_ROOT_CNODE_SIZE_BITS",
    );
    line(
        "MAX_BOOTINFO_UNTYPED",
        "usize",
        "CONFIG_MAX_NUM_BOOTINFO_UNTYPED_CAPS",
    );
    c.push_str("    printf(\"/// Offsets of seL4_BootInfo's fields, and its size.\\npub mod bootinfo {\\n\");\n");
    for (rust, field) in BOOTINFO_FIELDS {
        c.push_str(&format!(
            "    printf(\"    pub const {rust}: usize = %zu;\\n\", offsetof(seL4_BootInfo, {field}));\n"
        ));
    }
    c.push_str("    printf(\"    pub const SIZE: usize = %zu;\\n\", sizeof(seL4_BootInfo));\n");
    c.push_str("    printf(\"    pub const UNTYPED_DESC_SIZE: usize = %zu;\\n}\\n\", sizeof(seL4_UntypedDesc));\n");
    c.push_str("    return 0;\n}\n");
    c
}

/// Writes `out/constants.rs` for `board`'s kernel build and returns its path.
pub fn generate(
    board: &Board,
    tree: &Path,
    kernel: &KernelBuild,
    out: &Path,
) -> Result<PathBuf, BuildError> {
    if board.arch != "x86_64" {
        return Err(BuildError::Board(format!(
            "constants for {} boards: only x86_64 so far (the program runs on the host)",
            board.arch
        )));
    }
    let _turn = crate::lock(out)?;
    let source = out.join("constants.c");
    let exe = out.join("constants");
    write(&source, program(board))?;
    let libsel4 = tree.join("libsel4");
    run(
        "compiling the constants program against the kernel's headers",
        Command::new("gcc")
            .arg("-I")
            .arg(&kernel.config_dir)
            .arg("-I")
            .arg(&kernel.dir)
            .arg("-I")
            .arg(libsel4.join("include"))
            .arg("-I")
            .arg(libsel4.join("arch_include/x86"))
            .arg("-I")
            .arg(libsel4.join("sel4_arch_include/x86_64"))
            .arg("-o")
            .arg(&exe)
            .arg(&source),
    )?;
    let rust = run("running the constants program", &mut Command::new(&exe))?;
    let file = out.join("constants.rs");
    write(
        &file,
        format!(
            "// seL4 constants of the `{}` kernel build, printed by constants.c from its\n// generated headers (kos-sel4-build). Do not edit.\n{rust}",
            board.name
        ),
    )?;
    Ok(file)
}
