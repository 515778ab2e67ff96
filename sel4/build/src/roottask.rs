//! Builds KOS's seL4 programs (`sel4/native`): the components, then the root task that
//! embeds them. Each is a freestanding `no_std` ELF made by the stable toolchain for
//! the host target — static, not position-independent, no C start files, linked by
//! rust-lld — since these machines have no `x86_64-unknown-none` standard library and
//! no `rust-src`; nothing of the host's C library is linked in.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{checkout, run, BuildError};

/// The target the programs are compiled for.
pub const TARGET: &str = "x86_64-unknown-linux-gnu";

/// Code generation and link flags of a freestanding static executable. No SSE: seL4
/// switches the FPU lazily, so a thread's first SSE instruction after another thread
/// used it traps to the kernel to swap the FPU state (about 120 instructions each way
/// of a round trip between two programs that both copy with `movups`); KOS's programs
/// use no floating point, and the benchmark's KOS call went from 1 476 to 1 218
/// instructions with this. rustc warns that the host target's ABI wants SSE2 (it does
/// for floating-point arguments, which these programs never pass); the
/// `x86_64-unknown-none` target, soft-float by design, would not, but its standard
/// library is not installed on these machines.
const RUSTFLAGS: &[&str] = &[
    "-Crelocation-model=static",
    "-Cpanic=abort",
    "-Clink-arg=-nostartfiles",
    "-Clink-arg=-nostdlib",
    "-Clink-arg=-static",
    "-Clink-arg=-no-pie",
    "-Clink-arg=-Wl,--build-id=none",
    "-Ctarget-feature=-sse,-sse2",
];

fn cargo_build(
    package: &str,
    constants: &Path,
    out: &Path,
    extra: &[(&str, &Path)],
) -> Result<PathBuf, BuildError> {
    let target_dir = out.join("native-target");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args([
        "build",
        "--release",
        "--locked",
        "--target",
        TARGET,
        "-p",
        package,
    ])
    .current_dir(checkout().join("sel4/native"))
    .env("CARGO_TARGET_DIR", &target_dir)
    .env("CARGO_ENCODED_RUSTFLAGS", RUSTFLAGS.join("\u{1f}"))
    .env_remove("RUSTFLAGS")
    .env("KOS_SEL4_CONSTANTS", constants);
    for (k, v) in extra {
        cmd.env(k, v);
    }
    run(&format!("building {package}"), &mut cmd)?;
    Ok(target_dir.join(TARGET).join("release"))
}

/// Builds the seL4 programs (`sel4/native/apps`, see [`crate::programs`]) and the root
/// task embedding them and the system's manifest (`system_dtb`, from
/// [`crate::system::prepare`]), against `constants` (from
/// [`crate::constants::generate`]), in `out/native-target`; returns the root task, a
/// copy beside `system_dtb` (each system's own: two systems built at once in one `out`
/// take turns and never boot each other's).
pub fn build(constants: &Path, system_dtb: &Path, out: &Path) -> Result<PathBuf, BuildError> {
    let _turn = crate::lock(out)?;
    let programs_dir = cargo_build(crate::programs::APPS_PACKAGE, constants, out, &[])?;
    let table = out.join("programs.rs");
    crate::write(
        &table,
        crate::programs::table(&crate::programs::names()?, &programs_dir),
    )?;
    let dir = cargo_build(
        "kos-roottask",
        constants,
        out,
        &[("KOS_PROGRAMS_RS", &table), ("KOS_SYSTEM_DTB", system_dtb)],
    )?;
    let task = system_dtb.with_file_name("kos-roottask");
    std::fs::copy(dir.join("kos-roottask"), &task).map_err(|error| BuildError::Io {
        path: task.clone(),
        error,
    })?;
    Ok(task)
}
