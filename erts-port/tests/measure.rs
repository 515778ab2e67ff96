//! Measures what each profile and flag costs: eight idle Elixir VMs at a time, started
//! the way KOS starts them, PSS and RSS read from `/proc/PID/smaps_rollup` after they
//! settle. Slow (a few minutes) and machine-dependent, so ignored by default:
//!
//! ```sh
//! cargo test -p erts-port --release -- --ignored --nocapture
//! ```

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use erts_port::{Profile, VmSettings};

/// Instances running at once, as on a device with eight apps.
const INSTANCES: usize = 8;
/// The budget the profiles are derived from (the manifest example's weatherstation).
const MEMORY_MIB: u32 = 24;
/// How long the instances idle before they are measured.
const SETTLE: Duration = Duration::from_secs(3);
/// How long one instance may take to print its first line.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);
const ELIXIR_EBIN: &str = "/usr/lib/elixir/lib/elixir/ebin";
const LOGGER_EBIN: &str = "/usr/lib/elixir/lib/logger/ebin";
/// A small Elixir app is essentially this plus a supervisor.
const APP: &str =
    "application:ensure_all_started(elixir), io:format(\"ready~n\"), receive after infinity -> ok end";

/// One started VM; killed (with its process group) when dropped.
struct Instance {
    child: Child,
    beam_pid: u32,
}

impl Drop for Instance {
    fn drop(&mut self) {
        // The child leads its own process group (erl -> erlexec -> beam.smp are one
        // exec chain; erl_child_setup is forked from beam.smp), so this ends exactly
        // the processes this harness started.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Mean figures for one batch of instances.
struct Batch {
    pss_kib: f64,
    rss_kib: f64,
    startup: Duration,
}

fn erl_command(flags: &[String], eval: &str) -> Command {
    let mut cmd = Command::new("erl");
    // A VM that fails to boot must not leave erl_crash.dump in the crate.
    cmd.env("ERL_CRASH_DUMP_BYTES", "0")
        .args(["-noshell", "-noinput"])
        .args(flags)
        .args(["-pa", ELIXIR_EBIN, "-pa", LOGGER_EBIN, "-eval", eval]);
    cmd
}

/// Starts one VM and waits until the app prints its line.
fn start(flags: &[String]) -> Result<(Instance, Duration), String> {
    use std::os::unix::process::CommandExt;
    let began = Instant::now();
    let mut child = erl_command(flags, APP)
        .process_group(0)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run erl: {e}"))?;
    let (tx, rx) = mpsc::channel();
    for pipe in [
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
    ]
    .into_iter()
    .flatten()
    {
        let tx = tx.clone();
        // Drains the pipe for the VM's whole life so it never blocks on output.
        thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
    }
    let pid = child.id();
    let mut instance = Instance { child, beam_pid: 0 };
    let mut output = Vec::new();
    loop {
        match rx.recv_timeout(STARTUP_TIMEOUT) {
            Ok(line) if line == "ready" => break,
            Ok(line) => output.push(line),
            Err(_) => return Err(format!("no ready line; output: {}", output.join(" | "))),
        }
    }
    let startup = began.elapsed();
    instance.beam_pid = find_beam(pid).ok_or("no beam process under erl")?;
    Ok((instance, startup))
}

fn comm(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .unwrap_or_default()
        .trim()
        .to_owned()
}

/// `erl` is a shell script that execs erlexec, which execs beam.smp, so the child's pid
/// is normally the emulator's; a launcher that forks instead is searched too.
fn find_beam(pid: u32) -> Option<u32> {
    if comm(pid).starts_with("beam") {
        return Some(pid);
    }
    let children = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).ok()?;
    children
        .split_whitespace()
        .filter_map(|c| c.parse().ok())
        .find_map(find_beam)
}

/// Pss and Rss in KiB from `/proc/PID/smaps_rollup`.
fn pss_rss(pid: u32) -> (u64, u64) {
    let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup"))
        .unwrap_or_else(|e| panic!("smaps_rollup of {pid}: {e}"));
    let field = |name: &str| {
        rollup
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kib| kib.parse().ok())
            .unwrap_or_else(|| panic!("no {name} in smaps_rollup of {pid}"))
    };
    (field("Pss:"), field("Rss:"))
}

fn epmd_count() -> usize {
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            name.bytes().all(|b| b.is_ascii_digit()) && comm(name.parse().unwrap()) == "epmd"
        })
        .count()
}

