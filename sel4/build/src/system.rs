//! A system for an seL4 board: its manifest, checked by the same `kos-manifest` rules
//! as `kos manifest check` (and reported the same way), and refused when it asks for
//! what the board cannot run yet.

use std::path::{Path, PathBuf};

use kos_boards::{Board, Kernel};
use kos_manifest::{AppKind, Manifest};

use crate::{write, BuildError};

/// Largest `heap_kib` a component gets on seL4 (the root task's own limit, checked
/// here first so the build says so).
pub const MAX_SEL4_HEAP_KIB: u32 = 2048;

/// A system ready to embed in the root task.
#[derive(Debug)]
pub struct System {
    /// The checked manifest.
    pub manifest: Manifest,
    /// Its compiled device tree, as the root task reads it.
    pub dtb: PathBuf,
}

/// Compiles and checks `dts` for `board`, writing `out/system.dtb`. A broken manifest
/// is refused with `kos manifest check`'s message (node and rule); BEAM apps are
/// refused on an seL4 board, by name.
pub fn prepare(board: &Board, dts: &Path, out: &Path) -> Result<System, BuildError> {
    let (manifest, blob) =
        kos_manifest::dtc::load_with_blob(dts).map_err(|e| BuildError::Board(e.to_string()))?;
    if board.kernel == Kernel::Sel4 {
        let beams: Vec<&str> = manifest
            .apps
            .iter()
            .filter(|a| matches!(a.kind, AppKind::Beam { .. }))
            .map(|a| a.name.as_str())
            .collect();
        if !beams.is_empty() {
            return Err(BuildError::Board(format!(
                "{}: board `{}` runs seL4, where BEAM apps cannot run yet: {} (run this system on the hosted board, or drop them)",
                dts.display(),
                board.name,
                beams.join(", ")
            )));
        }
        let programs = crate::programs::names()?;
        for app in &manifest.apps {
            if let AppKind::Native { heap_kib, .. } = &app.kind {
                if *heap_kib > MAX_SEL4_HEAP_KIB {
                    return Err(BuildError::Board(format!(
                        "{}: app `{}`: heap_kib = {heap_kib}; a component on seL4 gets at most {MAX_SEL4_HEAP_KIB} KiB of heap today (4 KiB frames)",
                        dts.display(),
                        app.name
                    )));
                }
            }
            if let AppKind::Native { binary, .. } = &app.kind {
                if !programs.contains(binary) {
                    return Err(BuildError::Board(format!(
                        "{}: app `{}`: board `{}` runs seL4, which has no program `{binary}`; the seL4 programs are {} (sel4/native/apps)",
                        dts.display(),
                        app.name,
                        board.name,
                        programs.join(", ")
                    )));
                }
            }
        }
    }
    let dtb = out.join("system.dtb");
    write(&dtb, blob)?;
    Ok(System { manifest, dtb })
}
