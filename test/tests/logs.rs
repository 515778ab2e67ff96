//! `kos logs APP`: a running system's recent lines for one app, from another process —
//! bounded by `--log-lines`, newest kept, followed with `-f`, and clear errors for an
//! unknown app or no running system.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use kos_system_tests::{bin_dir, kos, RunningSystem};

const SYSTEM: &str = r#"
    apps {
        steady { kind = "beam"; app = "idle_app"; memory_mib = <64>; env { interval_ms = <100>; }; };
    };
"#;

/// The heartbeat numbers in `lines`.
fn beats(lines: &[String]) -> Vec<u64> {
    lines
        .iter()
        .filter_map(|l| l.split("heartbeat ").nth(1)?.trim().parse().ok())
        .collect()
}

#[test]
fn kos_logs_prints_an_apps_newest_lines_and_follows_new_ones() {
    let mut sys = RunningSystem::boot_args(SYSTEM, &["--log-lines", "4"]);
    sys.wait_for(&["[steady]", "heartbeat 8"]);
    let system = sys.manifest_path().to_str().unwrap().to_string();

    // The ring holds the last 4 lines: the newest heartbeats, none of the first ones.
    let out = kos(&["logs", "steady", "--system", &system]);
    assert!(out.status.success(), "{out:?}");
    let lines: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(String::from)
        .collect();
    assert_eq!(lines.len(), 4, "{lines:?}");
    assert!(lines.iter().all(|l| l.contains("[steady]")), "{lines:?}");
    let ring = beats(&lines);
    // 8 heartbeats and the start were logged; the first ones went.
    assert!(
        !lines.iter().any(|l| l.contains("started (pid")),
        "{lines:?}"
    );
    assert!(ring.len() >= 3 && ring.iter().all(|&b| b >= 5), "{lines:?}");
    assert!(
        ring.windows(2).all(|w| w[0] < w[1]),
        "oldest first: {ring:?}"
    );

    // Following: the ring, then lines logged after it.
    let mut follow = Command::new(bin_dir().join("kos"))
        .args(["logs", "steady", "--system", &system, "-f"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let newest = *ring.last().unwrap();
    let mut later = None;
    for line in BufReader::new(follow.stdout.take().unwrap())
        .lines()
        .take(40)
    {
        let line = line.unwrap();
        if let Some(&b) = beats(&[line]).first() {
            if b > newest + 2 {
                later = Some(b);
                break;
            }
        }
    }
    let _ = follow.kill();
    let _ = follow.wait();
    assert!(
        later.is_some(),
        "no heartbeat past {newest} while following"
    );

    // An app the system does not have, and a system that is not running.
    let out = kos(&["logs", "nobody", "--system", &system]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no app nobody in this system (apps: steady)"),
        "{err}"
    );
    assert!(sys.stop().success());
    let out = kos(&["logs", "steady", "--system", &system]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no running system for"), "{err}");
}
