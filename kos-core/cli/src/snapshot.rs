//! The command line's system as it was when `kos run` booted it.
//!
//! `mix kos.build` rewrites `_build/kos/image` in place, and a developer rebuilds while
//! the device runs: booting straight from those files, a rollback after a failed
//! upgrade would boot whatever the files hold by then — the broken build — and report
//! the old version running. So the first boot takes a copy into the run's own
//! directory and boots that: the compiled manifest always (a `.dts`'s includes are
//! resolved into it), and the BEAM builds when they lie in the manifest's own
//! directory (an image, as `mix kos.build` writes one). Upgrade images are the device
//! admin's own staged copies already.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// Where the copy of a system is.
pub struct Copy {
    /// The compiled manifest.
    pub manifest: PathBuf,
    /// The BEAM builds: copied, or `beam_dir` itself when it lies elsewhere.
    pub beam_dir: PathBuf,
}

/// Copies the system of `manifest` (compiled: `blob`) and, if it lies in the
/// manifest's directory, `beam_dir`, into `into`.
pub fn take(manifest: &Path, blob: &[u8], beam_dir: &Path, into: &Path) -> Result<Copy> {
    std::fs::create_dir_all(into).with_context(|| format!("creating {}", into.display()))?;
    let copied_manifest = into.join("system.dtb");
    std::fs::write(&copied_manifest, blob)
        .with_context(|| format!("writing {}", copied_manifest.display()))?;
    let home = manifest
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let inside = match (std::fs::canonicalize(home), std::fs::canonicalize(beam_dir)) {
        (Ok(home), Ok(beam)) => beam.starts_with(&home) && beam != home,
        _ => false,
    };
    let beam_dir = if inside {
        let to = into.join("elixir");
        copy_tree(beam_dir, &to)?;
        to
    } else {
        beam_dir.to_path_buf()
    };
    Ok(Copy {
        manifest: copied_manifest,
        beam_dir,
    })
}

/// Copies `from` to `to`: directories and files, symbolic links as links.
fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to).with_context(|| format!("creating {}", to.display()))?;
    for entry in std::fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let entry = entry?;
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        let kind = entry.file_type()?;
        if kind.is_dir() {
            copy_tree(&src, &dst)?;
        } else if kind.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(&src)?, &dst)
                .with_context(|| format!("linking {}", dst.display()))?;
        } else {
            std::fs::copy(&src, &dst).with_context(|| format!("copying {}", src.display()))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn an_images_builds_are_copied_and_a_beam_dir_elsewhere_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let image = dir.path().join("image");
        std::fs::create_dir_all(image.join("elixir/app/ebin")).unwrap();
        std::fs::write(image.join("elixir/app/ebin/app.beam"), "v1").unwrap();
        let into = dir.path().join("copy");
        let copy = take(
            &image.join("system.dtb"),
            b"blob",
            &image.join("elixir"),
            &into,
        )
        .unwrap();
        assert_eq!(std::fs::read(&copy.manifest).unwrap(), b"blob");
        assert_eq!(copy.beam_dir, into.join("elixir"));
        // A rebuild of the image changes nothing in the copy.
        std::fs::write(image.join("elixir/app/ebin/app.beam"), "v2").unwrap();
        assert_eq!(
            std::fs::read_to_string(copy.beam_dir.join("app/ebin/app.beam")).unwrap(),
            "v1"
        );

        let elsewhere = dir.path().join("elixir");
        std::fs::create_dir_all(&elsewhere).unwrap();
        let copy = take(
            &dir.path().join("systems/demo.dts"),
            b"blob",
            &elsewhere,
            &dir.path().join("copy2"),
        )
        .unwrap();
        assert_eq!(copy.beam_dir, elsewhere);
    }
}
