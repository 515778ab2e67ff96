//! KOS for seL4 boards, built on the host: everything from a board file to a system
//! booting in QEMU.
//!
//! 1. [`source::kernel_tree`] — the seL4 5.0.0 tree inside the `sel4-sys` package,
//!    fetched from crates.io by cargo (never copied into this repository).
//! 2. [`kernel::build`] — the kernel, built out of tree with the board's
//!    `autoconf.h` (made from `boards/<name>/board.toml`), with the fixes seL4 5.0's
//!    Makefile needs on today's Debian (see `sel4/README.md`).
//! 3. [`constants::generate`] — the syscall numbers, invocation labels and boot-info
//!    layout as this kernel build defines them, read by compiling C against its own
//!    generated headers, written as Rust for the root task.
//! 4. [`system::prepare`] — the system's manifest, checked by `kos-manifest` as
//!    `kos manifest check` does, refused when it has BEAM apps; and
//!    [`roottask::build`] — the components and the `no_std` root task that embeds
//!    them and the manifest, built by the stable toolchain for the host target as
//!    static, freestanding ELFs.
//! 5. [`qemu::boot`] — the kernel and its boot modules in QEMU, bounded by a timeout,
//!    with the exit device's status as the system's.
//!
//! Every step writes under one output directory per board and says what it ran when
//! it fails.

pub mod constants;
pub mod kernel;
pub mod programs;
pub mod qemu;
pub mod roottask;
pub mod seed;
pub mod source;
pub mod system;

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Why a step failed.
#[derive(Debug)]
pub enum BuildError {
    /// A tool is missing: which, and the Debian package that has it.
    Missing {
        /// The tool.
        tool: String,
        /// What to install.
        install: String,
    },
    /// A command ran and failed.
    Failed {
        /// What was being done.
        step: String,
        /// The command line.
        command: String,
        /// The end of its output.
        output: String,
    },
    /// The board cannot do what was asked.
    Board(String),
    /// A file could not be read or written.
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        error: std::io::Error,
    },
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::Missing { tool, install } => {
                write!(
                    f,
                    "`{tool}` is missing: install {install} (scripts/setup.sh --for-tests does)"
                )
            }
            BuildError::Failed {
                step,
                command,
                output,
            } => write!(f, "{step} failed: {command}\n{output}"),
            BuildError::Board(e) => f.write_str(e),
            BuildError::Io { path, error } => write!(f, "{}: {error}", path.display()),
        }
    }
}

impl std::error::Error for BuildError {}

/// `std::fs::write` that names the file on failure.
pub(crate) fn write(path: &Path, contents: impl AsRef<[u8]>) -> Result<(), BuildError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|error| BuildError::Io {
            path: dir.to_path_buf(),
            error,
        })?;
    }
    std::fs::write(path, contents).map_err(|error| BuildError::Io {
        path: path.to_path_buf(),
        error,
    })
}

/// Runs `cmd` for `step`; on failure the error carries its command line and the last
/// 40 lines of its output.
pub(crate) fn run(step: &str, cmd: &mut Command) -> Result<String, BuildError> {
    let command = format!("{cmd:?}");
    let out = cmd.output().map_err(|e| BuildError::Failed {
        step: step.to_string(),
        command: command.clone(),
        output: e.to_string(),
    })?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if out.status.success() {
        return Ok(text);
    }
    let tail: Vec<&str> = text.lines().rev().take(40).collect();
    Err(BuildError::Failed {
        step: step.to_string(),
        command,
        output: tail.into_iter().rev().collect::<Vec<_>>().join("\n"),
    })
}

/// Holds the board's output directory for one step: two builds of one board (two
/// tests, two terminals) take turns instead of writing the same files at once.
pub(crate) fn lock(out: &Path) -> Result<std::fs::File, BuildError> {
    let io = |error| BuildError::Io {
        path: out.join(".lock"),
        error,
    };
    std::fs::create_dir_all(out).map_err(io)?;
    let file = std::fs::File::create(out.join(".lock")).map_err(io)?;
    file.lock().map_err(io)?;
    Ok(file)
}

/// Is `tool` on the PATH (or an absolute path that exists)?
pub(crate) fn have(tool: &str) -> bool {
    let p = Path::new(tool);
    if p.is_absolute() {
        return p.is_file();
    }
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|d| d.join(tool).is_file()))
}

/// `Missing` unless `tool` is there.
pub(crate) fn need(tool: &str, install: &str) -> Result<(), BuildError> {
    if have(tool) {
        Ok(())
    } else {
        Err(BuildError::Missing {
            tool: tool.to_string(),
            install: install.to_string(),
        })
    }
}

/// This checkout's root (where `boards/` and `sel4/` are).
pub fn checkout() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}
