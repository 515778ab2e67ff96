//! Boots a kernel and its boot modules in QEMU, as the board's `run.command` says,
//! always bounded by a timeout. A system ends itself through QEMU's exit device: the
//! root task writes a code to the board's `exit_port` and QEMU exits with
//! `(code << 1) | 1`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use kos_boards::{Board, How};

use crate::{need, BuildError};

/// What the root task writes to the exit port when the system did what it should.
pub const EXIT_SUCCESS: u8 = 0x10;
/// What it writes when something failed.
pub const EXIT_FAILURE: u8 = 0x11;

/// QEMU's exit status for a code written to the exit device.
pub const fn exit_status(code: u8) -> i32 {
    ((code as i32) << 1) | 1
}

/// How a boot ended.
#[derive(Debug, Clone)]
pub struct Boot {
    /// The console (QEMU's serial port) and QEMU's own messages.
    pub output: String,
    /// QEMU's exit status; `None` if it was killed at the timeout.
    pub status: Option<i32>,
}

impl Boot {
    /// Did the root task report success through the exit device?
    pub fn succeeded(&self) -> bool {
        self.status == Some(exit_status(EXIT_SUCCESS))
    }

    /// The console lines (the serial console ends lines with "\n\r", so a bare
    /// carriage return is trimmed from either end).
    pub fn lines(&self) -> Vec<&str> {
        self.output.lines().map(|l| l.trim_matches('\r')).collect()
    }

    /// Whether a console line starts with `who` (`"[app] "`, `"kos root task: "`) and
    /// contains `text`.
    pub fn said(&self, who: &str, text: &str) -> bool {
        self.lines()
            .iter()
            .any(|l| l.starts_with(who) && l.contains(text))
    }
}

/// Boots `kernel` with `modules` (the root task first) on `board`, for at most
/// `timeout`.
pub fn boot(
    board: &Board,
    kernel: &Path,
    modules: &[PathBuf],
    timeout: Duration,
) -> Result<Boot, BuildError> {
    boot_with(board, kernel, modules, timeout, &[])
}

/// QEMU's options for counting instructions: the virtual clock, and with it the TSC,
/// advances one nanosecond per guest instruction (`-icount shift=0`), so a benchmark's
/// TSC deltas are instruction counts — the same from run to run on any host.
pub const COUNT_INSTRUCTIONS: &[&str] = &["-icount", "shift=0"];

/// [`boot`], with `extra` QEMU arguments after the board's (e.g. [`COUNT_INSTRUCTIONS`]).
pub fn boot_with(
    board: &Board,
    kernel: &Path,
    modules: &[PathBuf],
    timeout: Duration,
    extra: &[&str],
) -> Result<Boot, BuildError> {
    if board.run.how != How::Qemu {
        return Err(BuildError::Board(format!(
            "board `{}` is not run in QEMU ({:?})",
            board.name, board.run.how
        )));
    }
    let qemu = &board.run.command[0];
    need(qemu, "qemu-system-x86")?;
    need("timeout", "coreutils")?;
    // Each boot's own seed in the root task (the first module), in a copy that lives
    // as long as this boot.
    let scratch = tempfile::Builder::new()
        .prefix("kos-boot-")
        .tempdir()
        .map_err(|error| BuildError::Io {
            path: std::env::temp_dir(),
            error,
        })?;
    let mut modules = modules.to_vec();
    if let Some(first) = modules.first_mut() {
        if let Some(seeded) = crate::seed::fresh_copy(first, scratch.path())? {
            *first = seeded;
        }
    }
    let initrd = modules
        .iter()
        .map(|m| m.display().to_string())
        .collect::<Vec<_>>()
        .join(",");
    let out = Command::new("timeout")
        .arg("--kill-after=5")
        .arg(format!("{}", timeout.as_secs().max(1)))
        .args(&board.run.command)
        .args(extra)
        .arg("-kernel")
        .arg(kernel)
        .arg("-initrd")
        .arg(initrd)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| BuildError::Failed {
            step: "starting QEMU".into(),
            command: board.run.command.join(" "),
            output: e.to_string(),
        })?;
    let output = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // timeout(1) says 124 when it had to stop QEMU (137 after the kill).
    let status = match out.status.code() {
        Some(124) | Some(137) | None => None,
        code => code,
    };
    Ok(Boot { output, status })
}
