//! KOS on seL4, booted for real: the seL4 5.0.0 kernel built from the `sel4-sys`
//! package's tree with the `qemu-x86_64` board's options, the root task and a
//! component built against that build's own constants, booted in QEMU (bounded by a
//! timeout; the root task ends the run through QEMU's exit device). The ARM boards'
//! kernels are compiled with Debian's cross compiler.

use std::path::PathBuf;
use std::time::Duration;

use kos_boards::Board;
use kos_sel4_build::{constants, kernel, qemu, roottask, source, system};

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

/// The demo's native part, as the root task embeds it.
fn demo_system(board: &Board, out: &std::path::Path) -> system::System {
    let dts = kos_sel4_build::checkout().join("systems/demo-sel4.dts");
    system::prepare(board, &dts, out).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn the_root_task_starts_each_native_app_in_its_own_world_and_restarts_it_by_its_policy() {
    let board = qemu_board();
    let out = out(&board.name);
    let tree = source::kernel_tree().unwrap();
    let kernel = kernel::build(&board, &tree, &out).unwrap_or_else(|e| panic!("{e}"));
    let constants = constants::generate(&board, &tree, &kernel, &out).unwrap();
    let system = demo_system(&board, &out);
    let roottask = roottask::build(&constants, &system.dtb, &out).unwrap_or_else(|e| panic!("{e}"));
    let boot = qemu::boot(&board, &kernel.image, &[roottask], Duration::from_secs(120)).unwrap();
    let lines = boot.lines();
    let count = |who: &str, text: &str| {
        lines
            .iter()
            .filter(|l| l.starts_with(who) && l.contains(text))
            .count()
    };
    let said = |who: &str, text: &str| count(who, text) > 0;
    let output = &boot.output;
    assert!(
        boot.succeeded(),
        "QEMU ended with {:?}:\n{output}",
        boot.status
    );
    // The root read the manifest with kos-manifest's rules: the native apps, in the
    // manifest's start order (servers before their clients).
    let order: Vec<&str> = system
        .manifest
        .start_order()
        .iter()
        .map(|a| a.name.as_str())
        .collect();
    assert_eq!(
        order,
        [
            "rng_server",
            "rng_client",
            "echo_server",
            "echo_client",
            "intruder",
            "crasher"
        ]
    );
    assert!(
        said(
            "kos root task: ",
            &format!(
                "manifest: 6 apps, 1 message servers; starting the native ones in order: {}",
                order.join(", ")
            )
        ),
        "{output}"
    );
    // What each app's policy says about a component that faults after every call:
    // (starts in all, how its last fault ends).
    let expected = [
        (4, "giving up: 3 restarts within 5 s reached the restart intensity limit (max_restarts = 3, max_seconds = 5)"),
        (4, "giving up: 3 restarts within 5 s"),
        (4, "giving up: 3 restarts within 5 s"),
        (4, "giving up: 3 restarts within 5 s"),
        (1, "temporary app: never restarted"),
        (3, "giving up: 2 restarts within 10 s reached the restart intensity limit (max_restarts = 2, max_seconds = 10)"),
    ];
    for (i, (app, (starts, end))) in order.iter().zip(expected).enumerate() {
        let (request, fault) = (((i + 1) << 8) | 0x61, ((i + 1) << 8) | 0xfa);
        assert!(
            said(
                "kos root task: ",
                &format!("component {i} is {app}: started at")
            ),
            "{output}"
        );
        assert_eq!(
            count(
                "kos root task: ",
                &format!("component {i} is {app}: started again")
            ),
            starts - 1,
            "{app}:\n{output}"
        );
        // Each incarnation runs in the address space the root built for it...
        assert_eq!(
            count(
                &format!("hello from component {i} "),
                "(ipc buffer 0x900000, stack near 0x7f"
            ),
            starts,
            "{app}:\n{output}"
        );
        // ...its call reaches the root under the badge minted for it alone, all six
        // words (two through its IPC buffer), and the reply comes back whole...
        assert_eq!(
            count(
                "kos root task: ",
                &format!("{app} called: badge {request:#x}, label 0x4b, 6 words: 0x1111 0x2222 0x3333 0x4444 0x5555 0x6666")
            ),
            starts,
            "{app}:\n{output}"
        );
        assert_eq!(
            count(
                &format!("component {i}: "),
                &format!("reply label 0x0, 5 words: 0x600d 0x6 0x16665 {i:#x} 0x8888")
            ),
            starts,
            "{app}:\n{output}"
        );
        // ...and reading outside what it was given faults, under its fault badge.
        assert_eq!(
            count(
                "kos root task: ",
                &format!("{app} faulted: badge {fault:#x}, VM fault at ip")
            ),
            starts,
            "{app}:\n{output}"
        );
        assert!(
            said("kos root task: ", &format!("{app} faulted")) && count("kos root task: ", end) > 0,
            "{app} should end with {end:?}:\n{output}"
        );
        assert!(
            !said(&format!("component {i}: "), "should not happen"),
            "{output}"
        );
    }
    // The backoff doubles, as the hosted root server's does (the same kos-restart).
    for (n, ms) in [(1, 100), (2, 200), (3, 400)] {
        assert!(
            said(
                "kos root task: rng_server faulted",
                &format!("restarting in {ms} ms (restart {n} of 3 allowed within 5 s)")
            ),
            "{output}"
        );
    }
    assert!(
        said("kos root task: ", "every app is down for good"),
        "{output}"
    );
    assert!(said("kos root task: ", "done"), "{output}");
}

#[test]
fn a_system_with_beam_apps_is_refused_for_sel4_naming_them() {
    let board = qemu_board();
    let dir = tempfile::tempdir().unwrap();
    let dts = dir.path().join("system.dts");
    std::fs::write(
        &dts,
        r#"/dts-v1/;
/ {
    compatible = "kos,system-0.10";
    apps {
        probe { kind = "native"; binary = "probe"; heap_kib = <256>; };
        weather { kind = "beam"; app = "weatherstation"; memory_mib = <48>; };
        display { kind = "beam"; app = "kos_demo"; memory_mib = <48>; };
    };
};
"#,
    )
    .unwrap();
    let err = system::prepare(&board, &dts, dir.path())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(
            "board `qemu-x86_64` runs seL4, where BEAM apps cannot run yet: weather, display"
        ),
        "{err}"
    );
    assert!(
        !dir.path().join("system.dtb").exists(),
        "nothing written for a refused system"
    );
    // The hosted board runs the same system.
    let hosted = kos_boards::find("hosted").unwrap();
    assert!(system::prepare(&hosted, &dts, dir.path()).is_ok());
}

#[test]
fn a_broken_manifest_is_reported_as_kos_manifest_check_reports_it() {
    let board = qemu_board();
    let dir = tempfile::tempdir().unwrap();
    let dts = dir.path().join("system.dts");
    std::fs::write(
        &dts,
        "/dts-v1/;\n/ {\n    compatible = \"kos,system-0.10\";\n    apps { echo { kind = \"native\"; binary = \"echo\"; heap_kib = <8>; }; };\n};\n",
    )
    .unwrap();
    let err = system::prepare(&board, &dts, dir.path())
        .unwrap_err()
        .to_string();
    let check = kos_system_tests::kos(&["manifest", "check", dts.to_str().unwrap()]);
    assert!(!check.status.success());
    let said = String::from_utf8_lossy(&check.stderr).into_owned();
    assert!(
        err.contains("/apps/echo") && err.contains("heap_kib"),
        "{err}"
    );
    assert!(
        said.contains(&err),
        "kos manifest check said {said:?}; the seL4 build said {err:?}"
    );
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
    let system = demo_system(&board, &wrong);
    let err = roottask::build(&file, &system.dtb, &wrong)
        .unwrap_err()
        .to_string();
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
