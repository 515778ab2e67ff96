//! `Kos.Orbit`: the device admin's WebSocket to Orbit, living in the NIF.
//!
//! `orbit_start` spawns a thread with its own single-threaded tokio runtime that keeps
//! the device connected (`orbit_device::run`: challenge–response with the device key,
//! reconnects with backoff and jitter). Everything reaches the owning Erlang process as
//! messages: `{:orbit_event, text}` for connects and disconnects, and
//! `{:orbit_command, id, command}` for each command (`:ping`, `:restart` or
//! `{:upgrade, %{...}}`), which the owner answers with `orbit_result/4`; then
//! `{:orbit_result_sent, id}` says the answer is on its way to Orbit (so a restart of
//! the device admin itself cannot swallow it). The connection stops when the owner's
//! handle is garbage-collected (the owner died) or `orbit_stop/1` is called.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use orbit_device::orbit_protocol::Command;
use orbit_device::{CommandError, Handler, Identity};
use rustler::{Encoder, Env, LocalPid, OwnedEnv, ResourceArc, Term};
use tokio::sync::oneshot;

mod atoms {
    rustler::atoms! { orbit_event, orbit_command, orbit_result_sent, ping, restart, upgrade, bad_key }
}

/// An upgrade command as the owner receives it: `{:upgrade, %{url:, sha256:, size:,
/// version:}}`.
#[derive(rustler::NifMap)]
struct UpgradeInfo<'c> {
    url: &'c str,
    sha256: &'c str,
    size: u64,
    version: &'c str,
}

/// A staged upgrade: `%{version:, files:, bytes:, dir:}`.
#[derive(rustler::NifMap)]
struct Staged {
    version: String,
    files: usize,
    bytes: u64,
    dir: String,
}

/// How long the owner has to answer a command before Orbit is told it did not.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(120);

type Answer = oneshot::Sender<Result<String, CommandError>>;

/// State shared by the handle and the connection thread.
struct Shared {
    waiting: Mutex<HashMap<u64, Answer>>,
    /// Results to report once connected (commands that outlived the last connection).
    reports: Mutex<Vec<orbit_device::orbit_protocol::ToOrbit>>,
    /// The device admin's own reports, sent on the live connection (or the next).
    outgoing: tokio::sync::mpsc::UnboundedSender<orbit_device::orbit_protocol::ToOrbit>,
    /// Orbit's base URL for HTTP (bundle downloads).
    http_base: String,
    stop: Mutex<Option<oneshot::Sender<()>>>,
}

impl Shared {
    fn stop(&self) {
        if let Some(stop) = self.stop.lock().unwrap_or_else(|p| p.into_inner()).take() {
            let _ = stop.send(());
        }
    }
}

/// The Elixir handle of an Orbit connection.
pub struct OrbitRes(Arc<Shared>);

#[rustler::resource_impl]
impl rustler::Resource for OrbitRes {}

impl Drop for OrbitRes {
    fn drop(&mut self) {
        self.0.stop();
    }
}

/// Hands each command to the owning process and waits for its answer.
struct ToOwner {
    owner: LocalPid,
    shared: Arc<Shared>,
}

