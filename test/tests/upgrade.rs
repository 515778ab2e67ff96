//! Switching a running system to an upgrade image through `kos_root_protocol`
//! UPGRADE: a bad image is refused and nothing changes; a good one replaces the
//! system; one whose apps do not stay up is rolled back to the previous system.

use std::path::Path;

use kos_system_tests::{bin_dir, copy_tree, openssl_keypair, process_alive, RunningSystem};

/// An image directory: `system.dts` with `apps` as its apps, and the repository's
/// compiled Elixir apps as its `elixir/`.
fn image(dir: &Path, apps: &str) -> String {
    std::fs::create_dir_all(dir).unwrap();
    let dts = format!("/dts-v1/;\n/ {{\n    compatible = \"kos,system-0.10\";\n    apps {{\n{apps}\n    }};\n}};\n");
    std::fs::write(dir.join("system.dts"), dts).unwrap();
    let elixir =
        std::fs::canonicalize(Path::new(env!("CARGO_MANIFEST_DIR")).join("../elixir")).unwrap();
    std::os::unix::fs::symlink(elixir, dir.join("elixir")).unwrap();
    dir.to_str().unwrap().to_string()
}

/// An image whose one app crashes 100 ms after it starts: an upgrade that fails its
/// trial.
fn crashing_image(dir: &Path) -> String {
    image(
        &dir.join("broken"),
        r#"flaky { kind = "native"; binary = "crasher"; heap_kib = <512>; args = "--after-ms", "100"; };"#,
    )
}

/// The running system: a BEAM worker, and an admin that asks for the upgrade to `image`.
fn system_upgrading_to(image: &str) -> RunningSystem {
    system_upgrading_to_with(image, &[])
}

/// The same, with more `kos run` options.
fn system_upgrading_to_with(image: &str, extra: &[&str]) -> RunningSystem {
    let mut args = vec!["--upgrade-trial", "3s"];
    args.extend_from_slice(extra);
    RunningSystem::boot_args(
        &format!(
            r#"
    msg_servers {{ main {{ dir_access_control {{
        kos_root_protocol {{ servers = "_root"; clients = "admin"; }};
    }}; }}; }};
    apps {{
        worker {{ kind = "beam"; app = "idle_app"; memory_mib = <64>; env {{ interval_ms = <200>; }}; }};
        admin {{ kind = "native"; binary = "root_caller"; msg_servers = "main"; heap_kib = <512>;
                 restart = "temporary"; args = "--after-ms", "1500", "upgrade", "{image}"; }};
    }};
"#
        ),
        &args,
    )
}

#[test]
fn a_bad_image_is_refused_with_its_reason_and_nothing_changes() {
    let dir = tempfile::tempdir().unwrap();
    let bad = image(
        &dir.path().join("bad"),
        r#"ghost { kind = "native"; binary = "no_such_binary"; heap_kib = <512>; };"#,
    );
    let mut sys = system_upgrading_to(&bad);
    let worker = sys.wait_started("worker");
    let refused = sys.wait_for(&["[admin]", "_root refused with status 4"]);
    assert!(refused.contains("no_such_binary"), "{refused}");
    // `_root` logs its refusal before it answers: the decision is made.
    let refusal = sys.wait_event("_root@main", "upgrade_refused");
    assert_eq!(refusal.string("by"), "admin");
    assert!(
        refusal.string("reason").contains("no_such_binary"),
        "{}",
        refusal.text()
    );
    assert!(process_alive(worker), "the worker was not touched");
    assert_eq!(sys.events("worker", "started").len(), 1);
    assert!(sys.events("_root", "switch_asked").is_empty());
    assert!(sys.stop().success());
}

