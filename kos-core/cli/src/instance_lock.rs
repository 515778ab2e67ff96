//! One `kos run` per device: an exclusive lock on a file, held for the whole run.
//!
//! `--state-dir DIR` locks `DIR/kos-run.lock`, `--lock FILE` locks FILE (what `mix
//! kos.run` passes for its project). A second `kos run` on the same lock is refused at
//! once, naming the first one's pid, instead of two systems with one device identity
//! knocking each other off Orbit. The lock is the kernel's (`flock`), so it goes with
//! the process however it ends, `kill -9` included; the file stays, naming the last
//! holder.

use std::fs::File;
use std::io::{Read, Seek, Write};
use std::os::fd::AsRawFd;
use std::path::Path;

use anyhow::{bail, Context, Result};

/// A held lock; released when dropped (or when the process ends).
pub struct InstanceLock {
    _file: File,
}

impl InstanceLock {
    /// Takes the lock on `path` (made if missing) or says who holds it.
    pub fn take(path: &Path) -> Result<InstanceLock> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .with_context(|| format!("opening {}", path.display()))?;
        // SAFETY: flock(2) on a descriptor this function owns.
        let locked = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0;
        if !locked {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let holder = holder.trim();
            let who = if holder.is_empty() {
                String::new()
            } else {
                format!(" (pid {holder})")
            };
            bail!(
                "another kos run{who} holds {}: one system per device at a time; stop that one first",
                path.display()
            );
        }
        file.set_len(0)?;
        file.rewind()?;
        writeln!(file, "{}", std::process::id())?;
        Ok(InstanceLock { _file: file })
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_naming_the_first_and_the_lock_goes_with_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state/kos-run.lock");
        let first = InstanceLock::take(&path).unwrap();
        let err = InstanceLock::take(&path).err().unwrap().to_string();
        assert!(
            err.contains(&format!("(pid {})", std::process::id())),
            "{err}"
        );
        drop(first);
        assert!(InstanceLock::take(&path).is_ok());
    }
}
