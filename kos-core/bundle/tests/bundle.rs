//! Making and verifying real bundles: round trip, determinism, the documented format,
//! keys from the openssl CLI, wrong keys, truncation and the errors of `create`.

mod common;

use std::fs;
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use common::{key, noise, write_file, Scratch};
use kos_bundle::{
    create, create_with_progress, read_index, signing_key_from_pem, unpack_verified,
    verifying_key_from_pem, BundleError, Limits, PathProblem,
};
use sha2::{Digest, Sha256};

const LONG: &str = "apps/a_rather_long_application_name/priv/some/deeply/nested/directory/with/a/file_name_past_100_bytes.txt";

/// A source tree with nested dirs, an executable, an empty file, a 3 MiB file and a path
/// too long for the plain tar name field.
fn source_tree(root: &Path) {
    write_file(root, "system.dts", b"/dts-v1/;\n/ { };\n", 0o644);
    write_file(
        root,
        "apps/weatherstation/ebin/weatherstation.beam",
        &noise(5000, 1),
        0o644,
    );
    write_file(
        root,
        "apps/weatherstation/ebin/weatherstation.app",
        b"{application, weatherstation, []}.\n",
        0o600,
    );
    write_file(root, "bin/rng_server", &noise(70_000, 2), 0o755);
    write_file(root, "apps/empty/priv/empty.txt", b"", 0o644);
    write_file(root, "apps/big/priv/blob.bin", &noise(3 << 20, 3), 0o644);
    write_file(root, LONG, b"long", 0o744);
    // An empty directory: not representable, silently not bundled.
    fs::create_dir_all(root.join("apps/nothing_here")).unwrap();
}

/// Every regular file under `root`: (relative path, content, mode & 0o777).
fn snapshot(root: &Path) -> Vec<(String, Vec<u8>, u32)> {
    fn go(root: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>, u32)>) {
        for e in fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                go(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).unwrap().to_str().unwrap().to_string();
                let mode = fs::metadata(&p).unwrap().permissions().mode() & 0o777;
                out.push((rel, fs::read(&p).unwrap(), mode));
            }
        }
    }
    let mut out = Vec::new();
    go(root, root, &mut out);
    out.sort();
    out
}