/// Starts [`INSTANCES`] VMs one after another, lets them settle, measures, kills them.
fn measure(flags: &[String]) -> Result<Batch, String> {
    let mut running = Vec::new();
    let mut startup = Duration::ZERO;
    for _ in 0..INSTANCES {
        let (instance, took) = start(flags)?;
        startup += took;
        running.push(instance);
    }
    thread::sleep(SETTLE);
    let samples: Vec<(u64, u64)> = running.iter().map(|i| pss_rss(i.beam_pid)).collect();
    drop(running);
    let n = samples.len() as f64;
    Ok(Batch {
        pss_kib: samples.iter().map(|s| s.0 as f64).sum::<f64>() / n,
        rss_kib: samples.iter().map(|s| s.1 as f64).sum::<f64>() / n,
        startup: startup / INSTANCES as u32,
    })
}

fn mib(kib: f64) -> String {
    format!("{:.1}", kib / 1024.0)
}

fn words(s: &str) -> Vec<String> {
    s.split_whitespace().map(String::from).collect()
}

fn erl_present() -> bool {
    let found = Command::new("erl")
        .args(["-noshell", "-eval", "halt()."])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !found {
        eprintln!("skipped: `erl` is not installed");
    }
    found
}

#[test]
#[ignore = "slow: starts hundreds of VMs; run with --ignored --nocapture"]
fn measure_profiles_and_flags() {
    if !erl_present() {
        return;
    }
    let epmd_before = epmd_count();
    let minimal = VmSettings::derive(MEMORY_MIB, Profile::Minimal);
    let embedded = VmSettings::derive(MEMORY_MIB, Profile::Embedded);

    println!("\n## Profiles ({INSTANCES} idle Elixir VMs at once, memory_mib = {MEMORY_MIB})\n");
    println!("| profile | PSS MiB (mean) | RSS MiB (mean) | startup ms (mean) |");
    println!("|---|---|---|---|");
    let mut by_profile = Vec::new();
    for profile in Profile::ALL {
        let args = VmSettings::derive(MEMORY_MIB, profile).erl_args();
        let b = measure(&args).unwrap_or_else(|e| panic!("{profile}: {e}"));
        println!(
            "| {profile} | {} | {} | {} |",
            mib(b.pss_kib),
            mib(b.rss_kib),
            b.startup.as_millis()
        );
        by_profile.push(b);
    }
    let minimal_pss = by_profile[2].pss_kib;
    let embedded_pss = by_profile[1].pss_kib;
    let stock_pss = by_profile[0].pss_kib;

    println!("\n## Each profile flag left out (PSS rises by what the flag saves)\n");
    println!("| profile | flag left out | PSS MiB | flag saves MiB |");
    println!("|---|---|---|---|");
    for (settings, base) in [(&embedded, embedded_pss), (&minimal, minimal_pss)] {
        for (i, flag) in settings.flags.iter().enumerate() {
            let args: Vec<String> = settings
                .flags
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .flat_map(|(_, f)| f.args.clone())
                .collect();
            match measure(&args) {
                Ok(b) => println!(
                    "| {} | `{}` | {} | {:+.1} |",
                    settings.profile,
                    flag.args.join(" "),
                    mib(b.pss_kib),
                    (b.pss_kib - base) / 1024.0
                ),
                Err(e) => println!(
                    "| {} | `{}` | fails: {e} | |",
                    settings.profile,
                    flag.args.join(" ")
                ),
            }
        }
    }

    // Candidates measured alone on stock, and on top of Minimal.
    let on_stock = [
        "+S 1:1",
        "+SDio 1",
        "+S 1:1 +SDcpu 1:1 +SDio 1",
        "+P 1024",
        "+Q 1024",
        "+t 32768",
        "+Mea min",
        "-env MALLOC_MMAP_THRESHOLD_ 16384",
        "-env MALLOC_ARENA_MAX 1",
        "+MMmcs 4 +Musbct 64",
        "+L",
        "+hms 100",
        "+sss 32 +sssdcpu 20 +sssdio 20",
        "-mode embedded",
        "+t 8192",
    ];
    let on_minimal = [
        "+L",
        "-env MALLOC_MMAP_THRESHOLD_ 8192",
        "+hms 100 +hmbs 8192",
        "+sss 32 +sssdcpu 20 +sssdio 20",
        "+MYtt 64",
    ];
    let on_embedded = [
        "+MMmcs 0",
        "+Musmbcs 128 +Mulmbcs 1024",
        "+Muas aobf",
        "+Musbct 32",
        "-env MALLOC_ARENA_MAX 1",
        "+L",
    ];
    println!("\n## Candidate flags\n");
    println!("| on top of | candidate | PSS MiB | RSS MiB | vs base MiB |");
    println!("|---|---|---|---|---|");
    let bases: [(&str, Vec<String>, f64, &[&str]); 3] = [
        ("stock", Vec::new(), stock_pss, &on_stock),
        ("embedded", embedded.erl_args(), embedded_pss, &on_embedded),
        ("minimal", minimal.erl_args(), minimal_pss, &on_minimal),
    ];
    for (name, base_args, base_pss, candidates) in bases {
        for candidate in candidates {
            // A repeated flag: the later one wins in erl.
            let args = [base_args.clone(), words(candidate)].concat();
            match measure(&args) {
                Ok(b) => println!(
                    "| {name} | `{candidate}` | {} | {} | {:+.1} |",
                    mib(b.pss_kib),
                    mib(b.rss_kib),
                    (b.pss_kib - base_pss) / 1024.0
                ),
                Err(e) => println!("| {name} | `{candidate}` | fails: {e} | | |"),
            }
        }
    }
    assert_eq!(epmd_count(), epmd_before, "a measured VM started epmd");
}

