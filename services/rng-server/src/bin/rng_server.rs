//! `rng_server`: the KOS RNG server, a native app serving `kos_rng_protocol` on every
//! message server its manifest entry connects it to.

use std::io::Write;

use kos_client::{serve, Kos, Server};
use kos_rng::protocol::PROTOCOL;
use kos_rng::service::{ReseedPolicy, RngService};
use kos_rng_server::{os_entropy, RngServer};

kos_heap::global_heap!();

fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

fn main() {
    let kos = Kos::from_env().unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(2)
    });
    let mut servers: Vec<(String, Server)> = Vec::new();
    for msg_server in kos.msg_servers() {
        match msg_server
            .publish(PROTOCOL)
            .and_then(|_| msg_server.serve())
        {
            Ok(server) => servers.push((msg_server.name().to_string(), server)),
            Err(e) => say(&format!("not serving on {}: {e}", msg_server.name())),
        }
    }
    if servers.is_empty() {
        say("no message server lets me serve kos_rng_protocol; exiting");
        std::process::exit(1);
    }
    let threads: Vec<_> = servers
        .into_iter()
        .map(|(name, server)| {
            std::thread::spawn(move || {
                // Each message server gets its own generator, seeded independently.
                let seed = os_entropy().expect("OS entropy for the seed");
                let service = RngService::new(seed, ReseedPolicy::default(), 0);
                say(&format!("serving {PROTOCOL} on {name}"));
                let log = |l: &str| say(&format!("{name}: {l}"));
                let error = serve(server, &mut RngServer::new(service, log), log);
                say(&format!("{name}: stopped serving: {error}"));
            })
        })
        .collect();
    for t in threads {
        let _ = t.join();
    }
    std::process::exit(1);
}
