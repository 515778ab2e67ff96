//! Message call round trip: a KOS `Token::call` to a protocol server against the raw
//! `SOCK_SEQPACKET` ping-pong under it.
//!
//! Both sides are a client thread and an echo thread on the same machine. The raw side
//! sends the payload bytes as they are over a socket pair; the KOS side goes through
//! everything an app pays per call: frame encoding, the server's poll over its event
//! and client channels, decoding, and the reply. The token is granted once, before any
//! timing, as an app would hold it.

use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use kos_client::{Incoming, Message, MsgServer, Server, Token, MAX_PAYLOAD};
use kos_msg_server::hosted::HostedMsgServer;
use kos_msg_server::AccessPolicy;
use kos_transport::{Channel, RECV_BUFFER};

use crate::cpu::{self, Cpus, Placement};
use crate::report;
use crate::stats::Summary;

/// The protocol the KOS echo server publishes.
const ECHO_PROTOCOL: &str = "bench_echo";
/// The app that serves [`ECHO_PROTOCOL`].
const SERVER_APP: &str = "bench_server";
/// The app that calls it.
const CLIENT_APP: &str = "bench_client";
/// The goal: KOS p50 within this factor of the raw round trip.
const P50_GOAL: f64 = 1.5;

/// Options of `kos-bench msg`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Measured calls per payload size and side, split evenly over the rounds.
    #[arg(long, default_value_t = 20_000)]
    iters: usize,
    /// Rounds; each measures every size raw and KOS, alternating which goes first.
    #[arg(long, default_value_t = 10)]
    rounds: usize,
    /// Unmeasured calls before each measured batch.
    #[arg(long, default_value_t = 1_000)]
    warmup: usize,
    /// Payload sizes in bytes, comma-separated (at most 4096 each).
    #[arg(long, value_delimiter = ',', default_values_t = [16, 256, 4096])]
    sizes: Vec<usize>,
    /// Where the client and the echo thread run, comma-separated: one table each.
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = [Placement::SameCore, Placement::CrossCore])]
    placement: Vec<Placement>,
}

/// One way of making a call round trip.
trait RoundTrip {
    /// Sends `payload`, waits for the echo and returns its length.
    fn call(&mut self, payload: &[u8]) -> Result<usize>;
    /// Like `call`, but checks the echo byte for byte (kept out of the timed loop).
    fn echoes(&mut self, payload: &[u8]) -> Result<bool>;
}

/// The baseline: a socket pair and a thread that sends back what it receives.
struct Raw {
    sock: Channel,
    buf: Box<[u8; RECV_BUFFER]>,
    echo: Option<JoinHandle<()>>,
}

impl Raw {
    fn start(echo_cpu: Option<usize>, allowed: &[usize]) -> Result<Raw> {
        let (sock, theirs) = Channel::pair().context("making the raw socket pair")?;
        let echo = cpu::spawn_pinned("raw-echo", echo_cpu, allowed, move || raw_echo(theirs))?;
        Ok(Raw {
            sock,
            buf: Box::new([0; RECV_BUFFER]),
            echo: Some(echo),
        })
    }
}

fn raw_echo(sock: Channel) {
    let mut buf = vec![0u8; RECV_BUFFER];
    while let Ok(r) = sock.recv_bytes(&mut buf) {
        if r.closed || sock.send_bytes(&buf[..r.len], None).is_err() {
            break;
        }
    }
}

impl RoundTrip for Raw {
    fn call(&mut self, payload: &[u8]) -> Result<usize> {
        self.sock.send_bytes(payload, None)?;
        let r = self.sock.recv_bytes(&mut self.buf[..])?;
        ensure!(!r.closed, "the raw echo thread closed its end");
        Ok(r.len)
    }

    fn echoes(&mut self, payload: &[u8]) -> Result<bool> {
        let len = self.call(payload)?;
        Ok(self.buf[..len] == *payload)
    }
}

impl Drop for Raw {
    fn drop(&mut self) {
        // Closing our end ends the echo thread's loop.
        let _ = self.sock.shutdown();
        if let Some(echo) = self.echo.take() {
            let _ = echo.join();
        }
    }
}

/// Lets [`SERVER_APP`] serve and [`CLIENT_APP`] use [`ECHO_PROTOCOL`], nothing else.
struct BenchPolicy;

