//! Helpers shared by the integration tests: fixture paths and compiling with the real
//! `dtc`, which fails the test with the install hint when `dtc` is missing.
#![allow(dead_code)] // each test crate uses a different subset

use std::path::{Path, PathBuf};

/// A file under `tests/fixtures`, e.g. `valid/example.dts`.
pub fn fixture(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(relative)
}

/// Compiles a `.dts` file with dtc, panicking with dtc's own message on failure.
pub fn compile(path: &Path) -> Vec<u8> {
    kos_manifest::dtc::compile(path).unwrap_or_else(|e| panic!("{e}"))
}

/// Compiles a fixture by its path under `tests/fixtures`.
pub fn compile_fixture(relative: &str) -> Vec<u8> {
    compile(&fixture(relative))
}

/// Writes `source` to a scratch file named `name` and compiles it.
pub fn compile_source(name: &str, source: &str) -> Vec<u8> {
    let path = scratch(&format!("{name}.dts"));
    std::fs::write(&path, source).unwrap();
    compile(&path)
}

/// A path for a scratch file in cargo's per-target temporary directory.
pub fn scratch(file: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("kos-manifest");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(file)
}

/// A whole manifest around `body`, the lines inside `/ { ... }` after `compatible`.
pub fn manifest_source(body: &str) -> String {
    format!("/dts-v1/;\n/ {{\n    compatible = \"kos,system-0.10\";\n{body}\n}};\n")
}
