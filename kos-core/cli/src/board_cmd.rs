//! `kos board list|show|build`: the boards of `boards/`, and KOS built for an seL4
//! board (kernel, constants, root task) and booted in QEMU.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use kos_boards::{Board, How, Kernel};
use kos_sel4_build::{constants, kernel, qemu, roottask, source, system};

/// `kos board list`.
pub fn list() -> Result<()> {
    let boards = kos_boards::all()?;
    println!(
        "{:<18} {:<7} {:<8} {:<8} {:<8} DESCRIPTION",
        "BOARD", "KERNEL", "ARCH", "PLATFORM", "RUNS"
    );
    for b in boards {
        println!(
            "{:<18} {:<7} {:<8} {:<8} {:<8} {}",
            b.name,
            kernel_name(&b),
            b.arch,
            b.platform,
            how(&b),
            b.description
        );
    }
    Ok(())
}

fn kernel_name(b: &Board) -> &'static str {
    match b.kernel {
        Kernel::Sel4 => "seL4",
        Kernel::Linux => "Linux",
    }
}

fn how(b: &Board) -> &'static str {
    match b.run.how {
        How::Qemu => "qemu",
        How::Hosted => "hosted",
        How::NotYet => "not yet",
    }
}

/// `kos board show NAME`.
pub fn show(name: &str) -> Result<()> {
    let b = kos_boards::find(name)?;
    println!("{}: {}", b.name, b.description);
    println!(
        "  kernel    {} ({} / {})",
        kernel_name(&b),
        b.arch,
        b.platform
    );
    if b.memory_mib > 0 {
        println!("  memory    {} MiB", b.memory_mib);
    }
    println!("  I2C       {}", b.i2c_backends.join(", "));
    println!("  CAN       {}", b.can_backends.join(", "));
    println!("  runs      {}", how(&b));
    if let Some(build) = &b.build {
        let make: Vec<String> = build.make.iter().map(|(k, v)| format!("{k}={v}")).collect();
        println!("  make      {}", make.join(" "));
        if !build.cflags.is_empty() {
            println!("  cflags    {}", build.cflags.join(" "));
        }
        println!("kernel options ({}):", b.option.len());
        for o in &b.option {
            println!("  {:<42} {:>4}  {}", o.name, o.value(), o.means);
        }
    }
    Ok(())
}

/// `kos board build NAME [--out DIR] [--boot]`.
pub fn build(
    name: &str,
    system_dts: Option<PathBuf>,
    out: Option<PathBuf>,
    boot: bool,
    timeout: Duration,
    count_instructions: bool,
) -> Result<()> {
    let board = kos_boards::find(name)?;
    if board.kernel != Kernel::Sel4 {
        bail!("board `{name}` is the hosted environment: there is nothing to build; run a system with `kos run SYSTEM.dts`");
    }
    let out = match out {
        Some(dir) => dir,
        None => default_out()?.join(name),
    };
    let t0 = Instant::now();
    let dts =
        system_dts.unwrap_or_else(|| kos_sel4_build::checkout().join("systems/demo-sel4.dts"));
    // The manifest first: a broken one is refused before anything is built.
    let system = system::prepare(&board, &dts, &out)?;
    eprintln!(
        "kos board: system {} ({} apps) checked",
        dts.display(),
        system.manifest.apps.len()
    );
    eprintln!("kos board: fetching the seL4 5.0.0 tree (sel4-sys from crates.io)");
    let tree = source::kernel_tree()?;
    eprintln!(
        "kos board: building the kernel for {name} in {}",
        out.display()
    );
    let k = kernel::build(&board, &tree, &out)?;
    eprintln!(
        "kos board: kernel {} ({})",
        k.image.display(),
        if k.built { "built" } else { "up to date" }
    );
    if board.arch != "x86_64" {
        if boot {
            bail!("{name}: seL4 5.0 on ARM needs an elfloader to boot, which the sel4-sys package does not ship; the kernel compiles");
        }
        eprintln!(
            "kos board: done in {:.1} s (ARM: the kernel only)",
            t0.elapsed().as_secs_f64()
        );
        return Ok(());
    }
    let c = constants::generate(&board, &tree, &k, &out)?;
    eprintln!("kos board: constants {}", c.display());
    let task = roottask::build(&c, &system.dtb, &out)?;
    eprintln!("kos board: root task {}", task.display());
    eprintln!("kos board: built in {:.1} s", t0.elapsed().as_secs_f64());
    if !boot {
        return Ok(());
    }
    eprintln!(
        "kos board: booting in QEMU (at most {})",
        humantime::format_duration(timeout)
    );
    let extra = if count_instructions {
        eprintln!("kos board: counting instructions (the TSC ticks once per instruction)");
        qemu::COUNT_INSTRUCTIONS
    } else {
        &[]
    };
    let result = qemu::boot_with(&board, &k.image, &[task], timeout, extra)?;
    for line in result.lines() {
        println!("{line}");
    }
    match result.status {
        _ if result.succeeded() => Ok(()),
        Some(status) => bail!("the system ended with QEMU status {status} (33 is success)"),
        None => bail!(
            "the system did not end within {}; QEMU was stopped",
            humantime::format_duration(timeout)
        ),
    }
}

/// `target/sel4`, beside the running `kos` binary's `target/<profile>`.
fn default_out() -> Result<PathBuf> {
    let exe = std::env::current_exe().context("where is this kos binary?")?;
    let profile = exe.parent().context("kos binary has no directory")?;
    Ok(profile.parent().unwrap_or(profile).join("sel4"))
}
