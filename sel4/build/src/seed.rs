//! A fresh seed in every boot image, as a boot loader hands one to the system it starts
//! (Linux's `rng-seed`): for a CPU without RDRAND/RDSEED, it is the RNG server's only
//! entropy. The root task carries a [`MARKER`]ed field in its data; before each boot
//! the image is copied and the field filled with 32 bytes from the host's `getrandom`,
//! so no two boots share one and the built image holds none. The root hands the seed
//! to the app the manifest lets serve `kos_rng_protocol` alone, and wipes its own copy.

use std::path::{Path, PathBuf};

use crate::BuildError;

/// The field's first bytes in the root task (`roottask/src/main.rs`, `BOOT_SEED`):
/// the marker, then a flag byte (1: filled), then 7 bytes of padding, then the seed.
pub const MARKER: &[u8; 8] = b"KOSSEED1";
/// Bytes of seed.
pub const SEED_BYTES: usize = 32;

/// A copy of `image` in `dir` with a fresh seed in its field, or `None` when the image
/// has no field (another program than KOS's root task).
pub fn fresh_copy(image: &Path, dir: &Path) -> Result<Option<PathBuf>, BuildError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |error| BuildError::Io { path, error }
    };
    let mut bytes = std::fs::read(image).map_err(io(image))?;
    let mut found = bytes
        .windows(MARKER.len())
        .enumerate()
        .filter(|(_, w)| w == MARKER);
    let Some((at, _)) = found.next() else {
        return Ok(None);
    };
    if found.next().is_some() {
        return Err(BuildError::Board(format!(
            "{}: the boot seed's marker appears more than once",
            image.display()
        )));
    }
    let field = &mut bytes[at + MARKER.len()..at + MARKER.len() + 8 + SEED_BYTES];
    field[0] = 1;
    getrandom::fill(&mut field[8..]).map_err(|e| BuildError::Board(format!("getrandom: {e}")))?;
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let copy = dir.join(format!(
        "{}.seeded",
        image
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("image")
    ));
    std::fs::write(&copy, &bytes).map_err(io(&copy))?;
    Ok(Some(copy))
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn each_copy_gets_its_own_seed_and_the_image_keeps_none() {
        let dir = tempfile::tempdir().unwrap();
        let image = dir.path().join("task");
        let mut content = b"head".to_vec();
        content.extend_from_slice(MARKER);
        content.extend_from_slice(&[0; 8 + SEED_BYTES]);
        content.extend_from_slice(b"tail");
        std::fs::write(&image, &content).unwrap();
        let seed_of = |path: &Path| {
            let b = std::fs::read(path).unwrap();
            assert_eq!(b.len(), content.len());
            assert_eq!(b[12], 1, "flagged as filled");
            b[20..20 + SEED_BYTES].to_vec()
        };
        let a = fresh_copy(&image, &dir.path().join("a")).unwrap().unwrap();
        let b = fresh_copy(&image, &dir.path().join("b")).unwrap().unwrap();
        assert_ne!(seed_of(&a), seed_of(&b));
        assert_ne!(seed_of(&a), vec![0; SEED_BYTES]);
        assert_eq!(
            std::fs::read(&image).unwrap(),
            content,
            "the image is untouched"
        );
        // No field: nothing to fill; two markers: refused rather than guessed.
        std::fs::write(&image, b"no field here").unwrap();
        assert!(fresh_copy(&image, dir.path()).unwrap().is_none());
        let twice = [MARKER.as_slice(), &[0; 40], MARKER.as_slice(), &[0; 40]].concat();
        std::fs::write(&image, twice).unwrap();
        assert!(fresh_copy(&image, dir.path()).is_err());
    }
}
