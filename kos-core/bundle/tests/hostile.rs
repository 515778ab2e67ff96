//! Hand-built hostile archives, one rule each. Most are signed by the trusted key: the
//! point is that a valid signature does not make hostile content acceptable. Every
//! rejection is also checked (in `Scratch::unpack`) to leave no staging directory.

mod common;

use std::fs;

use common::{entry_for, gzip, index_json, key, sig_file, signed_entries, tar_bytes, Raw, Scratch};
use kos_bundle::{BundleError, IndexProblem, Limits, PathProblem, VersionProblem};
use tar::EntryType;

/// A signed bundle whose index honestly lists `listed` and whose payload is `payload`.
fn signed(listed: &[Raw], payload: &[Raw]) -> Vec<u8> {
    let index = index_json("v1", listed.iter().map(entry_for).collect());
    gzip(&tar_bytes(&signed_entries(&key(1), &index, payload), true))
}

fn good() -> Raw {
    Raw::file("apps/a/ebin/a.beam", &common::noise(3000, 5))
}

fn unpack_err(gz: &[u8]) -> BundleError {
    let s = Scratch::new();
    s.write(gz);
    let err = s.unpack().expect_err("hostile bundle accepted");
    // Nothing written anywhere: not in staging (checked by `unpack`), not beside it.
    let left: Vec<_> = fs::read_dir(s.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["b.tar.gz"], "after {err}");
    err
}

#[test]
fn the_honest_baseline_is_accepted() {
    // Guards the helpers: every rejection below differs from this in one way only.
    let s = Scratch::new();
    s.write(&signed(&[good()], &[good()]));
    assert_eq!(s.unpack().unwrap().files, 1);
}

#[test]
fn altered_index_is_a_bad_signature() {
    let index = index_json("v1", vec![entry_for(&good())]);
    let sig = sig_file(&key(1), &index);
    let evil = index_json("v2", vec![entry_for(&good())]);
    let entries = [
        Raw::file("BUNDLE.json", &evil),
        Raw::file("BUNDLE.sig", &sig),
        good(),
    ];
    let err = unpack_err(&gzip(&tar_bytes(&entries, true)));
    assert!(matches!(err, BundleError::BadSignature), "{err}");
}

#[test]
fn signed_by_another_key_is_wrong_key() {
    let index = index_json("v1", vec![entry_for(&good())]);
    let err = unpack_err(&gzip(&tar_bytes(
        &signed_entries(&key(7), &index, &[good()]),
        true,
    )));
    assert!(matches!(err, BundleError::WrongKey { .. }), "{err}");
}

#[test]
fn malformed_signature_file() {
    let index = index_json("v1", vec![]);
    let entries = [
        Raw::file("BUNDLE.json", &index),
        Raw::file("BUNDLE.sig", &[0u8; 64]),
    ];
    let err = unpack_err(&gzip(&tar_bytes(&entries, true)));
    assert!(
        matches!(err, BundleError::SignatureMalformed { .. }),
        "{err}"
    );
}

#[test]
fn index_must_come_first() {
    let index = index_json("v1", vec![entry_for(&good())]);
    let mut entries = signed_entries(&key(1), &index, &[good()]);
    entries.swap(0, 1);
    let err = unpack_err(&gzip(&tar_bytes(&entries, true)));
    assert!(
        matches!(&err, BundleError::IndexMissing { found: Some(p) } if p == "BUNDLE.sig"),
        "{err}"
    );

    let err = unpack_err(&gzip(&tar_bytes(&[good()], true)));
    assert!(
        matches!(&err, BundleError::IndexMissing { found: Some(p) } if p == "apps/a/ebin/a.beam"),
        "{err}"
    );

    let err = unpack_err(&gzip(&tar_bytes(&[], true)));
    assert!(
        matches!(err, BundleError::IndexMissing { found: None }),
        "{err}"
    );
}

