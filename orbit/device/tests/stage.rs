//! `orbit_device::stage` against a loopback HTTP server that serves one bundle: what
//! lands under the images directory, and that nothing lands anywhere else, whatever
//! the upgrade command says.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use kos_bundle::SigningKey;
use orbit_device::orbit_protocol::Command;
use orbit_device::stage::{stage_upgrade, StageError, IMAGE_PREFIX};
use orbit_device::CommandError;
use sha2::{Digest, Sha256};

/// An HTTP server on loopback answering every GET with `body`; counts the requests.
/// Its thread ends when the test process does (each connection is served at once).
struct BundleServer {
    base: String,
    requests: Arc<AtomicUsize>,
}

fn serve(body: Vec<u8>) -> BundleServer {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let requests = Arc::new(AtomicUsize::new(0));
    let counter = requests.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            counter.fetch_add(1, Ordering::SeqCst);
            // Read the request head, then answer with the whole body.
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            while reader.read_line(&mut line).map(|n| n > 0).unwrap_or(false) && line != "\r\n" {
                line.clear();
            }
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
        }
    });
    BundleServer { base, requests }
}

/// The version the device under test runs.
const RUNNING: &str = "1.0.0";

fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

/// A signed bundle of a small system at `version`.
fn bundle(dir: &Path, version: &str, signer: &SigningKey) -> Vec<u8> {
    marked_bundle(dir, version, false, signer)
}

/// The same, marked a deliberate rollback when `rollback`.
fn marked_bundle(dir: &Path, version: &str, rollback: bool, signer: &SigningKey) -> Vec<u8> {
    let src = dir.join(format!("src-{version}"));
    std::fs::create_dir_all(src.join("elixir/app")).unwrap();
    std::fs::write(src.join("system.dts"), "/dts-v1/;\n/ { };\n").unwrap();
    std::fs::write(src.join("elixir/app/VERSION"), version).unwrap();
    let out = dir.join(format!("{version}.tar.gz"));
    kos_bundle::create_marked(&src, &out, version, rollback, signer, |_, _| {}).unwrap();
    std::fs::read(out).unwrap()
}

fn upgrade(body: &[u8], version: &str) -> Command {
    let sha256 = hex::encode(Sha256::digest(body));
    Command::Upgrade {
        url: format!("/device/bundles/{sha256}?token=t"),
        sha256,
        size: body.len() as u64,
        version: version.into(),
    }
}

/// Names directly under `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    v.sort();
    v
}

#[test]
fn a_verified_bundle_lands_in_a_new_randomly_named_image_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let images = tmp.path().join("images");
    std::fs::create_dir(&images).unwrap();
    let body = bundle(tmp.path(), "2.0.0", &key(1));
    let server = serve(body.clone());
    let trusted = key(1).verifying_key();

    let first = stage_upgrade(
        &server.base,
        &upgrade(&body, "2.0.0"),
        &trusted,
        &images,
        RUNNING,
    )
    .unwrap();
    assert_eq!(first.version, "2.0.0");
    assert_eq!(first.files, 2);
    assert_eq!(first.dir.parent(), Some(images.as_path()));
    let name = first.dir.file_name().unwrap().to_str().unwrap();
    let random = name.strip_prefix(IMAGE_PREFIX).expect(name);
    assert!(
        random.len() == 32 && random.bytes().all(|b| b.is_ascii_hexdigit()),
        "{name}"
    );
    assert_eq!(
        std::fs::read_to_string(first.dir.join("elixir/app/VERSION")).unwrap(),
        "2.0.0"
    );
    // Staging the same bundle again (a retry) never meets the first attempt's name.
    let second = stage_upgrade(
        &server.base,
        &upgrade(&body, "2.0.0"),
        &trusted,
        &images,
        RUNNING,
    )
    .unwrap();
    assert_ne!(first.dir, second.dir);
    // Only the two images: no download, no work directory left.
    let mut expected = vec![
        first.dir.file_name().unwrap().to_str().unwrap().to_string(),
        second
            .dir
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .to_string(),
    ];
    expected.sort();
    assert_eq!(names(&images), expected);
}

#[test]
fn a_version_that_names_a_path_is_refused_before_anything_is_fetched_or_written() {
    let tmp = tempfile::tempdir().unwrap();
    let images = tmp.path().join("a/b/images");
    std::fs::create_dir_all(&images).unwrap();
    // What the old device admin would have overwritten and deleted.
    let victim = tmp.path().join("victim.download");
    std::fs::write(&victim, "precious").unwrap();
    let body = bundle(tmp.path(), "2.0.0", &key(1));
    let server = serve(body.clone());
    let trusted = key(1).verifying_key();

    for version in [
        "../../../victim.x",
        "../../../victim",
        "x/../../../../victim",
        "..",
    ] {
        let err = stage_upgrade(
            &server.base,
            &upgrade(&body, version),
            &trusted,
            &images,
            RUNNING,
        )
        .unwrap_err();
        assert!(
            matches!(&err, StageError::Invalid(why) if why.contains("version")),
            "{version}: {err}"
        );
        assert!(matches!(CommandError::from(err), CommandError::Invalid(_)));
    }
    assert_eq!(server.requests.load(Ordering::SeqCst), 0, "nothing fetched");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    assert!(names(&images).is_empty());
    assert_eq!(
        names(tmp.path()),
        ["2.0.0.tar.gz", "a", "src-2.0.0", "victim.download"]
    );
}

