//! Builds the KOS root task (`sel4/roottask`): a freestanding `no_std` ELF made by the
//! stable toolchain for the host target — static, not position-independent, no C
//! start files, linked by rust-lld — which the kernel loads as its first thread.
//! These machines have no `x86_64-unknown-none` standard library and no `rust-src`,
//! so the host target it is; nothing of the host's C library is linked in.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{checkout, run, BuildError};

/// The target the root task is compiled for.
pub const TARGET: &str = "x86_64-unknown-linux-gnu";

/// Code generation and link flags of a freestanding static executable.
const RUSTFLAGS: &[&str] = &[
    "-Crelocation-model=static",
    "-Cpanic=abort",
    "-Clink-arg=-nostartfiles",
    "-Clink-arg=-nostdlib",
    "-Clink-arg=-static",
    "-Clink-arg=-no-pie",
    "-Clink-arg=-Wl,--build-id=none",
];

/// Builds the root task with `constants` (from [`crate::constants::generate`]) into
/// `out/roottask-target`; returns the ELF.
pub fn build(constants: &Path, out: &Path) -> Result<PathBuf, BuildError> {
    let crate_dir = checkout().join("sel4/roottask");
    let target_dir = out.join("roottask-target");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    run(
        "building the root task",
        Command::new(cargo)
            .args(["build", "--release", "--locked", "--target", TARGET])
            .current_dir(&crate_dir)
            .env("CARGO_TARGET_DIR", &target_dir)
            .env("CARGO_ENCODED_RUSTFLAGS", RUSTFLAGS.join("\u{1f}"))
            .env_remove("RUSTFLAGS")
            .env("KOS_SEL4_CONSTANTS", constants),
    )?;
    Ok(target_dir.join(TARGET).join("release/kos-roottask"))
}
