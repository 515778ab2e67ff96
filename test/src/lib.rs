//! A harness for whole-system tests: boot a system from a manifest with the real
//! `kos` binary, read its log as it runs, and stop it.
//!
//! The binaries are looked up next to the test executable (`target/debug`), where
//! `cargo build --workspace` puts them; the README's test command builds them first.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

mod log_line;
mod running;

pub use log_line::LogLine;
pub use running::RunningSystem;

/// How long a test waits for any one expected log line; generous because CI
/// machines are shared and slow at times.
pub const WAIT: Duration = Duration::from_secs(20);

/// The directory holding `kos` and the app binaries.
pub fn bin_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    // target/debug/deps/<test> → target/debug
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target dir")
        .to_path_buf();
    for needed in [
        "kos",
        "echo_server",
        "echo_client",
        "intruder",
        "root_caller",
        "crasher",
        "fd_report",
    ] {
        assert!(
            dir.join(needed).is_file(),
            "{} is missing: build the workspace first (`cargo build --workspace`)",
            dir.join(needed).display()
        );
    }
    dir
}

/// Runs `kos` with `args` to completion.
pub fn kos(args: &[&str]) -> Output {
    Command::new(bin_dir().join("kos"))
        .args(args)
        .output()
        .expect("run kos")
}

/// A manifest written to a temporary directory.
pub struct ManifestFile {
    _dir: tempfile::TempDir,
    /// Its path.
    pub path: PathBuf,
}

/// Writes `dts` (the body inside `/ { ... };`, without the header) to a file.
///
/// A line `/include/ "services/NAME.dtsi"` in the body takes the system app NAME's
/// entry from `systems/services/` — the fragment `systems/demo.dts` and `mix kos.build`
/// use — so the tests do not repeat it; `/include/ "fixtures/NAME.dtsi"` takes one of
/// the tests' own from `test/fixtures/` (`echo.dtsi`: the echo server and client). The
/// body may add apps and grants or override properties: dtc merges the nodes.
pub fn manifest(body: &str) -> ManifestFile {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("system.dts");
    let systems = Path::new(env!("CARGO_MANIFEST_DIR")).join("../systems");
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let (includes, rest): (Vec<&str>, Vec<&str>) = body
        .lines()
        .partition(|l| l.trim_start().starts_with("/include/"));
    let includes: String = includes
        .iter()
        .map(|l| {
            let name = l
                .trim()
                .trim_start_matches("/include/")
                .trim()
                .trim_matches('"');
            let file = match name.strip_prefix("fixtures/") {
                Some(fixture) => fixtures.join(fixture),
                None => systems.join(name),
            };
            format!("/include/ \"{}\"\n", file.display())
        })
        .collect();
    let body = rest.join("\n");
    let text =
        format!("/dts-v1/;\n{includes}/ {{\n    compatible = \"kos,system-0.10\";\n{body}\n}};\n");
    std::fs::write(&path, text).expect("write manifest");
    ManifestFile { _dir: dir, path }
}

/// Does a process with this pid exist (and is it not a zombie)?
pub fn process_alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            // The state letter follows the parenthesised command name.
            let state = stat.rsplit(") ").next().and_then(|s| s.chars().next());
            state != Some('Z')
        }
        Err(_) => false,
    }
}

/// Waits (bounded) until no process of `pids` exists.
pub fn all_gone(pids: &[u32]) -> bool {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if !pids.iter().any(|&p| process_alive(p)) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

/// The peak resident memory (`VmHWM`) of a running process, in KiB.
pub fn peak_rss_kib(pid: u32) -> u64 {
    let status =
        std::fs::read_to_string(format!("/proc/{pid}/status")).expect("read /proc/PID/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/PID/status")
}

/// Copies a directory tree (regular files and directories), for building system images.
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("dir entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// An Ed25519 key pair made with the `openssl` CLI, as an operator makes one:
/// `DIR/NAME.pem` (private, PKCS#8) and `DIR/NAME.pub.pem` (public, SPKI).
pub fn openssl_keypair(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    let private = dir.join(format!("{name}.pem"));
    let public = dir.join(format!("{name}.pub.pem"));
    let run = |args: &[&std::ffi::OsStr]| {
        let ok = Command::new("openssl")
            .args(args)
            .status()
            .expect("openssl")
            .success();
        assert!(ok, "openssl {args:?} failed");
    };
    run(&[
        "genpkey".as_ref(),
        "-algorithm".as_ref(),
        "ed25519".as_ref(),
        "-out".as_ref(),
        private.as_os_str(),
    ]);
    run(&[
        "pkey".as_ref(),
        "-in".as_ref(),
        private.as_os_str(),
        "-pubout".as_ref(),
        "-out".as_ref(),
        public.as_os_str(),
    ]);
    (private, public)
}
