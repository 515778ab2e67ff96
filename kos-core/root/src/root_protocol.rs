//! `_root` serving `kos_root_protocol` to the apps the manifest allows.

use std::sync::mpsc::Sender;
use std::sync::Arc;

use kos_client::{root, Error, Incoming, Server};
use kos_manifest::Manifest;
use kos_msg::root::Status;

use crate::system::{check, AppReport, Control, RunOptions};
use crate::{Event, Logger};

/// Serves calls until the message server goes away. The reply goes out before the
/// supervisor acts, since the caller itself may be among the apps restarted.
pub(crate) fn serve(
    mut server: Server,
    control: Sender<Control>,
    manifest: Arc<Manifest>,
    options: RunOptions,
    logger: Logger,
) {
    let who = format!("_root@{}", server.msg_server().name());
    loop {
        let (from, reply_to, msg) = match server.next(None) {
            Ok(Some(Incoming::Call {
                from,
                reply_to,
                msg,
                ..
            })) => (from, reply_to, msg),
            Ok(Some(_)) | Ok(None) => continue,
            Err(Error::Closed) => return,
            Err(e) => {
                logger.event(
                    &who,
                    Event::RootProtocolStopped {
                        error: e.to_string(),
                    },
                );
                return;
            }
        };
        let request = match root::Request::parse(&msg.as_message()) {
            Ok(request) => request,
            Err(status) => {
                refused(&logger, &who, msg.label, &from.app, status);
                let _ = server.reply(reply_to, status.reply(b""));
                continue;
            }
        };
        let (status, action) = match request {
            root::Request::RestartAll => (
                Status::Ok,
                Some(Control::RestartAll {
                    asked_by: from.app.clone(),
                }),
            ),
            root::Request::RestartApp(name) if manifest.app(name).is_some() => (
                Status::Ok,
                Some(Control::RestartApp {
                    app: name.to_string(),
                    asked_by: from.app.clone(),
                }),
            ),
            root::Request::RestartApp(_) => (Status::UnknownApp, None),
            root::Request::Upgrade(dir) => {
                let image = std::path::PathBuf::from(dir);
                match check_image(&image, &options) {
                    Ok(()) => (
                        Status::Ok,
                        Some(Control::Switch {
                            image,
                            asked_by: from.app.clone(),
                        }),
                    ),
                    Err(reason) => {
                        logger.event(
                            &who,
                            Event::UpgradeRefused {
                                image: dir.to_string(),
                                by: from.app.clone(),
                                reason: reason.clone(),
                            },
                        );
                        let reason =
                            &reason.as_bytes()[..reason.len().min(kos_client::MAX_PAYLOAD)];
                        let _ = server.reply(reply_to, Status::BadImage.reply(reason));
                        continue;
                    }
                }
            }
            root::Request::Status { from } => {
                let report = status_report(&control);
                let records: Vec<_> = report.iter().map(AppReport::record).collect();
                let mut page = [0u8; kos_client::MAX_PAYLOAD];
                let (len, _) = root::encode_status_page(&records, from as usize, &mut page);
                let total = records.len() as u64;
                let _ = server.reply(reply_to, Status::Ok.reply(&page[..len]).with_param(total));
                continue;
            }
        };
        if status != Status::Ok {
            refused(&logger, &who, msg.label, &from.app, status);
        }
        // The caller may be gone already; the request still stands.
        let _ = server.reply(reply_to, status.reply(b""));
        if let Some(action) = action {
            if control.send(action).is_err() {
                return;
            }
        }
    }
}

fn refused(logger: &Logger, who: &str, label: u64, app: &str, status: Status) {
    logger.event(
        who,
        Event::RequestRefused {
            label,
            by: app.to_string(),
            status: format!("{status:?}"),
        },
    );
}
/// Asks the supervisor for its report (bounded wait: a busy supervisor gives an empty one).
fn status_report(control: &Sender<Control>) -> Vec<AppReport> {
    let (reply, report) = std::sync::mpsc::channel();
    if control.send(Control::Status { reply }).is_err() {
        return Vec::new();
    }
    report
        .recv_timeout(std::time::Duration::from_secs(2))
        .unwrap_or_default()
}

/// Where an upgrade image keeps its parts.
pub(crate) fn image_manifest(image: &std::path::Path) -> std::path::PathBuf {
    image.join("system.dts")
}

/// The BEAM apps' builds of an upgrade image.
pub(crate) fn image_beam_dir(image: &std::path::Path) -> std::path::PathBuf {
    image.join("elixir")
}

/// Whether the system in `image` could boot: its manifest compiles and keeps every
/// rule, and every app's code is there (native binaries come from the running
/// system's binary directory).
fn check_image(image: &std::path::Path, options: &RunOptions) -> Result<(), String> {
    let manifest = kos_manifest::dtc::load(&image_manifest(image)).map_err(|e| e.to_string())?;
    let mut options = options.clone();
    options.beam_dir = image_beam_dir(image);
    check(&manifest, &options).map_err(|e| e.to_string())
}
