//! Starting one native app as an OS process holding exactly its channels.

use std::io::{self, BufRead, BufReader, Read};
use std::os::fd::{AsRawFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use kos_msg_server::hosted::AppChannels;
use kos_transport::{Handoff, MsgServerFds, ENV_APP, ENV_HEAP_KIB, ENV_MSG_SERVERS};

use crate::isolation::Confinement;
use crate::start_gate::StartGate;
use crate::Logger;

/// Descriptors handed to an app start here: request and event channel of its first
/// message server at 3 and 4, the next at 5 and 6, and so on.
const FIRST_CHANNEL_FD: RawFd = 3;

/// Parked copies of the channels sit above this number while the child is set up, so
/// placing them at 3, 4, … never overwrites one not yet placed.
const PARKING_FD: RawFd = 1000;

/// `close_range` flag: mark close-on-exec rather than close now, so the pipe on which
/// the standard library reports a failed exec keeps working.
const CLOSE_RANGE_CLOEXEC: libc::c_uint = 1 << 2;

/// Longest log line kept whole; a longer one is logged in pieces of this size.
const MAX_LINE: usize = 8192;

/// What to start.
pub struct Launch<'a> {
    /// The app's manifest name.
    pub app: &'a str,
    /// The executable.
    pub binary: &'a Path,
    /// Its arguments.
    pub args: &'a [String],
    /// Heap budget for a native component, in KiB.
    pub heap_kib: u32,
    /// Extra environment variables.
    pub env: &'a [(&'a str, &'a str)],
    /// The `cgroup.procs` of a memory group the child joins before it execs.
    pub cgroup_procs: Option<&'a std::ffi::CString>,
    /// One entry per message server the manifest connects it to.
    pub channels: Vec<(String, AppChannels)>,
    /// Its own user, `no_new_privs` and the seccomp filter, entered before exec.
    pub confinement: Option<Confinement>,
    /// A BEAM app: its output is held until its application has started
    /// (`crate::start_gate`).
    pub beam: bool,
}

fn park(fd: OwnedFd) -> io::Result<OwnedFd> {
    // SAFETY: F_DUPFD_CLOEXEC on a descriptor we own returns a new one we then own.
    let parked = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_DUPFD_CLOEXEC, PARKING_FD) };
    if parked < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `parked` was just returned by fcntl and is owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(parked) })
}

