//! What every bus server does first: log lines that reach `kos run`'s log at once, and
//! publishing its protocol on the message server its manifest entry names.

use std::io::Write;

use kos_client::{Kos, Server};

/// Prints one log line and flushes it (the root server stamps it with the app's name).
pub fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    // A closed stdout must not take the server down.
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// Logs why the server cannot run and exits with status 1 (the root server's restart
/// policy decides what happens next).
pub fn fail(line: &str) -> ! {
    say(line);
    std::process::exit(1)
}

/// Publishes `protocol` on the first message server of this app and starts serving
/// it; returns the server and the message server's name. Exits with the reason when
/// it cannot.
pub fn serve_or_exit(protocol: &str) -> (Server, String) {
    let kos = Kos::from_env().unwrap_or_else(|e| fail(&e.to_string()));
    let msg_server = kos
        .msg_servers()
        .first()
        .cloned()
        .unwrap_or_else(|| fail("no message server in my manifest entry; nothing to serve on"));
    let server = msg_server
        .publish(protocol)
        .and_then(|_| msg_server.serve())
        .unwrap_or_else(|e| fail(&format!("cannot serve {protocol}: {e}")));
    (server, msg_server.name().to_string())
}
