//! Embeds every `boards/<name>/board.toml`, so the `kos` binary knows its boards
//! wherever it runs; the files stay the one place a board is written.

use std::fmt::Write;
use std::path::Path;

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("board.toml").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut out = String::from(
        "/// Every board file: (folder name, text).\npub const FILES: &[(&str, &str)] = &[\n",
    );
    for name in &names {
        let file = dir.join(name).join("board.toml");
        println!("cargo:rerun-if-changed={}", file.display());
        writeln!(
            out,
            "    ({name:?}, include_str!({:?})),",
            file.display().to_string()
        )
        .unwrap();
    }
    out.push_str("];\n");
    let target = Path::new(&std::env::var("OUT_DIR").unwrap()).join("boards.rs");
    std::fs::write(target, out).unwrap();
}
