//! Emulator flags for one KOS BEAM instance, derived from the app's memory budget.
//!
//! KOS runs one Erlang VM per Elixir app. Stock OTP sizes itself for a server (one
//! scheduler per core, 262 144 process slots, ten dirty I/O threads, glibc left to
//! grow its arenas); this crate turns a manifest's `memory_mib` and a [`Profile`]
//! into the `erl` arguments that make an idle instance small. Every [`Flag`] says what
//! it saves; the numbers come from `tests/measure.rs` (eight idle Elixir VMs on
//! OTP 25.2 JIT, see README.md). Pure: nothing here starts a process.

#![deny(missing_docs)]

use std::fmt;
use std::str::FromStr;

/// OTP 25 rejects `+P` below this ("bad number of processes 1023").
pub const OTP_MIN_PROCESSES: u32 = 1024;
/// OTP 25 rejects `+Q` below this ("bad number of ports 1023").
pub const OTP_MIN_PORTS: u32 = 1024;
/// OTP 25 rejects `+t` below this ("bad atom table size 8191").
pub const OTP_MIN_ATOMS: u32 = 8192;
/// Floor for `+t`: plain `erl` already overflows 8192 atoms at boot, Elixir needs
/// about 10 000–11 500, and kernel, stdlib, crypto, ssl, inets and Elixir fully loaded
/// hold about 31 500 — a web dependency or two more would end the VM, hours after start
/// as modules load on demand. 262 144 costs no more than 32 768 (measured: the same PSS
/// for an idle VM; only 1 048 576 adds 2.6 MiB).
pub const APP_MIN_ATOMS: u32 = 262_144;

/// OTP's default `+P`, the ceiling for the scaled value.
const STOCK_PROCESSES: u32 = 262_144;
/// OTP's default `+Q`, the ceiling for the scaled value.
const STOCK_PORTS: u32 = 65_536;
/// OTP's default `+t`, the ceiling for the scaled value.
const STOCK_ATOMS: u32 = 1_048_576;

/// Process slots per MiB of budget: a process costs at least ~2.7 KiB, so the limit
/// stops a runaway spawn loop at about a sixth of the budget.
const PROCESSES_PER_MIB: u32 = 64;
/// Port slots per MiB of budget: a small app opens a handful of files and sockets.
const PORTS_PER_MIB: u32 = 16;
/// Atom slots per MiB of budget: an atom costs ~40–50 B, so atoms never take more
/// than about a tenth of the budget.
const ATOMS_PER_MIB: u32 = 2048;

/// How aggressively to trim the VM.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Profile {
    /// OTP's defaults: no flags at all.
    Stock,
    /// One scheduler, limits scaled from the budget, glibc and ERTS allocators tuned;
    /// `erlang:memory/0` keeps working.
    Embedded,
    /// Embedded with ERTS's own allocators off (`+Mea min`): the smallest instance and
    /// no slower than Embedded, but `erlang:memory/0,1` raises `notsup`. The default:
    /// only it meets 16 MiB PSS per instance for a real Elixir app under KOS.
    #[default]
    Minimal,
}

impl Profile {
    /// Every profile, least trimmed first.
    pub const ALL: [Profile; 3] = [Profile::Stock, Profile::Embedded, Profile::Minimal];

    /// The name used on command lines and in manifests.
    pub fn name(self) -> &'static str {
        match self {
            Profile::Stock => "stock",
            Profile::Embedded => "embedded",
            Profile::Minimal => "minimal",
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A profile name that is not `stock`, `embedded` or `minimal`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseProfileError(pub String);

impl fmt::Display for ParseProfileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown VM profile `{}` (expected stock, embedded or minimal)",
            self.0
        )
    }
}

impl std::error::Error for ParseProfileError {}

impl FromStr for Profile {
    type Err = ParseProfileError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Profile::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| ParseProfileError(s.to_owned()))
    }
}