/// Starts the app. Its output is logged line by line under its name. Must be called
/// from a thread that outlives the child: the child is killed when that thread ends
/// (`PR_SET_PDEATHSIG`), which is how no app outlives a root server that is killed.
pub fn spawn(launch: Launch<'_>, logger: &Logger) -> io::Result<Child> {
    let mut handoff = Handoff {
        app: launch.app.to_string(),
        msg_servers: Vec::new(),
    };
    let mut parked = Vec::new();
    let mut placements: Vec<(RawFd, RawFd)> = Vec::new();
    for (i, (name, channels)) in launch.channels.into_iter().enumerate() {
        let request = park(channels.request.into_owned_fd())?;
        let event = park(channels.event.into_owned_fd())?;
        let target = FIRST_CHANNEL_FD + 2 * i as RawFd;
        placements.push((request.as_raw_fd(), target));
        placements.push((event.as_raw_fd(), target + 1));
        handoff.msg_servers.push(MsgServerFds {
            name,
            request: target,
            event: target + 1,
        });
        parked.push(request);
        parked.push(event);
    }

    let mut command = Command::new(launch.binary);
    command
        .args(launch.args)
        .env(ENV_APP, launch.app)
        .env(ENV_MSG_SERVERS, handoff.msg_servers_env())
        .env(ENV_HEAP_KIB, launch.heap_kib.to_string())
        .envs(launch.env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let parent = std::process::id() as libc::pid_t;
    if launch
        .confinement
        .as_ref()
        .is_some_and(|c| c.identity.is_some())
    {
        command.env("HOME", crate::isolation::APP_HOME);
    }
    let cgroup_procs = launch.cgroup_procs.cloned();
    let confinement = launch.confinement;
    // SAFETY: the closure runs in the forked child before exec and only makes
    // async-signal-safe calls (dup2, close_range, open/write/close, setgroups,
    // setresgid, setresuid, setpgid, prctl, getppid) on plain integers and on memory
    // prepared before the fork.
    unsafe {
        command.pre_exec(move || {
            for &(from, to) in &placements {
                // dup2 leaves the new descriptor without close-on-exec: it is inherited.
                if libc::dup2(from, to) < 0 {
                    return Err(io::Error::last_os_error());
                }
            }
            // Nothing else crosses over: descriptors the root server inherited without
            // close-on-exec (a jobserver pipe, a terminal) would be a way out.
            let first_unused = FIRST_CHANNEL_FD + placements.len() as RawFd;
            if libc::syscall(
                libc::SYS_close_range,
                first_unused as libc::c_uint,
                libc::c_uint::MAX,
                CLOSE_RANGE_CLOEXEC,
            ) < 0
            {
                return Err(io::Error::last_os_error());
            }
            // Into its memory group before exec, so every page it uses is counted.
            if let Some(procs) = &cgroup_procs {
                beam_host::budget::join_from_child(procs)?;
            }
            // Then its own user: the group's files are root's, out of its reach.
            if let Some(confinement) = &confinement {
                confinement.enter()?;
            }
            // Own process group: a terminal's Ctrl-C reaches only the root server,
            // which then stops the apps in order.
            libc::setpgid(0, 0);
            // After the change of user, which clears it.
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            if libc::getppid() != parent {
                return Err(io::Error::other("root server exited during start"));
            }
            Ok(())
        });
    }
    let mut child = command.spawn()?;
    drop(parked);
    let sink = if launch.beam {
        Sink::Gated(StartGate::new(launch.app, logger.clone(), 2))
    } else {
        Sink::Log(logger.clone())
    };
    if let Some(out) = child.stdout.take() {
        forward_lines(out, launch.app, sink.clone())?;
    }
    if let Some(err) = child.stderr.take() {
        forward_lines(err, launch.app, sink)?;
    }
    Ok(child)
}

/// Where an app's lines go.
#[derive(Clone)]
enum Sink {
    /// Straight to the log.
    Log(Logger),
    /// Through a BEAM app's start gate.
    Gated(StartGate),
}

impl Sink {
    fn line(&self, app: &str, text: &str) {
        match self {
            Sink::Log(logger) => logger.app_output(app, text),
            Sink::Gated(gate) => gate.line(text),
        }
    }

    fn ended(&self) {
        if let Sink::Gated(gate) = self {
            gate.stream_ended();
        }
    }
}

/// Logs every line read from `stream` under `app`, until it closes.
fn forward_lines(
    stream: impl Read + IntoRawFd + Send + 'static,
    app: &str,
    sink: Sink,
) -> io::Result<()> {
    let app = app.to_string();
    std::thread::Builder::new()
        .name(format!("log-{app}"))
        .spawn(move || {
            let mut reader = BufReader::new(stream);
            let mut line = Vec::new();
            loop {
                line.clear();
                // Bounded: an app that prints without newlines must not grow our memory.
                match (&mut reader)
                    .take(MAX_LINE as u64)
                    .read_until(b'\n', &mut line)
                {
                    Ok(0) | Err(_) => {
                        sink.ended();
                        break;
                    }
                    Ok(_) => {
                        let text = String::from_utf8_lossy(&line);
                        let text = text.trim_end_matches(['\n', '\r']);
                        // Blank lines say nothing, and Logger's default format
                        // writes one before every message.
                        if !text.trim().is_empty() {
                            sink.line(&app, text);
                        }
                    }
                }
            }
        })?;
    Ok(())
}
