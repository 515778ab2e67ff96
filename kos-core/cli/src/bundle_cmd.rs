//! `kos bundle create|show`: upgrade bundles of a system image, as Orbit delivers them.
//!
//! An image is a directory with `system.dts` and the BEAM apps' builds under
//! `elixir/<app>/_build/` (what `_root` switches to). `create` checks the image the way
//! `_root` will — the manifest keeps every rule and every app's code is there — before
//! it signs anything, so a bundle that a device would refuse is not made at all.

use std::path::Path;

use anyhow::{bail, Context, Result};

/// Checks `image` and writes it to `out`, signed with the PKCS#8 PEM key in `key`.
pub fn create(
    image: &Path,
    out: &Path,
    key: &Path,
    version: &str,
    rollback: bool,
    bin_dir: &Path,
) -> Result<()> {
    let manifest_path = kos_root::image_manifest(image);
    if !manifest_path.is_file() {
        bail!(
            "{} is not a system image: it has no system.dts (an image is system.dts plus elixir/<app>/_build)",
            image.display()
        );
    }
    let manifest = kos_manifest::dtc::load(&manifest_path)?;
    let mut options = kos_root::RunOptions::new(bin_dir);
    options.beam_dir = kos_root::image_beam_dir(image);
    kos_root::check(&manifest, &options).context("the image cannot run")?;
    let pem = std::fs::read_to_string(key).with_context(|| format!("reading {}", key.display()))?;
    let key = kos_bundle::signing_key_from_pem(&pem).context("the signing key")?;
    let what = if rollback {
        ", a deliberate rollback"
    } else {
        ""
    };
    eprintln!("bundling {} (version {version}{what})", image.display());
    let summary = kos_bundle::create_marked(image, out, version, rollback, &key, |path, bytes| {
        eprintln!("  {path} ({bytes} bytes)");
    })?;
    println!(
        "{}: version {}{what}, {} files, {} bytes, sha256 {}",
        out.display(),
        summary.version,
        summary.files,
        summary.bytes,
        summary.digest_hex
    );
    Ok(())
}

/// Prints a bundle's index: version and files (nothing is verified).
pub fn show(bundle: &Path) -> Result<()> {
    let index = kos_bundle::read_index(bundle)?;
    let what = if index.rollback {
        ", a deliberate rollback"
    } else {
        ""
    };
    println!(
        "version {}{what}, {} files",
        index.version,
        index.files.len()
    );
    for f in &index.files {
        println!("  {:o} {:>10} {}", f.mode, f.size, f.path);
    }
    Ok(())
}