impl ToOwner {
    fn notify(&self, f: impl FnOnce(Env<'_>) -> Term<'_>) -> bool {
        OwnedEnv::new().send_and_clear(&self.owner, f).is_ok()
    }
}

impl Handler for ToOwner {
    async fn handle(
        &mut self,
        id: u64,
        command: &Command,
        _orbit_http: &str,
    ) -> Result<String, CommandError> {
        let (tx, rx) = oneshot::channel();
        self.shared
            .waiting
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id, tx);
        let delivered = self.notify(|env| {
            let cmd = match command {
                Command::Ping => atoms::ping().encode(env),
                Command::Restart => atoms::restart().encode(env),
                Command::Upgrade {
                    url,
                    sha256,
                    size,
                    version,
                } => {
                    let info = UpgradeInfo {
                        url,
                        sha256,
                        size: *size,
                        version,
                    };
                    (atoms::upgrade(), info).encode(env)
                }
            };
            (atoms::orbit_command(), id, cmd).encode(env)
        });
        // `Ok(None)`: the owner is gone (never saw it, or dropped the answer).
        let answer = if delivered {
            tokio::time::timeout(ANSWER_TIMEOUT, rx)
                .await
                .map(Result::ok)
        } else {
            Ok(None)
        };
        self.shared
            .waiting
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&id);
        match answer {
            Ok(Some(result)) => result,
            Ok(None) => Err(CommandError::NoAnswer("the device admin is gone".into())),
            Err(_) => Err(CommandError::NoAnswer(format!(
                "the device admin did not answer in {}s",
                ANSWER_TIMEOUT.as_secs()
            ))),
        }
    }

    fn on_connect(&mut self) -> Vec<orbit_device::orbit_protocol::ToOrbit> {
        std::mem::take(
            &mut *self
                .shared
                .reports
                .lock()
                .unwrap_or_else(|p| p.into_inner()),
        )
    }

    fn result_sent(&mut self, id: u64) {
        self.notify(|env| (atoms::orbit_result_sent(), id).encode(env));
    }

    fn refused(&mut self, id: u64, why: &str) {
        let text = format!("refused command {id} from Orbit: {why}");
        self.notify(|env| (atoms::orbit_event(), text).encode(env));
    }
}

/// `orbit_start(url, device, key_pem, version, reports, journal)`: `{:ok, handle}` or
/// `{:error, {:bad_key, text}}`. `reports` are `{id, ok, detail}` results to send as
/// soon as the connection is up; `journal` (`""`: none) is the file where results
/// Orbit has not recorded outlive this VM (`orbit_device::Journal`).
#[rustler::nif]
fn orbit_start<'a>(
    env: Env<'a>,
    url: String,
    device: String,
    key_pem: String,
    version: String,
    reports: Vec<(u64, bool, String)>,
    journal: String,
) -> Term<'a> {
    let id = match Identity::from_pem(&device, &key_pem) {
        Ok(id) => id,
        Err(e) => {
            return (
                rustler::types::atom::error(),
                (atoms::bad_key(), e.to_string()),
            )
                .encode(env)
        }
    };
    let (stop_tx, stop_rx) = oneshot::channel();
    let mut config = orbit_device::Config::new(orbit_device::Endpoint::new(&url), id, &version);
    if !journal.is_empty() {
        config = config.with_journal(orbit_device::Journal::at(std::path::Path::new(&journal)));
    }
    let http_base = config.endpoint.http_base();
    let reports = reports
        .into_iter()
        .map(|(id, ok, detail)| orbit_device::orbit_protocol::ToOrbit::Result { id, ok, detail })
        .collect();
    let (outgoing, mut outgoing_rx) = tokio::sync::mpsc::unbounded_channel();
    let shared = Arc::new(Shared {
        waiting: Mutex::new(HashMap::new()),
        reports: Mutex::new(reports),
        outgoing,
        http_base,
        stop: Mutex::new(Some(stop_tx)),
    });
    let owner = env.pid();
    let thread_shared = shared.clone();
    let spawned = std::thread::Builder::new()
        .name("kos-orbit".into())
        .spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            let mut handler = ToOwner {
                owner,
                shared: thread_shared,
            };
            rt.block_on(orbit_device::run(
                &config,
                &mut handler,
                &mut outgoing_rx,
                |event| {
                    let _ = OwnedEnv::new()
                        .send_and_clear(&owner, |env| (atoms::orbit_event(), event).encode(env));
                },
                async {
                    let _ = stop_rx.await;
                },
            ));
        });
    if spawned.is_err() {
        return (rustler::types::atom::error(), crate::reason::Reason::Io).encode(env);
    }
    (
        rustler::types::atom::ok(),
        ResourceArc::new(OrbitRes(shared)),
    )
        .encode(env)
}

