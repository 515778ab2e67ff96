//! KOS on seL4, booted for real: the seL4 5.0.0 kernel built from the `sel4-sys`
//! package's tree with the `qemu-x86_64` board's options, the root task and a
//! component built against that build's own constants, booted in QEMU (bounded by a
//! timeout; the root task ends the run through QEMU's exit device). The ARM boards'
//! kernels are compiled with Debian's cross compiler.

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
fn the_root_task_starts_a_component_in_its_own_world_talks_to_it_and_catches_its_fault() {
    let board = qemu_board();
    let out = out(&board.name);
    let tree = source::kernel_tree().unwrap();
    let kernel = kernel::build(&board, &tree, &out).unwrap_or_else(|e| panic!("{e}"));
    let constants = constants::generate(&board, &tree, &kernel, &out).unwrap();
    let roottask = roottask::build(&constants, &out).unwrap_or_else(|e| panic!("{e}"));
    let boot = qemu::boot(&board, &kernel.image, &[roottask], Duration::from_secs(60)).unwrap();
    let lines = boot.lines();
    let said = |who: &str, text: &str| lines.iter().any(|l| l.starts_with(who) && l.contains(text));
    let output = &boot.output;
    assert!(
        boot.succeeded(),
        "QEMU ended with {:?}:\n{output}",
        boot.status
    );
    assert!(
        said("Booting all finished", "dropped to user space"),
        "{output}"
    );
    // The component runs in the address space the root built: its greeting, its stack
    // and IPC buffer where the root mapped them.
    assert!(
        said(
            "hello from the component",
            "(ipc buffer 0x900000, stack near 0x7f"
        ),
        "{output}"
    );
    // Its call reached the root under the badge the root minted for it, with all six
    // words (two of them through the IPC buffer), and the reply came back whole.
    assert!(
        said(
            "kos root task: ",
            "got badge 0x61, label 0x4b, 6 words: 0x1111 0x2222 0x3333 0x4444 0x5555 0x6666"
        ),
        "{output}"
    );
    assert!(
        said(
            "component: ",
            "reply label 0x0, 5 words: 0x600d 0x6 0x16665 0x7777 0x8888"
        ),
        "{output}"
    );
    // Reading outside its image faults; the fault reaches the root on the fault badge.
    assert!(
        said(
            "kos root task: ",
            "fault message: badge 0xfa, label 5 (VM fault)"
        ),
        "{output}"
    );
    assert!(said("kos root task: ", "address 0x10,"), "{output}");
    assert!(
        !said("component: ", "should not happen"),
        "the component read memory it was not given:\n{output}"
    );
    assert!(said("kos root task: ", "done"), "{output}");
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
