//! The derived flags against the real `erl`: every profile is accepted by the installed
//! OTP, and an Elixir app runs under Minimal. Each test is one short-lived VM; they skip
//! with a printed reason when `erl` (or Elixir) is not installed.

use std::path::Path;
use std::process::{Command, Output};

use erts_port::{Profile, VmSettings};

const ELIXIR_EBIN: &str = "/usr/lib/elixir/lib/elixir/ebin";
const LOGGER_EBIN: &str = "/usr/lib/elixir/lib/logger/ebin";

/// Runs `erl -noshell -noinput <flags> <extra> -eval <eval>`; `None` when erl is missing.
fn erl(flags: &[String], extra: &[&str], eval: &str) -> Option<Output> {
    match Command::new("erl")
        .env("ERL_CRASH_DUMP_BYTES", "0")
        .args(["-noshell", "-noinput"])
        .args(flags)
        .args(extra)
        .args(["-eval", eval])
        .output()
    {
        Ok(out) => Some(out),
        Err(e) => {
            eprintln!("skipped: cannot run `erl` ({e})");
            None
        }
    }
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn elixir_present() -> bool {
    let present = Path::new(ELIXIR_EBIN).join("elixir.app").exists();
    if !present {
        eprintln!("skipped: Elixir is not installed at {ELIXIR_EBIN}");
    }
    present
}

#[test]
fn installed_otp_accepts_every_profile_at_every_budget() {
    for profile in Profile::ALL {
        for mib in [8, 24, 4096] {
            let args = VmSettings::derive(mib, profile).erl_args();
            let Some(out) = erl(&args, &[], "halt().") else {
                return;
            };
            assert!(
                out.status.success(),
                "{profile} at {mib} MiB: {:?} exited {}: {}",
                args,
                out.status,
                text(&out)
            );
        }
    }
}

#[test]
fn elixir_app_runs_under_minimal() {
    if !elixir_present() {
        return;
    }
    let args = VmSettings::derive(24, Profile::Minimal).erl_args();
    let eval = "application:ensure_all_started(elixir), \
                {ok, A} = 'Elixir.Agent':start_link(fun() -> 1 end), \
                1 = 'Elixir.Agent':get(A, fun(X) -> X end), \
                {ok, _} = application:ensure_all_started(logger), \
                io:format(\"loaded ~p~n\", [length(code:all_loaded())]), \
                halt().";
    let Some(out) = erl(&args, &["-pa", ELIXIR_EBIN, "-pa", LOGGER_EBIN], eval) else {
        return;
    };
    let shown = text(&out);
    assert!(out.status.success(), "exited {}: {shown}", out.status);
    assert!(shown.starts_with("loaded "), "{shown}");
}

/// The price of `+Mea min`, kept visible: code that asks the VM for its memory
/// breakdown must read `/proc` instead under Minimal.
#[test]
fn erlang_memory_works_under_embedded_but_not_minimal() {
    let eval = "io:format(\"~p~n\", [catch erlang:memory(total)]), halt().";
    let run = |profile| {
        let args = VmSettings::derive(24, profile).erl_args();
        erl(&args, &[], eval).map(|out| text(&out))
    };
    let Some(embedded) = run(Profile::Embedded) else {
        return;
    };
    assert!(embedded.trim().parse::<u64>().is_ok(), "{embedded}");
    let minimal = run(Profile::Minimal).unwrap();
    assert!(minimal.contains("notsup"), "{minimal}");
}

/// Supervisor, GenServer, Registry, Task, Agent, Logger, ETS, regex, a large binary and
/// the process limit, under the profile KOS uses when the manifest names none.
#[test]
fn small_elixir_app_runs_under_the_default_profile() {
    if !elixir_present() {
        return;
    }
    let args = VmSettings::derive(24, Profile::default()).erl_args();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/smoke.exs");
    let out = match Command::new("elixir")
        .env("ERL_CRASH_DUMP_BYTES", "0")
        .args(["--erl", &args.join(" ")])
        .arg(&script)
        .output()
    {
        Ok(out) => out,
        Err(e) => {
            eprintln!("skipped: cannot run `elixir` ({e})");
            return;
        }
    };
    let shown = text(&out);
    assert!(out.status.success(), "exited {}: {shown}", out.status);
    assert!(shown.contains("smoke ok"), "{shown}");
}
