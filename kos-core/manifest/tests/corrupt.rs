//! Damaged blobs: every truncation, single-bit flip and inverted byte of a real
//! manifest must end in an error or a manifest, never in a panic (the root server
//! reads these).
#![cfg(feature = "std")]

mod common;

use kos_manifest::{Manifest, Rule};

#[test]
fn every_truncation_is_not_a_device_tree() {
    let blob = common::compile_fixture("valid/example.dts");
    Manifest::from_dtb(&blob).unwrap();
    for len in 0..blob.len() {
        let err = Manifest::from_dtb(&blob[..len]).unwrap_err();
        assert_eq!(
            (err.rule, err.path.as_str()),
            (Rule::NotADeviceTree, "/"),
            "length {len}"
        );
    }
}

#[test]
fn corrupted_bytes_never_panic() {
    let blob = common::compile_fixture("valid/example.dts");
    let mut rejected = 0;
    for at in 0..blob.len() {
        // Every single-bit flip, and every byte inverted (all bits at once).
        for flip in (0..8).map(|bit| 1u8 << bit).chain([0xff]) {
            let mut bad = blob.clone();
            bad[at] ^= flip;
            // A panic here fails the test; both outcomes are otherwise fine.
            if Manifest::from_dtb(&bad).is_err() {
                rejected += 1;
            }
        }
    }
    // Most corruptions hit a token, a length, a name or a value that must be noticed.
    assert!(
        rejected > blob.len() * 6,
        "only {rejected} of {} rejected",
        blob.len() * 9
    );
}

#[test]
fn a_source_file_is_not_a_blob() {
    let source = std::fs::read(common::fixture("valid/example.dts")).unwrap();
    let err = Manifest::from_dtb(&source).unwrap_err();
    assert_eq!(err.rule, Rule::NotADeviceTree);
    assert!(err.detail.contains("bad magic"), "{err}");
}
