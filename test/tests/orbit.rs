//! Orbit and a KOS device end to end on loopback: the real `orbit` binary (serve and the
//! operator commands), a KOS system booted by `kos run` whose `device_admin` BEAM app
//! holds the authenticated WebSocket in the NIF, and keys made with `openssl`.

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use kos_system_tests::{bin_dir, copy_tree, openssl_keypair, process_alive, RunningSystem};

/// A running `orbit serve`, killed when dropped.
struct OrbitServer {
    child: Child,
    url: String,
    data: std::path::PathBuf,
}

impl Drop for OrbitServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn serve(data: &Path) -> OrbitServer {
    let port = free_port();
    let child = Command::new(bin_dir().join("orbit"))
        .arg("--data")
        .arg(data)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("orbit binary (cargo build --workspace)");
    let server = OrbitServer {
        child,
        url: format!("http://127.0.0.1:{port}"),
        data: data.to_path_buf(),
    };
    // Ready when its API answers (bounded).
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(10) {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
            && server.admin(&["devices"]).status.success()
        {
            return server;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("orbit serve did not come up");
}

impl OrbitServer {
    /// An operator command against this Orbit.
    fn admin(&self, args: &[&str]) -> Output {
        Command::new(bin_dir().join("orbit"))
            .arg("--data")
            .arg(&self.data)
            .args(["--orbit", &self.url])
            .args(args)
            .output()
            .unwrap()
    }

    fn admin_ok(&self, args: &[&str]) -> String {
        let out = self.admin(args);
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(
            out.status.success(),
            "orbit {args:?} failed: {text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        text
    }

    /// Polls `orbit devices` until `device`'s row says `status` (bounded: 10 s).
    fn wait_status(&self, device: &str, status: &str) {
        let t0 = Instant::now();
        while t0.elapsed() < Duration::from_secs(10) {
            let out = self.admin_ok(&["devices"]);
            if out
                .lines()
                .any(|l| l.split_whitespace().take(2).eq([device, status]))
            {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("{device} never {status}: {}", self.admin_ok(&["devices"]));
    }
}

#[test]
fn orbit_sees_a_kos_device_alive_pings_it_and_restarts_its_apps() {
    let dir = tempfile::tempdir().unwrap();
    let orbit = serve(&dir.path().join("orbit-data"));
    let (key, public) = openssl_keypair(dir.path(), "dev1");
    orbit.admin_ok(&[
        "device",
        "register",
        "dev1",
        "--public-key",
        public.to_str().unwrap(),
    ]);
    orbit.wait_status("dev1", "offline");

    let ws = orbit.url.replacen("http://", "ws://", 1);
    let mut sys = RunningSystem::boot(&format!(
        r#"
    /include/ "services/device_admin.dtsi"
    apps {{
        device_admin {{ env {{ orbit_url = "{ws}"; device = "dev1"; key_file = "{}"; version = "1.0.0"; }}; }};
        worker {{ kind = "beam"; app = "idle_app"; memory_mib = <64>; env {{ interval_ms = <100>; }}; }};
    }};
"#,
        key.display()
    ));
    let before = [sys.wait_started("device_admin"), sys.wait_started("worker")];
    sys.wait_for(&["[device_admin]", "connected to Orbit"]);
    orbit.wait_status("dev1", "online");
    let devices = orbit.admin_ok(&["devices"]);
    assert!(devices.contains("1.0.0"), "version reported: {devices}");
    // The one line scripts (mix kos.push) read.
    assert_eq!(
        orbit.admin_ok(&["device", "status", "dev1"]),
        "dev1 online 1.0.0\n"
    );
    let unknown = orbit.admin(&["device", "status", "nobody"]);
    assert!(!unknown.status.success());
    assert!(
        String::from_utf8_lossy(&unknown.stderr).contains("no device \"nobody\" is registered"),
        "{unknown:?}"
    );

    let ping = orbit.admin_ok(&["ping", "dev1"]);
    assert!(ping.contains("ok") && ping.contains("pong"), "{ping}");

    let restart = orbit.admin_ok(&["restart", "dev1"]);
    assert!(restart.contains("restarting 2 applications"), "{restart}");
    sys.wait_event("_root", "restarting_all");
    let after = [sys.wait_started("device_admin"), sys.wait_started("worker")];
    for (b, a) in before.iter().zip(&after) {
        assert_ne!(b, a, "a new OS process: {b} / {a}");
        assert!(!process_alive(*b), "the old one is gone: {b}");
    }
    // The new device admin reconnects by itself and answers.
    sys.wait_for(&["[device_admin]", "connected to Orbit"]);
    orbit.wait_status("dev1", "online");
    assert!(orbit.admin_ok(&["ping", "dev1"]).contains("pong"));
    let history = orbit.admin_ok(&["commands", "--device", "dev1"]);
    assert_eq!(
        history.lines().filter(|l| l.contains(" ok ")).count(),
        3,
        "{history}"
    );
    assert!(sys.stop().success());
    orbit.wait_status("dev1", "offline");
}

/// A bundle built by hand, properly signed, that `kos_bundle::create` would refuse to
/// make: its index says `version` and lists `app.txt`, stored in the archive as
/// `stored_as`.
fn hand_built_bundle(out: &Path, key: &ed25519_dalek::SigningKey, version: &str, stored_as: &str) {
    use ed25519_dalek::Signer;
    use sha2::Digest;
    let content = b"escaped\n";
    let index = format!(
        r#"{{"format":1,"version":"{version}","files":[{{"path":"app.txt","size":{},"sha256":"{}","mode":420}}]}}"#,
        content.len(),
        hex::encode(sha2::Sha256::digest(content))
    );
    let mut signed = kos_bundle::SIGNATURE_DOMAIN.to_vec();
    signed.extend_from_slice(&sha2::Sha256::digest(index.as_bytes()));
    let mut sig = key.verifying_key().to_bytes().to_vec();
    sig.extend_from_slice(&key.sign(&signed).to_bytes());
    let gz = flate2::write::GzEncoder::new(
        std::fs::File::create(out).unwrap(),
        flate2::Compression::default(),
    );
    let mut tar = tar::Builder::new(gz);
    let entries: [(&[u8], &[u8]); 3] = [
        (b"BUNDLE.json", index.as_bytes()),
        (b"BUNDLE.sig", &sig),
        (stored_as.as_bytes(), content),
    ];
    for (name, data) in entries {
        let mut h = tar::Header::new_gnu();
        h.as_gnu_mut().unwrap().name[..name.len()].copy_from_slice(name);
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        h.set_cksum();
        tar.append(&h, data).unwrap();
    }
    tar.into_inner().unwrap().finish().unwrap();
}

/// An Orbit in `dir` with `dev1` registered (its key made with openssl, as an operator
/// would), and the deployment's signing key, whose public half the device trusts.
fn orbit_with_dev1(dir: &Path) -> (OrbitServer, ed25519_dalek::SigningKey) {
    let orbit = serve(&dir.join("orbit-data"));
    openssl_keypair(dir, "dev1");
    let (deploy_pem, _) = openssl_keypair(dir, "deploy");
    let public = dir.join("dev1.pub.pem");
    orbit.admin_ok(&[
        "device",
        "register",
        "dev1",
        "--public-key",
        public.to_str().unwrap(),
    ]);
    let deploy =
        kos_bundle::signing_key_from_pem(&std::fs::read_to_string(deploy_pem).unwrap()).unwrap();
    (orbit, deploy)
}

#[test]
fn upgrade_bundles_are_verified_on_the_device_and_bad_ones_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let (orbit, deploy) = orbit_with_dev1(dir.path());

    // Bundles: a good one, one signed by another key, one with a `../` entry, one cut short.
    let stranger = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
    let src = dir.path().join("system");
    std::fs::create_dir_all(src.join("apps/worker")).unwrap();
    std::fs::write(src.join("system.dts"), "/dts-v1/;\n/ { };\n").unwrap();
    std::fs::write(src.join("apps/worker/VERSION"), "2.0.0\n").unwrap();
    // Incompressible payload, so that cutting the bundle short cuts the payload and
    // leaves the index readable: Orbit accepts it, the device must catch it.
    let mut blob = Vec::with_capacity(512 << 10);
    let mut block = [0u8; 32];
    while blob.len() < 512 << 10 {
        use sha2::Digest;
        block = sha2::Sha256::digest(block).into();
        blob.extend_from_slice(&block);
    }
    std::fs::write(src.join("apps/worker/blob.bin"), &blob).unwrap();
    kos_bundle::create(&src, Path::new(&path("good.tar.gz")), "2.0.0", &deploy).unwrap();
    kos_bundle::create(&src, Path::new(&path("forged.tar.gz")), "2.0.0", &stranger).unwrap();
    // Stored as `../app.txt`: it would land outside the staging directory.
    hand_built_bundle(
        Path::new(&path("traversal.tar.gz")),
        &deploy,
        "6.6.6",
        "../app.txt",
    );
    // A version naming a path: the device once staged and downloaded there.
    hand_built_bundle(
        Path::new(&path("path-version.tar.gz")),
        &deploy,
        "../../victim.x",
        "app.txt",
    );
    let good = std::fs::read(path("good.tar.gz")).unwrap();
    std::fs::write(path("truncated.tar.gz"), &good[..good.len() * 2 / 3]).unwrap();
    std::fs::write(path("junk.tar.gz"), b"this is not a bundle").unwrap();

    let ws = orbit.url.replacen("http://", "ws://", 1);
    let mut sys = RunningSystem::boot(&format!(
        r#"
    /include/ "services/device_admin.dtsi"
    apps {{
        device_admin {{ env {{ orbit_url = "{ws}"; device = "dev1"; key_file = "{}"; version = "1.0.0"; deployment_key = "{}"; }}; }};
        worker {{ kind = "beam"; app = "idle_app"; memory_mib = <64>; env {{ interval_ms = <100>; }}; }};
    }};
"#,
        path("dev1.pem"),
        path("deploy.pub.pem")
    ));
    sys.wait_for(&["[device_admin]", "connected to Orbit"]);
    orbit.wait_status("dev1", "online");

    let refused = |bundle: &str| {
        let out = orbit.admin(&["upgrade", "dev1", &path(bundle)]);
        assert!(!out.status.success(), "{bundle} must not succeed");
        String::from_utf8_lossy(&out.stderr).to_string()
    };
    // Orbit itself refuses what is not a bundle at all.
    let junk = refused("junk.tar.gz");
    assert!(junk.contains("not a KOS upgrade bundle"), "{junk}");
    let path_version = refused("path-version.tar.gz");
    assert!(
        path_version.contains("not a KOS upgrade bundle")
            && path_version.contains("a version starts with a letter or a digit"),
        "{path_version}"
    );
    // The device refuses the rest, each with its reason.
    let forged = refused("forged.tar.gz");
    assert!(
        forged.contains("bundle refused") && forged.contains("signed by key"),
        "{forged}"
    );
    let traversal = refused("traversal.tar.gz");
    assert!(
        traversal.contains("bundle refused") && traversal.contains(".."),
        "{traversal}"
    );
    let truncated = refused("truncated.tar.gz");
    assert!(
        truncated.contains("bundle refused") && truncated.contains("truncated"),
        "{truncated}"
    );
    // Nothing changed: same apps, same processes, same version, still connected.
    assert_eq!(sys.events("worker", "started").len(), 1);
    assert_eq!(sys.events("device_admin", "started").len(), 1);
    orbit.wait_status("dev1", "online");
    assert!(orbit.admin_ok(&["devices"]).contains("1.0.0"));
    assert!(orbit.admin_ok(&["ping", "dev1"]).contains("pong"));
    assert!(sys.stop().success());
}

/// The manifest of a device system: device_admin at `version`, plus `apps`.
fn device_system(
    ws: &str,
    key: &str,
    version: &str,
    deploy_pub: &str,
    images: &str,
    apps: &str,
) -> String {
    // Also the manifest of a bundle's image (not written by `manifest`): no includes.
    format!(
        r#"
    msg_servers {{ main {{ dir_access_control {{
        kos_root_protocol {{ servers = "_root"; clients = "device_admin"; }};
    }}; }}; }};
    apps {{
        device_admin {{ kind = "beam"; app = "device_admin"; msg_servers = "main"; memory_mib = <64>;
                        env {{ orbit_url = "{ws}"; device = "dev1"; key_file = "{key}"; version = "{version}"; deployment_key = "{deploy_pub}"; images_dir = "{images}"; }}; }};
        {apps}
    }};
"#
    )
}

/// A signed upgrade bundle of a whole system image: its manifest and the compiled
/// device_admin (with the kos library) and idle_app.
fn system_bundle(
    dir: &Path,
    name: &str,
    manifest_body: &str,
    version: &str,
    key: &ed25519_dalek::SigningKey,
) -> String {
    let src = dir.join(format!("{name}-src"));
    let elixir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../elixir");
    for app in ["device_admin", "idle_app"] {
        copy_tree(
            &elixir.join(app).join("_build"),
            &src.join("elixir").join(app).join("_build"),
        );
    }
    let dts =
        format!("/dts-v1/;\n/ {{\n    compatible = \"kos,system-0.10\";\n{manifest_body}\n}};\n");
    std::fs::write(src.join("system.dts"), dts).unwrap();
    let out = dir.join(format!("{name}.tar.gz"));
    kos_bundle::create(&src, &out, version, key).unwrap();
    out.to_str().unwrap().to_string()
}

#[test]
fn an_upgrade_through_orbit_runs_the_new_system_and_a_crashing_one_is_rolled_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let (orbit, deploy) = orbit_with_dev1(dir.path());
    let ws = orbit.url.replacen("http://", "ws://", 1);
    let images = path("images");
    let system = |version: &str, apps: &str| {
        device_system(
            &ws,
            &path("dev1.pem"),
            version,
            &path("deploy.pub.pem"),
            &images,
            apps,
        )
    };
    let v2 = system_bundle(
        dir.path(),
        "v2",
        &system(
            "2.0.0",
            r#"worker_v2 { kind = "beam"; app = "idle_app"; memory_mib = <64>; env { interval_ms = <200>; }; };"#,
        ),
        "2.0.0",
        &deploy,
    );
    let v3 = system_bundle(
        dir.path(),
        "v3",
        &system(
            "3.0.0",
            r#"flaky { kind = "native"; binary = "crasher"; heap_kib = <512>; args = "--after-ms", "300"; };"#,
        ),
        "3.0.0",
        &deploy,
    );

    let mut sys = RunningSystem::boot_args(
        &system(
            "1.0.0",
            r#"worker { kind = "beam"; app = "idle_app"; memory_mib = <64>; env { interval_ms = <200>; }; };"#,
        ),
        &["--upgrade-trial", "3s"],
    );
    let old_worker = sys.wait_started("worker");
    sys.wait_for(&["[device_admin]", "connected to Orbit"]);
    orbit.wait_status("dev1", "online");

    // 1.0.0 -> 2.0.0: the new system runs, and its device admin reports the upgrade.
    let up = orbit.admin(&["upgrade", "dev1", &v2]);
    let report =
        String::from_utf8_lossy(&up.stdout).to_string() + &String::from_utf8_lossy(&up.stderr);
    assert!(up.status.success(), "{report}");
    assert!(
        report.contains("ok") && report.contains("running 2.0.0"),
        "{report}"
    );
    sys.wait_event("_root", "upgrade_on_trial");
    let new_worker = sys.wait_started("worker_v2");
    assert!(!process_alive(old_worker) && process_alive(new_worker));
    orbit.wait_status("dev1", "online");
    assert!(orbit.admin_ok(&["devices"]).contains("2.0.0"));
    sys.wait_event("_root", "upgrade_kept");

    // 2.0.0 -> 3.0.0, whose app crashes: rolled back to 2.0.0, and reported as such.
    let down = orbit.admin(&["upgrade", "dev1", &v3]);
    let report = String::from_utf8_lossy(&down.stderr).to_string();
    assert!(!down.status.success(), "a rolled-back upgrade is a failure");
    assert!(
        report.contains("rolled back") && report.contains("running 2.0.0"),
        "{report}"
    );
    sys.wait_for(&["[flaky]", "crashing now"]);
    sys.wait_event("_root", "upgrade_rolled_back");
    let again = sys.wait_started("worker_v2");
    assert!(process_alive(again));
    orbit.wait_status("dev1", "online");
    let devices = orbit.admin_ok(&["devices"]);
    assert!(
        devices.contains("2.0.0") && !devices.contains("3.0.0"),
        "{devices}"
    );
    assert!(orbit.admin_ok(&["ping", "dev1"]).contains("pong"));
    assert!(sys.stop().success());
}

#[test]
fn orbit_writes_plain_text_to_a_pipe() {
    use std::io::{BufRead, BufReader};
    let data = tempfile::tempdir().unwrap();
    let mut child = Command::new(bin_dir().join("orbit"))
        .arg("--data")
        .arg(data.path())
        .args(["serve", "--listen", "127.0.0.1:0", "--stop-on-eof"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = Vec::new();
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        let done = line.contains("dashboard: ");
        lines.push(line);
        if done {
            break;
        }
    }
    drop(child.stdin.take()); // --stop-on-eof: closing stdin stops it
    assert!(child.wait().unwrap().success());
    assert!(
        lines
            .iter()
            .any(|l| l.contains("INFO orbit: Orbit listening on")),
        "{lines:?}"
    );
    assert!(
        lines.iter().all(|l| !l.contains('\u{1b}')),
        "colour codes in a pipe: {lines:?}"
    );
}
