//! A system running under the real `kos run`, its log read as it runs.
//!
//! The system is booted with `--log-format json`, so every line arrives as a
//! [`LogLine`]: tests wait for KOS's events by name ([`RunningSystem::wait_event`])
//! and for the apps' own output by its text ([`RunningSystem::wait_for`]).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use crate::{bin_dir, manifest, LogLine, ManifestFile, WAIT};

/// A system running under `kos run`.
pub struct RunningSystem {
    child: Child,
    incoming: Receiver<String>,
    /// Every log line read so far, as `[app] message`.
    pub log: Vec<String>,
    /// The same lines, parsed.
    pub lines: Vec<LogLine>,
    /// Which lines a wait has taken.
    taken: Vec<bool>,
    system: std::path::PathBuf,
    _manifest: Option<ManifestFile>,
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

    /// Boots the system file `system` (a whole `.dts`, as `kos run` takes it) with app
    /// binaries taken from `dir`.
    pub fn boot_file(system: &Path, dir: &Path) -> RunningSystem {
        Self::start(system, dir, &[], None)
    }

    fn boot_with(body: &str, dir: &Path, extra: &[&str]) -> RunningSystem {
        let manifest = manifest(body);
        let path = manifest.path.clone();
        Self::start(&path, dir, extra, Some(manifest))
    }

    fn start(
        system: &Path,
        dir: &Path,
        extra: &[&str],
        manifest: Option<ManifestFile>,
    ) -> RunningSystem {
        let mut child = Command::new(bin_dir().join("kos"))
            .arg("run")
            .arg(system)
            .arg("--bin-dir")
            .arg(dir)
            .arg("--stop-timeout")
            .arg("3s")
            .arg("--beam-dir")
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("../elixir"))
            .args(if extra.contains(&"--log-format") {
                &[][..]
            } else {
                &["--log-format", "json"][..]
            })
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start kos run");
        let (tx, incoming) = mpsc::channel();
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
            incoming,
            log: Vec::new(),
            lines: Vec::new(),
            taken: Vec::new(),
            system: system.to_path_buf(),
            _manifest: manifest,
        }
    }

    /// The manifest file the system was booted from.
    pub fn manifest_path(&self) -> &Path {
        &self.system
    }

    /// The root server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits for a line that `matches` and that no earlier wait took, and takes it.
    /// Lines of different processes interleave either way, so a wait may be
    /// satisfied by a line that arrived before the previous wait's; waiting twice for
    /// the same thing takes two distinct lines, in order. Panics with the whole log,
    /// naming `what`, when none comes within [`WAIT`].
    pub fn wait_line(&mut self, what: &str, matches: impl Fn(&LogLine) -> bool) -> LogLine {
        self.wait_line_from(0, what, matches)
    }

    fn wait_line_from(
        &mut self,
        from: usize,
        what: &str,
        matches: impl Fn(&LogLine) -> bool,
    ) -> LogLine {
        let deadline = Instant::now() + WAIT;
        let mut next = from;
        loop {
            while next < self.lines.len() {
                if !self.taken[next] && matches(&self.lines[next]) {
                    self.taken[next] = true;
                    return self.lines[next].clone();
                }
                next += 1;
            }
            match self
                .incoming
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            {
                Ok(line) => self.push(line),
                Err(_) => panic!(
                    "no {what} within {WAIT:?}; log so far:\n{}",
                    self.log.join("\n")
                ),
            }
        }
    }

    /// Waits for KOS's event `event` about `app` (see [`RunningSystem::wait_line`]).
    pub fn wait_event(&mut self, app: &str, event: &str) -> LogLine {
        self.wait_event_where(app, event, |_| true)
    }

    /// Waits for KOS's event `event` about `app` whose fields pass `test`.
    pub fn wait_event_where(
        &mut self,
        app: &str,
        event: &str,
        test: impl Fn(&LogLine) -> bool,
    ) -> LogLine {
        self.wait_line(&format!("event `{event}` of {app}"), |l| {
            is_event(l, app, event) && test(l)
        })
    }

    /// Waits for `app` to start and returns its pid.
    pub fn wait_started(&mut self, app: &str) -> u32 {
        self.wait_event(app, "started").pid()
    }

    /// Waits for a line an app printed itself whose `[app] message` text contains
    /// every one of `parts` (see [`RunningSystem::wait_line`]); returns that text.
    pub fn wait_for(&mut self, parts: &[&str]) -> String {
        self.wait_line(&format!("app output containing {parts:?}"), |l| {
            is_output(l, parts)
        })
        .text()
    }

    /// [`RunningSystem::wait_for`], taking only a line that came after the line
    /// `earlier` (a text an earlier wait returned).
    pub fn wait_for_after(&mut self, earlier: &str, parts: &[&str]) -> String {
        let from = self
            .log
            .iter()
            .position(|l| l == earlier)
            .unwrap_or_else(|| panic!("`{earlier}` is not in the log"));
        self.wait_line_from(from + 1, &format!("app output containing {parts:?}"), |l| {
            is_output(l, parts)
        })
        .text()
    }

    /// [`RunningSystem::wait_for`] each pattern; returns the lines in pattern order.
    pub fn wait_all(&mut self, patterns: &[&[&str]]) -> Vec<String> {
        patterns.iter().map(|p| self.wait_for(p)).collect()
    }

    fn push(&mut self, line: String) {
        let parsed = LogLine::parse(&line);
        self.log.push(parsed.text());
        self.lines.push(parsed);
        self.taken.push(false);
    }

    /// Reads lines for `period`, keeping them.
    pub fn idle(&mut self, period: Duration) {
        let deadline = Instant::now() + period;
        while let Ok(line) = self
            .incoming
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            self.push(line);
        }
    }

    /// Lines the apps printed so far whose text contains every one of `parts`.
    pub fn seen(&self, parts: &[&str]) -> Vec<&String> {
        self.lines
            .iter()
            .zip(&self.log)
            .filter(|(l, _)| is_output(l, parts))
            .map(|(_, text)| text)
            .collect()
    }

    /// KOS's events `event` about `app` so far (`app` `*`: about any).
    pub fn events(&self, app: &str, event: &str) -> Vec<&LogLine> {
        self.lines
            .iter()
            .filter(|l| is_event(l, app, event))
            .collect()
    }

    /// Every end of `app`'s processes KOS reported so far (`stopped`, `restarting`,
    /// `stays_down`, `gave_up`).
    pub fn exits(&self, app: &str) -> Vec<&LogLine> {
        ["stopped", "restarting", "stays_down", "gave_up"]
            .iter()
            .flat_map(|event| self.events(app, event))
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

fn is_event(line: &LogLine, app: &str, event: &str) -> bool {
    line.from_kos && line.event == event && (app == "*" || line.app == app)
}

fn is_output(line: &LogLine, parts: &[&str]) -> bool {
    if line.from_kos {
        return false;
    }
    let text = line.text();
    parts.iter().all(|p| text.contains(p))
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