/// `orbit_result(handle, id, ok, detail)`: the answer to command `id`.
#[rustler::nif]
fn orbit_result(handle: ResourceArc<OrbitRes>, id: u64, ok: bool, detail: String) -> rustler::Atom {
    let waiter = handle
        .0
        .waiting
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .remove(&id);
    if let Some(w) = waiter {
        // What the device admin says went wrong, in its words.
        let _ = w.send(if ok {
            Ok(detail)
        } else {
            Err(CommandError::Failed(detail))
        });
    }
    rustler::types::atom::ok()
}

/// What `orbit_tidy_images` did: `%{partial: [...], images: [...], kept: [...]}`.
#[derive(rustler::NifMap)]
struct Tidied {
    partial: Vec<String>,
    images: Vec<String>,
    kept: Vec<String>,
}

/// `orbit_tidy_images(images, running)`: at start, removes partial stages and all
/// complete images but `running` (`""`: the system runs from none of them) and the
/// newest other (`orbit_device::images::tidy`). `{:ok, tidied}` or `{:error, text}`.
#[rustler::nif(schedule = "DirtyIo")]
fn orbit_tidy_images(env: Env<'_>, images: String, running: String) -> Term<'_> {
    let running = (!running.is_empty()).then(|| std::path::PathBuf::from(running));
    match orbit_device::images::tidy(std::path::Path::new(&images), running.as_deref()) {
        Ok(t) => (
            rustler::types::atom::ok(),
            Tidied {
                partial: t.partial,
                images: t.images,
                kept: t.kept,
            },
        )
            .encode(env),
        Err(e) => (rustler::types::atom::error(), e.to_string()).encode(env),
    }
}

/// `orbit_stage(handle, url, sha256, size, version, trusted_pem, images, running)`:
/// stages the bundle of an upgrade command in a new image directory under `images`
/// (`orbit_device::stage`: downloaded, size and digest checked, the deployment's
/// signature and every file's hash verified, the signed version equal to the
/// command's and not older than `running` unless marked a rollback).
/// `{:ok, %{version, files, bytes, dir}}`, or `{:error, text}` naming what was wrong;
/// on error nothing under `images` has changed.
#[rustler::nif(schedule = "DirtyIo")]
#[allow(clippy::too_many_arguments)] // one per field of the command, as Elixir has them
fn orbit_stage<'a>(
    env: Env<'a>,
    handle: ResourceArc<OrbitRes>,
    url: String,
    sha256: String,
    size: u64,
    version: String,
    trusted_pem: String,
    images: String,
    running: String,
) -> Term<'a> {
    let command = Command::Upgrade {
        url,
        sha256,
        size,
        version,
    };
    let staged = kos_bundle::verifying_key_from_pem(&trusted_pem)
        .map_err(|e| format!("deployment key: {e}"))
        .and_then(|trusted| {
            orbit_device::stage::stage_upgrade(
                &handle.0.http_base,
                &command,
                &trusted,
                std::path::Path::new(&images),
                &running,
            )
            .map_err(|e| e.to_string())
        });
    match staged {
        Ok(u) => {
            let staged = Staged {
                version: u.version,
                files: u.files,
                bytes: u.bytes,
                dir: u.dir.display().to_string(),
            };
            (rustler::types::atom::ok(), staged).encode(env)
        }
        Err(e) => (rustler::types::atom::error(), e).encode(env),
    }
}

/// `orbit_report(handle, id, ok, detail)`: reports the result of command `id` without
/// being asked (a command that outlived its connection, like an upgrade confirmed
/// after its trial).
#[rustler::nif]
fn orbit_report(handle: ResourceArc<OrbitRes>, id: u64, ok: bool, detail: String) -> rustler::Atom {
    let _ = handle
        .0
        .outgoing
        .send(orbit_device::orbit_protocol::ToOrbit::Result { id, ok, detail });
    rustler::types::atom::ok()
}

/// `orbit_stop(handle)`: disconnects for good.
#[rustler::nif]
fn orbit_stop(handle: ResourceArc<OrbitRes>) -> rustler::Atom {
    handle.0.stop();
    rustler::types::atom::ok()
}
