//! A harness for whole-system tests: boot a system from a manifest with the real
//! `kos` binary, read its log as it runs, and stop it.
//!
//! The binaries are looked up next to the test executable (`target/debug`), where
//! `cargo build --workspace` puts them; the README's test command builds them first.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

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
/// use — so the tests do not repeat it; the body may add or override properties.
pub fn manifest(body: &str) -> ManifestFile {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("system.dts");
    let systems = Path::new(env!("CARGO_MANIFEST_DIR")).join("../systems");
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
            format!("/include/ \"{}\"\n", systems.join(name).display())
        })
        .collect();
    let body = rest.join("\n");
    let text =
        format!("/dts-v1/;\n{includes}/ {{\n    compatible = \"kos,system-0.10\";\n{body}\n}};\n");
    std::fs::write(&path, text).expect("write manifest");
    ManifestFile { _dir: dir, path }
}

/// A system running under `kos run`.
pub struct RunningSystem {
    child: Child,
    lines: Receiver<String>,
    /// Every log line read so far.
    pub log: Vec<String>,
    /// Which lines a wait has taken.
    taken: Vec<bool>,
    _manifest: ManifestFile,
}

impl RunningSystem {
    /// Boots the system of `body` (see [`manifest`]).
    pub fn boot(body: &str) -> RunningSystem {
        Self::boot_from(body, &bin_dir())
    }

    /// Boots the system of `body` with app binaries taken from `dir`.
    pub fn boot_from(body: &str, dir: &Path) -> RunningSystem {
        Self::boot_with(body, dir, &[])
    }

    /// Boots the system of `body` with more `kos run` options.
    pub fn boot_args(body: &str, extra: &[&str]) -> RunningSystem {
        Self::boot_with(body, &bin_dir(), extra)
    }

    fn boot_with(body: &str, dir: &Path, extra: &[&str]) -> RunningSystem {
        let manifest = manifest(body);
        let mut child = Command::new(bin_dir().join("kos"))
            .arg("run")
            .arg(&manifest.path)
            .arg("--bin-dir")
            .arg(dir)
            .arg("--stop-timeout")
            .arg("3s")
            .arg("--beam-dir")
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("../elixir"))
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start kos run");
        let (tx, lines) = mpsc::channel();
        for stream in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            });
        }
        RunningSystem {
            child,
            lines,
            log: Vec::new(),
            taken: Vec::new(),
            _manifest: manifest,
        }
    }

    /// The root server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits for a log line containing every one of `parts` that no earlier wait
    /// took, and takes it. Lines of different processes interleave either way, so a
    /// wait may be satisfied by a line that arrived before the previous wait's;
    /// waiting twice for the same pattern takes two distinct lines, in order. Panics
    /// with the whole log when none comes within [`WAIT`].
    pub fn wait_for(&mut self, parts: &[&str]) -> String {
        let deadline = Instant::now() + WAIT;
        let mut next = 0;
        loop {
            while next < self.log.len() {
                if !self.taken[next] && parts.iter().all(|p| self.log[next].contains(p)) {
                    self.taken[next] = true;
                    return self.log[next].clone();
                }
                next += 1;
            }
            match self
                .lines
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            {
                Ok(line) => self.push(line),
                Err(_) => panic!(
                    "no log line containing {parts:?} within {WAIT:?}; log so far:\n{}",
                    self.log.join("\n")
                ),
            }
        }
    }

    /// [`RunningSystem::wait_for`] each pattern; returns the lines in pattern order.
    pub fn wait_all(&mut self, patterns: &[&[&str]]) -> Vec<String> {
        patterns.iter().map(|p| self.wait_for(p)).collect()
    }

    fn push(&mut self, line: String) {
        self.log.push(line);
        self.taken.push(false);
    }

    /// Reads lines for `period`, keeping them in [`RunningSystem::log`].
    pub fn idle(&mut self, period: Duration) {
        let deadline = Instant::now() + period;
        while let Ok(line) = self
            .lines
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            self.push(line);
        }
    }

    /// Lines seen so far containing every one of `parts`.
    pub fn seen(&self, parts: &[&str]) -> Vec<&String> {
        self.log
            .iter()
            .filter(|l| parts.iter().all(|p| l.contains(p)))
            .collect()
    }

    /// Sends `signal` to the root server.
    pub fn signal(&self, signal: libc::c_int) {
        // SAFETY: kill(2) on our own child.
        unsafe {
            libc::kill(self.child.id() as libc::pid_t, signal);
        }
    }

    /// Waits (bounded) for the root server to exit, reading the rest of its log.
    pub fn wait_exit(&mut self) -> ExitStatus {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait for kos") {
                self.idle(Duration::from_millis(100));
                return status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!(
                    "kos did not exit within {WAIT:?}; log:\n{}",
                    self.log.join("\n")
                );
            }
            self.idle(Duration::from_millis(50));
        }
    }

    /// Stops the system with SIGTERM and returns its exit status.
    pub fn stop(&mut self) -> ExitStatus {
        self.signal(libc::SIGTERM);
        self.wait_exit()
    }
}

impl Drop for RunningSystem {
    fn drop(&mut self) {
        // A failing test must not leave a system behind.
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The pid in a `started (pid N)` log line.
pub fn started_pid(line: &str) -> u32 {
    let start = line.find("(pid ").expect("a `started (pid N)` line") + 5;
    line[start..]
        .trim_end_matches(')')
        .parse()
        .expect("pid number")
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
