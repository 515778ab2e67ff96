//! The `std` side: running `dtc` and loading manifests from files.
#![cfg(feature = "std")]

mod common;

use kos_manifest::dtc::{self, DtcError, LoadError};
use kos_manifest::Rule;

#[test]
fn load_compiles_a_dts() {
    let m = dtc::load(&common::fixture("valid/example.dts")).unwrap();
    assert_eq!(m.apps.len(), 3);
}

#[test]
fn load_reads_a_dtb_as_is() {
    let path = common::scratch("example.dtb");
    std::fs::write(&path, common::compile_fixture("valid/example.dts")).unwrap();
    let m = dtc::load(&path).unwrap();
    assert_eq!(m.app("rng_server").unwrap().msg_servers, ["main"]);
}

#[test]
fn load_names_the_file_and_the_node() {
    let path = common::fixture("invalid/unknown_msg_server.dts");
    let err = dtc::load(&path).unwrap_err();
    let LoadError::Manifest { error, .. } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(error.rule, Rule::UnknownMsgServer);
    assert_eq!(
        err.to_string(),
        format!(
            "{}: /apps/hello: unknown message server: \
             `msg_servers` names `zone2`, which /msg_servers does not define",
            path.display()
        )
    );
}

#[test]
fn load_reports_an_unreadable_dtb() {
    let path = common::scratch("does_not_exist.dtb");
    let err = dtc::load(&path).unwrap_err();
    assert!(matches!(err, LoadError::Read { .. }), "{err:?}");
    assert!(err.to_string().contains("does_not_exist.dtb"), "{err}");
}

#[test]
fn dtc_rejection_names_the_file_and_the_line() {
    let path = common::scratch("syntax_error.dts");
    std::fs::write(&path, "/dts-v1/;\n/ {\n    apps {\n};\n").unwrap();
    let err = dtc::compile(&path).unwrap_err();
    let DtcError::Rejected {
        path: rejected,
        stderr,
    } = &err
    else {
        panic!("{err:?}");
    };
    assert_eq!(rejected, &path);
    assert!(stderr.contains("syntax_error.dts"), "{stderr}");
    assert!(
        err.to_string()
            .starts_with(&format!("dtc rejected {}: ", path.display())),
        "{err}"
    );
    // Through load, the same message.
    assert_eq!(dtc::load(&path).unwrap_err().to_string(), err.to_string());
}

#[test]
fn a_missing_dtc_says_what_to_install() {
    assert_eq!(
        DtcError::NotInstalled.to_string(),
        "dtc not installed (install Debian package device-tree-compiler)"
    );
}
