//! Keeping the images directory to what a device needs: at start, before any stage
//! runs, partial work (`incoming-*`, left by a device admin that died mid-stage) is
//! removed, and of the complete images (`image-*`) only the one running now and the
//! newest other one (what a rollback or the next boot may still want) are kept.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::stage::{IMAGE_PREFIX, INCOMING_PREFIX};

/// What [`tidy`] removed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Tidied {
    /// Partial stages removed.
    pub partial: Vec<String>,
    /// Old images removed.
    pub images: Vec<String>,
    /// Images kept.
    pub kept: Vec<String>,
}

/// Tidies `images`, keeping `running` (the image the system runs from, if it runs
/// from one of them) and the newest other image. Only `incoming-*` and `image-*`
/// directories are touched; anything else there is left as it is. Must not run while
/// a stage is in progress.
pub fn tidy(images: &Path, running: Option<&Path>) -> std::io::Result<Tidied> {
    let mut tidied = Tidied::default();
    let Ok(entries) = std::fs::read_dir(images) else {
        return Ok(tidied);
    };
    let running = running.and_then(|r| r.canonicalize().ok());
    let mut complete: Vec<(SystemTime, String, PathBuf)> = Vec::new();
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name().to_string_lossy().into_owned();
        // Never follow a link out of the images directory.
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if !kind.is_dir() {
            continue;
        }
        if name.starts_with(INCOMING_PREFIX) {
            std::fs::remove_dir_all(entry.path())?;
            tidied.partial.push(name);
        } else if name.starts_with(IMAGE_PREFIX) {
            let when = entry
                .metadata()
                .and_then(|m| m.modified())
                .unwrap_or(SystemTime::UNIX_EPOCH);
            complete.push((when, name, entry.path()));
        }
    }
    // Newest first; keep the running one and the newest of the rest.
    complete.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| b.1.cmp(&a.1)));
    let is_running = |p: &Path| {
        running
            .as_deref()
            .is_some_and(|r| p.canonicalize().ok().as_deref() == Some(r))
    };
    let mut kept_other = false;
    for (_, name, path) in complete {
        if is_running(&path) {
            tidied.kept.push(name);
        } else if !kept_other {
            kept_other = true;
            tidied.kept.push(name);
        } else {
            std::fs::remove_dir_all(&path)?;
            tidied.images.push(name);
        }
    }
    tidied.partial.sort();
    tidied.images.sort();
    tidied.kept.sort();
    Ok(tidied)
}
