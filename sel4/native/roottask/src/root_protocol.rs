//! `kos_root_protocol` on seL4: the root task is `_root`. Where the manifest makes
//! `_root` the protocol's server, the root publishes it in the directory on an
//! endpoint of its own; a granted client holds a badged call-only copy like any
//! token, and its requests — the same `kos_msg::root` messages as hosted — are read
//! here: STATUS pages of every app's state and restarts, RESTART_APP and RESTART_ALL
//! (answered first, then done, since the caller may be among them), and UPGRADE,
//! which seL4 refuses for now (the root task boots the image it was built with).

use alloc::vec::Vec;

use core::fmt::Write;

use kos_manifest::Manifest;
use kos_msg::root::{encode_status_page, AppState, AppStatus, Request, Status};
use kos_msg::Message;
use kos_msg_server::ConnId;
use kos_sel4_rt::{wire, Console, Msg};

use crate::directory::Directories;
use crate::{sel4, Recipe, Slot};

/// The root task's own connection in the directories.
pub const ROOT_CONN: ConnId = u64::MAX;

/// What the root does once the reply is sent: restart these components.
pub struct After {
    /// Components (by number) to end and start again.
    pub restart: Vec<usize>,
    /// Who asked.
    pub asked_by: alloc::string::String,
}

/// Answers the `kos_root_protocol` request `m` that arrived on the root's protocol
/// endpoint, and says what to do after.
pub fn answer(
    m: &Msg,
    dirs: &Directories<'_>,
    system: &Manifest,
    slots: &[Slot],
    recipes: &[Recipe<'_>],
    out: &mut Console,
) -> After {
    let ipc = sel4::ipc();
    let mut after = After {
        restart: Vec::new(),
        asked_by: alloc::string::String::new(),
    };
    let Some((_, client)) = dirs.client_of(ROOT_CONN, m.badge as u64) else {
        reply(Status::BadRequest, 0, b"no such token");
        return after;
    };
    after.asked_by = client.into();
    let mut payload = [0u8; wire::MAX_IPC_PAYLOAD];
    let Some((param, len)) = wire::decode(ipc, m, &mut payload, None) else {
        reply(Status::BadRequest, 0, b"not a KOS message");
        return after;
    };
    let message = Message::new(m.label() as u64, &payload[..len]).with_param(param);
    let index_of = |name: &str| recipes.iter().position(|r| r.app.name == name);
    match Request::parse(&message) {
        Err(status) => reply(status, 0, b""),
        Ok(Request::Status { from }) => {
            let apps: Vec<AppStatus<'_>> = system
                .apps
                .iter()
                .map(|app| {
                    let slot = index_of(&app.name).map(|i| &slots[i]);
                    AppStatus {
                        name: &app.name,
                        state: match slot {
                            Some(s) if s.live.is_some() => AppState::Running,
                            Some(s) if s.restart_at.is_some() => AppState::Restarting,
                            _ => AppState::Down,
                        },
                        // No processes on seL4, and no resident-memory figure yet.
                        pid: None,
                        rss_kib: None,
                        restarts: slot.map_or(0, |s| s.starts.saturating_sub(1)),
                    }
                })
                .collect();
            let mut page = [0u8; wire::MAX_IPC_PAYLOAD];
            let (used, _) = encode_status_page(&apps, from as usize, &mut page);
            reply(Status::Ok, apps.len() as u64, &page[..used]);
        }
        Ok(Request::RestartApp(name)) => match index_of(name) {
            Some(i) => {
                reply(Status::Ok, 0, b"");
                after.restart.push(i);
            }
            None => reply(Status::UnknownApp, 0, name.as_bytes()),
        },
        Ok(Request::RestartAll) => {
            reply(Status::Ok, 0, b"");
            after.restart.extend(0..recipes.len());
        }
        Ok(Request::Upgrade(_)) => {
            let _ = writeln!(
                out,
                "kos root task: {client} asked for an upgrade: refused, not on seL4 yet"
            );
            reply(
                Status::BadImage,
                0,
                b"upgrades are not supported on seL4 yet: the root task boots the image it was built with",
            );
        }
    }
    after
}

/// Answers the call just received with `status`, `param` and `payload`.
fn reply(status: Status, param: u64, payload: &[u8]) {
    let ipc = sel4::ipc();
    match wire::encode(ipc, param, payload, None) {
        Some(m) => ipc.reply_loaded(status.label() as usize, &m),
        None => ipc.reply(Status::BadRequest.label() as usize, &[]),
    }
}
