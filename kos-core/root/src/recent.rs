//! Each app's recent log lines, kept in memory in a bounded ring per app (as Nerves'
//! RingLogger keeps a device's): the last N lines KOS wrote about an app or the app
//! printed, oldest dropped first, for `kos logs APP` from another terminal, and
//! followers that receive each new line as it is logged.

use std::collections::{HashMap, VecDeque};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Mutex;

/// The rings of a system's apps.
pub struct Recent {
    capacity: usize,
    rings: Mutex<HashMap<String, VecDeque<String>>>,
    followers: Mutex<Vec<(String, Sender<String>)>>,
}

impl Recent {
    /// Rings of `capacity` lines each (at least one).
    pub fn new(capacity: usize) -> Recent {
        Recent {
            capacity: capacity.max(1),
            rings: Mutex::new(HashMap::new()),
            followers: Mutex::new(Vec::new()),
        }
    }

    /// Keeps `line` in `app`'s ring and hands it to `app`'s followers.
    pub fn push(&self, app: &str, line: &str) {
        // Rings, then followers — the order `follow` takes them in, so a follower sees
        // each line once: in its snapshot or after it.
        let mut rings = self.rings.lock().unwrap_or_else(|p| p.into_inner());
        let ring = rings.entry(app.to_string()).or_default();
        if ring.len() == self.capacity {
            ring.pop_front();
        }
        ring.push_back(line.to_string());
        let mut followers = self.followers.lock().unwrap_or_else(|p| p.into_inner());
        // A follower that went away is forgotten here.
        followers.retain(|(who, tx)| who != app || tx.send(line.to_string()).is_ok());
    }

    /// `app`'s ring, oldest line first.
    pub fn lines(&self, app: &str) -> Vec<String> {
        let rings = self.rings.lock().unwrap_or_else(|p| p.into_inner());
        rings
            .get(app)
            .map(|r| r.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// `app`'s ring and, atomically with it, every line logged after it.
    pub fn follow(&self, app: &str) -> (Vec<String>, Receiver<String>) {
        let (tx, rx) = mpsc::channel();
        // Held across both so no line falls between the snapshot and the follow.
        let rings = self.rings.lock().unwrap_or_else(|p| p.into_inner());
        let now = rings
            .get(app)
            .map(|r| r.iter().cloned().collect())
            .unwrap_or_default();
        self.followers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((app.to_string(), tx));
        drop(rings);
        (now, rx)
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn a_ring_keeps_the_newest_lines_and_followers_get_what_comes_after() {
        let recent = Recent::new(3);
        for i in 1..=5 {
            recent.push("a", &format!("a{i}"));
        }
        recent.push("b", "b1");
        assert_eq!(recent.lines("a"), ["a3", "a4", "a5"]);
        assert_eq!(recent.lines("b"), ["b1"]);
        assert!(recent.lines("c").is_empty());
        let (now, rx) = recent.follow("a");
        assert_eq!(now, ["a3", "a4", "a5"]);
        recent.push("b", "b2");
        recent.push("a", "a6");
        assert_eq!(rx.try_recv().unwrap(), "a6");
        assert!(rx.try_recv().is_err(), "only a's lines");
        drop(rx);
        recent.push("a", "a7");
        assert_eq!(
            recent.followers.lock().unwrap().len(),
            0,
            "a gone follower is dropped"
        );
    }
}