#[test]
fn a_good_image_replaces_the_running_system_and_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let good = image(
        &dir.path().join("v2"),
        r#"worker_v2 { kind = "beam"; app = "idle_app"; memory_mib = <64>; env { interval_ms = <200>; }; };"#,
    );
    let mut sys = system_upgrading_to(&good);
    let old = sys.wait_started("worker");
    // (The admin may be stopped by the switch before it logs _root's answer.)
    sys.wait_event("_root", "switch_asked");
    sys.wait_event("_root", "upgrade_on_trial");
    let new = sys.wait_started("worker_v2");
    assert_ne!(old, new);
    assert!(!process_alive(old), "the old system's worker is gone");
    sys.wait_event("_root", "upgrade_kept");
    assert!(process_alive(new));
    assert!(sys.stop().success());
    assert!(
        !process_alive(new),
        "stopping after an upgrade stops the new system"
    );
}

#[test]
fn a_kept_upgrade_is_what_boots_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let good = image(
        &dir.path().join("v2"),
        r#"worker_v2 { kind = "beam"; app = "idle_app"; memory_mib = <64>; env { interval_ms = <200>; }; };"#,
    );
    let state = dir.path().join("state");
    let state_arg = state.to_str().unwrap().to_string();
    let mut sys = system_upgrading_to_with(&good, &["--state-dir", &state_arg]);
    sys.wait_event("_root", "upgrade_kept");
    let set = sys.wait_event("_root", "boot_target_set");
    assert_eq!(set.string("image"), good);
    assert!(sys.stop().success());

    // Restarted with the very same command line, the device runs what it kept.
    let mut again = system_upgrading_to_with(&good, &["--state-dir", &state_arg]);
    let booting = again.wait_event("_root", "booting_kept_upgrade");
    assert_eq!(booting.string("image"), good);
    again.wait_started("worker_v2");
    assert!(again.stop().success());
    assert!(
        again.events("worker", "started").is_empty(),
        "the old system did not start: {:#?}",
        again.log
    );

    // A kept image that no longer checks out is reported; the command line's boots.
    std::fs::remove_file(Path::new(&good).join("system.dts")).unwrap();
    let mut fallback = system_upgrading_to_with(&good, &["--state-dir", &state_arg]);
    let unusable = fallback.wait_event("_root", "boot_target_unusable");
    assert_eq!(unusable.string("image"), good);
    fallback.wait_started("worker");
    assert!(fallback.stop().success());
    assert!(!state.join("boot-target").exists(), "forgotten");
}

#[test]
fn an_image_whose_app_crashes_is_rolled_back_to_the_previous_system() {
    let dir = tempfile::tempdir().unwrap();
    let crashing = crashing_image(dir.path());
    let mut sys = system_upgrading_to(&crashing);
    let old = sys.wait_started("worker");
    sys.wait_event("_root", "upgrade_on_trial");
    sys.wait_for(&["[flaky]", "crashing now"]);
    let rolled = sys.wait_event("_root", "upgrade_rolled_back");
    assert!(
        rolled.string("reason").contains("flaky"),
        "the reason names the app: {}",
        rolled.text()
    );
    // The previous system runs again: its worker in a new process.
    let again = sys.wait_started("worker");
    assert_ne!(old, again);
    assert!(process_alive(again));
    assert!(sys.stop().success());
}

