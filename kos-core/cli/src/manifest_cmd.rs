//! `kos manifest check`, `kos manifest show` and `kos manifest limits`.

use std::fmt::Write;
use std::path::Path;

use anyhow::Result;
use kos_manifest::limits::{is_name_byte, is_name_start, LIMITS};
use kos_manifest::{AppKind, Manifest};

/// How `kos manifest limits` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LimitsFormat {
    /// A table for people.
    Text,
    /// Erlang terms, one a line, for tools: `{limit, Key, Min, Max}` and
    /// `{name_chars, First, Rest}`.
    Erlang,
}

/// The manifest's limits as `kos manifest limits` prints them.
pub fn limits(format: LimitsFormat) -> String {
    let bytes = |pred: fn(u8) -> bool| -> String {
        (0..=127u8).filter(|&b| pred(b)).map(char::from).collect()
    };
    let (first, rest) = (bytes(is_name_start), bytes(is_name_byte));
    let mut out = String::new();
    match format {
        LimitsFormat::Text => {
            for l in LIMITS {
                let _ = writeln!(
                    out,
                    "{:<14} {:>8} ..= {:<8} {}",
                    l.key, l.min, l.max, l.what
                );
            }
            let _ = writeln!(
                out,
                "{:<14} first one of [{first}], then [{rest}]",
                "name_chars"
            );
        }
        LimitsFormat::Erlang => {
            let _ = writeln!(out, "%% kos manifest limits --format erlang");
            for l in LIMITS {
                let _ = writeln!(out, "{{limit, {}, {}, {}}}.", l.key, l.min, l.max);
            }
            let _ = writeln!(out, "{{name_chars, <<\"{first}\">>, <<\"{rest}\">>}}.");
        }
    }
    out
}

/// Loads and validates; prints a one-line verdict.
pub fn check(file: &Path) -> Result<()> {
    let manifest = kos_manifest::dtc::load(file)?;
    println!(
        "{}: ok ({}, {})",
        file.display(),
        kos_root::events::count(manifest.apps.len(), "app", "apps"),
        kos_root::events::count(
            manifest.msg_servers.len(),
            "message server",
            "message servers"
        )
    );
    Ok(())
}

/// Loads, validates and prints the summary.
pub fn show(file: &Path) -> Result<()> {
    let manifest = kos_manifest::dtc::load(file)?;
    print!("{}", summary(&manifest));
    Ok(())
}

/// An `env` value as the manifest writes it.
fn env_value(value: &kos_manifest::EnvValue) -> String {
    use kos_manifest::EnvValue;
    let quoted = |t: &String| format!("{t:?}");
    match value {
        EnvValue::Integer(n) => format!("<{n}>"),
        EnvValue::Integers(ns) => {
            let ns: Vec<String> = ns.iter().map(u32::to_string).collect();
            format!("<{}>", ns.join(" "))
        }
        EnvValue::Text(t) => quoted(t),
        EnvValue::Texts(ts) => ts.iter().map(quoted).collect::<Vec<_>>().join(", "),
    }
}

/// The readable summary `kos manifest show` prints.
pub fn summary(manifest: &Manifest) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "apps (in start order):");
    for app in manifest.start_order() {
        let (kind, what, budget) = match &app.kind {
            AppKind::Native { binary, heap_kib } => (
                "native",
                format!("binary {binary}"),
                format!("heap {heap_kib} KiB"),
            ),
            AppKind::Beam { app, memory_mib } => (
                "beam",
                format!("app {app}"),
                format!("memory {memory_mib} MiB"),
            ),
        };
        let servers = if app.msg_servers.is_empty() {
            "(none)".to_string()
        } else {
            app.msg_servers.join(", ")
        };
        let r = app.restart;
        let _ = writeln!(
            out,
            "  {:<20} {kind:<6} {what}, {budget}, restart {} (at most {} in {} s), msg_servers: {servers}",
            app.name, r.mode, r.max_restarts, r.max_seconds
        );
        if !app.env.is_empty() {
            let env: Vec<String> = app
                .env
                .iter()
                .map(|e| format!("{} = {}", e.key, env_value(&e.value)))
                .collect();
            let _ = writeln!(out, "  {:<20} env {}", "", env.join("; "));
        }
        if let Some(t) = &app.tracing {
            let _ = writeln!(
                out,
                "  {:<20} tracing [{}], buffer {} KiB",
                "",
                t.categories.join(", "),
                t.buffer_kib
            );
        }
    }
    let _ = writeln!(out, "message servers:");
    if manifest.msg_servers.is_empty() {
        let _ = writeln!(out, "  (none: no app is connected to any)");
    }
    for ms in &manifest.msg_servers {
        let _ = writeln!(out, "  {}", ms.name);
        if ms.protocols.is_empty() {
            let _ = writeln!(out, "    (no protocol granted)");
        }
        for p in &ms.protocols {
            let _ = writeln!(
                out,
                "    {:<24} served by {:<16} used by {}",
                p.name,
                p.servers.join(", "),
                if p.clients.is_empty() {
                    "(nobody)".to_string()
                } else {
                    p.clients.join(", ")
                }
            );
        }
    }
    out
}
