//! Orbit and a KOS device end to end on loopback: the real `orbit` binary (serve and the
//! operator commands), a KOS system booted by `kos run` whose `device_admin` BEAM app
//! holds the authenticated WebSocket in the NIF, and keys made with `openssl`.

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use kos_system_tests::{bin_dir, process_alive, started_pid, RunningSystem};

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

fn openssl(args: &[&str]) {
    assert!(
        Command::new("openssl")
            .args(args)
            .status()
            .unwrap()
            .success(),
        "openssl {args:?}"
    );
}

#[test]
fn orbit_sees_a_kos_device_alive_pings_it_and_restarts_its_apps() {
    let dir = tempfile::tempdir().unwrap();
    let orbit = serve(&dir.path().join("orbit-data"));
    let key = dir.path().join("dev1.pem");
    let public = dir.path().join("dev1.pub.pem");
    openssl(&[
        "genpkey",
        "-algorithm",
        "ed25519",
        "-out",
        key.to_str().unwrap(),
    ]);
    openssl(&[
        "pkey",
        "-in",
        key.to_str().unwrap(),
        "-pubout",
        "-out",
        public.to_str().unwrap(),
    ]);
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
    msg_servers {{ main {{ dir_access_control {{
        kos_root_protocol {{ servers = "_root"; clients = "device_admin"; }};
    }}; }}; }};
    apps {{
        device_admin {{ kind = "beam"; app = "device_admin"; msg_servers = "main"; memory_mib = <64>;
                        args = "{ws}", "dev1", "{}", "1.0.0"; }};
        worker {{ kind = "beam"; app = "idle_app"; memory_mib = <64>; args = "100"; }};
    }};
"#,
        key.display()
    ));
    let before = sys.wait_all(&[
        &["[device_admin]", "started (pid"],
        &["[worker]", "started (pid"],
    ]);
    sys.wait_for(&["[device_admin]", "connected to Orbit"]);
    orbit.wait_status("dev1", "online");
    let devices = orbit.admin_ok(&["devices"]);
    assert!(devices.contains("1.0.0"), "version reported: {devices}");

    let ping = orbit.admin_ok(&["ping", "dev1"]);
    assert!(ping.contains("ok") && ping.contains("pong"), "{ping}");

    let restart = orbit.admin_ok(&["restart", "dev1"]);
    assert!(restart.contains("restarting 2 applications"), "{restart}");
    sys.wait_for(&["[_root]", "all apps stopped; starting them again"]);
    let after = sys.wait_all(&[
        &["[device_admin]", "started (pid"],
        &["[worker]", "started (pid"],
    ]);
    for (b, a) in before.iter().zip(&after) {
        assert_ne!(
            started_pid(b),
            started_pid(a),
            "a new OS process: {b} / {a}"
        );
        assert!(!process_alive(started_pid(b)), "the old one is gone: {b}");
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
