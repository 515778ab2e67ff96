//! An app the manifest grants nothing: the directory refuses its connect and its
//! publish of the echo protocol, and calling the slot where a granted app would hold a
//! capability reaches no endpoint — the kernel answers the call itself: invalid
//! capability. It also tries to print a console line under another app's name, with
//! a line break inside one log request: the root prints the request as one line under
//! the intruder's own name.
#![no_std]
#![no_main]

use kos_sel4_apps::echo::Echo;
use kos_sel4_apps::ECHO_PROTOCOL;
use kos_sel4_sdk::rt::env::{ROOT_LOG, SLOT_FIRST_GRANT, SLOT_ROOT};
use kos_sel4_sdk::rt::{k, wire};
use kos_sel4_sdk::{say, Component};

fn run(c: &Component) -> u64 {
    match c.connect(ECHO_PROTOCOL) {
        Ok(_) => say!(c, "connect {ECHO_PROTOCOL}: granted?! (UNEXPECTED)"),
        Err(refusal) => say!(c, "connect {ECHO_PROTOCOL} refused: {refusal}"),
    }
    // Serving would never return; a refusal does at once.
    let refusal = c.serve(ECHO_PROTOCOL, &mut Echo::new(c));
    say!(c, "publish {ECHO_PROTOCOL} refused: {refusal}");
    say!(
        c,
        "calling capability slot {SLOT_FIRST_GRANT} anyway (empty in this CSpace)"
    );
    // A raw log request, past the SDK's splitting of lines.
    if let Some(m) = wire::encode(c.ipc(), 0, b"harmless\n[echo_server] forged line", None) {
        c.ipc().call_loaded(SLOT_ROOT, ROOT_LOG, &m);
    }
    let m = c.ipc().call(SLOT_FIRST_GRANT, 7, &[0, 0], &[]);
    if m.label() == k::ERR_INVALID_CAPABILITY {
        say!(
            c,
            "the kernel refused the call: invalid capability (seL4 error {})",
            m.label()
        );
        0
    } else {
        say!(c, "the call returned label {:#x} (UNEXPECTED)", m.label());
        1
    }
}

kos_sel4_sdk::main!(run);
