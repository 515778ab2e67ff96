//! The numbers KOS's seL4 programs need, as this kernel build defines them.
//!
//! `c/constants.c` is compiled against the kernel build's generated headers (syscall
//! numbers and invocation labels depend on the configuration: 5.0 numbers generic,
//! then `sel4_arch`, then `arch` labels, honouring the XML's conditions) and against
//! libsel4 with its bitfield headers generated here for the same configuration (object
//! types and sizes, the IPC buffer's layout, capability data and message-info
//! encodings, fault labels, errors, the boot info's offsets). It prints them as Rust;
//! `kos-sel4-rt` includes the file (`KOS_SEL4_CONSTANTS`), and the root task checks
//! its own `BootInfo` and encodings against it at compile time, so a binding that
//! disagrees with the kernel does not build. (The 2017 `sel4-sys` crate's
//! hand-numbered labels and boot-info layout are both wrong for 5.0; this is how KOS
//! avoids that class of bug.)

use std::path::{Path, PathBuf};
use std::process::Command;

use kos_boards::Board;

use crate::kernel::{KernelBuild, PYTHON};
use crate::{checkout, run, write, BuildError};

/// libsel4's bitfield specifications and the headers made from them.
const BITFIELDS: &[(&str, &str)] = &[
    (
        "sel4_arch_include/x86_64/sel4/sel4_arch/types.bf",
        "sel4/sel4_arch/types_gen.h",
    ),
    ("include/sel4/shared_types_64.bf", "sel4/shared_types_gen.h"),
    ("include/sel4/types_64.bf", "sel4/types_gen.h"),
];

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
    let libsel4 = tree.join("libsel4");
    let generated = out.join("libsel4-gen");
    let _ = std::fs::remove_dir_all(&generated);
    for (spec, header) in BITFIELDS {
        let target = generated.join(header);
        let pbf = target.with_extension("pbf");
        write(&pbf, "")?;
        // The x86_64 types include the x86 fault union: preprocess with both.
        let pre = run(
            &format!("preprocessing libsel4's {spec}"),
            Command::new("cpp")
                .arg("-P")
                .arg("-I")
                .arg(&kernel.config_dir)
                .arg("-I")
                .arg(libsel4.join("arch_include/x86"))
                .arg(libsel4.join(spec)),
        )?;
        write(&pbf, pre)?;
        run(
            &format!("generating {header}"),
            Command::new(PYTHON)
                .arg(checkout().join("sel4/build/tools/bitfield_gen.py"))
                .args(["--environment", "libsel4"])
                .arg(&pbf)
                .arg(&target)
                .env("PYTHONPATH", tree.join("tools"))
                .env("PYTHONDONTWRITEBYTECODE", "1"),
        )?;
    }
    let exe = out.join("constants");
    run(
        "compiling the constants program against the kernel's headers",
        Command::new("gcc")
            .arg("-Wall")
            .arg("-I")
            .arg(&kernel.config_dir)
            .arg("-I")
            .arg(&kernel.dir)
            .arg("-I")
            .arg(&generated)
            .arg("-I")
            .arg(libsel4.join("include"))
            .arg("-I")
            .arg(libsel4.join("arch_include/x86"))
            .arg("-I")
            .arg(libsel4.join("sel4_arch_include/x86_64"))
            .arg("-o")
            .arg(&exe)
            .arg(checkout().join("sel4/build/c/constants.c")),
    )?;
    let rust = run("running the constants program", &mut Command::new(&exe))?;
    let file = out.join("constants.rs");
    write(
        &file,
        format!(
            "// seL4 constants of the `{}` kernel build, printed by sel4/build/c/constants.c\n// from its own headers (kos-sel4-build). Do not edit.\n{rust}",
            board.name
        ),
    )?;
    Ok(file)
}
