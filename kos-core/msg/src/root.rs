//! `kos_root_protocol`: what a granted app may ask of the root server `_root`.
//!
//! Requests are calls: [`Request::message`] writes one, [`Request::parse`] reads it.
//! The reply's label is a [`Status`]. Only apps that the manifest lists as clients of
//! `kos_root_protocol` get a token, so holding one is the permission.
//!
//! A STATUS reply is a page of [`AppStatus`] records (postcard, one after another):
//! the request's `param` is the index of the first app wanted, the reply's `param` is
//! how many apps the system has, so a reader asks again from where a page ended until
//! it has them all ([`encode_status_page`], [`decode_status_page`]). Every language's
//! reader goes through this module (the NIF decodes for Elixir), so the format is
//! written once.

use core::fmt;

use serde::{Deserialize, Serialize};

use crate::{FrameError, Message};

/// Protocol name, as written in `dir_access_control`.
pub const PROTOCOL: &str = "kos_root_protocol";

/// Labels of the operations.
mod label {
    pub const RESTART_ALL: u64 = 1;
    pub const RESTART_APP: u64 = 2;
    pub const STATUS: u64 = 3;
    pub const UPGRADE: u64 = 4;
}

/// What an app asks of `_root`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request<'a> {
    /// Restart every application (each comes back as a new process). The reply is
    /// sent before the restart begins, since the caller is restarted too.
    RestartAll,
    /// Restart the application of this manifest name.
    RestartApp(&'a str),
    /// Report every application's state and memory, from app number `from` on.
    Status {
        /// Index (in manifest order) of the first app wanted.
        from: u32,
    },
    /// Switch the whole system to the image in this directory: `system.dts` and the
    /// BEAM apps' builds under `elixir/`, as a verified upgrade bundle unpacks. `_root`
    /// checks the image first (the manifest's rules, every app's code); a bad one is
    /// refused with [`Status::BadImage`] and the reason as payload, and nothing
    /// changes. Otherwise the reply is sent, every app stops, and the new system boots
    /// on trial: if its apps do not stay up through the trial window, `_root` stops
    /// them and boots the previous system again.
    Upgrade(&'a str),
}

impl<'a> Request<'a> {
    /// The call that carries this request.
    pub fn message(&self) -> Message<'a> {
        match *self {
            Request::RestartAll => Message::new(label::RESTART_ALL, b""),
            Request::RestartApp(name) => Message::new(label::RESTART_APP, name.as_bytes()),
            Request::Status { from } => Message::new(label::STATUS, b"").with_param(from.into()),
            Request::Upgrade(dir) => Message::new(label::UPGRADE, dir.as_bytes()),
        }
    }

    /// Reads a call; the status to answer with when it is not a request of this
    /// protocol.
    pub fn parse(msg: &Message<'a>) -> Result<Request<'a>, Status> {
        let text = || core::str::from_utf8(msg.payload).map_err(|_| Status::BadRequest);
        match msg.label {
            label::RESTART_ALL => Ok(Request::RestartAll),
            label::RESTART_APP => Ok(Request::RestartApp(text()?)),
            label::STATUS => Ok(Request::Status {
                from: u32::try_from(msg.param).map_err(|_| Status::BadRequest)?,
            }),
            label::UPGRADE => Ok(Request::Upgrade(text()?)),
            _ => Err(Status::UnknownOperation),
        }
    }
}

/// The status a reply carries as its label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Done (or begun).
    Ok,
    /// The request names no application of this system.
    UnknownApp,
    /// The label names no operation of this protocol.
    UnknownOperation,
    /// The request's payload did not make sense for the operation.
    BadRequest,
    /// The image of an upgrade cannot run; the payload says why.
    BadImage,
}

impl Status {
    /// The reply label.
    pub const fn label(self) -> u64 {
        match self {
            Status::Ok => 0,
            Status::UnknownApp => 1,
            Status::UnknownOperation => 2,
            Status::BadRequest => 3,
            Status::BadImage => 4,
        }
    }

    /// The status of a reply label; `None` for a label this protocol does not have.
    pub const fn from_label(label: u64) -> Option<Status> {
        Some(match label {
            0 => Status::Ok,
            1 => Status::UnknownApp,
            2 => Status::UnknownOperation,
            3 => Status::BadRequest,
            4 => Status::BadImage,
            _ => return None,
        })
    }

    /// A reply with this status and `payload`.
    pub const fn reply(self, payload: &[u8]) -> Message<'_> {
        Message::new(self.label(), payload)
    }
}

/// What an application is doing, as `_root` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AppState {
    /// Its process runs.
    Running,
    /// Asked to stop; its process has not exited yet.
    Stopping,
    /// Exited; it starts again after its backoff.
    Restarting,
    /// Not running and not coming back by itself (too many restarts, `temporary`, or
    /// a normal exit of a `transient` app).
    Down,
}

impl AppState {
    /// The word used in logs and text reports.
    pub const fn as_str(self) -> &'static str {
        match self {
            AppState::Running => "running",
            AppState::Stopping => "stopping",
            AppState::Restarting => "restarting",
            AppState::Down => "down",
        }
    }
}

