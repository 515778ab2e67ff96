//! Asks `_root`, through `kos_root_protocol`, what its arguments say, in order —
//! `status`, `restart-app NAME`, `restart-all`, `upgrade DIR` — printing each answer as
//! the hosted `root_caller` does (`_root accepted`, one `status: …` line per app), then
//! exits. One source for seL4, where the root task is `_root`, and hosted.
#![cfg_attr(not(feature = "hosted"), no_std, no_main)]

extern crate alloc;

use alloc::string::String;
use alloc::vec::Vec;

use kos_msg::root::{decode_status_page, Request, Status, PROTOCOL};
use kos_sel4_sdk::{say, Client, Component, MAX_PAYLOAD};

fn run(c: &Component) -> u64 {
    let root = match c.connect(PROTOCOL) {
        Ok(root) => root,
        Err(refusal) => {
            say!(c, "no access to {PROTOCOL}: {refusal}");
            return 1;
        }
    };
    let args: Vec<&str> = c.args().collect();
    let mut rest = &args[..];
    while let Some((&what, tail)) = rest.split_first() {
        let (request, tail) = match (what, tail) {
            ("status", t) => (Request::Status { from: 0 }, t),
            ("restart-all", t) => (Request::RestartAll, t),
            ("restart-app", [name, t @ ..]) => (Request::RestartApp(name), t),
            ("upgrade", [dir, t @ ..]) => (Request::Upgrade(dir), t),
            _ => {
                say!(
                    c,
                    "args: status | restart-app NAME | restart-all | upgrade DIR, in order"
                );
                return 2;
            }
        };
        rest = tail;
        say!(c, "asking _root to {}", describe(&request));
        match ask(&root, request) {
            Ok(lines) => {
                say!(c, "_root accepted");
                for line in lines {
                    say!(c, "status: {line}");
                }
            }
            Err(why) => say!(c, "{why}"),
        }
    }
    0
}

fn describe(request: &Request<'_>) -> String {
    match request {
        Request::RestartAll => "restart all applications".into(),
        Request::RestartApp(name) => alloc::format!("restart {name}"),
        Request::Status { .. } => "report every app's state".into(),
        Request::Upgrade(dir) => alloc::format!("switch to the system in {dir}"),
    }
}

/// Sends `request`; for a status report, page after page until every app is read.
fn ask(root: &Client<'_>, mut request: Request<'_>) -> Result<Vec<String>, String> {
    let mut lines = Vec::new();
    let mut out = alloc::vec![0u8; MAX_PAYLOAD];
    loop {
        let message = request.message();
        let answer = root
            .call(message.label, message.param, message.payload, &mut out)
            .map_err(|e| alloc::format!("call to _root failed: {e:?}"))?;
        let payload = &out[..answer.len];
        if Status::from_label(answer.status) != Some(Status::Ok) {
            return Err(alloc::format!(
                "_root refused with status {}: {}",
                answer.status,
                String::from_utf8_lossy(payload)
            ));
        }
        let Request::Status { .. } = request else {
            return Ok(lines);
        };
        let before = lines.len();
        for app in decode_status_page(payload) {
            let app = app.map_err(|e| alloc::format!("bad status page: {e}"))?;
            lines.push(alloc::format!("{app}"));
        }
        if lines.len() as u64 >= answer.param || lines.len() == before {
            return Ok(lines);
        }
        request = Request::Status {
            from: lines.len() as u32,
        };
    }
}

kos_sel4_sdk::main!(run);