#[test]
fn signature_must_come_second() {
    let index = index_json("v1", vec![entry_for(&good())]);
    let mut entries = signed_entries(&key(1), &index, &[good()]);
    entries.swap(1, 2);
    let err = unpack_err(&gzip(&tar_bytes(&entries, true)));
    assert!(
        matches!(&err, BundleError::SignatureMissing { found: Some(p) } if p == "apps/a/ebin/a.beam"),
        "{err}"
    );

    let err = unpack_err(&gzip(&tar_bytes(&[Raw::file("BUNDLE.json", &index)], true)));
    assert!(
        matches!(err, BundleError::SignatureMissing { found: None }),
        "{err}"
    );
}

#[test]
fn index_or_signature_again_later_is_misplaced() {
    let index = index_json("v1", vec![entry_for(&good())]);
    for name in ["BUNDLE.json", "BUNDLE.sig"] {
        let err = unpack_err(&gzip(&tar_bytes(
            &signed_entries(&key(1), &index, &[good(), Raw::file(name, b"{}")]),
            true,
        )));
        assert!(
            matches!(&err, BundleError::Misplaced { path } if path == name),
            "{err}"
        );
    }
}

fn index_problem(index: &[u8]) -> IndexProblem {
    match unpack_err(&gzip(&tar_bytes(
        &signed_entries(&key(1), index, &[]),
        true,
    ))) {
        BundleError::BadIndex(p) => p,
        other => panic!("expected BadIndex, got {other}"),
    }
}