impl AccessPolicy for BenchPolicy {
    fn may_serve(&self, app: &str, protocol: &str) -> bool {
        app == SERVER_APP && protocol == ECHO_PROTOCOL
    }
    fn may_use(&self, app: &str, protocol: &str) -> bool {
        app == CLIENT_APP && protocol == ECHO_PROTOCOL
    }
}

/// KOS: an in-process message server, an echo server app and a client app's token.
struct Kos {
    token: Option<Token>,
    server: Option<JoinHandle<()>>,
    // Kept last so it outlives the apps' channels while they shut down.
    _msg_server: HostedMsgServer<BenchPolicy>,
}

impl Kos {
    fn start(echo_cpu: Option<usize>, allowed: &[usize]) -> Result<Kos> {
        let msg_server = HostedMsgServer::new("main", BenchPolicy, 4, Arc::new(|_: &str| {}));
        let app = |name: &str| -> Result<Arc<MsgServer>> {
            let ch = msg_server
                .attach(name)
                .with_context(|| format!("attaching {name} to the message server"))?;
            Ok(MsgServer::new("main", ch.request, ch.event))
        };
        let serving = app(SERVER_APP)?;
        serving
            .publish(ECHO_PROTOCOL)
            .context("publishing the echo protocol")?;
        let server = serving.serve().context("serving the echo protocol")?;
        let server = cpu::spawn_pinned("kos-echo", echo_cpu, allowed, move || kos_echo(server))?;
        let token = app(CLIENT_APP)?
            .connect(ECHO_PROTOCOL)
            .context("connecting to the echo protocol")?;
        Ok(Kos {
            token: Some(token),
            server: Some(server),
            _msg_server: msg_server,
        })
    }

    fn token(&mut self) -> &mut Token {
        self.token.as_mut().expect("the token lives until drop")
    }
}

/// Replies to every call with its own label and payload until the client goes.
fn kos_echo(mut server: Server) {
    loop {
        match server.next(None) {
            Ok(Some(Incoming::Call { reply_to, msg, .. })) => {
                let reply = Message::new(msg.label, &msg.payload);
                if server.reply(reply_to, reply).is_err() {
                    return;
                }
            }
            Ok(Some(Incoming::Disconnected(_))) | Err(_) => return,
            Ok(_) => {}
        }
    }
}

impl RoundTrip for Kos {
    fn call(&mut self, payload: &[u8]) -> Result<usize> {
        let len = self
            .token()
            .call_with(Message::new(1, payload), None, |reply| reply.payload.len())?;
        Ok(len)
    }

    fn echoes(&mut self, payload: &[u8]) -> Result<bool> {
        Ok(self.token().call(Message::new(1, payload))?.payload == payload)
    }
}

impl Drop for Kos {
    fn drop(&mut self) {
        // Giving the token back closes its channel: the server sees the client go.
        drop(self.token.take());
        if let Some(server) = self.server.take() {
            let _ = server.join();
        }
    }
}

/// Every sample of one side at one payload size, over all rounds.
#[derive(Default)]
struct Samples {
    ns: Vec<u64>,
    elapsed: Duration,
    /// The median of each round, to show how much the rounds disagree.
    round_p50s: Vec<u64>,
}

/// Warms `side` up, then times `iters` calls into `into`.
fn measure(
    side: &mut impl RoundTrip,
    payload: &[u8],
    warmup: usize,
    iters: usize,
    into: &mut Samples,
) -> Result<()> {
    ensure!(side.echoes(payload)?, "the echo came back altered");
    for _ in 0..warmup {
        side.call(payload)?;
    }
    let first = into.ns.len();
    into.ns.reserve(iters);
    let start = Instant::now();
    for _ in 0..iters {
        let t = Instant::now();
        let len = side.call(payload)?;
        into.ns.push(t.elapsed().as_nanos() as u64);
        ensure!(
            len == payload.len(),
            "echoed {len} bytes of {}",
            payload.len()
        );
    }
    into.elapsed += start.elapsed();
    let mut round = into.ns[first..].to_vec();
    into.round_p50s
        .push(Summary::of(&mut round, Duration::from_secs(1)).p50_ns);
    Ok(())
}