/// Allocation-heavy work: sorting, map building, 64 KiB binaries, short-lived processes.
const WORKLOAD: &str = "W = fun() -> L = lists:seq(1, 200000), \
    lists:foreach(fun(_) -> lists:sort(lists:reverse(L)) end, lists:seq(1, 10)), \
    lists:foreach(fun(_) -> maps:from_list(lists:zip(L, L)) end, lists:seq(1, 3)), \
    lists:foreach(fun(_) -> binary:copy(<<1,2,3,4>>, 16384) end, lists:seq(1, 20000)), \
    Ps = [spawn_monitor(lists, seq, [1, 20000]) || _ <- lists:seq(1, 500)], \
    [receive {'DOWN', R, _, _, _} -> ok end || {_, R} <- Ps] end, \
    T = [element(1, timer:tc(W)) || _ <- [1, 2, 3]], \
    io:format(\"~p~n\", [lists:min(T) div 1000]), halt().";

/// Wakes every 10 ms and does a little work, like a sensor-polling app.
const POLLER: &str = "Loop = fun L() -> receive after 10 -> ok end, \
    lists:sum(lists:seq(1, 2000)), L() end, io:format(\"ready~n\"), Loop()";

/// User + system CPU ticks of a process so far.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let after_name = stat.rsplit_once(')').unwrap().1;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of stat, 12 and 13 after the name.
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

/// Mean CPU use, in percent of one core, of eight VMs running [`POLLER`] for 10 s.
fn poller_cpu(flags: &[String]) -> f64 {
    use std::os::unix::process::CommandExt;
    let mut running = Vec::new();
    for _ in 0..INSTANCES {
        let mut child = Command::new("erl")
            .env("ERL_CRASH_DUMP_BYTES", "0")
            .args(["-noshell", "-noinput"])
            .args(flags)
            .args(["-eval", POLLER])
            .process_group(0)
            .stdout(Stdio::piped())
            .spawn()
            .expect("erl");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), "ready");
        let pid = child.id();
        running.push(Instance {
            child,
            beam_pid: find_beam(pid).expect("beam"),
        });
    }
    thread::sleep(Duration::from_secs(1));
    let before: u64 = running.iter().map(|i| cpu_ticks(i.beam_pid)).sum();
    let window = Duration::from_secs(10);
    thread::sleep(window);
    let after: u64 = running.iter().map(|i| cpu_ticks(i.beam_pid)).sum();
    // Linux reports these ticks in USER_HZ, 100 per second on every supported arch.
    let seconds = (after - before) as f64 / 100.0;
    100.0 * seconds / window.as_secs_f64() / INSTANCES as f64
}

#[test]
#[ignore = "slow: CPU cost of the profiles; run with --ignored --nocapture"]
fn measure_cpu_cost() {
    if !erl_present() {
        return;
    }
    println!("\n## CPU cost\n");
    println!(
        "| flags | workload ms (best of 3, one VM) | CPU % per VM (8 VMs polling every 10 ms) |"
    );
    println!("|---|---|---|");
    let mut rows: Vec<(String, Vec<String>)> = Profile::ALL
        .iter()
        .map(|p| (p.to_string(), VmSettings::derive(MEMORY_MIB, *p).erl_args()))
        .collect();
    for extra in ["+sbwt none +sbwtdcpu none +sbwtdio none", "+MMmcs 0"] {
        let base = if extra.starts_with("+MM") {
            Profile::Embedded
        } else {
            Profile::Stock
        };
        let args = [
            VmSettings::derive(MEMORY_MIB, base).erl_args(),
            words(extra),
        ]
        .concat();
        rows.push((format!("{base} + `{extra}`"), args));
    }
    for (name, args) in rows {
        let out = erl_command(&args, WORKLOAD).output().expect("erl");
        let ms = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        println!("| {name} | {ms} | {:.1} |", poller_cpu(&args));
    }
}
