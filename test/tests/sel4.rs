//! KOS on seL4, booted for real: the seL4 5.0.0 kernel built from the `sel4-sys`
//! package's tree with the `qemu-x86_64` board's options, the root task built against
//! that build's own constants, both booted in QEMU (bounded by a timeout; the root
//! task ends the run through QEMU's exit device). The ARM boards' kernels are
//! compiled with Debian's cross compiler.

use std::path::PathBuf;
use std::time::Duration;

use kos_boards::Board;
use kos_sel4_build::{constants, kernel, qemu, roottask, source};

/// Each board's build lives here, kept between runs (the kernel build is skipped
/// when its configuration has not changed).
fn out(board: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("sel4")
        .join(board)
}

fn qemu_board() -> Board {
    kos_boards::find("qemu-x86_64").unwrap()
}

#[test]
fn the_root_task_boots_on_sel4_in_qemu_and_reads_its_boot_info() {
    let board = qemu_board();
    let out = out(&board.name);
    let tree = source::kernel_tree().unwrap();
    let kernel = kernel::build(&board, &tree, &out).unwrap_or_else(|e| panic!("{e}"));
    let constants = constants::generate(&board, &tree, &kernel, &out).unwrap();
    let roottask = roottask::build(&constants, &out).unwrap_or_else(|e| panic!("{e}"));
    let boot = qemu::boot(&board, &kernel.image, &[roottask], Duration::from_secs(60)).unwrap();
    let lines = boot.lines();
    let said = |text: &str| {
        lines
            .iter()
            .find(|l| l.starts_with("kos root task: ") && l.contains(text))
            .copied()
    };
    assert!(
        boot.succeeded(),
        "QEMU ended with {:?}:\n{}",
        boot.status,
        boot.output
    );
    assert!(lines
        .iter()
        .any(|l| l.contains("Booting all finished, dropped to user space")));
    // The CNode size the kernel gave is the board's option.
    let cnode_bits = board.option("CONFIG_ROOT_CNODE_SIZE_BITS").unwrap();
    assert!(
        said(&format!("root CNode of 2^{cnode_bits} slots")).is_some(),
        "{}",
        boot.output
    );
    // The untyped list read through the checked layout adds up to the RAM QEMU has
    // (-m 128: the kernel and the image take a few MiB of it).
    let ram = said("KiB of RAM to give out").expect("the untyped survey");
    let kib: u64 = ram
        .split(" untyped regions, ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{ram}"));
    let board_kib = u64::from(board.memory_mib) * 1024;
    assert!(
        kib > board_kib / 2 && kib < board_kib,
        "{kib} KiB of untyped RAM from a {board_kib} KiB machine: {ram}"
    );
    assert!(said("done").is_some());
}

#[test]
fn a_binding_that_disagrees_with_the_kernel_does_not_build() {
    let board = qemu_board();
    let out = out(&board.name);
    let tree = source::kernel_tree().unwrap();
    let kernel = kernel::build(&board, &tree, &out).unwrap();
    let good = std::fs::read_to_string(constants::generate(&board, &tree, &kernel, &out).unwrap())
        .unwrap();
    // seL4 5.0's initThreadDomain is a machine word; the 2017 crate read it as a u32,
    // which moves every later field by 4 bytes. Constants saying so must not build.
    let line = good
        .lines()
        .find(|l| l.contains("pub const ARCH_INFO: usize = "))
        .unwrap();
    let offset: usize = line
        .rsplit(' ')
        .next()
        .unwrap()
        .trim_end_matches(';')
        .parse()
        .unwrap();
    let bad = good.replace(
        line,
        &format!("    pub const ARCH_INFO: usize = {};", offset - 4),
    );
    let wrong = out.join("wrong");
    std::fs::create_dir_all(&wrong).unwrap();
    let file = wrong.join("constants.rs");
    std::fs::write(&file, bad).unwrap();
    let err = roottask::build(&file, &wrong).unwrap_err().to_string();
    assert!(
        err.contains("evaluation of constant value failed") || err.contains("assertion failed"),
        "{err}"
    );
}

#[test]
fn the_arm_boards_kernels_compile() {
    let tree = source::kernel_tree().unwrap();
    for name in ["beaglebone-black", "sabre"] {
        let board = kos_boards::find(name).unwrap();
        let k = kernel::build(&board, &tree, &out(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let elf = std::fs::read(&k.elf).unwrap();
        // An ELF32 (class 1) for ARM (e_machine 40).
        assert_eq!(&elf[..4], b"\x7fELF", "{name}");
        assert_eq!(elf[4], 1, "{name}: 32-bit");
        assert_eq!(u16::from_le_bytes([elf[18], elf[19]]), 40, "{name}: ARM");
    }
}

#[test]
fn a_board_that_is_not_sel4_has_no_kernel_to_build() {
    let hosted = kos_boards::find("hosted").unwrap();
    let tree = PathBuf::from("/nonexistent");
    let err = kernel::build(&hosted, &tree, &out("hosted"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("board `hosted` runs Linux, not seL4"), "{err}");
}