#[test]
fn a_command_whose_version_is_not_the_signed_one_is_refused_and_leaves_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let images = tmp.path().join("images");
    std::fs::create_dir(&images).unwrap();
    let body = bundle(tmp.path(), "2.0.0", &key(1));
    let server = serve(body.clone());
    let err = stage_upgrade(
        &server.base,
        &upgrade(&body, "9.0.0"),
        &key(1).verifying_key(),
        &images,
        RUNNING,
    )
    .unwrap_err();
    assert_eq!(
        err,
        StageError::VersionMismatch {
            signed: "2.0.0".into(),
            command: "9.0.0".into()
        }
    );
    let expected = "bundle refused: its signed index says version 2.0.0, the command says 9.0.0";
    assert_eq!(err.to_string(), expected);
    // What Orbit records is the same sentence, as a refused bundle.
    let reported = CommandError::from(err);
    assert!(matches!(reported, CommandError::BundleRefused(_)));
    assert_eq!(reported.to_string(), expected);
    assert!(names(&images).is_empty());
}

#[test]
fn a_bad_signature_or_digest_leaves_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let images = tmp.path().join("images");
    std::fs::create_dir(&images).unwrap();
    let forged = bundle(tmp.path(), "2.0.0", &key(2));
    let server = serve(forged.clone());
    let trusted = key(1).verifying_key();
    let err = stage_upgrade(
        &server.base,
        &upgrade(&forged, "2.0.0"),
        &trusted,
        &images,
        RUNNING,
    )
    .unwrap_err();
    assert!(
        matches!(&err, StageError::Bundle(why) if why.contains("signed by key")),
        "{err}"
    );
    assert!(err.to_string().starts_with("bundle refused: "), "{err}");
    assert!(names(&images).is_empty());

    // The server sends other bytes than the command announced.
    let mut lie = upgrade(&forged, "2.0.0");
    if let Command::Upgrade { sha256, .. } = &mut lie {
        *sha256 = "00".repeat(32);
    }
    let err = stage_upgrade(&server.base, &lie, &trusted, &images, RUNNING).unwrap_err();
    assert!(
        matches!(&err, StageError::Download(why) if why.contains("does not match the announced sha256")),
        "{err}"
    );
    assert!(names(&images).is_empty());
}

#[test]
fn an_older_version_is_refused_unless_its_signed_index_marks_a_rollback() {
    let tmp = tempfile::tempdir().unwrap();
    let images = tmp.path().join("images");
    std::fs::create_dir(&images).unwrap();
    let trusted = key(1).verifying_key();
    // An old bundle replayed onto a device running 2.1.0.
    let old = bundle(tmp.path(), "1.9.3", &key(1));
    let server = serve(old.clone());
    let err = stage_upgrade(
        &server.base,
        &upgrade(&old, "1.9.3"),
        &trusted,
        &images,
        "2.1.0",
    )
    .unwrap_err();
    assert_eq!(
        err,
        StageError::Downgrade {
            running: "2.1.0".into(),
            offered: "1.9.3".into()
        }
    );
    assert!(
        err.to_string()
            .starts_with("bundle refused: version 1.9.3 is older than the running 2.1.0"),
        "{err}"
    );
    assert!(names(&images).is_empty(), "nothing staged");
    // Semantic, not textual: 2.10.0 is newer than 2.9.0, and 2.1.0-rc.1 older than 2.1.0.
    assert!(!orbit_device::stage::is_older("2.10.0", "2.9.0"));
    assert!(orbit_device::stage::is_older("2.1.0-rc.1", "2.1.0"));
    assert!(
        !orbit_device::stage::is_older("2.1.0", "2.1.0"),
        "a reinstall is no downgrade"
    );
    assert!(
        !orbit_device::stage::is_older("1.0.0", "demo"),
        "not semantic versions: not ordered"
    );

    // The deployment means it: the same version, signed as a rollback, is taken.
    let marked_dir = tmp.path().join("marked");
    std::fs::create_dir(&marked_dir).unwrap();
    let rollback = marked_bundle(&marked_dir, "1.9.3", true, &key(1));
    let server = serve(rollback.clone());
    let staged = stage_upgrade(
        &server.base,
        &upgrade(&rollback, "1.9.3"),
        &trusted,
        &images,
        "2.1.0",
    )
    .unwrap();
    assert_eq!(staged.version, "1.9.3");
}