/// One emulator flag and why it is there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flag {
    /// The flag and its values as `erl` takes them, e.g. `["+S", "1:1"]`.
    pub args: Vec<String>,
    /// What the flag saves or prevents, with the measured effect where there is one.
    pub why: &'static str,
}

impl Flag {
    fn new(args: &[&str], why: &'static str) -> Flag {
        Flag {
            args: args.iter().map(|a| a.to_string()).collect(),
            why,
        }
    }
}

/// The emulator flags for one instance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VmSettings {
    /// The profile the flags come from.
    pub profile: Profile,
    /// The app's memory budget from the manifest, in MiB.
    pub memory_mib: u32,
    /// The flags, in the order they go on the command line.
    pub flags: Vec<Flag>,
}

impl VmSettings {
    /// The flags for an app with `memory_mib` of budget (the manifest allows 8..=4096;
    /// anything else is clamped into OTP's limits rather than rejected).
    pub fn derive(memory_mib: u32, profile: Profile) -> VmSettings {
        let flags = match profile {
            Profile::Stock => Vec::new(),
            Profile::Embedded => [trimmed(memory_mib), tuned_allocators()].concat(),
            Profile::Minimal => [trimmed(memory_mib), no_allocators()].concat(),
        };
        VmSettings {
            profile,
            memory_mib,
            flags,
        }
    }

    /// Arguments for `erl` (emulator flags, in order), e.g. `["+S","1:1","+SDcpu","1:1",...]`.
    pub fn erl_args(&self) -> Vec<String> {
        self.flags.iter().flat_map(|f| f.args.clone()).collect()
    }
}

/// `+P`: scaled from the budget, rounded up to the power of two OTP uses anyway.
pub fn process_limit(memory_mib: u32) -> u32 {
    memory_mib
        .saturating_mul(PROCESSES_PER_MIB)
        .clamp(OTP_MIN_PROCESSES, STOCK_PROCESSES)
        .next_power_of_two()
}

/// `+Q`: scaled from the budget, rounded up to the power of two OTP uses anyway.
pub fn port_limit(memory_mib: u32) -> u32 {
    memory_mib
        .saturating_mul(PORTS_PER_MIB)
        .clamp(OTP_MIN_PORTS, STOCK_PORTS)
        .next_power_of_two()
}

/// `+t`: scaled from the budget, never below what an Elixir app needs to boot.
pub fn atom_limit(memory_mib: u32) -> u32 {
    memory_mib
        .saturating_mul(ATOMS_PER_MIB)
        .clamp(APP_MIN_ATOMS, STOCK_ATOMS)
}

