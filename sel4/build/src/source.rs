//! The seL4 kernel tree: the `sel4-sys` 0.0.28 package's `seL4/` folder, which cargo
//! fetches from crates.io for `sel4/kernel-source/Cargo.toml` (a manifest that is
//! never built) and whose place `cargo metadata` gives.

use std::path::PathBuf;
use std::process::Command;

use serde::Deserialize;

use crate::{checkout, run, BuildError};

/// The kernel version this tree must be.
pub const KERNEL_VERSION: &str = "5.0.0";

#[derive(Deserialize)]
struct Metadata {
    packages: Vec<Package>,
}

#[derive(Deserialize)]
struct Package {
    name: String,
    manifest_path: PathBuf,
}

/// The kernel tree, fetched if cargo does not have it yet; checked to be seL4 5.0.0.
pub fn kernel_tree() -> Result<PathBuf, BuildError> {
    let manifest = checkout().join("sel4/kernel-source/Cargo.toml");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    run(
        "fetching sel4-sys from crates.io",
        Command::new(&cargo)
            .args(["fetch", "--locked", "--manifest-path"])
            .arg(&manifest),
    )?;
    let json = run(
        "locating sel4-sys",
        Command::new(&cargo)
            .args([
                "metadata",
                "--format-version",
                "1",
                "--locked",
                "--manifest-path",
            ])
            .arg(&manifest),
    )?;
    // `run` joins stdout and stderr; the JSON is the one line that starts with `{`.
    let line = json
        .lines()
        .find(|l| l.starts_with('{'))
        .unwrap_or_default();
    let meta: Metadata = serde_json::from_str(line).map_err(|e| BuildError::Failed {
        step: "reading cargo metadata".into(),
        command: "cargo metadata".into(),
        output: e.to_string(),
    })?;
    let package = meta
        .packages
        .iter()
        .find(|p| p.name == "sel4-sys")
        .ok_or_else(|| BuildError::Board("cargo metadata lists no sel4-sys".into()))?;
    let tree = package
        .manifest_path
        .parent()
        .map(|p| p.join("seL4"))
        .unwrap_or_default();
    let version =
        std::fs::read_to_string(tree.join("VERSION")).map_err(|error| BuildError::Io {
            path: tree.join("VERSION"),
            error,
        })?;
    if version.trim() != KERNEL_VERSION {
        return Err(BuildError::Board(format!(
            "{} holds seL4 {}, not {KERNEL_VERSION}",
            tree.display(),
            version.trim()
        )));
    }
    Ok(tree)
}
