//! `_root` serving `kos_root_protocol` to the apps the manifest allows.

use std::sync::mpsc::Sender;
use std::sync::Arc;

use kos_client::{root, Error, Incoming, Message, Server};
use kos_manifest::Manifest;

use crate::system::{check, Control, RunOptions};
use crate::Logger;

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
                logger.line(&who, &format!("root protocol stopped: {e}"));
                return;
            }
        };
        let (status, action) = match msg.label {
            root::RESTART_ALL => (
                root::STATUS_OK,
                Some(Control::RestartAll {
                    asked_by: from.app.clone(),
                }),
            ),
            root::RESTART_APP => match std::str::from_utf8(&msg.payload) {
                Ok(name) if manifest.app(name).is_some() => (
                    root::STATUS_OK,
                    Some(Control::RestartApp {
                        app: name.to_string(),
                        asked_by: from.app.clone(),
                    }),
                ),
                Ok(_) => (root::STATUS_UNKNOWN_APP, None),
                Err(_) => (root::STATUS_BAD_REQUEST, None),
            },
            root::UPGRADE => {
                let Ok(dir) = std::str::from_utf8(&msg.payload) else {
                    let _ = server.reply(reply_to, Message::new(root::STATUS_BAD_REQUEST, b""));
                    continue;
                };
                let image = std::path::PathBuf::from(dir);
                match check_image(&image, &options) {
                    Ok(()) => (
                        root::STATUS_OK,
                        Some(Control::Switch {
                            image,
                            asked_by: from.app.clone(),
                        }),
                    ),
                    Err(reason) => {
                        logger.line(
                            &who,
                            &format!("refused upgrade to {dir} from {}: {reason}", from.app),
                        );
                        let reason =
                            &reason.as_bytes()[..reason.len().min(kos_client::MAX_PAYLOAD)];
                        let _ =
                            server.reply(reply_to, Message::new(root::STATUS_BAD_IMAGE, reason));
                        continue;
                    }
                }
            }
            root::STATUS => {
                let report = status_report(&control);
                let payload = &report.as_bytes()[..report.len().min(kos_client::MAX_PAYLOAD)];
                let _ = server.reply(reply_to, Message::new(root::STATUS_OK, payload));
                continue;
            }
            _ => (root::STATUS_UNKNOWN_OPERATION, None),
        };
        if status != root::STATUS_OK {
            logger.line(
                &who,
                &format!(
                    "refused request {} from {}: status {status}",
                    msg.label, from.app
                ),
            );
        }
        // The caller may be gone already; the request still stands.
        let _ = server.reply(reply_to, Message::new(status, b""));
        if let Some(action) = action {
            if control.send(action).is_err() {
                return;
            }
        }
    }
}

/// Asks the supervisor for its report (bounded wait: a busy supervisor gives an empty one).
fn status_report(control: &Sender<Control>) -> String {
    let (reply, report) = std::sync::mpsc::channel();
    if control.send(Control::Status { reply }).is_err() {
        return String::new();
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