/// The flags Embedded and Minimal share: threads, limits, code loading, glibc malloc.
fn trimmed(memory_mib: u32) -> Vec<Flag> {
    vec![
        Flag::new(
            &["+S", "1:1"],
            "one scheduler instead of one per core: a small app needs no parallelism, \
             and each scheduler costs a thread and its own allocator instances; \
             0.6-1.5 MiB PSS on a 2-core machine, more on bigger ones",
        ),
        Flag::new(
            &["+SDcpu", "1:1"],
            "one dirty CPU scheduler instead of one per core, the fewest that still \
             runs dirty NIFs; within noise on a 2-core machine, a thread per extra core",
        ),
        Flag::new(
            &["+SDio", "1"],
            "one dirty I/O scheduler instead of ten (1 is OTP's minimum): 0.5 MiB PSS",
        ),
        Flag::new(
            &["+A", "1"],
            "one async thread: OTP 25's default and floor (+A 0 is raised to 1), \
             pinned so a changed default cannot add threads",
        ),
        Flag::new(
            &["+sbwt", "none"],
            "schedulers sleep instead of spinning for work: no memory effect; stock's \
             two schedulers polling every 10 ms used 3.1% CPU per VM, 0.7% with \
             busy-waiting off; with one scheduler it is insurance for a raised +S",
        ),
        Flag::new(
            &["+sbwtdcpu", "none"],
            "dirty CPU scheduler sleeps instead of spinning when idle (CPU, not memory)",
        ),
        Flag::new(
            &["+sbwtdio", "none"],
            "dirty I/O scheduler sleeps instead of spinning when idle (CPU, not memory)",
        ),
        Flag {
            args: vec!["+P".into(), process_limit(memory_mib).to_string()],
            why: "process table scaled from the budget (64 per MiB, 1024..=262144): \
                  the table is allocated up front, stock's 262144 slots cost 2.7-3.0 \
                  MiB PSS and a small app runs ~45 processes",
        },
        Flag {
            args: vec!["+Q".into(), port_limit(memory_mib).to_string()],
            why: "port table scaled from the budget (16 per MiB, 1024..=65536): \
                  allocated up front, stock's 65536 slots cost 0.5-0.7 MiB PSS",
        },
        Flag {
            args: vec!["+t".into(), atom_limit(memory_mib).to_string()],
            why: "atom limit scaled from the budget (2048 per MiB, 262144..=1048576): \
                  costs nothing idle up to 262144 (the table grows on demand), room for \
                  OTP's and Elixir's applications fully loaded (~31500 atoms) and their \
                  dependencies; an atom leak still ends in a restart",
        },
        Flag::new(
            &["-mode", "interactive"],
            "load modules on first call (erl's default, pinned): an embedded boot \
             loads and JIT-compiles every module in the boot script, +18 MiB PSS",
        ),
        Flag::new(
            &["-env", "MALLOC_MMAP_THRESHOLD_", "16384"],
            "pins glibc's mmap threshold at 16 KiB: the JIT's temporary buffers from \
             loading code are then unmapped when freed instead of fragmenting a \
             malloc arena (glibc otherwise raises the threshold after the first \
             free); the largest single saving, 4.0-4.7 MiB PSS",
        ),
    ]
}

/// Embedded: ERTS's allocators stay on (so `erlang:memory/0` works) with fewer
/// cached carriers and big blocks in carriers of their own.
fn tuned_allocators() -> Vec<Flag> {
    vec![
        Flag::new(
            &["+MMmcs", "4"],
            "keep 4 freed carriers cached instead of 10: cached carriers stay \
             resident; 1.9 MiB PSS (0 saves 0.7 MiB more but maps and unmaps on \
             every heap growth, 1.6x slower on an allocation-heavy workload)",
        ),
        Flag::new(
            &["+Musbct", "64"],
            "blocks over 64 KiB get a carrier of their own that goes back to the OS \
             when freed, instead of holding a multiblock carrier open: 0.7-1.1 MiB \
             PSS",
        ),
    ]
}

/// Minimal: ERTS's allocators off, everything through glibc malloc.
fn no_allocators() -> Vec<Flag> {
    vec![
        Flag::new(
            &["+Mea", "min"],
            "turns off every ERTS allocator that can be turned off, so memory goes \
             through malloc (and the pinned mmap threshold) instead of pre-sized \
             carriers: 3.1 MiB PSS, 1.9 MiB less than Embedded's tuning and no \
             slower than it; erlang:memory/0,1 then raises notsup",
        ),
        Flag::new(
            &["-env", "MALLOC_ARENA_MAX", "1"],
            "one glibc malloc arena instead of up to eight per core: with +Mea min \
             every thread mallocs and each arena keeps its own free memory; \
             0.3 MiB PSS, no throughput cost measured with one scheduler",
        ),
    ]
}

#[cfg(test)]
mod test {
    use super::*;

    fn value(settings: &VmSettings, flag: &str) -> u32 {
        let f = settings
            .flags
            .iter()
            .find(|f| f.args[0] == flag)
            .unwrap_or_else(|| panic!("{flag} missing"));
        f.args[1].parse().unwrap()
    }

