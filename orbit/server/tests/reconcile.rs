//! Commands an Orbit that died (a `kill -9`) left unfinished are settled when the
//! next one starts, with the reason; upgrades, whose result a device reports from its
//! next system, wait for it until their deadline and then fail.

use ed25519_dalek::SigningKey;
use orbit::reconcile::{self, UPGRADE_DEADLINE};
use orbit::{Orbit, Settings};

#[test]
fn a_restarted_orbit_settles_what_the_dead_one_left_and_upgrades_wait_for_their_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let now = orbit::now_ms();
    let deadline = UPGRADE_DEADLINE.as_millis() as i64;
    let (ping, restart, upgrade, old_upgrade, done) = {
        let o = Orbit::open(&data, Settings::default()).unwrap();
        let key = SigningKey::from_bytes(&[9; 32]);
        o.store
            .register("dev1", key.verifying_key().as_bytes(), now)
            .unwrap();
        let ping = o.store.new_command("dev1", "ping", now).unwrap();
        let restart = o.store.new_command("dev1", "restart", now).unwrap();
        o.store.update_command(restart, "acked", "", None).unwrap();
        let upgrade = o.store.new_command("dev1", "upgrade", now).unwrap();
        o.store
            .update_command(
                upgrade,
                "acked",
                "device restarting into the new system",
                None,
            )
            .unwrap();
        let old_upgrade = o
            .store
            .new_command("dev1", "upgrade", now - deadline - 1)
            .unwrap();
        o.store
            .update_command(old_upgrade, "acked", "", None)
            .unwrap();
        let done = o.store.new_command("dev1", "ping", now).unwrap();
        o.store
            .update_command(done, "ok", "pong", Some(now))
            .unwrap();
        // The Orbit that made them goes away without finishing them.
        (ping, restart, upgrade, old_upgrade, done)
    };

    let o = Orbit::open(&data, Settings::default()).unwrap();
    let state = |id| {
        let c = o.store.command(id).unwrap().unwrap();
        (c.state, c.detail, c.finished_at.is_some())
    };
    for id in [ping, restart] {
        let (s, detail, finished) = state(id);
        assert_eq!((s.as_str(), finished), ("error", true), "{id}: {detail}");
        assert!(
            detail.contains("Orbit stopped before the device reported"),
            "{detail}"
        );
    }
    let (s, detail, _) = state(old_upgrade);
    assert_eq!(s, "error");
    assert!(
        detail.contains("no result from the device within 30 min"),
        "{detail}"
    );
    // A recent upgrade still waits for the device's report; a finished command is as it was.
    assert_eq!(state(upgrade).0, "acked");
    assert_eq!(state(done), ("ok".into(), "pong".into(), true));
    assert_eq!(o.store.unfinished().unwrap().len(), 1);

    // The running Orbit's sweep ends it once its deadline has passed too.
    let early = reconcile::sweep(o.store.as_ref(), now + deadline - 1).unwrap();
    assert!(early.expired.is_empty() && early.cut_off.is_empty());
    let late = reconcile::sweep(o.store.as_ref(), now + deadline).unwrap();
    assert_eq!(late.expired, [upgrade]);
    assert!(o.store.unfinished().unwrap().is_empty());
}

/// A device that reconnects with results Orbit never acknowledged.
struct Reporting(Vec<orbit_protocol::ToOrbit>);

impl orbit_device::Handler for Reporting {
    async fn handle(
        &mut self,
        _: u64,
        _: &orbit_protocol::Command,
        _: &str,
    ) -> Result<String, orbit_device::CommandError> {
        Ok(String::new())
    }

    fn on_connect(&mut self) -> Vec<orbit_protocol::ToOrbit> {
        std::mem::take(&mut self.0)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_result_kept_across_a_broken_link_finishes_its_command_once() {
    let dir = tempfile::tempdir().unwrap();
    let o = orbit::start(
        Orbit::open(&dir.path().join("data"), Settings::default()).unwrap(),
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let key = SigningKey::from_bytes(&[8; 32]);
    let now = orbit::now_ms();
    o.orbit
        .store
        .register("dev1", key.verifying_key().as_bytes(), now)
        .unwrap();
    // A ping the device took on a connection that then broke, and one finished already.
    let taken = o.orbit.store.new_command("dev1", "ping", now).unwrap();
    o.orbit
        .store
        .update_command(
            taken,
            "acked",
            "device disconnected; its result may come when it reconnects",
            None,
        )
        .unwrap();
    let finished = o.orbit.store.new_command("dev1", "ping", now).unwrap();
    o.orbit
        .store
        .update_command(finished, "error", "given up", Some(now))
        .unwrap();
    let report = |id| orbit_protocol::ToOrbit::Result {
        id,
        ok: true,
        detail: "pong".into(),
    };
    let id = orbit_device::Identity {
        name: "dev1".into(),
        key,
    };
    let url = format!("ws://{}", o.addr);
    let session = orbit_device::connect_to(&orbit_device::Endpoint::new(&url), &id, "1.0.0")
        .await
        .unwrap();
    let mut handler = Reporting(vec![report(taken), report(finished)]);
    let (_keep, mut outgoing) = tokio::sync::mpsc::unbounded_channel();
    let mut kept = Vec::new();
    let serving = tokio::spawn(async move {
        let ended = session
            .serve_keeping(&mut handler, &mut outgoing, &mut kept)
            .await;
        (ended, kept)
    });
    // Bounded wait for Orbit to record it.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while o.orbit.store.command(taken).unwrap().unwrap().state != "ok" {
        assert!(
            std::time::Instant::now() < deadline,
            "the kept result was not recorded"
        );
        tokio::task::yield_now().await;
    }
    assert_eq!(
        o.orbit.store.command(taken).unwrap().unwrap().detail,
        "pong"
    );
    // A command finished already stays as it was: a command finishes once.
    let f = o.orbit.store.command(finished).unwrap().unwrap();
    assert_eq!((f.state.as_str(), f.detail.as_str()), ("error", "given up"));
    o.stop().await;
    // (That the device forgets what Orbit acknowledged is orbit-device's link test.)
    let _ = serving.await.unwrap();
}