/// One application in a STATUS reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppStatus<'a> {
    /// Manifest name.
    #[serde(borrow)]
    pub name: &'a str,
    /// What it is doing.
    pub state: AppState,
    /// Its process while there is one.
    pub pid: Option<u32>,
    /// Resident memory of that process, KiB.
    pub rss_kib: Option<u64>,
    /// How many times it was restarted.
    pub restarts: u32,
}

/// `NAME STATE pid=PID rss_kib=KIB restarts=N` (pid and rss only while there is a
/// process): the line `root_caller status` prints.
impl fmt::Display for AppStatus<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.name, self.state.as_str())?;
        if let Some(pid) = self.pid {
            write!(f, " pid={pid}")?;
        }
        if let Some(kib) = self.rss_kib {
            write!(f, " rss_kib={kib}")?;
        }
        write!(f, " restarts={}", self.restarts)
    }
}

/// Writes the records of `apps[from..]` into `out`, as many as fit; returns the bytes
/// written and how many records they hold.
pub fn encode_status_page(apps: &[AppStatus<'_>], from: usize, out: &mut [u8]) -> (usize, usize) {
    let mut used = 0;
    let mut records = 0;
    for app in apps.iter().skip(from) {
        match postcard::to_slice(app, &mut out[used..]) {
            Ok(written) => used += written.len(),
            Err(_) => break,
        }
        records += 1;
    }
    (used, records)
}

/// The records of a STATUS page, in order; a record that does not decode ends the
/// page with an error.
pub fn decode_status_page(payload: &[u8]) -> StatusPage<'_> {
    StatusPage { rest: payload }
}

/// Iterator over the records of a STATUS page (see [`decode_status_page`]).
pub struct StatusPage<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for StatusPage<'a> {
    type Item = Result<AppStatus<'a>, FrameError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        match postcard::take_from_bytes::<AppStatus<'a>>(self.rest) {
            Ok((app, rest)) => {
                self.rest = rest;
                Some(Ok(app))
            }
            Err(_) => {
                self.rest = &[];
                Some(Err(FrameError::Malformed))
            }
        }
    }
}

#[cfg(test)]
mod test {
    use super::*;
    extern crate std;
    use std::format;
    use std::string::ToString;
    use std::vec::Vec;

    #[test]
    fn requests_round_trip_through_their_messages() {
        for r in [
            Request::RestartAll,
            Request::RestartApp("weatherstation"),
            Request::Status { from: 7 },
            Request::Upgrade("/var/kos/images/image-1"),
        ] {
            assert_eq!(Request::parse(&r.message()), Ok(r));
        }
        assert_eq!(
            Request::parse(&Message::new(99, b"")),
            Err(Status::UnknownOperation)
        );
        assert_eq!(
            Request::parse(&Message::new(label::RESTART_APP, &[0xff])),
            Err(Status::BadRequest)
        );
        assert_eq!(
            Request::parse(&Message::new(label::STATUS, b"").with_param(u64::MAX)),
            Err(Status::BadRequest)
        );
    }

    #[test]
    fn statuses_round_trip_through_their_labels() {
        for s in [
            Status::Ok,
            Status::UnknownApp,
            Status::UnknownOperation,
            Status::BadRequest,
            Status::BadImage,
        ] {
            assert_eq!(Status::from_label(s.label()), Some(s));
        }
        assert_eq!(Status::from_label(5), None);
    }

    fn app(i: usize, names: &[std::string::String]) -> AppStatus<'_> {
        AppStatus {
            name: &names[i],
            state: if i % 2 == 0 {
                AppState::Running
            } else {
                AppState::Down
            },
            pid: (i % 2 == 0).then_some(100_000 + i as u32),
            rss_kib: (i % 2 == 0).then_some(30_000),
            restarts: i as u32,
        }
    }

    #[test]
    fn a_status_report_of_any_size_reads_back_in_pages() {
        let names: Vec<_> = (0..500).map(|i| format!("app_number_{i:020}")).collect();
        let apps: Vec<_> = (0..names.len()).map(|i| app(i, &names)).collect();
        let mut read = Vec::new();
        let mut pages = 0;
        while read.len() < apps.len() {
            let mut buf = [0u8; crate::MAX_PAYLOAD];
            let (len, records) = encode_status_page(&apps, read.len(), &mut buf);
            assert!(records > 0, "every page makes progress");
            let page: Vec<_> = decode_status_page(&buf[..len])
                .map(|r| r.unwrap().name.to_string())
                .collect();
            assert_eq!(page.len(), records);
            read.extend(page);
            pages += 1;
        }
        assert_eq!(read, names);
        assert!(pages > 1, "500 apps do not fit one message");
    }

    #[test]
    fn a_damaged_page_ends_in_an_error_not_a_wrong_record() {
        let names = [std::string::String::from("vm")];
        let mut buf = [0u8; 64];
        let (len, _) = encode_status_page(&[app(0, &names)], 0, &mut buf);
        let got: Vec<_> = decode_status_page(&buf[..len - 1]).collect();
        assert_eq!(got, [Err(FrameError::Malformed)]);
    }

    #[test]
    fn the_text_form_is_the_one_logs_show() {
        let names = [std::string::String::from("vm"), "once".into()];
        assert_eq!(
            app(0, &names).to_string(),
            "vm running pid=100000 rss_kib=30000 restarts=0"
        );
        assert_eq!(app(1, &names).to_string(), "once down restarts=1");
    }
}
