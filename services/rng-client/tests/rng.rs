//! The RNG client against a real `rng_server` loop and message server, in one process.

use std::collections::HashSet;
use std::sync::Arc;
use std::thread;

use kos_client::{Error, Kos, MsgServer, Refusal};
use kos_msg_server::hosted::HostedMsgServer;
use kos_msg_server::AccessPolicy;
use kos_rng::protocol::PROTOCOL;
use kos_rng::service::{ReseedPolicy, RngService};
use kos_rng_client::{RngClient, REKEY_BYTES};

/// `rng_server` serves the protocol; apps named `client*` may use it; nobody else.
struct Matrix;
impl AccessPolicy for Matrix {
    fn may_serve(&self, app: &str, protocol: &str) -> bool {
        app == "rng_server" && protocol == PROTOCOL
    }
    fn may_use(&self, app: &str, protocol: &str) -> bool {
        app.starts_with("client") && protocol == PROTOCOL
    }
}

struct System {
    msg: HostedMsgServer<Matrix>,
}

impl System {
    fn boot() -> System {
        let msg = HostedMsgServer::new("main", Matrix, 64, Arc::new(|_: &str| {}));
        let server = app(&msg, "rng_server");
        server.publish(PROTOCOL).unwrap();
        let serving = server.serve().unwrap();
        let seed = kos_rng_server::os_entropy().unwrap();
        thread::spawn(move || {
            let service = RngService::new(seed, ReseedPolicy::default(), 0);
            kos_client::serve(
                serving,
                &mut kos_rng_server::RngServer::new(service, |_: &str| {}),
                |_| {},
            )
        });
        System { msg }
    }

    fn kos(&self, name: &str) -> Kos {
        Kos::from_channels(name, vec![app(&self.msg, name)])
    }
}

fn app(msg: &HostedMsgServer<Matrix>, name: &str) -> Arc<MsgServer> {
    let ch = msg.attach(name).unwrap();
    MsgServer::new("main", ch.request, ch.event)
}

#[test]
fn many_concurrent_clients_are_all_answered_with_pairwise_distinct_bytes() {
    let sys = System::boot();
    let clients: Vec<_> = (0..8)
        .map(|i| {
            let kos = sys.kos(&format!("client{i}"));
            thread::spawn(move || {
                let mut rng = RngClient::connect(&kos).unwrap();
                let mut chunks = Vec::new();
                for round in 0..200 {
                    let mut local = [0u8; 32];
                    rng.request_stream(&mut local).unwrap();
                    chunks.push(local.to_vec());
                    let mut served = vec![0u8; 32 + round];
                    rng.read_from_server(&mut served).unwrap();
                    chunks.push(served);
                }
                chunks
            })
        })
        .collect();
    let mut seen = HashSet::new();
    let mut total = 0;
    for client in clients {
        for chunk in client.join().unwrap() {
            // Compare 32-byte windows: no two outputs anywhere share one.
            assert!(
                seen.insert(chunk[..32].to_vec()),
                "a repeated 32-byte output"
            );
            total += 1;
        }
    }
    assert_eq!(total, 8 * 200 * 2);
}

#[test]
fn a_client_the_manifest_does_not_grant_is_refused_and_others_are_served() {
    let sys = System::boot();
    let intruder = sys.kos("intruder");
    assert!(matches!(
        RngClient::connect(&intruder),
        Err(Error::Refused(Refusal::NotGranted))
    ));
    let mut rng = RngClient::connect(&sys.kos("client")).unwrap();
    let mut buf = [0u8; 64];
    rng.read_from_server(&mut buf).unwrap();
    assert_ne!(buf, [0u8; 64]);
}

#[test]
fn streams_of_any_length_cross_rekeys_without_repeating() {
    let sys = System::boot();
    let mut rng = RngClient::connect(&sys.kos("client")).unwrap();
    for len in [0usize, 1, 31, 4096, 4097, 100_000] {
        let mut buf = vec![0u8; len];
        rng.request_stream(&mut buf).unwrap();
        rng.read_from_server(&mut buf).unwrap();
    }
    // Three rekeys' worth in one request, then check for repeated 16-byte blocks.
    let mut big = vec![0u8; 3 * REKEY_BYTES as usize + 12_345];
    rng.request_stream(&mut big).unwrap();
    let blocks: HashSet<&[u8]> = big.chunks_exact(16).collect();
    assert_eq!(blocks.len(), big.len() / 16);
}

/// After `fork(2)`, parent and child hold copies of one generator; the child must
/// re-key instead of repeating the bytes the parent draws next.
#[test]
fn a_forked_child_does_not_repeat_its_parents_bytes() {
    let sys = System::boot();
    let kos = sys.kos("client");
    let mut rng = RngClient::connect(&kos).unwrap();
    let mut warm = [0u8; 32];
    rng.request_stream(&mut warm).unwrap();

    let mut pipe = [0i32; 2];
    assert_eq!(unsafe { libc::pipe(pipe.as_mut_ptr()) }, 0);
    // SAFETY: the child only draws bytes (its re-key is answered by the server thread
    // of the parent, over the channel both share), writes them and exits.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        unsafe { libc::alarm(10) };
        let mut mine = [0u8; 64];
        let ok = rng.request_stream(&mut mine).is_ok();
        let written = unsafe { libc::write(pipe[1], mine.as_ptr().cast(), mine.len()) };
        unsafe { libc::_exit(if ok && written == 64 { 0 } else { 1 }) };
    }
    unsafe { libc::close(pipe[1]) };
    let mut status = 0;
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "child failed: {status}"
    );
    let mut childs = [0u8; 64];
    let read = unsafe { libc::read(pipe[0], childs.as_mut_ptr().cast(), childs.len()) };
    unsafe { libc::close(pipe[0]) };
    assert_eq!(read, 64);

    let mut parents = [0u8; 64];
    rng.request_stream(&mut parents).unwrap();
    assert_ne!(childs, parents, "the child repeated the parent's stream");
}
