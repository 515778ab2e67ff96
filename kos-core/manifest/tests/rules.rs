//! Every validation rule against the real `dtc`: one fixture file per rule under
//! `tests/fixtures/invalid/<rule id>.dts`, plus inline variants for the other ways to
//! break the same rule. Each row names the rule and the node path the error must
//! carry; adding a rule means adding a fixture and one row.
#![cfg(feature = "std")]

mod common;

use kos_manifest::{Manifest, Rule};

/// Where a row's blob comes from.
enum Source {
    /// `tests/fixtures/invalid/<rule id>.dts`.
    Fixture,
    /// The inside of the root node (after `compatible`), compiled from a scratch file.
    Body(&'static str),
    /// A whole source file, compiled from a scratch file.
    Dts(&'static str),
    /// Raw bytes, for what dtc cannot produce.
    Blob(fn() -> Vec<u8>),
}

struct Case {
    /// Unique name: the scratch file name, and what a failure report shows.
    name: &'static str,
    source: Source,
    rule: Rule,
    path: &'static str,
}

const fn fixture(rule: Rule, path: &'static str) -> Case {
    Case {
        name: "",
        source: Source::Fixture,
        rule,
        path,
    }
}

const fn body(name: &'static str, rule: Rule, path: &'static str, body: &'static str) -> Case {
    Case {
        name,
        source: Source::Body(body),
        rule,
        path,
    }
}

const fn dts(name: &'static str, rule: Rule, path: &'static str, dts: &'static str) -> Case {
    Case {
        name,
        source: Source::Dts(dts),
        rule,
        path,
    }
}

const fn blob(name: &'static str, rule: Rule, path: &'static str, f: fn() -> Vec<u8>) -> Case {
    Case {
        name,
        source: Source::Blob(f),
        rule,
        path,
    }
}

const P: &str = "/msg_servers/main/dir_access_control/p";

/// An app `a` and an app `b`, both connected to `main`, and `main` with protocol `p`
/// whose properties are spliced in: keeps the matrix rows below to one line.
macro_rules! matrix {
    ($p:literal) => {
        concat!(
            "msg_servers { main { dir_access_control { p { ",
            $p,
            " }; }; }; };\n",
            "apps {\n",
            r#"  a { kind = "native"; binary = "a"; heap_kib = <64>; msg_servers = "main"; };"#,
            r#"  b { kind = "native"; binary = "b"; heap_kib = <64>; msg_servers = "main"; };"#,
            "};"
        )
    };
}

/// One app `a` with the given properties after `kind`.
macro_rules! app {
    ($props:literal) => {
        concat!("apps { a { ", $props, " }; };")
    };
}

const CASES: &[Case] = &[
    // One row per fixture file.
    blob("not_a_device_tree", Rule::NotADeviceTree, "/", || {
        b"/dts-v1/; / { };".to_vec()
    }),
    fixture(Rule::Compatible, "/"),
    fixture(Rule::MissingNode, "/apps"),
    fixture(Rule::MissingProperty, "/apps/hello"),
    fixture(Rule::BadValue, "/apps/hello"),
    fixture(Rule::PropertyNotForKind, "/apps/hello"),
    fixture(Rule::BudgetOutOfRange, "/apps/hello"),
    fixture(Rule::BadName, "/apps/Hello"),
    fixture(Rule::Duplicate, "/msg_servers/main/dir_access_control/hello_protocol"),
    fixture(Rule::UnknownMsgServer, "/apps/hello"),
    fixture(Rule::UnknownApp, "/msg_servers/main/dir_access_control/hello_protocol"),
    fixture(Rule::NotConnected, "/msg_servers/main/dir_access_control/hello_protocol"),
    fixture(Rule::ServerCount, "/msg_servers/main/dir_access_control/hello_protocol"),
    fixture(Rule::RootMisuse, "/msg_servers/main/dir_access_control/hello_protocol"),
    fixture(Rule::MissingAccessControl, "/msg_servers/main"),
    fixture(Rule::Unknown, "/apps/a"),
    body("unknown_node_under_an_app", Rule::Unknown, "/apps/a", app!(r#"kind = "native"; binary = "a"; heap_kib = <64>; tracng { buffer_kib = <64>; };"#)),
    body("unknown_bus_property", Rule::Unknown, "/apps/a/i2c_bus", app!(r#"kind = "native"; binary = "a"; heap_kib = <64>; i2c_bus { speed = <400000>; };"#)),
    body("unknown_top_node", Rule::Unknown, "/", r#"apps { a { kind = "native"; binary = "a"; heap_kib = <64>; }; }; msgservers { };"#),
    body("unknown_protocol_property", Rule::Unknown, "/msg_servers/main/dir_access_control/p", r#"msg_servers { main { dir_access_control { p { servers = "a"; client = "a"; }; }; }; }; apps { a { kind = "native"; binary = "a"; heap_kib = <64>; msg_servers = "main"; }; };"#),
    // Other ways to break the same rules.
    blob("empty_blob", Rule::NotADeviceTree, "/", Vec::new),
    blob("truncated_blob", Rule::NotADeviceTree, "/", || {
        let blob = common::compile_fixture("valid/example.dts");
        blob[..blob.len() / 2].to_vec()
    }),
    dts("compatible_missing", Rule::Compatible, "/", r#"/dts-v1/; / { apps { a { kind = "native"; binary = "a"; heap_kib = <64>; }; }; };"#),
    dts("compatible_not_strings", Rule::Compatible, "/", r#"/dts-v1/; / { compatible = <10>; apps { a { kind = "native"; binary = "a"; heap_kib = <64>; }; }; };"#),
    body("apps_empty", Rule::MissingNode, "/apps", "apps { };"),
    body("binary_outside_the_binary_directory", Rule::BadValue, "/apps/a", app!(r#"kind = "native"; binary = "../../bin/sh"; heap_kib = <64>;"#)),
    body("binary_absolute", Rule::BadValue, "/apps/a", app!(r#"kind = "native"; binary = "/bin/sh"; heap_kib = <64>;"#)),
    body("app_that_is_code", Rule::BadValue, "/apps/a", app!(r#"kind = "beam"; app = "x'), os:cmd('id'), ('"; memory_mib = <48>;"#)),
    body("env_on_a_native_app", Rule::PropertyNotForKind, "/apps/a/env", app!(r#"kind = "native"; binary = "a"; heap_kib = <64>; env { interval_ms = <5>; };"#)),
    body("env_key_not_an_atom", Rule::BadName, "/apps/a/env", app!(r#"kind = "beam"; app = "a"; memory_mib = <48>; env { Interval-Ms = <5>; };"#)),
    body("env_value_odd_bytes", Rule::BadValue, "/apps/a/env", app!(r#"kind = "beam"; app = "a"; memory_mib = <48>; env { level = [01 02 03]; };"#)),
    body("env_value_empty", Rule::BadValue, "/apps/a/env", app!(r#"kind = "beam"; app = "a"; memory_mib = <48>; env { flag; };"#)),
    body("env_child_node", Rule::BadValue, "/apps/a/env", app!(r#"kind = "beam"; app = "a"; memory_mib = <48>; env { nested { x = <1>; }; };"#)),
    body("bus_backend_unknown", Rule::BadValue, "/apps/a/i2c_bus", app!(r#"kind = "native"; binary = "a"; heap_kib = <64>; i2c_bus { backend = "gpio"; };"#)),
    body("bus_linux_no_device", Rule::MissingProperty, "/apps/a/can_bus", app!(r#"kind = "native"; binary = "a"; heap_kib = <64>; can_bus { backend = "linux"; };"#)),
    body("bus_speed_range", Rule::BadValue, "/apps/a/i2c_bus", app!(r#"kind = "native"; binary = "a"; heap_kib = <64>; i2c_bus { speed_hz = <5000000>; };"#)),
    body("bitrate_range", Rule::BadValue, "/apps/a/can_bus", app!(r#"kind = "native"; binary = "a"; heap_kib = <64>; can_bus { bitrate = <2000000>; };"#)),
    body("i2c_address_8bit", Rule::BadValue, "/apps/a", app!(r#"kind = "beam"; app = "a"; memory_mib = <8>; i2c_addresses = <0x76 0xec>;"#)),
    body("i2c_address_general_call", Rule::BadValue, "/apps/a", app!(r#"kind = "beam"; app = "a"; memory_mib = <8>; i2c_addresses = <0x00>;"#)),
    body("i2c_address_ten_bit", Rule::BadValue, "/apps/a", app!(r#"kind = "beam"; app = "a"; memory_mib = <8>; i2c_addresses = <0x78>;"#)),
    body("i2c_clients_over_16", Rule::BadValue, "/apps", r#"apps { a0 { kind = "beam"; app = "a"; memory_mib = <8>; i2c_addresses = <0x10>; }; a1 { kind = "beam"; app = "a"; memory_mib = <8>; i2c_addresses = <0x11>; }; a2 { kind = "beam"; app = "a"; memory_mib = <8>; i2c_addresses = <0x12>; }; a3 { kind = "beam"; app = "a"; memory_mib = <8>; i2c_addresses = <0x13>; }; a4 { kind = "beam"; app = "a"; memory_mib = <8>; i2c_addresses = <0x14>; }; a5 { kind = "beam"; app = "a"; memory_mib = <8>; i2c_addresses = <0x15>; }; a6 { kind = "beam"; app = "a"; memory_mib = <8>; i2c_addresses = <0x16>; }; a7 { kind = "beam"; app = "a"; memory_mib = <8>; i2c_addresses = <0x17>; }; a8 { kind = "beam"; app = "a"; memory_mib = <8>; i2c_addresses = <0x18>; }; a9 { kind = "beam"; app = "a"; memory_mib = <8>; i2c_addresses = <0x19>; }; a10 { kind = "beam"; app = "a"; memory_mib = <8>; i2c_addresses = <0x1a>; }; a11 { kind = "beam"; app = "a"; memory_mib = <8>; i2c_addresses = <0x1b>; }; a12 { kind = "beam"; app = "a"; memory_mib = <8>; i2c_addresses = <0x1c>; }; a13 { kind = "beam"; app = "a"; memory_mib = <8>; i2c_addresses = <0x1d>; }; a14 { kind = "beam"; app = "a"; memory_mib = <8>; i2c_addresses = <0x1e>; }; a15 { kind = "beam"; app = "a"; memory_mib = <8>; i2c_addresses = <0x1f>; }; a16 { kind = "beam"; app = "a"; memory_mib = <8>; i2c_addresses = <0x20>; }; };"#),
    body("i2c_address_twice", Rule::Duplicate, "/apps/a", app!(r#"kind = "beam"; app = "a"; memory_mib = <8>; i2c_addresses = <0x76 0x76>;"#)),
    body("i2c_addresses_string", Rule::BadValue, "/apps/a", app!(r#"kind = "beam"; app = "a"; memory_mib = <8>; i2c_addresses = "0x76";"#)),
    body("kind_missing", Rule::MissingProperty, "/apps/a", app!(r#"binary = "a"; heap_kib = <64>;"#)),
    body("binary_missing", Rule::MissingProperty, "/apps/a", app!(r#"kind = "native"; heap_kib = <64>;"#)),
    body("app_missing", Rule::MissingProperty, "/apps/a", app!(r#"kind = "beam"; memory_mib = <8>;"#)),
    body("memory_missing", Rule::MissingProperty, "/apps/a", app!(r#"kind = "beam"; app = "a";"#)),
    body("heap_two_cells", Rule::BadValue, "/apps/a", app!(r#"kind = "native"; binary = "a"; heap_kib = <64 0>;"#)),
    body("heap_string", Rule::BadValue, "/apps/a", app!(r#"kind = "native"; binary = "a"; heap_kib = "64";"#)),
    body("heap_byte", Rule::BadValue, "/apps/a", app!(r#"kind = "native"; binary = "a"; heap_kib = /bits/ 8 <64>;"#)),
    body("binary_not_string", Rule::BadValue, "/apps/a", app!(r#"kind = "native"; binary = <1>; heap_kib = <64>;"#)),
    body("binary_two_strings", Rule::BadValue, "/apps/a", app!(r#"kind = "native"; binary = "a", "b"; heap_kib = <64>;"#)),
    body("binary_empty", Rule::BadValue, "/apps/a", app!(r#"kind = "native"; binary = ""; heap_kib = <64>;"#)),
    body("kind_not_utf8", Rule::BadValue, "/apps/a", app!(r#"kind = [ff 00]; binary = "a"; heap_kib = <64>;"#)),
    body("kind_boolean", Rule::BadValue, "/apps/a", app!(r#"kind; binary = "a"; heap_kib = <64>;"#)),
    body("restart_unknown", Rule::BadValue, "/apps/a", app!(r#"kind = "native"; binary = "a"; heap_kib = <64>; restart = "always";"#)),
    body("max_seconds_zero", Rule::BadValue, "/apps/a", app!(r#"kind = "native"; binary = "a"; heap_kib = <64>; max_seconds = <0>;"#)),
    body("backoff_inverted", Rule::BadValue, "/apps/a", app!(r#"kind = "native"; binary = "a"; heap_kib = <64>; backoff_ms = <200>; backoff_max_ms = <100>;"#)),
    body("msg_servers_empty_name", Rule::BadValue, "/apps/a", app!(r#"kind = "native"; binary = "a"; heap_kib = <64>; msg_servers = "";"#)),
    body("tracing_buffer_string", Rule::BadValue, "/apps/a/tracing", app!(r#"kind = "native"; binary = "a"; heap_kib = <64>; tracing { buffer_kib = "large"; };"#)),
    body("app_on_native", Rule::PropertyNotForKind, "/apps/a", app!(r#"kind = "native"; binary = "a"; heap_kib = <64>; app = "a";"#)),
    body("memory_on_native", Rule::PropertyNotForKind, "/apps/a", app!(r#"kind = "native"; binary = "a"; heap_kib = <64>; memory_mib = <8>;"#)),
    body("binary_on_beam", Rule::PropertyNotForKind, "/apps/a", app!(r#"kind = "beam"; app = "a"; memory_mib = <8>; binary = "a";"#)),
    body("heap_too_small", Rule::BudgetOutOfRange, "/apps/a", app!(r#"kind = "native"; binary = "a"; heap_kib = <63>;"#)),
    body("heap_too_large", Rule::BudgetOutOfRange, "/apps/a", app!(r#"kind = "native"; binary = "a"; heap_kib = <1048577>;"#)),
    body("memory_too_large", Rule::BudgetOutOfRange, "/apps/a", app!(r#"kind = "beam"; app = "a"; memory_mib = <4097>;"#)),
    body("trace_buffer_too_small", Rule::BudgetOutOfRange, "/apps/a/tracing", app!(r#"kind = "native"; binary = "a"; heap_kib = <64>; tracing { buffer_kib = <3>; };"#)),
    body("trace_buffer_too_large", Rule::BudgetOutOfRange, "/apps/a/tracing", app!(r#"kind = "native"; binary = "a"; heap_kib = <64>; tracing { buffer_kib = <65537>; };"#)),
    body("app_named_root", Rule::BadName, "/apps/_root", r#"apps { _root { kind = "native"; binary = "a"; heap_kib = <64>; }; };"#),
    body("app_underscore", Rule::BadName, "/apps/_a", r#"apps { _a { kind = "native"; binary = "a"; heap_kib = <64>; }; };"#),
    body("app_digit_first", Rule::BadName, "/apps/1a", r#"apps { 1a { kind = "native"; binary = "a"; heap_kib = <64>; }; };"#),
    body("app_unit_address", Rule::BadName, "/apps/a@1", r#"apps { a@1 { kind = "native"; binary = "a"; heap_kib = <64>; }; };"#),
    body("app_dash", Rule::BadName, "/apps/a-b", r#"apps { a-b { kind = "native"; binary = "a"; heap_kib = <64>; }; };"#),
    body("app_33_chars", Rule::BadName, "/apps/a23456789012345678901234567890123", r#"apps { a23456789012345678901234567890123 { kind = "native"; binary = "a"; heap_kib = <64>; }; };"#),
    body("msg_server_upper", Rule::BadName, "/msg_servers/Main", r#"msg_servers { Main { dir_access_control { }; }; }; apps { a { kind = "native"; binary = "a"; heap_kib = <64>; }; };"#),
    body("protocol_upper", Rule::BadName, "/msg_servers/main/dir_access_control/P", r#"msg_servers { main { dir_access_control { P { servers = "a"; }; }; }; }; apps { a { kind = "native"; binary = "a"; heap_kib = <64>; msg_servers = "main"; }; };"#),
    body("protocol_65_chars", Rule::BadName, "/msg_servers/main/dir_access_control/p2345678901234567890123456789012345678901234567890123456789012345", r#"msg_servers { main { dir_access_control { p2345678901234567890123456789012345678901234567890123456789012345 { servers = "a"; }; }; }; }; apps { a { kind = "native"; binary = "a"; heap_kib = <64>; msg_servers = "main"; }; };"#),
    body("msg_servers_twice", Rule::Duplicate, "/apps/a", r#"msg_servers { main { dir_access_control { }; }; }; apps { a { kind = "native"; binary = "a"; heap_kib = <64>; msg_servers = "main", "main"; }; };"#),
    body("servers_twice", Rule::Duplicate, P, matrix!(r#"servers = "a", "a";"#)),
    body("categories_twice", Rule::Duplicate, "/apps/a/tracing", app!(r#"kind = "native"; binary = "a"; heap_kib = <64>; tracing { categories = "i2c", "i2c"; };"#)),
    blob("two_nodes_one_name", Rule::Duplicate, "/apps/dup_one", || {
        // dtc merges same-named nodes, so rename the second node in the blob itself.
        let mut blob = common::compile_source(
            "two_nodes_one_name",
            &common::manifest_source(
                r#"apps { dup_one { kind = "native"; binary = "x"; heap_kib = <64>; };
                        dup_two { kind = "native"; binary = "x"; heap_kib = <64>; }; };"#,
            ),
        );
        let at = blob.windows(8).position(|w| w == b"dup_two\0").unwrap();
        blob[at..at + 8].copy_from_slice(b"dup_one\0");
        blob
    }),
    body("unknown_server", Rule::UnknownApp, P, matrix!(r#"servers = "ghost";"#)),
    body("server_not_connected", Rule::NotConnected, P, r#"msg_servers { main { dir_access_control { p { servers = "a"; }; }; }; }; apps { a { kind = "native"; binary = "a"; heap_kib = <64>; }; };"#),
    body("no_server", Rule::ServerCount, P, matrix!(r#"clients = "a";"#)),
    body("root_serves_other", Rule::RootMisuse, P, matrix!(r#"servers = "_root"; clients = "a";"#)),
    body("app_serves_root_protocol", Rule::RootMisuse, "/msg_servers/main/dir_access_control/kos_root_protocol", r#"msg_servers { main { dir_access_control { kos_root_protocol { servers = "a"; }; }; }; }; apps { a { kind = "native"; binary = "a"; heap_kib = <64>; msg_servers = "main"; }; };"#),
    body("root_as_client_of_root", Rule::RootMisuse, "/msg_servers/main/dir_access_control/kos_root_protocol", r#"msg_servers { main { dir_access_control { kos_root_protocol { servers = "_root"; clients = "_root"; }; }; }; }; apps { a { kind = "native"; binary = "a"; heap_kib = <64>; }; };"#),
];

impl Case {
    fn label(&self) -> &'static str {
        match self.source {
            Source::Fixture => self.rule.id(),
            _ => self.name,
        }
    }

    fn blob(&self) -> Vec<u8> {
        match self.source {
            Source::Fixture => common::compile_fixture(&format!("invalid/{}.dts", self.rule.id())),
            Source::Body(body) => common::compile_source(self.name, &common::manifest_source(body)),
            Source::Dts(source) => common::compile_source(self.name, source),
            Source::Blob(make) => make(),
        }
    }
}

#[test]
fn every_case_breaks_its_rule_at_its_path() {
    let mut failures = Vec::new();
    for case in CASES {
        let blob = case.blob();
        match Manifest::from_dtb(&blob) {
            Ok(_) => failures.push(format!("{}: parsed without error", case.label())),
            Err(e) if e.rule != case.rule || e.path != case.path => failures.push(format!(
                "{}: expected {:?} at {}, got {:?} at {} ({e})",
                case.label(),
                case.rule,
                case.path,
                e.rule,
                e.path
            )),
            Err(e) => {
                let message = e.to_string();
                let expected_start = format!("{}: {}: ", case.path, case.rule.describe());
                if !message.starts_with(&expected_start) || e.detail.is_empty() {
                    failures.push(format!("{}: message {message:?}", case.label()));
                }
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn every_rule_has_a_fixture_row() {
    for rule in Rule::ALL {
        let has_row = CASES
            .iter()
            .any(|c| c.rule == rule && matches!(c.source, Source::Fixture));
        let file = common::fixture(&format!("invalid/{}.dts", rule.id()));
        // NotADeviceTree cannot be written as source: its row is raw bytes.
        if rule == Rule::NotADeviceTree {
            assert!(!file.exists());
            assert!(CASES.iter().any(|c| c.rule == rule));
        } else {
            assert!(has_row, "no fixture row for {rule:?}");
            assert!(file.exists(), "missing {}", file.display());
        }
    }
}

#[test]
fn every_fixture_file_is_a_rule() {
    let dir = common::fixture("invalid");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let stem = path.file_stem().unwrap().to_str().unwrap();
        assert!(
            Rule::ALL.iter().any(|r| r.id() == stem),
            "{} is not named after a rule",
            path.display()
        );
    }
}

#[test]
fn case_names_are_unique() {
    for (i, a) in CASES.iter().enumerate() {
        for b in &CASES[i + 1..] {
            assert_ne!(a.label(), b.label());
        }
    }
}
