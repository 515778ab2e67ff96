//! RNG requests: the two KOS ways of getting random bytes against `getrandom(2)` and
//! the raw ChaCha20 keystream, per request size.
//!
//! KOS `request_stream` (`kos_request_rng_stream`) fills requests from a generator in
//! the client, keyed by `rng_server` and rekeyed every 1 MiB or 1 s; the rekey round
//! trips fall inside the timed requests that trigger them. KOS `read_from_server` takes
//! every byte from the server, one 4 KiB read at a time. `rng_server` runs its real
//! event loop on a thread behind an in-process message server, as in the `msg`
//! benchmark. The baselines are the kernel's `getrandom(2)` (flags 0, called through
//! libc in a loop) and a ChaCha20 cipher writing its keystream in-process, from the
//! same `chacha20` crate the KOS generator runs, keyed once.
//!
//! Each request is timed on its own for the latency percentiles (so they include the
//! clock reads, whose cost the report prints), then the same number of requests runs
//! back to back under one timer for the rate.

use std::ffi::CStr;
use std::hint::black_box;
use std::io;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use chacha20::cipher::{KeyIvInit, StreamCipher, StreamCipherSeek};
use chacha20::ChaCha20;
use kos_client::MsgServer;
use kos_msg_server::hosted::HostedMsgServer;
use kos_msg_server::{AccessPolicy, ConnId};
use kos_rng::protocol::PROTOCOL;
use kos_rng::service::{ReseedPolicy, RngService};
use kos_rng_client::RngClient;

use crate::cpu::{self, Cpus, Placement};
use crate::report;
use crate::stats::Summary;

/// The app that serves [`PROTOCOL`].
const SERVER_APP: &str = "rng_server";
/// The app that asks it for bytes.
const CLIENT_APP: &str = "bench_client";
/// The request size of the latency goal.
const SMALL_GOAL_SIZE: usize = 32;
/// The request size of the rate goal.
const LARGE_GOAL_SIZE: usize = 1 << 20;
/// The rate goal: `request_stream` at this fraction of the raw keystream's rate, or more.
const LARGE_GOAL_FRACTION: f64 = 0.8;
/// Bytes one ChaCha20 key and nonce can make (2^32 blocks of 64 bytes); the raw
/// keystream restarts at its beginning before every batch.
const KEYSTREAM_BYTES: u128 = 1 << 38;

/// Options of `kos-bench rng`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Request sizes in bytes, comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = [32, 4096, 1 << 20])]
    sizes: Vec<usize>,
    /// Measured requests per size, path and round: one count for every size, or one
    /// per size in the order of --sizes. Each is made twice (timed one by one, then back
    /// to back), after a tenth as many warm-up requests.
    #[arg(long, value_delimiter = ',', default_values_t = [40_000, 4_000, 40])]
    calls: Vec<usize>,
    /// Rounds; each measures every size on every path, rotating which path goes first.
    #[arg(long, default_value_t = 10)]
    rounds: usize,
    /// Where the client and the rng_server thread run, comma-separated: one table each.
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = [Placement::SameCore])]
    placement: Vec<Placement>,
}

/// One way of getting random bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Path {
    /// KOS `request_stream`: the client-side generator keyed by the server.
    Stream,
    /// KOS `read_from_server`: every byte from the server.
    Served,
    /// The kernel's `getrandom(2)`.
    GetRandom,
    /// A ChaCha20 keystream in this thread.
    Keystream,
}

impl Path {
    const ALL: [Path; 4] = [Path::Stream, Path::Served, Path::GetRandom, Path::Keystream];