#[test]
fn malformed_index_even_when_signed() {
    let h = "00".repeat(32);
    assert!(matches!(
        index_problem(b"{\"format\": 1, "),
        IndexProblem::Json(_)
    ));
    assert_eq!(
        index_problem(br#"{"format":2,"version":"v","files":[]}"#),
        IndexProblem::UnknownFormat(2)
    );
    let unsorted = format!(
        r#"{{"format":1,"version":"v","files":[{{"path":"b","size":0,"sha256":"{h}","mode":420}},{{"path":"a","size":0,"sha256":"{h}","mode":420}}]}}"#
    );
    assert!(matches!(
        index_problem(unsorted.as_bytes()),
        IndexProblem::Unsorted { .. }
    ));
    let dup = format!(
        r#"{{"format":1,"version":"v","files":[{{"path":"a","size":0,"sha256":"{h}","mode":420}},{{"path":"a","size":0,"sha256":"{h}","mode":420}}]}}"#
    );
    assert!(matches!(
        index_problem(dup.as_bytes()),
        IndexProblem::Duplicate { .. }
    ));
    let bad_path = format!(
        r#"{{"format":1,"version":"v","files":[{{"path":"apps/../x","size":0,"sha256":"{h}","mode":420}}]}}"#
    );
    let p = index_problem(bad_path.as_bytes());
    assert_eq!(
        p,
        IndexProblem::BadPath {
            path: "apps/../x".into(),
            problem: PathProblem::ParentDir
        }
    );
    let msg = BundleError::BadIndex(p).to_string();
    assert!(
        msg.contains("apps/../x: path leaves the bundle (`..`)"),
        "{msg}"
    );
}

#[test]
fn a_signed_index_whose_version_names_a_path_is_refused() {
    // A device names nothing after the version, but the index is refused anyway: every
    // reader keeps the one version rule.
    for (version, problem) in [
        ("../../victim.x", VersionProblem::BadStart('.')),
        ("1/../../x", VersionProblem::BadChar('/')),
        ("1\u{1b}]0;owned\u{7}", VersionProblem::BadChar('\u{1b}')),
    ] {
        let index = index_json(version, vec![entry_for(&good())]);
        assert_eq!(
            index_problem(&index),
            IndexProblem::BadVersion(problem),
            "{version:?}"
        );
    }
}

/// A signed bundle whose index lists one good file and whose payload holds the good
/// file then `evil` (so a file has already been written when `evil` is met).
fn after_good_file(evil: Raw) -> BundleError {
    unpack_err(&signed(&[good()], &[good(), evil]))
}

fn bad_path(raw_path: &[u8]) -> (String, PathProblem, String) {
    let mut evil = Raw::file("x", b"pwned");
    evil.path = raw_path.to_vec();
    match after_good_file(evil) {
        e @ BundleError::BadPath { .. } => {
            let msg = e.to_string();
            let BundleError::BadPath { path, problem } = e else {
                unreachable!()
            };
            (path, problem, msg)
        }
        other => panic!(
            "{:?}: expected BadPath, got {other}",
            String::from_utf8_lossy(raw_path)
        ),
    }
}

#[test]
fn absolute_path_is_refused() {
    let (path, problem, _) = bad_path(b"/etc/passwd");
    assert_eq!(
        (path.as_str(), problem),
        ("/etc/passwd", PathProblem::Absolute)
    );
}

#[test]
fn parent_component_is_refused() {
    for p in ["../x", "apps/../x", "apps/../../etc/x", "a/.."] {
        let (path, problem, msg) = bad_path(p.as_bytes());
        assert_eq!((path.as_str(), problem), (p, PathProblem::ParentDir));
        assert_eq!(msg, format!("{p}: path leaves the bundle (`..`)"));
    }
}

#[test]
fn empty_and_dot_paths_are_refused() {
    let (_, problem, msg) = bad_path(b"");
    assert_eq!(
        (problem, msg.as_str()),
        (PathProblem::Empty, "\"\": empty path")
    );
    assert_eq!(bad_path(b".").1, PathProblem::CurDir);
    assert_eq!(bad_path(b"./apps/a/ebin/a.beam").1, PathProblem::CurDir);
    assert_eq!(
        bad_path(b"apps//a/ebin/a.beam").1,
        PathProblem::EmptyComponent
    );
    assert_eq!(bad_path(b"apps/a/").1, PathProblem::EmptyComponent);
    assert_eq!(bad_path(b"apps/a\nb").1, PathProblem::BadChar('\n'));
    assert_eq!(bad_path(b"apps/\xff\xfe").1, PathProblem::NotUtf8);
}

#[test]
fn symlink_entry_is_refused() {
    let err = after_good_file(Raw::of_kind(
        "apps/a/link",
        EntryType::Symlink,
        "/etc/passwd",
    ));
    assert!(
        matches!(&err, BundleError::Symlink { path, target } if path == "apps/a/link" && target == "/etc/passwd"),
        "{err}"
    );
    assert!(
        err.to_string().starts_with("apps/a/link: symbolic links"),
        "{err}"
    );
}

#[test]
fn hard_link_entry_is_refused() {
    let err = after_good_file(Raw::of_kind(
        "apps/a/hard",
        EntryType::Link,
        "apps/a/ebin/a.beam",
    ));
    assert!(
        matches!(&err, BundleError::HardLink { path, .. } if path == "apps/a/hard"),
        "{err}"
    );
}

#[test]
fn device_and_fifo_entries_are_refused() {
    for (kind, name) in [
        (EntryType::Fifo, "FIFO"),
        (EntryType::Char, "character device"),
        (EntryType::Block, "block device"),
    ] {
        let err = after_good_file(Raw::of_kind("dev/x", kind, ""));
        assert!(
            matches!(&err, BundleError::SpecialFile { path, kind } if path == "dev/x" && *kind == name),
            "{err}"
        );
    }
}

#[test]
fn directory_and_other_entry_types_are_refused() {
    let err = after_good_file(Raw::of_kind("apps/a", EntryType::Directory, ""));
    assert!(
        matches!(&err, BundleError::UnsupportedEntry { path, .. } if path == "apps/a"),
        "{err}"
    );
    let err = after_good_file(Raw::of_kind("apps/b", EntryType::Continuous, ""));
    assert!(matches!(err, BundleError::UnsupportedEntry { .. }), "{err}");
}

#[test]
fn duplicate_entry_is_refused() {
    let err = after_good_file(good());
    assert!(
        matches!(&err, BundleError::Duplicate { path } if path == "apps/a/ebin/a.beam"),
        "{err}"
    );
}

#[test]
fn file_not_in_index_is_refused() {
    let err = after_good_file(Raw::file("apps/a/extra.beam", b"extra"));
    assert!(
        matches!(&err, BundleError::NotInIndex { path } if path == "apps/a/extra.beam"),
        "{err}"
    );
}

#[test]
fn file_missing_from_archive_is_refused() {
    let other = Raw::file("bin/tool", b"#!/bin/sh\n");
    let err = unpack_err(&signed(&[good(), other], &[good()]));
    assert!(
        matches!(&err, BundleError::MissingFile { path } if path == "bin/tool"),
        "{err}"
    );
}

#[test]
fn size_mismatch_is_refused() {
    let mut bigger = good();
    bigger.data.push(0);
    let err = unpack_err(&signed(&[good()], &[bigger]));
    assert!(
        matches!(
            err,
            BundleError::SizeMismatch {
                expected: 3000,
                actual: 3001,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn hash_mismatch_is_refused() {
    let mut altered = good();
    altered.data[1234] ^= 0x40;
    let err = unpack_err(&signed(&[good()], &[altered]));
    assert!(
        matches!(&err, BundleError::HashMismatch { path, .. } if path == "apps/a/ebin/a.beam"),
        "{err}"
    );
}

#[test]
fn mode_mismatch_is_refused() {
    let mut setuid = good();
    setuid.mode = 0o4755;
    let err = unpack_err(&signed(&[good()], &[setuid]));
    assert!(
        matches!(
            err,
            BundleError::ModeMismatch {
                expected: 0o644,
                actual: 0o4755,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn staging_that_exists_is_refused_and_left_alone() {
    let s = Scratch::new();
    s.write(&signed(&[good()], &[good()]));
    fs::create_dir(&s.staging).unwrap();
    fs::write(s.staging.join("precious"), b"keep me").unwrap();
    let err = kos_bundle::unpack_verified(
        &s.bundle,
        &key(1).verifying_key(),
        &s.staging,
        &Limits::default(),
    )
    .unwrap_err();
    assert!(matches!(err, BundleError::StagingExists { .. }), "{err}");
    assert_eq!(fs::read(s.staging.join("precious")).unwrap(), b"keep me");
}

fn limits(total: u64, file: u64, files: u64) -> Limits {
    Limits {
        max_total_bytes: total,
        max_file_bytes: file,
        max_files: files,
    }
}

#[test]
fn declared_sizes_over_limits_are_refused_up_front() {
    let s = Scratch::new();
    let a = Raw::file("a", &[1; 100]);
    let b = Raw::file("b", &[2; 100]);
    s.write(&signed(&[a.clone(), b.clone()], &[a, b]));
    s.unpack_with(&key(1), &limits(200, 100, 2)).unwrap();
    fs::remove_dir_all(&s.staging).unwrap();
    for l in [limits(199, 100, 2), limits(200, 99, 2), limits(200, 100, 1)] {
        let err = s.unpack_with(&key(1), &l).unwrap_err();
        assert!(matches!(err, BundleError::TooLarge { .. }), "{l:?}: {err}");
    }
}

#[test]
fn lying_tar_header_cannot_exceed_limits() {
    // The index says 10 bytes; the header claims (and carries) 2 MiB, over max_file_bytes.
    let s = Scratch::new();
    let small = Raw::file("a", &[0; 10]);
    let huge = Raw::file("a", &vec![0; 2 << 20]);
    s.write(&signed(&[small], &[huge]));
    let err = s
        .unpack_with(&key(1), &limits(4 << 20, 1 << 20, 10))
        .unwrap_err();
    assert!(matches!(err, BundleError::TooLarge { .. }), "{err}");
}

#[test]
fn header_size_different_from_index_is_refused_before_reading() {
    // Header claims more than the index but within limits: a size mismatch, found from
    // the header alone.
    let small = Raw::file("a", &[0; 10]);
    let mut liar = Raw::file("a", &[0; 10]);
    liar.claimed_size = Some(4096);
    liar.data.resize(4096, 0);
    let err = unpack_err(&signed(&[small], &[liar]));
    assert!(
        matches!(
            err,
            BundleError::SizeMismatch {
                expected: 10,
                actual: 4096,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn zero_padding_bomb_is_refused() {
    let mut tar = tar_bytes(
        &signed_entries(
            &key(1),
            &index_json("v1", vec![entry_for(&good())]),
            &[good()],
        ),
        true,
    );
    tar.extend(std::iter::repeat_n(0u8, 8 << 20));
    let err = unpack_err(&gzip(&tar));
    assert!(matches!(err, BundleError::TooLarge { .. }), "{err}");
}

#[test]
fn huge_record_before_the_index_is_refused() {
    // A GNU long-name record is buffered whole by the tar reader: it must not get to
    // allocate past the budget before the signature is even looked at.
    let mut name = Raw::of_kind("././@LongLink", EntryType::GNULongName, "");
    name.data = vec![b'a'; 20 << 20];
    let err = unpack_err(&gzip(&tar_bytes(
        &[name, Raw::file("BUNDLE.json", b"{}")],
        true,
    )));
    assert!(matches!(err, BundleError::TooLarge { .. }), "{err}");
}

#[test]
fn missing_end_of_archive_marker_is_refused() {
    let entries = signed_entries(
        &key(1),
        &index_json("v1", vec![entry_for(&good())]),
        &[good()],
    );
    let err = unpack_err(&gzip(&tar_bytes(&entries, false)));
    assert!(matches!(err, BundleError::Truncated { .. }), "{err}");
    // One zero block is not the marker either.
    let mut one = tar_bytes(&entries, false);
    one.extend_from_slice(&[0; 512]);
    let err = unpack_err(&gzip(&one));
    assert!(matches!(err, BundleError::Truncated { .. }), "{err}");
    // Cut on an entry boundary before a listed file: truncated, not "missing file".
    let err = unpack_err(&gzip(&tar_bytes(&entries[..2], false)));
    assert!(matches!(err, BundleError::Truncated { .. }), "{err}");
}

#[test]
fn tar_cut_inside_an_entry_is_refused() {
    // The gzip layer is intact; the tar inside it ends mid-file.
    let entries = signed_entries(
        &key(1),
        &index_json("v1", vec![entry_for(&good())]),
        &[good()],
    );
    let tar = tar_bytes(&entries, true);
    // Blocks: 0 index header, 1 index, 2 sig header, 3 sig, 4 file header, 5..=10 file
    // data (3000 bytes), 11..=12 end marker.
    assert_eq!(tar.len(), 13 * 512);
    for cut in [
        4 * 512 + 100,
        5 * 512,
        5 * 512 + 100,
        10 * 512,
        10 * 512 + 511,
    ] {
        let err = unpack_err(&gzip(&tar[..cut]));
        assert!(
            matches!(err, BundleError::Truncated { .. }),
            "cut {cut}: {err}"
        );
    }
}

#[test]
fn data_after_the_end_is_refused() {
    let entries = signed_entries(
        &key(1),
        &index_json("v1", vec![entry_for(&good())]),
        &[good()],
    );
    let mut tar = tar_bytes(&entries, true);
    tar.extend_from_slice(b"smuggled");
    let err = unpack_err(&gzip(&tar));
    assert!(matches!(err, BundleError::Corrupt { .. }), "{err}");

    let mut gz = gzip(&tar_bytes(&entries, true));
    gz.extend_from_slice(b"trailing");
    let err = unpack_err(&gz);
    assert!(matches!(err, BundleError::Corrupt { .. }), "{err}");
}

#[test]
fn corrupt_bytes_are_refused() {
    let gz = signed(&[good()], &[good()]);
    for at in [
        3,
        20,
        gz.len() / 2,
        gz.len() - 30,
        gz.len() - 8,
        gz.len() - 2,
    ] {
        let mut bad = gz.clone();
        bad[at] ^= 0x55;
        let err = unpack_err(&bad);
        // Where the flip lands decides which check sees it; any refusal will do.
        assert!(
            !matches!(err, BundleError::Io { .. }),
            "flip at {at}: {err}"
        );
    }
}