#[test]
fn round_trip_preserves_bytes_and_modes() {
    let s = Scratch::new();
    let src = s.dir.path().join("src");
    source_tree(&src);
    let summary = create(&src, &s.bundle, "2024.1-rc1", &key(1)).unwrap();
    assert_eq!(summary.files, 7);
    let expected_bytes: u64 = snapshot(&src).iter().map(|(_, d, _)| d.len() as u64).sum();
    assert_eq!(summary.bytes, expected_bytes);
    assert_eq!(summary.version, "2024.1-rc1");
    assert_eq!(
        summary.digest_hex,
        hex::encode(Sha256::digest(fs::read(&s.bundle).unwrap()))
    );

    let unpacked = s.unpack().unwrap();
    assert_eq!(unpacked.version, "2024.1-rc1");
    assert_eq!(unpacked.files, 7);
    assert_eq!(unpacked.bytes, expected_bytes);
    assert_eq!(unpacked.dir, s.staging);

    // Modes are normalised: any exec bit -> 0o755, otherwise 0o644.
    let want: Vec<_> = snapshot(&src)
        .into_iter()
        .map(|(p, d, m)| (p, d, if m & 0o111 != 0 { 0o755 } else { 0o644 }))
        .collect();
    assert_eq!(snapshot(&s.staging), want);
    assert!(!s.staging.join("apps/nothing_here").exists());
    assert!(!s.staging.join("BUNDLE.json").exists());
    assert_eq!(
        fs::metadata(s.staging.join("bin/rng_server"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o755
    );
    assert_eq!(
        fs::metadata(s.staging.join(LONG))
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o755
    );
}

#[test]
fn create_is_deterministic() {
    let s = Scratch::new();
    let src = s.dir.path().join("src");
    source_tree(&src);
    let other = s.dir.path().join("again.tar.gz");
    let a = create(&src, &s.bundle, "v1", &key(1)).unwrap();
    let b = create(&src, &other, "v1", &key(1)).unwrap();
    assert_eq!(a, b);
    assert_eq!(fs::read(&s.bundle).unwrap(), fs::read(&other).unwrap());
    // ... and only the documented inputs matter: another version changes the bytes.
    let c = create(&src, &other, "v2", &key(1)).unwrap();
    assert_ne!(a.digest_hex, c.digest_hex);
}

#[test]
fn layout_matches_the_documented_format() {
    let s = Scratch::new();
    let src = s.dir.path().join("src");
    write_file(&src, "b/two", b"2", 0o755);
    write_file(&src, "a", b"1", 0o644);
    write_file(&src, "a-z", b"3", 0o644);
    create(&src, &s.bundle, "v9", &key(4)).unwrap();

    let gz = flate2::read::GzDecoder::new(fs::File::open(&s.bundle).unwrap());
    let mut ar = tar::Archive::new(gz);
    let mut names = Vec::new();
    let mut index = Vec::new();
    let mut sig = Vec::new();
    for e in ar.entries().unwrap() {
        let mut e = e.unwrap();
        let name = String::from_utf8(e.path_bytes().to_vec()).unwrap();
        assert_eq!(e.header().mtime().unwrap(), 0);
        assert_eq!(e.header().uid().unwrap(), 0);
        assert_eq!(e.header().gid().unwrap(), 0);
        assert_eq!(e.header().entry_type(), tar::EntryType::Regular);
        match name.as_str() {
            "BUNDLE.json" => e.read_to_end(&mut index).unwrap(),
            "BUNDLE.sig" => e.read_to_end(&mut sig).unwrap(),
            _ => 0,
        };
        names.push(name);
    }
    // Byte order: '-' (0x2d) < '/' (0x2f).
    assert_eq!(names, ["BUNDLE.json", "BUNDLE.sig", "a", "a-z", "b/two"]);
    let json: serde_json::Value = serde_json::from_slice(&index).unwrap();
    assert_eq!(json["format"], 1);
    assert_eq!(json["version"], "v9");
    assert_eq!(json["files"][2]["path"], "b/two");
    assert_eq!(json["files"][2]["mode"], 0o755);
    assert_eq!(
        json["files"][0]["sha256"],
        hex::encode(Sha256::digest(b"1"))
    );
    assert_eq!(json["files"].as_array().unwrap().len(), 3);
    // The signature file is exactly what the format section says.
    assert_eq!(sig, common::sig_file(&key(4), &index));

    let idx = read_index(&s.bundle).unwrap();
    assert_eq!(idx.version, "v9");
    assert_eq!(idx.files.len(), 3);
    assert_eq!(idx.total_bytes(), Some(3));
}

#[test]
fn progress_reports_each_file_in_order() {
    let s = Scratch::new();
    let src = s.dir.path().join("src");
    write_file(&src, "x/y", b"hello", 0o644);
    write_file(&src, "a", b"", 0o644);
    let mut seen = Vec::new();
    create_with_progress(&src, &s.bundle, "v", &key(1), |p, n| {
        seen.push((p.to_string(), n))
    })
    .unwrap();
    assert_eq!(seen, [("a".to_string(), 0), ("x/y".to_string(), 5)]);
}

#[test]
fn keys_from_the_openssl_cli() {
    let s = Scratch::new();
    let dir = s.dir.path();
    let run = |args: &[&str]| {
        let st = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .status()
            .expect("openssl runs");
        assert!(st.success(), "openssl {args:?}");
    };
    run(&["genpkey", "-algorithm", "ed25519", "-out", "k.pem"]);
    run(&["pkey", "-in", "k.pem", "-pubout", "-out", "k.pub"]);
    let sk = signing_key_from_pem(&fs::read_to_string(dir.join("k.pem")).unwrap()).unwrap();
    let vk = verifying_key_from_pem(&fs::read_to_string(dir.join("k.pub")).unwrap()).unwrap();
    assert_eq!(sk.verifying_key(), vk);

    let src = dir.join("src");
    write_file(&src, "system.dts", b"/dts-v1/;", 0o644);
    create(&src, &s.bundle, "v1", &sk).unwrap();
    let u = unpack_verified(&s.bundle, &vk, &s.staging, &Limits::default()).unwrap();
    assert_eq!(u.files, 1);

    // Each loader refuses the other kind of PEM.
    let err = verifying_key_from_pem(&fs::read_to_string(dir.join("k.pem")).unwrap()).unwrap_err();
    assert!(matches!(err, BundleError::Key { .. }), "{err}");
    let err = signing_key_from_pem(&fs::read_to_string(dir.join("k.pub")).unwrap()).unwrap_err();
    assert!(matches!(err, BundleError::Key { .. }), "{err}");
}

#[test]
fn bundle_signed_by_another_key_is_refused() {
    let s = Scratch::new();
    let src = s.dir.path().join("src");
    write_file(&src, "system.dts", b"x", 0o644);
    create(&src, &s.bundle, "v1", &key(1)).unwrap();
    let err = s.unpack_with(&key(2), &Limits::default()).unwrap_err();
    match &err {
        BundleError::WrongKey { signer, trusted } => {
            assert_eq!(signer, &hex::encode(key(1).verifying_key().as_bytes()));
            assert_eq!(trusted, &hex::encode(key(2).verifying_key().as_bytes()));
        }
        other => panic!("expected WrongKey, got {other}"),
    }
    assert!(err.to_string().contains("BUNDLE.sig"), "{err}");
    // And the right key still works on the same file.
    s.unpack_with(&key(1), &Limits::default()).unwrap();
}

#[test]
fn every_truncation_is_refused() {
    let s = Scratch::new();
    let src = s.dir.path().join("src");
    write_file(&src, "system.dts", b"/dts-v1/;", 0o644);
    write_file(&src, "apps/a/ebin/a.beam", &noise(200_000, 9), 0o644);
    write_file(&src, "bin/tool", &noise(3000, 10), 0o755);
    create(&src, &s.bundle, "v1", &key(1)).unwrap();
    let full = fs::read(&s.bundle).unwrap();
    let n = full.len();
    // Header, inside the index, inside the payload, near the end of the deflate data,
    // and inside the 8-byte gzip trailer (CRC-32, then length).
    let cuts = [
        0,
        5,
        10,
        40,
        300,
        n / 4,
        n / 2,
        3 * n / 4,
        n - 20,
        n - 8,
        n - 6,
        n - 4,
        n - 1,
    ];
    for cut in cuts {
        fs::write(&s.bundle, &full[..cut]).unwrap();
        let err = s
            .unpack()
            .expect_err(&format!("cut at {cut} of {n} accepted"));
        assert!(
            matches!(err, BundleError::Truncated { .. }),
            "cut at {cut}: {err}"
        );
    }
    // read_index refuses the early cuts too (it only needs the head).
    for cut in [0, 10, 40] {
        fs::write(&s.bundle, &full[..cut]).unwrap();
        assert!(
            read_index(&s.bundle).is_err(),
            "read_index accepted cut at {cut}"
        );
    }
    fs::write(&s.bundle, &full).unwrap();
    s.unpack().unwrap();
}

#[test]
fn create_refuses_symlinks_and_fifos_naming_them() {
    let s = Scratch::new();
    let src = s.dir.path().join("src");
    write_file(&src, "ok", b"x", 0o644);
    std::os::unix::fs::symlink("/etc/passwd", src.join("link")).unwrap();
    let err = create(&src, &s.bundle, "v1", &key(1)).unwrap_err();
    assert!(
        matches!(
            err,
            BundleError::SourceSpecialFile {
                kind: "symlink",
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("link"), "{err}");
    assert!(!s.bundle.exists());

    fs::remove_file(src.join("link")).unwrap();
    let st = Command::new("mkfifo")
        .arg(src.join("pipe"))
        .status()
        .unwrap();
    assert!(st.success());
    let err = create(&src, &s.bundle, "v1", &key(1)).unwrap_err();
    assert!(
        matches!(err, BundleError::SourceSpecialFile { kind: "FIFO", .. }),
        "{err}"
    );
    assert!(err.to_string().contains("pipe"), "{err}");
}

#[test]
fn create_refuses_bad_names_and_versions() {
    let s = Scratch::new();
    let src = s.dir.path().join("src");
    write_file(&src, "BUNDLE.json", b"{}", 0o644);
    let err = create(&src, &s.bundle, "v1", &key(1)).unwrap_err();
    assert!(
        matches!(
            err,
            BundleError::SourceBadName {
                problem: PathProblem::Reserved,
                ..
            }
        ),
        "{err}"
    );

    let src2 = s.dir.path().join("src2");
    write_file(&src2, "a\\b", b"", 0o644);
    let err = create(&src2, &s.bundle, "v1", &key(1)).unwrap_err();
    assert!(
        matches!(
            err,
            BundleError::SourceBadName {
                problem: PathProblem::BadChar('\\'),
                ..
            }
        ),
        "{err}"
    );

    let src3 = s.dir.path().join("src3");
    write_file(&src3, "a", b"", 0o644);
    for v in [
        "",
        "1\n2",
        "../../victim.x",
        "1/2",
        ".hidden",
        "-rf",
        "1\u{1b}[2J",
    ] {
        let err = create(&src3, &s.bundle, v, &key(1)).unwrap_err();
        assert!(matches!(err, BundleError::BadVersion { .. }), "{err}");
    }
    assert!(!s.bundle.exists());
    assert!(!s.dir.path().join("b.tar.gz.partial").exists());
}

#[test]
fn read_index_refuses_non_bundles() {
    let s = Scratch::new();
    s.write(b"not gzip at all");
    assert!(matches!(
        read_index(&s.bundle),
        Err(BundleError::Corrupt { .. })
    ));
    s.write(&common::gzip(&common::tar_bytes(
        &[common::Raw::file("system.dts", b"x")],
        true,
    )));
    assert!(matches!(
        read_index(&s.bundle),
        Err(BundleError::IndexMissing { .. })
    ));
}