    fn label(self) -> &'static str {
        match self {
            Path::Stream => "KOS request_stream",
            Path::Served => "KOS read_from_server",
            Path::GetRandom => "getrandom(2)",
            Path::Keystream => "raw ChaCha20 keystream",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Lets [`SERVER_APP`] serve and [`CLIENT_APP`] use [`PROTOCOL`], nothing else.
struct BenchPolicy;

impl AccessPolicy for BenchPolicy {
    fn may_serve(&self, app: &str, protocol: &str) -> bool {
        app == SERVER_APP && protocol == PROTOCOL
    }
    fn may_use(&self, app: &str, protocol: &str) -> bool {
        app == CLIENT_APP && protocol == PROTOCOL
    }
}

/// An in-process message server and `rng_server`'s event loop on its own thread.
struct RngServer {
    msg_server: HostedMsgServer<BenchPolicy>,
    conn: ConnId,
    thread: Option<JoinHandle<()>>,
}

impl RngServer {
    fn start(cpu: Option<usize>, allowed: &[usize]) -> Result<RngServer> {
        let msg_server = HostedMsgServer::new("main", BenchPolicy, 4, Arc::new(|_: &str| {}));
        let ch = msg_server
            .attach(SERVER_APP)
            .context("attaching rng_server to the message server")?;
        let conn = ch.conn;
        let serving = MsgServer::new("main", ch.request, ch.event);
        serving
            .publish(PROTOCOL)
            .context("publishing the rng protocol")?;
        let server = serving.serve().context("serving the rng protocol")?;
        let seed = kos_rng_server::os_entropy().context("seeding rng_server")?;
        let service = RngService::new(seed, ReseedPolicy::default(), 0);
        let thread = cpu::spawn_pinned("rng-server", cpu, allowed, move || {
            // It returns when the message server cuts it off, which is how it stops.
            let mut service = kos_rng_server::RngServer::new(service, |_: &str| {});
            kos_client::serve(server, &mut service, |_| {});
        })?;
        Ok(RngServer {
            msg_server,
            conn,
            thread: Some(thread),
        })
    }

    /// Attaches [`CLIENT_APP`] and connects it to the server twice.
    fn clients(&self) -> Result<(RngClient, RngClient)> {
        let ch = self
            .msg_server
            .attach(CLIENT_APP)
            .context("attaching the client to the message server")?;
        let app = MsgServer::new("main", ch.request, ch.event);
        let connect = || {
            RngClient::connect_on(&app, Duration::from_secs(5))
                .context("connecting to the rng protocol")
        };
        Ok((connect()?, connect()?))
    }
}

impl Drop for RngServer {
    fn drop(&mut self) {
        // Detaching closes the server's event channel, which ends its loop.
        self.msg_server.detach(self.conn);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Every path, ready to fill buffers.
struct Sources {
    stream: RngClient,
    served: RngClient,
    keystream: ChaCha20,
    // Kept last so the clients above are gone before the server stops.
    _server: RngServer,
}

impl Sources {
    fn start(server_cpu: Option<usize>, allowed: &[usize]) -> Result<Sources> {
        let server = RngServer::start(server_cpu, allowed)?;
        let (stream, served) = server.clients()?;
        let mut key = [0u8; 32];
        getrandom(&mut key)?;
        Ok(Sources {
            stream,
            served,
            keystream: ChaCha20::new(&key.into(), &[0u8; 12].into()),
            _server: server,
        })
    }

    fn fill(&mut self, path: Path, out: &mut [u8]) -> Result<()> {
        match path {
            Path::Stream => self.stream.request_stream(out)?,
            Path::Served => self.served.read_from_server(out)?,
            Path::GetRandom => getrandom(out)?,
            Path::Keystream => self.keystream.write_keystream(out),
        }
        Ok(())
    }
}

/// Fills `out` from `getrandom(2)` with flags 0, as many calls as it takes.
fn getrandom(out: &mut [u8]) -> Result<()> {
    let mut filled = 0;
    while filled < out.len() {
        let rest = &mut out[filled..];
        // SAFETY: the kernel writes at most `rest.len()` bytes at `rest`, which we own.
        let n = unsafe { libc::getrandom(rest.as_mut_ptr().cast(), rest.len(), 0) };
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.kind() != io::ErrorKind::Interrupted {
                return Err(e).context("getrandom(2)");
            }
        } else {
            filled += n as usize;
        }
    }
    Ok(())
}

/// Every sample of one path at one request size, over all rounds.
#[derive(Default)]
struct Samples {
    /// Latency of each request timed on its own.
    ns: Vec<u64>,
    /// Time of the back-to-back requests (as many as `ns` holds).
    elapsed: Duration,
    /// Bytes per second of each round's back-to-back requests.
    round_rates: Vec<f64>,
}

/// Checks that `path` writes every byte of a `size`-byte request, then times `calls`
/// requests one by one and `calls` more back to back, into `into`.
fn measure(
    sources: &mut Sources,
    path: Path,
    buf: &mut [u8],
    calls: usize,
    into: &mut Samples,
) -> Result<()> {
    sources.keystream.seek(0u64);
    buf.fill(0);
    sources.fill(path, buf)?;
    let edge = buf.len().min(16);
    ensure!(
        buf[..edge].iter().any(|&b| b != 0) && buf[buf.len() - edge..].iter().any(|&b| b != 0),
        "{} left part of a {}-byte request unwritten",
        path.label(),
        buf.len()
    );
    for _ in 0..calls.div_ceil(10) {
        sources.fill(path, buf)?;
    }
    into.ns.reserve(calls);
    for _ in 0..calls {
        let t = Instant::now();
        sources.fill(path, black_box(&mut *buf))?;
        into.ns.push(t.elapsed().as_nanos() as u64);
    }
    let start = Instant::now();
    for _ in 0..calls {
        sources.fill(path, black_box(&mut *buf))?;
    }
    let elapsed = start.elapsed();
    into.elapsed += elapsed;
    into.round_rates
        .push((calls * buf.len()) as f64 / elapsed.as_secs_f64());
    Ok(())
}

/// Runs `kos-bench rng` and prints its report.
pub fn run(args: &Args) -> Result<()> {
    if args.rounds == 0 || args.sizes.is_empty() || args.placement.is_empty() {
        bail!("--rounds, --sizes and --placement need at least one (e.g. --rounds 10)");
    }
    let calls: Vec<usize> = match args.calls[..] {
        [all] => vec![all; args.sizes.len()],
        _ if args.calls.len() == args.sizes.len() => args.calls.clone(),
        _ => bail!(
            "--calls needs one count, or one per size ({} sizes given, {} counts)",
            args.sizes.len(),
            args.calls.len()
        ),
    };
    for (&size, &n) in args.sizes.iter().zip(&calls) {
        ensure!(size > 0 && n > 0, "sizes and counts must be at least 1");
        // Warm-up, check and both timed passes come from one keystream run.
        ensure!(
            (n as u128 * 3 + 1) * size as u128 <= KEYSTREAM_BYTES,
            "{n} requests of {size} bytes are more than one ChaCha20 run makes; lower --calls"
        );
    }
    let allowed = cpu::allowed_cpus()?;
    println!("Command: `{}`", report::command_line());
    println!(
        "Settings: {} rounds; per round, size and path, {} requests of {} bytes, timed one by one and then back to back, after a tenth as many warm-up requests",
        args.rounds,
        join(&calls),
        join(&args.sizes),
    );
    println!("Machine: {}", report::machine());
    println!(
        "getrandom(2): through glibc {} (libc::getrandom, flags 0)",
        glibc_version()
    );
    println!(
        "Clock: timing one request adds about {} ns of clock reads to its latency; the rates carry none",
        clock_ns()
    );
    for &placement in &args.placement {
        let cpus = placement.cpus(&allowed)?;
        let mut results = run_placement(args, &calls, cpus, &allowed)?;
        print_tables(&args.sizes, placement, cpus, &mut results);
    }
    Ok(())
}

/// Measures every size on every path, over all rounds, with the threads on `cpus`.
fn run_placement(
    args: &Args,
    calls: &[usize],
    cpus: Cpus,
    allowed: &[usize],
) -> Result<Vec<[Samples; 4]>> {
    // Pinned before the server starts, so the message server's threads inherit it.
    cpu::pin_current(cpus.client, allowed)?;
    let mut sources = Sources::start(cpus.server, allowed)?;
    let mut bufs: Vec<Vec<u8>> = args.sizes.iter().map(|&size| vec![0; size]).collect();
    let mut results: Vec<[Samples; 4]> = args.sizes.iter().map(|_| Default::default()).collect();
    for round in 0..args.rounds {
        for (i, (buf, samples)) in bufs.iter_mut().zip(&mut results).enumerate() {
            // Rotate which path goes first, so none always inherits the same caches or
            // the machine's quieter moments.
            for k in 0..Path::ALL.len() {
                let path = Path::ALL[(round + i + k) % Path::ALL.len()];
                measure(
                    &mut sources,
                    path,
                    buf,
                    calls[i],
                    &mut samples[path.index()],
                )
                .with_context(|| format!("measuring {}", path.label()))?;
            }
        }
    }
    Ok(results)
}

fn print_tables(sizes: &[usize], placement: Placement, cpus: Cpus, results: &mut [[Samples; 4]]) {
    println!();
    println!(
        "Placement {placement:?}: client on CPU {}, rng_server thread on CPU {}",
        cpu_name(cpus.client),
        cpu_name(cpus.server)
    );
    println!();
    println!("| request | path | p50 µs | p99 µs | requests/s | MB/s |");
    println!("|---:|:---|---:|---:|---:|---:|");
    let mut summaries = Vec::new();
    for (&size, samples) in sizes.iter().zip(results.iter_mut()) {
        let s: Vec<Summary> = samples
            .iter_mut()
            .map(|p| Summary::of(&mut p.ns, p.elapsed))
            .collect();
        for path in Path::ALL {
            let p = s[path.index()];
            println!(
                "| {} | {} | {} | {} | {} | {:.0} |",
                size_name(size),
                path.label(),
                micros(p.p50_ns),
                micros(p.p99_ns),
                count(p.calls_per_s),
                p.calls_per_s * size as f64 / 1e6,
            );
        }
        summaries.push(s);
    }
    println!();
    println!("KOS request_stream against the baselines (rate ratios above 1 and p50 ratios below 1 mean request_stream is faster):");
    println!();
    println!("| request | p50 ÷ getrandom | rate ÷ getrandom | per round | rate ÷ raw keystream | per round |");
    println!("|---:|---:|---:|---:|---:|---:|");
    for ((&size, samples), s) in sizes.iter().zip(results.iter()).zip(&summaries) {
        let stream = s[Path::Stream.index()];
        let getrandom = s[Path::GetRandom.index()];
        let raw = s[Path::Keystream.index()];
        println!(
            "| {} | {:.2}× | {:.2}× | {} | {:.2}× | {} |",
            size_name(size),
            stream.p50_ns as f64 / getrandom.p50_ns as f64,
            stream.calls_per_s / getrandom.calls_per_s,
            round_range(
                &samples[Path::Stream.index()],
                &samples[Path::GetRandom.index()]
            ),
            stream.calls_per_s / raw.calls_per_s,
            round_range(
                &samples[Path::Stream.index()],
                &samples[Path::Keystream.index()]
            ),
        );
    }
    println!();
    let at = |size| sizes.iter().position(|&s| s == size).map(|i| &summaries[i]);
    if let Some(s) = at(SMALL_GOAL_SIZE) {
        let (stream, getrandom) = (s[Path::Stream.index()], s[Path::GetRandom.index()]);
        let met = stream.p50_ns <= getrandom.p50_ns && stream.calls_per_s >= getrandom.calls_per_s;
        println!(
            "Goal: a {SMALL_GOAL_SIZE}-byte request_stream no slower than getrandom(2), in p50 and in rate: {}.",
            if met { "met" } else { "NOT met" }
        );
    }
    if let Some(s) = at(LARGE_GOAL_SIZE) {
        let fraction = s[Path::Stream.index()].calls_per_s / s[Path::Keystream.index()].calls_per_s;
        println!(
            "Goal: a {} request_stream at {:.0} % of the raw keystream's rate or more: {} ({:.1} %).",
            size_name(LARGE_GOAL_SIZE),
            LARGE_GOAL_FRACTION * 100.0,
            if fraction >= LARGE_GOAL_FRACTION { "met" } else { "NOT met" },
            fraction * 100.0
        );
    }
}

/// The lowest and highest per-round rate ratio of `kos` over `base`.
fn round_range(kos: &Samples, base: &Samples) -> String {
    let ratios: Vec<f64> = kos
        .round_rates
        .iter()
        .zip(&base.round_rates)
        .map(|(k, b)| k / b)
        .collect();
    let lo = ratios.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = ratios.iter().copied().fold(0.0, f64::max);
    format!("{lo:.2}–{hi:.2}×")
}

/// The median cost of timing an empty stretch, in nanoseconds.
fn clock_ns() -> u64 {
    let mut ns: Vec<u64> = (0..10_000)
        .map(|_| {
            let t = Instant::now();
            black_box(t.elapsed().as_nanos() as u64)
        })
        .collect();
    Summary::of(&mut ns, Duration::from_secs(1)).p50_ns
}

fn glibc_version() -> String {
    // SAFETY: glibc returns a pointer to a static NUL-terminated string.
    unsafe { CStr::from_ptr(libc::gnu_get_libc_version()) }
        .to_string_lossy()
        .into_owned()
}

fn size_name(size: usize) -> String {
    match size {
        s if s >= 1 << 20 && s % (1 << 20) == 0 => format!("{} MiB", s >> 20),
        s if s >= 1 << 10 && s % (1 << 10) == 0 => format!("{} KiB", s >> 10),
        s => format!("{s} B"),
    }
}

/// Microseconds with three significant digits or more.
fn micros(ns: u64) -> String {
    let us = ns as f64 / 1000.0;
    match us {
        u if u < 1.0 => format!("{u:.3}"),
        u if u < 10.0 => format!("{u:.2}"),
        u if u < 100.0 => format!("{u:.1}"),
        u => format!("{u:.0}"),
    }
}

fn count(per_s: f64) -> String {
    match per_s {
        n if n >= 1e6 => format!("{:.2}M", n / 1e6),
        n if n >= 1e3 => format!("{:.1}k", n / 1e3),
        n => format!("{n:.0}"),
    }
}

fn join(values: &[usize]) -> String {
    values
        .iter()
        .map(|v| v.to_string())
        .collect::<Vec<_>>()
        .join("/")
}

fn cpu_name(cpu: Option<usize>) -> String {
    cpu.map_or_else(|| "any".into(), |c| c.to_string())
}
