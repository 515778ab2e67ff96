//! The device's boot target: which system `kos run` boots, kept across restarts.
//!
//! With `--state-dir DIR`, an upgrade that is kept (its trial passed) becomes the boot
//! target: `DIR/boot-target` names its image directory, written atomically (a new file
//! renamed over the old, then the directory synced), as a board's boot partition
//! switch is. The next `kos run` boots that image instead of the system on its command
//! line, so a restart never silently goes back to an older version while Orbit shows
//! the new one. An image that has gone or no longer checks out is reported and the
//! command line's system boots. Without `--state-dir` nothing is kept (a development
//! run).

use std::io::Write;
use std::path::{Path, PathBuf};

/// `DIR/boot-target`.
pub struct BootTarget {
    pub(crate) file: PathBuf,
}

impl BootTarget {
    /// The boot target kept in `state_dir`.
    pub fn in_state_dir(state_dir: &Path) -> BootTarget {
        BootTarget {
            file: state_dir.join("boot-target"),
        }
    }

    /// The file.
    pub fn file(&self) -> &Path {
        &self.file
    }

    /// The kept image directory, if there is one.
    pub fn read(&self) -> std::io::Result<Option<PathBuf>> {
        match std::fs::read_to_string(&self.file) {
            Ok(text) => Ok(Some(PathBuf::from(text.trim_end_matches('\n')))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Makes `image` the boot target; a power cut leaves the old target or the new one.
    pub fn keep(&self, image: &Path) -> std::io::Result<()> {
        let dir = self.file.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir)?;
        let image = std::path::absolute(image)?;
        let tmp = self.file.with_extension("new");
        let mut f = std::fs::File::create(&tmp)?;
        writeln!(f, "{}", image.display())?;
        f.sync_all()?;
        std::fs::rename(&tmp, &self.file)?;
        std::fs::File::open(dir)?.sync_all()
    }

    /// Forgets the boot target (an image that cannot boot any more).
    pub fn forget(&self) -> std::io::Result<()> {
        match std::fs::remove_file(&self.file) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn a_kept_image_is_read_back_and_replaces_the_last() {
        let state = tempfile::tempdir().unwrap();
        let target = BootTarget::in_state_dir(&state.path().join("state"));
        assert_eq!(target.read().unwrap(), None);
        target.keep(Path::new("/images/image-a")).unwrap();
        target.keep(Path::new("/images/image-b")).unwrap();
        assert_eq!(
            target.read().unwrap(),
            Some(PathBuf::from("/images/image-b"))
        );
        assert!(!target.file().with_extension("new").exists());
        target.forget().unwrap();
        assert_eq!(target.read().unwrap(), None);
        target.forget().unwrap();
    }
}