/// Runs `kos-bench msg` and prints its report.
pub fn run(args: &Args) -> Result<()> {
    if args.rounds == 0 || args.iters == 0 || args.sizes.is_empty() || args.placement.is_empty() {
        bail!("--rounds, --iters, --sizes and --placement need at least one (e.g. --rounds 10 --iters 20000)");
    }
    if let Some(too_big) = args.sizes.iter().find(|&&s| s > MAX_PAYLOAD) {
        bail!("payload size {too_big} is over the {MAX_PAYLOAD}-byte limit of a message");
    }
    let allowed = cpu::allowed_cpus()?;
    let per_round = args.iters.div_ceil(args.rounds);
    println!("Command: `{}`", report::command_line());
    println!(
        "Settings: {} rounds × {per_round} measured calls per size and side, {} warm-up calls before each",
        args.rounds, args.warmup
    );
    println!("Machine: {}", report::machine());
    for &placement in &args.placement {
        let cpus = placement.cpus(&allowed)?;
        let mut results = run_placement(args, per_round, cpus, &allowed)?;
        print_table(args, placement, cpus, &mut results);
    }
    println!();
    println!(
        "Goal: KOS p50 within {P50_GOAL}× of the raw round trip. A calls/s ratio below 1 means KOS does fewer calls per second."
    );
    Ok(())
}

/// Measures every size, raw and KOS, over all rounds with the threads placed on `cpus`.
fn run_placement(
    args: &Args,
    per_round: usize,
    cpus: Cpus,
    allowed: &[usize],
) -> Result<Vec<(Samples, Samples)>> {
    let payloads: Vec<Vec<u8>> = args
        .sizes
        .iter()
        .map(|&size| (0..size).map(|i| i as u8).collect())
        .collect();
    // Pinned before the echo threads start, so the message server's threads inherit it.
    cpu::pin_current(cpus.client, allowed)?;
    let mut raw = Raw::start(cpus.server, allowed)?;
    let mut kos = Kos::start(cpus.server, allowed)?;
    let mut results: Vec<(Samples, Samples)> =
        args.sizes.iter().map(|_| Default::default()).collect();
    for round in 0..args.rounds {
        for (payload, (raw_samples, kos_samples)) in payloads.iter().zip(&mut results) {
            // Alternate which side goes first, so neither always inherits the other's
            // warm caches or the machine's quieter moments.
            if round % 2 == 0 {
                measure(&mut raw, payload, args.warmup, per_round, raw_samples)?;
                measure(&mut kos, payload, args.warmup, per_round, kos_samples)?;
            } else {
                measure(&mut kos, payload, args.warmup, per_round, kos_samples)?;
                measure(&mut raw, payload, args.warmup, per_round, raw_samples)?;
            }
        }
    }
    Ok(results)
}

fn print_table(args: &Args, placement: Placement, cpus: Cpus, results: &mut [(Samples, Samples)]) {
    println!();
    println!(
        "Placement {placement:?}: client on CPU {}, echo thread on CPU {}",
        cpu_name(cpus.client),
        cpu_name(cpus.server)
    );
    println!();
    println!("| payload | raw p50 µs | raw p99 µs | raw calls/s | KOS p50 µs | KOS p99 µs | KOS calls/s | KOS/raw p50 | KOS/raw calls/s | p50 ratio per round |");
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (size, (raw, kos)) in args.sizes.iter().zip(results.iter_mut()) {
        let r = Summary::of(&mut raw.ns, raw.elapsed);
        let k = Summary::of(&mut kos.ns, kos.elapsed);
        let per_round: Vec<f64> = raw
            .round_p50s
            .iter()
            .zip(&kos.round_p50s)
            .map(|(&r, &k)| k as f64 / r as f64)
            .collect();
        let lo = per_round.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = per_round.iter().copied().fold(0.0, f64::max);
        println!(
            "| {size} B | {} | {} | {} | {} | {} | {} | {:.2}× | {:.2}× | {lo:.2}–{hi:.2}× |",
            micros(r.p50_ns),
            micros(r.p99_ns),
            rate(r.calls_per_s),
            micros(k.p50_ns),
            micros(k.p99_ns),
            rate(k.calls_per_s),
            k.p50_ns as f64 / r.p50_ns as f64,
            k.calls_per_s / r.calls_per_s,
        );
    }
}

fn micros(ns: u64) -> String {
    format!("{:.1}", ns as f64 / 1000.0)
}

fn rate(per_s: f64) -> String {
    format!("{:.0}k", per_s / 1000.0)
}

fn cpu_name(cpu: Option<usize>) -> String {
    cpu.map_or_else(|| "any".into(), |c| c.to_string())
}
