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
