//! Builds the seL4 kernel for a board, out of tree, from the untouched kernel tree.
//!
//! The board's options become the build's `autoconf.h`, put first on the include path
//! (`CONFIG_KERNEL_EXTRA_CPPFLAGS`): the tree's own `include/plat/pc99/autoconf.h` (a
//! verification configuration) would otherwise win silently, so the build checks that
//! the preprocessed kernel read ours. seL4 5.0's Makefile needs three things on
//! today's Debian: `CFLAGS` in the environment (a `CFLAGS=` make argument would replace
//! every flag the Makefile adds), gcc 12's two new warnings off, and a
//! `circular_includes.py` that understands gcc ≥ 9's line markers (ours, in
//! `sel4/build/tools/`). The generators run with Debian's Python and `ply`, which
//! must not write its parser tables into cargo's copy of the tree
//! (`tools/bitfield_gen.py` wraps the generator to stop that).

use std::path::{Path, PathBuf};
use std::process::Command;

use kos_boards::{Board, Image, Kernel};

use crate::{checkout, need, run, write, BuildError};

/// Debian's Python, which has `ply`, `six` and `tempita` from Debian's packages (a
/// pyenv or venv `python3` earlier on the PATH may not).
pub const PYTHON: &str = "/usr/bin/python3";

/// gcc 12 warns where seL4 5.0's `-Werror` cannot afford it.
const GCC12_CFLAGS: [&str; 2] = ["-Wno-address-of-packed-member", "-Wno-array-bounds"];

/// A built kernel.
#[derive(Debug, Clone)]
pub struct KernelBuild {
    /// The build directory (generated headers included).
    pub dir: PathBuf,
    /// Where the board's `autoconf.h` is.
    pub config_dir: PathBuf,
    /// `kernel.elf`.
    pub elf: PathBuf,
    /// What the board boots (`kernel.elf`, or its 32-bit copy for QEMU's loader).
    pub image: PathBuf,
    /// Whether this call built it (`false`: the previous build was still current).
    pub built: bool,
}

/// Checks that the host has what the build runs.
pub fn check_tools(board: &Board) -> Result<(), BuildError> {
    need("make", "make")?;
    need("xmllint", "libxml2-utils")?;
    need(PYTHON, "python3")?;
    let modules = Command::new(PYTHON)
        .args(["-c", "import ply, six, tempita"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !modules {
        return Err(BuildError::Missing {
            tool: "ply, six and tempita for /usr/bin/python3".into(),
            install: "python3-ply python3-six python3-tempita".into(),
        });
    }
    let prefix = board
        .build
        .as_ref()
        .and_then(|b| b.make.get("TOOLPREFIX"))
        .cloned()
        .unwrap_or_default();
    let package = if prefix.is_empty() {
        "gcc".to_string()
    } else {
        format!("gcc-{}", prefix.trim_end_matches('-'))
    };
    need(&format!("{prefix}gcc"), &package)?;
    need(&format!("{prefix}objcopy"), "binutils")
}

/// Builds `board`'s kernel from `tree` into `out/kernel` (skipped when the previous
/// build there had the same configuration).
pub fn build(board: &Board, tree: &Path, out: &Path) -> Result<KernelBuild, BuildError> {
    let spec = match (board.kernel, &board.build) {
        (Kernel::Sel4, Some(spec)) => spec,
        _ => {
            return Err(BuildError::Board(format!(
                "board `{}` runs {:?}, not seL4: there is no kernel to build",
                board.name, board.kernel
            )))
        }
    };
    check_tools(board)?;
    let _turn = crate::lock(out)?;
    let dir = out.join("kernel");
    let config_dir = out.join("config");
    let autoconf = board.autoconf_h();
    let tools = checkout().join("sel4/build/tools");
    let mut make: Vec<String> = vec![
        "-f".into(),
        tree.join("Makefile").display().to_string(),
        format!("SOURCE_ROOT={}", tree.display()),
    ];
    make.extend(spec.make.iter().map(|(k, v)| format!("{k}={v}")));
    if board.option("CONFIG_DEBUG_BUILD").is_some() {
        // 5.0 keys some debug code on -DDEBUG, which DEBUG=1 gives.
        make.push("DEBUG=1".into());
    }
    make.extend([
        format!("PYTHON={PYTHON}"),
        format!("CONFIG_KERNEL_EXTRA_CPPFLAGS=-I{}", config_dir.display()),
        format!(
            "CIRCULAR_INCLUDES={}",
            tools.join("circular_includes.py").display()
        ),
        format!("BF_GEN_PATH={}", tools.join("bitfield_gen.py").display()),
    ]);
    let cflags: Vec<&str> = spec
        .cflags
        .iter()
        .map(String::as_str)
        .chain(GCC12_CFLAGS)
        .collect();
    let cflags = cflags.join(" ");
    let stamp = format!("{autoconf}\n{make:?}\n{cflags}\n");
    let elf = dir.join("kernel.elf");
    let image = match spec.image {
        Image::Elf => elf.clone(),
        Image::Elf32I386 => dir.join("kernel.elf32"),
    };
    let stamp_file = out.join("kernel.stamp");
    let current = std::fs::read_to_string(&stamp_file).is_ok_and(|s| s == stamp);
    if current && image.is_file() {
        return Ok(KernelBuild {
            dir,
            config_dir,
            elf,
            image,
            built: false,
        });
    }
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_file(&stamp_file);
    write(&config_dir.join("autoconf.h"), &autoconf)?;
    // The generators start with `#!/usr/bin/env python`: give them Debian's.
    let shims = out.join("python-shims");
    let _ = std::fs::remove_dir_all(&shims);
    std::fs::create_dir_all(&shims).map_err(|error| BuildError::Io {
        path: shims.clone(),
        error,
    })?;
    for name in ["python", "python3"] {
        std::os::unix::fs::symlink(PYTHON, shims.join(name)).map_err(|error| BuildError::Io {
            path: shims.join(name),
            error,
        })?;
    }
    std::fs::create_dir_all(&dir).map_err(|error| BuildError::Io {
        path: dir.clone(),
        error,
    })?;
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut paths = vec![shims.clone()];
    paths.extend(std::env::split_paths(&path));
    let log = run(
        &format!("building the seL4 kernel for {}", board.name),
        Command::new("make")
            .args(&make)
            .current_dir(&dir)
            .env("CFLAGS", &cflags)
            .env("PATH", std::env::join_paths(paths).unwrap_or_default())
            .env("PYTHONDONTWRITEBYTECODE", "1")
            // A jobserver inherited from cargo is not this make's.
            .env_remove("MAKEFLAGS")
            .env_remove("MFLAGS"),
    )?;
    write(&out.join("kernel-build.log"), &log)?;
    // The tree's own autoconf.h must not have been read instead of the board's.
    let preprocessed = std::fs::read_to_string(dir.join("kernel_all.c_pp")).unwrap_or_default();
    let ours = config_dir.join("autoconf.h").display().to_string();
    if !preprocessed.contains(&ours) {
        return Err(BuildError::Board(format!(
            "the kernel build did not read {ours}: the tree's own configuration would have been used"
        )));
    }
    if spec.image == Image::Elf32I386 {
        run(
            "making the 32-bit kernel image",
            Command::new("objcopy")
                .args(["-O", "elf32-i386"])
                .arg(&elf)
                .arg(&image),
        )?;
    }
    write(&stamp_file, &stamp)?;
    Ok(KernelBuild {
        dir,
        config_dir,
        elf,
        image,
        built: true,
    })
}
