//! Results Orbit has not recorded yet, kept on the device's disk.
//!
//! The link keeps every result until Orbit answers `recorded`, across connections
//! (`session.rs`); with a journal it also keeps them across the device software's own
//! death. Each change is written before the result goes out (write-ahead): the list as
//! JSON to a new file, synced, renamed over the journal, the directory synced — so a
//! `kill -9`, a restart of the device admin or a power cut leaves the old list or the
//! new one, never half of either. The next run sends what it finds first.

use std::io::Write;
use std::path::{Path, PathBuf};

use orbit_protocol::ToOrbit;

/// A journal file.
#[derive(Debug, Clone)]
pub struct Journal {
    path: PathBuf,
}

impl Journal {
    /// The journal at `path` (made when there is something to keep).
    pub fn at(path: &Path) -> Journal {
        Journal {
            path: path.to_path_buf(),
        }
    }

    /// The results it holds: none when there is no journal; an unreadable or broken
    /// one is an error (the caller decides whether to start afresh).
    pub fn load(&self) -> std::io::Result<Vec<ToOrbit>> {
        let text = match std::fs::read(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let kept: Vec<ToOrbit> = serde_json::from_slice(&text)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
        Ok(kept
            .into_iter()
            .filter(|m| matches!(m, ToOrbit::Result { .. }))
            .collect())
    }

    /// Replaces what it holds with `results` (no file when there are none).
    pub fn save(&self, results: &[ToOrbit]) -> std::io::Result<()> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        if results.is_empty() {
            match std::fs::remove_file(&self.path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
        } else {
            let tmp = self.path.with_extension("new");
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(&serde_json::to_vec(results).map_err(std::io::Error::other)?)?;
            f.sync_all()?;
            std::fs::rename(&tmp, &self.path)?;
        }
        std::fs::File::open(dir)?.sync_all()
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn results_are_kept_replaced_and_cleared() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::at(&dir.path().join("results.json"));
        assert!(journal.load().unwrap().is_empty());
        let result = |id| ToOrbit::Result {
            id,
            ok: true,
            detail: format!("done {id}"),
        };
        journal.save(&[result(1), result(2)]).unwrap();
        assert_eq!(journal.load().unwrap(), [result(1), result(2)]);
        journal.save(&[result(2)]).unwrap();
        assert_eq!(journal.load().unwrap(), [result(2)]);
        journal.save(&[]).unwrap();
        assert!(!dir.path().join("results.json").exists());
        std::fs::write(dir.path().join("results.json"), "{broken").unwrap();
        assert!(journal.load().is_err());
    }
}
