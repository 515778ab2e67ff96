//! Orbit over TLS: a certificate made with the `openssl` CLI, devices on `wss://`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use orbit::{Orbit, Settings};
use orbit_device::orbit_protocol::Command as OrbitCommand;
use orbit_device::{Endpoint, Handler, Identity};

struct Pong;

impl Handler for Pong {
    async fn handle(
        &mut self,
        _: u64,
        _: &OrbitCommand,
        _: &str,
    ) -> Result<String, orbit_device::CommandError> {
        Ok("pong".into())
    }
}

fn openssl(args: &[&str]) {
    let ok = Command::new("openssl")
        .args(args)
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap()
        .success();
    assert!(ok, "openssl {args:?} failed");
}

/// A deployment CA and an Orbit certificate it signed for 127.0.0.1 and localhost, made
/// with the openssl CLI: (CA cert, Orbit cert, Orbit key).
fn certificate(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let p = |n: &str| dir.join(n).to_str().unwrap().to_string();
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    openssl(
        &[
            &["req", "-x509"][..],
            &ec,
            &[
                "-subj",
                "/CN=KOS test CA",
                "-days",
                "2",
                "-keyout",
                &p("ca.key"),
                "-out",
                &p("ca.crt"),
            ],
        ]
        .concat(),
    );
    openssl(
        &[
            &["req", "-new"][..],
            &ec,
            &[
                "-subj",
                "/CN=localhost",
                "-keyout",
                &p("orbit.key"),
                "-out",
                &p("orbit.csr"),
            ],
        ]
        .concat(),
    );
    std::fs::write(
        dir.join("ext.cnf"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        &p("orbit.csr"),
        "-CA",
        &p("ca.crt"),
        "-CAkey",
        &p("ca.key"),
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        &p("ext.cnf"),
        "-out",
        &p("orbit.crt"),
    ]);
    (
        dir.join("ca.crt"),
        dir.join("orbit.crt"),
        dir.join("orbit.key"),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devices_connect_over_wss_and_only_with_a_trusted_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let (ca_cert, cert, key) = certificate(dir.path());
    let acceptor = orbit::tls::acceptor(&cert, &key).unwrap();
    let orbit = Orbit::open(&dir.path().join("data"), Settings::default()).unwrap();
    let o = orbit::start_tls(orbit, "127.0.0.1:0".parse().unwrap(), acceptor)
        .await
        .unwrap();
    let device_key = ed25519_dalek::SigningKey::from_bytes(&[5; 32]);
    o.orbit
        .store
        .register(
            "dev1",
            device_key.verifying_key().as_bytes(),
            orbit::now_ms(),
        )
        .unwrap();
    let id = Identity {
        name: "dev1".into(),
        key: device_key,
    };
    let url = format!("wss://127.0.0.1:{}", o.addr.port());

    // Trusting the deployment's CA: in, and commands flow.
    let ca = std::fs::read_to_string(&ca_cert).unwrap();
    let endpoint = Endpoint::with_ca_pem(&url, &ca).unwrap();
    let session = orbit_device::connect_to(&endpoint, &id, "1").await.unwrap();
    let serving = tokio::spawn(async move { session.serve(&mut Pong).await });
    let t0 = std::time::Instant::now();
    while o.orbit.hub.connected_since("dev1").is_none() {
        assert!(t0.elapsed() < Duration::from_secs(5), "never online");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let cmd = o
        .orbit
        .store
        .new_command("dev1", "ping", orbit::now_ms())
        .unwrap();
    let done = o.orbit.hub.send("dev1", cmd, OrbitCommand::Ping).unwrap();
    let outcome = tokio::time::timeout(Duration::from_secs(5), done)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(outcome.detail, "pong");

    // The public roots do not vouch for a self-signed certificate: refused.
    let e = orbit_device::connect_to(&Endpoint::new(&url), &id, "1")
        .await
        .err()
        .unwrap();
    assert!(
        matches!(&e, orbit_device::Error::Connect(m) if m.contains("certificate") || m.contains("Certificate")),
        "{e}"
    );
    // Plain ws:// to a TLS port gets nowhere.
    let plain = format!("ws://127.0.0.1:{}", o.addr.port());
    assert!(orbit_device::connect(&plain, &id, "1").await.is_err());
    // A CA file without a certificate is a clear error.
    assert!(Endpoint::with_ca_pem(&url, "not a pem").is_err());
    serving.abort();
    o.stop().await;
}

#[test]
fn plain_ws_is_refused_beyond_loopback_and_tls_settings_are_checked() {
    let anywhere: std::net::SocketAddr = "0.0.0.0:4000".parse().unwrap();
    let err = orbit::check_listen(&anywhere, false).unwrap_err();
    assert!(
        matches!(err, orbit::StartError::PlainBeyondLoopback(a) if a == anywhere),
        "{err}"
    );
    assert!(err.to_string().contains("--tls-cert"), "{err}");
    assert!(orbit::check_listen(&anywhere, true).is_ok());
    assert!(orbit::check_listen(&"127.0.0.1:4000".parse().unwrap(), false).is_ok());

    let dir = tempfile::tempdir().unwrap();
    let (_, cert, key) = certificate(dir.path());
    let missing = dir.path().join("missing.pem");
    let err = orbit::tls::acceptor(&missing, &key).err().unwrap();
    assert!(
        matches!(&err, orbit::StartError::Tls(e) if e.contains("missing.pem")),
        "{err}"
    );
    // Certificate and key of different pairs.
    let other = dir.path().join("other");
    std::fs::create_dir(&other).unwrap();
    let (_, _, other_key) = certificate(&other);
    let err = orbit::tls::acceptor(&cert, &other_key).err().unwrap();
    assert!(
        matches!(&err, orbit::StartError::Tls(e) if e.contains("do not go together")),
        "{err}"
    );
}
