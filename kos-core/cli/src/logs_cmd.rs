//! `kos logs APP`: a running system's recent lines for one app, from another terminal.
//!
//! `kos run` keeps each app's last lines in memory (`kos_root::Recent`, `--log-lines`)
//! and answers on a Unix socket named after its manifest's path, in a directory only
//! this user can reach (`$XDG_RUNTIME_DIR/kos`, else `/tmp/kos-UID`). A request is one
//! line, `APP` or `APP follow`; the answer is the app's ring, then, when following, each
//! new line as it is logged, until the reader goes away. An unknown app is answered
//! with one line saying so and naming the apps.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::{bail, Context, Result};
use kos_root::Recent;

/// First word of the answer for an app the system does not have.
const NO_SUCH_APP: &str = "kos-logs: no app";

/// Where the running system of `manifest` answers: one socket per manifest path.
pub fn socket_for(manifest: &Path) -> Result<PathBuf> {
    let canonical = manifest
        .canonicalize()
        .with_context(|| format!("{}", manifest.display()))?;
    let mut hash = DefaultHasher::new();
    canonical.hash(&mut hash);
    let name = canonical
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("system");
    Ok(runtime_dir()?.join(format!("{name}-{:016x}.logs", hash.finish())))
}

/// This user's directory for KOS's sockets, made private if it is new.
fn runtime_dir() -> Result<PathBuf> {
    let base = match std::env::var_os("XDG_RUNTIME_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir).join("kos"),
        // SAFETY: getuid cannot fail.
        _ => std::env::temp_dir().join(format!("kos-{}", unsafe { libc::getuid() })),
    };
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&base)
        .with_context(|| format!("creating {}", base.display()))?;
    std::fs::set_permissions(&base, std::fs::Permissions::from_mode(0o700))
        .with_context(|| format!("{}", base.display()))?;
    Ok(base)
}

/// The socket of a running `kos run`, removed when it ends.
pub struct LogSocket {
    path: PathBuf,
}

impl Drop for LogSocket {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Answers `kos logs` for the system of `manifest` from `recent`, whose apps are
/// `apps` (the running system's, updated as it changes). `None` (and a note from the
/// caller) when another live `kos run` of the same manifest already answers.
pub fn serve(
    manifest: &Path,
    recent: Arc<Recent>,
    apps: Arc<Mutex<Vec<String>>>,
) -> Result<Option<LogSocket>> {
    let path = socket_for(manifest)?;
    if UnixStream::connect(&path).is_ok() {
        return Ok(None);
    }
    // A socket left by a run that was killed.
    let _ = std::fs::remove_file(&path);
    let listener =
        UnixListener::bind(&path).with_context(|| format!("binding {}", path.display()))?;
    std::thread::Builder::new()
        .name("kos-logs".into())
        .spawn(move || {
            for stream in listener.incoming().flatten() {
                let (recent, apps) = (recent.clone(), apps.clone());
                let _ = std::thread::Builder::new()
                    .name("kos-logs-reader".into())
                    .spawn(move || answer(stream, &recent, &apps));
            }
        })
        .context("starting the kos logs listener")?;
    Ok(Some(LogSocket { path }))
}

fn answer(stream: UnixStream, recent: &Recent, apps: &Mutex<Vec<String>>) {
    let apps = apps.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let mut request = String::new();
    if BufReader::new(&stream).read_line(&mut request).is_err() {
        return;
    }
    let mut words = request.split_whitespace();
    let app = words.next().unwrap_or_default();
    let follow = words.next() == Some("follow");
    let mut out = &stream;
    if !apps.iter().any(|a| a == app) && app != "_root" {
        let _ = writeln!(
            out,
            "{NO_SUCH_APP} {app} in this system (apps: {})",
            apps.join(", ")
        );
        return;
    }
    let (lines, new) = if follow {
        let (lines, rx) = recent.follow(app);
        (lines, Some(rx))
    } else {
        (recent.lines(app), None)
    };
    for line in lines {
        if writeln!(out, "{line}").is_err() {
            return;
        }
    }
    if let Some(rx) = new {
        // Ends when the reader goes away (the write fails) or the system stops.
        for line in rx {
            if writeln!(out, "{line}").is_err() {
                return;
            }
        }
    }
}

/// `kos logs APP --system SYSTEM [-f]`: prints the app's recent lines; with `follow`,
/// keeps printing new ones until Ctrl-C or the system stops.
pub fn logs(app: &str, system: &Path, follow: bool) -> Result<()> {
    let path = socket_for(system)?;
    let stream = UnixStream::connect(&path).with_context(|| {
        format!(
            "no running system for {} (is `kos run {}` running, as this user?)",
            system.display(),
            system.display()
        )
    })?;
    writeln!(&stream, "{app}{}", if follow { " follow" } else { "" })?;
    let mut stdout = std::io::stdout().lock();
    for line in BufReader::new(&stream).lines() {
        let line = line?;
        if let Some(rest) = line.strip_prefix(NO_SUCH_APP) {
            bail!("no app{rest}");
        }
        writeln!(stdout, "{line}")?;
        stdout.flush()?;
    }
    Ok(())
}
