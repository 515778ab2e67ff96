//! The simulated boards' "unplug file": while it exists a simulated device is off its
//! bus, as if its cable were pulled — for demos and end-to-end tests, with nothing to
//! type into the running system.

use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Watches a file, at most every 100 ms (a `stat` per bus transaction would cost more
/// than the simulated transaction).
#[derive(Debug)]
pub struct UnplugFile {
    path: Option<PathBuf>,
    next_check: Instant,
    unplugged: bool,
}

impl UnplugFile {
    /// Watches `path`, or nothing.
    pub fn new(path: Option<PathBuf>) -> Self {
        UnplugFile {
            path,
            next_check: Instant::now(),
            unplugged: false,
        }
    }

    /// `Some(unplugged)` when the file appeared or went since the last change.
    pub fn changed(&mut self) -> Option<bool> {
        let path = self.path.as_ref()?;
        let now = Instant::now();
        if now < self.next_check {
            return None;
        }
        self.next_check = now + Duration::from_millis(100);
        let unplugged = path.exists();
        if unplugged == self.unplugged {
            return None;
        }
        self.unplugged = unplugged;
        Some(unplugged)
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn reports_each_change_once() {
        let dir = std::env::temp_dir().join(format!("kos-unplug-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("unplugged");
        let mut watch = UnplugFile::new(Some(file.clone()));
        assert_eq!(watch.changed(), None, "no file: plugged in, as at start");
        std::fs::write(&file, b"").unwrap();
        std::thread::sleep(Duration::from_millis(110));
        assert_eq!(watch.changed(), Some(true));
        std::thread::sleep(Duration::from_millis(110));
        assert_eq!(watch.changed(), None, "reported once");
        std::fs::remove_file(&file).unwrap();
        std::thread::sleep(Duration::from_millis(110));
        assert_eq!(watch.changed(), Some(false));
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(UnplugFile::new(None).changed(), None);
    }
}