    #[test]
    fn stock_has_no_flags() {
        for mib in [8, 24, 4096] {
            let s = VmSettings::derive(mib, Profile::Stock);
            assert!(s.flags.is_empty());
            assert!(s.erl_args().is_empty());
        }
    }

    #[test]
    fn every_flag_says_why() {
        for profile in Profile::ALL {
            for f in VmSettings::derive(24, profile).flags {
                assert!(!f.args.is_empty());
                assert!(f.args[0].starts_with('+') || f.args[0].starts_with('-'));
                assert!(!f.why.trim().is_empty(), "{:?} has no why", f.args);
            }
        }
    }

    #[test]
    fn erl_args_is_the_flattened_flag_list() {
        let s = VmSettings::derive(24, Profile::Minimal);
        let flat: Vec<String> = s.flags.iter().flat_map(|f| f.args.clone()).collect();
        assert_eq!(s.erl_args(), flat);
        assert_eq!(&s.erl_args()[..4], ["+S", "1:1", "+SDcpu", "1:1"]);
    }

    #[test]
    fn limits_scale_with_the_budget() {
        for profile in [Profile::Embedded, Profile::Minimal] {
            let mut last = (0, 0, 0);
            for mib in [8, 16, 24, 64, 256, 1024, 4096] {
                let s = VmSettings::derive(mib, profile);
                let now = (value(&s, "+P"), value(&s, "+Q"), value(&s, "+t"));
                assert!(now.0 >= last.0 && now.1 >= last.1 && now.2 >= last.2);
                last = now;
            }
            let small = VmSettings::derive(24, profile);
            let large = VmSettings::derive(4096, profile);
            assert!(value(&small, "+P") < value(&large, "+P"));
            assert!(value(&small, "+Q") < value(&large, "+Q"));
            assert!(value(&small, "+t") < value(&large, "+t"));
        }
        assert_eq!(process_limit(24), 2048);
        assert_eq!(
            atom_limit(24),
            APP_MIN_ATOMS,
            "the floor holds for small budgets"
        );
        assert_eq!(atom_limit(256), 524_288);
    }

    #[test]
    fn limits_respect_otp_minimums_and_stock_ceilings() {
        for mib in [0, 1, 8, 4096, u32::MAX] {
            let p = process_limit(mib);
            let q = port_limit(mib);
            let t = atom_limit(mib);
            assert!(
                (OTP_MIN_PROCESSES..=STOCK_PROCESSES).contains(&p),
                "{mib}: +P {p}"
            );
            assert!((OTP_MIN_PORTS..=STOCK_PORTS).contains(&q), "{mib}: +Q {q}");
            assert!((APP_MIN_ATOMS..=STOCK_ATOMS).contains(&t), "{mib}: +t {t}");
            assert!(t >= OTP_MIN_ATOMS);
            assert!(p.is_power_of_two() && q.is_power_of_two());
        }
        assert_eq!(process_limit(8), OTP_MIN_PROCESSES);
        assert_eq!(port_limit(8), OTP_MIN_PORTS);
        assert_eq!(atom_limit(8), APP_MIN_ATOMS);
    }

    #[test]
    fn profiles_differ_only_in_the_allocator_flags() {
        let e = VmSettings::derive(24, Profile::Embedded);
        let m = VmSettings::derive(24, Profile::Minimal);
        let shared = trimmed(24).len();
        assert_eq!(e.flags[..shared], m.flags[..shared]);
        assert!(m.erl_args().windows(2).any(|w| w == ["+Mea", "min"]));
        assert!(!e.erl_args().iter().any(|a| a == "+Mea"));
    }

    #[test]
    fn profile_names_round_trip() {
        for p in Profile::ALL {
            assert_eq!(p.to_string().parse::<Profile>(), Ok(p));
        }
        assert_eq!(Profile::default(), Profile::Minimal);
        let err = "tiny".parse::<Profile>().unwrap_err();
        assert!(err.to_string().contains("`tiny`"));
    }
}