#[test]
fn kos_bundle_create_checks_the_image_and_signs_what_a_device_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let (key, public) = openssl_keypair(dir.path(), "deploy");
    let elixir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../elixir");
    let make_image = |name: &str, app: &str| {
        let img = dir.path().join(name);
        copy_tree(
            &elixir.join("idle_app/_build"),
            &img.join("elixir/idle_app/_build"),
        );
        let dts = format!("/dts-v1/;\n/ {{\n    compatible = \"kos,system-0.10\";\n    apps {{ worker {{ kind = \"beam\"; app = \"{app}\"; memory_mib = <64>; }}; }};\n}};\n");
        std::fs::write(img.join("system.dts"), dts).unwrap();
        img
    };
    let kos = |args: &[&str]| {
        std::process::Command::new(bin_dir().join("kos"))
            .args(args)
            .output()
            .unwrap()
    };

    let good = make_image("good", "idle_app");
    let out = dir.path().join("good.tar.gz");
    let made = kos(&[
        "bundle",
        "create",
        good.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--key",
        key.to_str().unwrap(),
        "--version",
        "2.0.0",
    ]);
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let shown = kos(&["bundle", "show", out.to_str().unwrap()]);
    let shown = String::from_utf8_lossy(&shown.stdout);
    assert!(
        shown.contains("version 2.0.0") && shown.contains("system.dts"),
        "{shown}"
    );
    let trusted =
        kos_bundle::verifying_key_from_pem(&std::fs::read_to_string(&public).unwrap()).unwrap();
    let staged = dir.path().join("staged");
    let unpacked =
        kos_bundle::unpack_verified(&out, &trusted, &staged, &kos_bundle::Limits::default())
            .unwrap();
    assert_eq!(unpacked.version, "2.0.0");
    assert!(!unpacked.rollback, "not a rollback unless asked");
    assert!(staged.join("elixir/idle_app/_build").is_dir());

    // A deliberate rollback is marked in the signed index, and says so.
    let back = dir.path().join("back.tar.gz");
    let made = kos(&[
        "bundle",
        "create",
        good.to_str().unwrap(),
        "-o",
        back.to_str().unwrap(),
        "--key",
        key.to_str().unwrap(),
        "--version",
        "1.0.0",
        "--rollback",
    ]);
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let shown = kos(&["bundle", "show", back.to_str().unwrap()]);
    let shown = String::from_utf8_lossy(&shown.stdout);
    assert!(
        shown.contains("version 1.0.0, a deliberate rollback"),
        "{shown}"
    );
    let marked = kos_bundle::unpack_verified(
        &back,
        &trusted,
        &dir.path().join("staged-back"),
        &kos_bundle::Limits::default(),
    )
    .unwrap();
    assert!(marked.rollback);

    // An image whose app's code is missing is not bundled, and says which app.
    let bad = make_image("bad", "no_such_app");
    let out = dir.path().join("bad.tar.gz");
    let made = kos(&[
        "bundle",
        "create",
        bad.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--key",
        key.to_str().unwrap(),
        "--version",
        "2.0.1",
    ]);
    assert!(!made.status.success());
    let err = String::from_utf8_lossy(&made.stderr);
    assert!(
        err.contains("cannot run") && err.contains("no_such_app"),
        "{err}"
    );
    assert!(!out.exists(), "no bundle is written for a bad image");
}

#[test]
fn a_rollback_boots_the_system_as_it_was_booted_not_as_its_files_are_now() {
    // The command line's system is rewritten while it runs, as `mix kos.build`
    // rewrites `_build/kos/image` before a push; the upgrade then fails its trial.
    let dir = tempfile::tempdir().unwrap();
    let crashing = crashing_image(dir.path());
    let mut sys = system_upgrading_to(&crashing);
    let copy = sys.wait_event("_root", "booting_copy");
    assert_eq!(
        copy.string("of"),
        sys.manifest_path().display().to_string(),
        "{}",
        copy.text()
    );
    let old = sys.wait_started("worker");
    let source = std::fs::read_to_string(sys.manifest_path()).unwrap();
    std::fs::write(sys.manifest_path(), source.replace("worker {", "rebuilt {")).unwrap();
    // (The admin asks for the upgrade 1.5 s after its start: the rewrite came first.)
    assert!(sys.events("_root", "switch_asked").is_empty(), "too late");
    sys.wait_event("_root", "upgrade_rolled_back");
    // The system that comes back is the one that was booted, not the rewritten file.
    let again = sys.wait_started("worker");
    assert_ne!(old, again);
    assert!(process_alive(again));
    assert!(
        sys.events("rebuilt", "started").is_empty(),
        "{:#?}",
        sys.log
    );
    assert!(sys.stop().success());
}
