//! KOS on seL4, booted for real: the seL4 5.0.0 kernel built from the `sel4-sys`
//! package's tree with the `qemu-x86_64` board's options, the root task and KOS's seL4
//! programs (`sel4/native/apps`) built against that build's own constants, booted in
//! QEMU (bounded by a timeout; the root task ends the run through QEMU's exit device). The ARM boards'
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

/// A system built for `board` from `test/fixtures/NAME` (or a path relative to it):
/// its kernel (shared by every test), root task (beside its own `.dtb`); booted once.
struct Built {
    kernel: PathBuf,
    roottask: PathBuf,
    _dir: tempfile::TempDir,
}

impl Built {
    fn boot_again(&self, board: &Board) -> qemu::Boot {
        qemu::boot(
            board,
            &self.kernel,
            std::slice::from_ref(&self.roottask),
            Duration::from_secs(120),
        )
        .unwrap()
    }
}

fn boot_fixture(board: &Board, name: &str) -> (qemu::Boot, Built) {
    let out = out(&board.name);
    let tree = source::kernel_tree().unwrap();
    let kernel = kernel::build(board, &tree, &out).unwrap_or_else(|e| panic!("{e}"));
    let constants = constants::generate(board, &tree, &kernel, &out).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let dts = kos_sel4_build::checkout().join("test/fixtures").join(name);
    let system = system::prepare(board, &dts, dir.path()).unwrap_or_else(|e| panic!("{e}"));
    let roottask = roottask::build(&constants, &system.dtb, &out).unwrap_or_else(|e| panic!("{e}"));
    let built = Built {
        kernel: kernel.image,
        roottask,
        _dir: dir,
    };
    (built.boot_again(board), built)
}

#[test]
fn real_services_run_on_sel4_over_the_endpoints_the_manifest_grants() {
    let board = qemu_board();
    let out = out(&board.name);
    let tree = source::kernel_tree().unwrap();
    let kernel = kernel::build(&board, &tree, &out).unwrap_or_else(|e| panic!("{e}"));
    let constants = constants::generate(&board, &tree, &kernel, &out).unwrap();
    let system = demo_system(&board, &out);
    let roottask = roottask::build(&constants, &system.dtb, &out).unwrap_or_else(|e| panic!("{e}"));
    let boot = qemu::boot(
        &board,
        &kernel.image,
        std::slice::from_ref(&roottask),
        Duration::from_secs(120),
    )
    .unwrap();
    let lines = boot.lines();
    let output = &boot.output;
    let with = |who: &str, text: &str| -> Vec<&str> {
        lines
            .iter()
            .copied()
            .filter(|l| l.starts_with(who) && l.contains(text))
            .collect()
    };
    let said = |who: &str, text: &str| !with(who, text).is_empty();
    let root = "kos root task: ";
    assert!(
        boot.succeeded(),
        "QEMU ended with {:?}:\n{output}",
        boot.status
    );
    assert!(!output.contains("UNEXPECTED"), "{output}");
    // The root read the manifest with kos-manifest's rules and started the native
    // apps in its start order (servers before their clients), each with its grants.
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
            "lean",
            "hog",
            "crasher"
        ]
    );
    for (i, app) in order.iter().enumerate() {
        assert!(
            said(root, &format!("component {i} is {app}: started at")),
            "{output}"
        );
    }
    // At run time the root is the directory: each server's publish gets it an
    // endpoint in its first free slot, each granted connect a badged copy in the
    // client's; the badges are the directory's (kos-msg-server's, as hosted).
    for publish in [
        "rng_server publishes kos_rng_protocol on main: an endpoint in its slot 3",
        "echo_server publishes kos_echo_protocol on main: an endpoint in its slot 3",
    ] {
        assert!(said(root, publish), "{publish}:\n{output}");
    }
    let badge_of = |client: &str, protocol: &str| -> String {
        let line = with(
            root,
            &format!("{client} connected to {protocol} on main: badge "),
        );
        assert_eq!(line.len(), 1, "{client}:\n{output}");
        assert!(line[0].ends_with(", in its slot 3"), "{}", line[0]);
        line[0]
            .split("badge ")
            .nth(1)
            .unwrap()
            .split(',')
            .next()
            .unwrap()
            .to_string()
    };
    let rng_badge = badge_of("rng_client", "kos_rng_protocol");
    let echo_badge = badge_of("echo_client", "kos_echo_protocol");
    assert_ne!(rng_badge, echo_badge);
    assert!(
        said(root, "component 4 is intruder: started at 0x"),
        "{output}"
    );

    // The RNG server — kos-rng's service, the hosted server's code — seeded from the
    // CPU, answers its granted client over its endpoint: 32 fresh bytes each time.
    assert!(
        said(
            "[rng_server] ",
            "seeded from the CPU; serving kos_rng_protocol"
        ),
        "{output}"
    );
    let random: Vec<String> = with("[rng_client] ", "random ")
        .iter()
        .map(|l| {
            l.split(": ")
                .nth(1)
                .unwrap()
                .split(' ')
                .next()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(random.len(), 3, "{output}");
    for r in &random {
        assert!(
            r.len() == 64 && r.chars().all(|c| c.is_ascii_hexdigit()),
            "{r}"
        );
    }
    assert!(random[0] != random[1] && random[1] != random[2] && random[0] != random[2]);
    // ...and different from boot to boot: the seed is the CPU's, not built in.
    let again = qemu::boot(&board, &kernel.image, &[roottask], Duration::from_secs(120)).unwrap();
    assert!(again.succeeded(), "{}", again.output);
    let second: Vec<String> = again
        .lines()
        .iter()
        .filter(|l| l.starts_with("[rng_client] random "))
        .map(|l| {
            l.split(": ")
                .nth(1)
                .unwrap()
                .split(' ')
                .next()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(second.len(), 3, "{}", again.output);
    assert!(
        second.iter().all(|r| !random.contains(r)),
        "{random:?} / {second:?}"
    );

    // The echo server sees its client by the badge the directory granted it (and its
    // name, which the directory tells the server of that token only), and every reply
    // comes back whole.
    let badge = format!("badge {echo_badge}");
    assert_eq!(
        with(
            "[echo_server] ",
            &format!("call from echo_client ({badge}): 8 bytes")
        )
        .len(),
        3,
        "{output}"
    );
    for n in 1..=3 {
        assert!(
            said(
                "[echo_client] ",
                &format!("reply {n}: hello #{n} (label 7, {badge})")
            ),
            "{output}"
        );
    }

    // Payloads past one IPC message travel in the token's shared frame, up to KOS's
    // 4096 bytes, and come back whole; more is refused before anything is sent.
    for line in [
        "944 bytes: echoed whole",
        "945 bytes: echoed whole",
        "4096 bytes: echoed whole",
        "4097 bytes: refused, too large",
    ] {
        assert!(said("[echo_client] ", line), "{line}:\n{output}");
    }
    assert!(
        said(
            "[echo_server] ",
            &format!("call from echo_client ({badge}): 4096 bytes")
        ),
        "{output}"
    );

    // The app granted nothing gets nothing: the directory refuses its connect and its
    // publish (with the hosted message server's words), and the slot a granted app
    // would use is empty, so the kernel refuses a call through it itself.
    let not_granted = "not granted by the manifest's dir_access_control";
    for (who, what) in [
        (
            root,
            format!("refused connect kos_echo_protocol for intruder: {not_granted}"),
        ),
        (
            root,
            format!("refused publish kos_echo_protocol for intruder: {not_granted}"),
        ),
        (
            "[intruder] ",
            format!("connect kos_echo_protocol refused: {not_granted}"),
        ),
        (
            "[intruder] ",
            format!("publish kos_echo_protocol refused: {not_granted}"),
        ),
    ] {
        assert!(said(who, &what), "{what}:\n{output}");
    }
    assert!(!said(root, "intruder connected") && !said(root, "intruder publishes"));
    // A line is printed by the root under its sender's name: a line break inside one
    // log request does not start a line under another name.
    assert!(!said("[echo_server] ", "forged"), "{output}");
    assert!(
        said("[intruder] ", "harmless\u{fffd}[echo_server] forged line"),
        "{output}"
    );
    assert!(
        said(
            "[intruder] ",
            "the kernel refused the call: invalid capability"
        ),
        "{output}"
    );

    // Exits and faults end by each app's policy (kos-restart, as hosted).
    for (app, end) in [
        (
            "rng_client",
            "exited with status 0; transient app exited normally: not restarted",
        ),
        (
            "echo_client",
            "exited with status 0; transient app exited normally: not restarted",
        ),
        (
            "intruder",
            "exited with status 0; temporary app: never restarted",
        ),
    ] {
        assert!(said(root, &format!("{app} {end}")), "{app}:\n{output}");
    }
    assert_eq!(with("[crasher] ", "crashing now").len(), 3, "{output}");
    assert_eq!(
        with(root, "crasher faulted: VM fault at ip").len(),
        3,
        "{output}"
    );
    assert!(with(root, "crasher faulted")
        .iter()
        .all(|l| l.contains("address 0x10")));
    for (n, ms) in [(1, 50), (2, 100)] {
        assert!(
            said(
                root,
                &format!("restarting in {ms} ms (restart {n} of 2 allowed within 10 s)")
            ),
            "{output}"
        );
    }
    assert!(
        said(root, "giving up: 2 restarts within 10 s reached the restart intensity limit (max_restarts = 2, max_seconds = 10)"),
        "{output}"
    );
    assert_eq!(
        with(root, "component 7 is crasher: started again").len(),
        2,
        "{output}"
    );
    // Each incarnation's objects come from the component's own untyped, revoked when
    // it ends: the next one is built in the very same slots (a retype into a slot
    // still holding a capability fails), and every ended one was freed.
    let tcb_slots: Vec<&str> = with(root, "component 7: TCB in slot")
        .iter()
        .map(|l| {
            l.split("TCB in slot ")
                .nth(1)
                .unwrap()
                .split(',')
                .next()
                .unwrap()
        })
        .collect();
    assert_eq!(tcb_slots.len(), 3, "{output}");
    assert!(
        tcb_slots.iter().all(|s| *s == tcb_slots[0]),
        "{tcb_slots:?}"
    );
    // rng_client, echo_client, intruder, lean, hog once each, crasher three times.
    assert!(
        said(root, "8 incarnations freed (their untyped revoked)"),
        "{output}"
    );
    // Each component's heap is its heap_kib: what fits is allocated, what does not
    // fails that app alone (a panic: a user exception the root takes).
    assert!(
        said(
            "[lean] ",
            "allocated 256 KiB within a budget of 512 KiB (64 pages touched)"
        ),
        "{output}"
    );
    assert!(
        said("[hog] ", "allocating 1024 KiB within a budget of 256 KiB"),
        "{output}"
    );
    assert!(!said("[hog] ", "allocated"), "{output}");
    assert!(
        said(root, "hog faulted: user exception at ip")
            && said(
                root,
                "(a panic or an illegal instruction); temporary app: never restarted"
            ),
        "{output}"
    );
    assert!(said(root, "lean exited with status 0"), "{output}");
    // Servers never end by themselves: the run ends once they have no live client.
    assert!(
        said(
            root,
            "every client is done; still serving no one: rng_server, echo_server"
        ),
        "{output}"
    );
    assert!(said(root, "done"), "{output}");
}

#[test]
fn a_server_that_dies_mid_call_ends_the_call_and_its_restart_is_reached_by_a_new_connect() {
    let boot = boot_fixture(&qemu_board(), "sel4-server-dies.dts").0;
    let output = &boot.output;
    let said = |who: &str, text: &str| boot.said(who, text);
    let root = "kos root task: ";
    assert!(
        boot.succeeded(),
        "QEMU ended with {:?}:\n{output}",
        boot.status
    );
    assert!(!output.contains("UNEXPECTED"), "{output}");
    assert!(said("[steady] ", "before: before (badge 0x1)"), "{output}");
    // The server faults while the client waits for its answer: the root wakes the
    // client, whose call ends with the capability gone — it does not hang.
    assert!(said(root, "flaky faulted: user exception"), "{output}");
    // Its panic message reached the console first, under its name.
    assert!(
        boot.lines()
            .iter()
            .any(|l| l.starts_with("[flaky] panic at apps/src/echo.rs:")
                && l.ends_with(": told to fail on label 99")),
        "{output}"
    );
    assert!(
        said(
            root,
            "steady was waiting on flaky's answer (kos_echo_protocol): its call ends with the capability gone"
        ),
        "{output}"
    );
    assert!(
        said("[steady] ", "fatal: the server is gone (ServerGone)"),
        "{output}"
    );
    assert!(
        said("[steady] ", "stale: still gone, as it should be"),
        "{output}"
    );
    // Its connect is held until the restarted server publishes again, then granted.
    assert!(
        said(
            root,
            "steady waits for kos_echo_protocol on main (granted, not published yet)"
        ),
        "{output}"
    );
    assert!(said(root, "restarting in 20 ms"), "{output}");
    let publishes = boot
        .lines()
        .iter()
        .filter(|l| l.contains("flaky publishes kos_echo_protocol on main"))
        .count();
    assert_eq!(publishes, 2, "{output}");
    assert!(
        said(
            root,
            "steady connected to kos_echo_protocol on main: badge 0x2"
        ),
        "{output}"
    );
    assert!(said("[steady] ", "after: after (badge 0x2)"), "{output}");
    // The message server's token limit holds on seL4 as hosted: the void token does
    // not count, 64 live ones do, the 65th connect is refused.
    assert!(
        said(
            "[steady] ",
            "holds 64 tokens; one more is refused: the app holds the maximum number of tokens"
        ),
        "{output}"
    );
    assert!(said(root, "steady exited with status 0"), "{output}");
    assert!(said(root, "done"), "{output}");
}

#[test]
fn a_component_asks_the_root_task_as_root_over_kos_root_protocol() {
    let boot = boot_fixture(&qemu_board(), "sel4-root-protocol.dts").0;
    let output = &boot.output;
    let said = |who: &str, text: &str| boot.said(who, text);
    let root = "kos root task: ";
    assert!(
        boot.succeeded(),
        "QEMU ended with {:?}:\n{output}",
        boot.status
    );
    assert!(
        said(
            root,
            "_root publishes kos_root_protocol on 1 message server(s)"
        ),
        "{output}"
    );
    // The granted app's token reaches the root; the other is refused by the directory.
    assert!(
        said(root, "ops connected to kos_root_protocol on main"),
        "{output}"
    );
    assert!(
        said(
            "[nosy] ",
            "no access to kos_root_protocol: not granted by the manifest's dir_access_control"
        ),
        "{output}"
    );
    // RESTART_APP is answered, then done; STATUS reports every app; UPGRADE is refused.
    assert!(
        said("[ops] ", "asking _root to restart echo_server"),
        "{output}"
    );
    assert!(
        said(
            root,
            "echo_server: restart asked by ops (kos_root_protocol)"
        ),
        "{output}"
    );
    assert!(
        said(root, "component 0 is echo_server: started again"),
        "{output}"
    );
    for app in [
        "echo_server",
        "ops running restarts=0",
        "nosy down restarts=0",
    ] {
        assert!(
            said("[ops] ", &format!("status: {app}")),
            "{app}:\n{output}"
        );
    }
    assert!(
        said(
            "[ops] ",
            "_root refused with status 4: upgrades are not supported on seL4 yet"
        ),
        "{output}"
    );
    assert!(said(root, "ops exited with status 0"), "{output}");
    assert!(said(root, "done"), "{output}");
}

/// The RNG client's three randoms, from a boot's output.
fn randoms(boot: &qemu::Boot) -> Vec<String> {
    boot.lines()
        .iter()
        .filter(|l| l.starts_with("[rng_client] random "))
        .map(|l| {
            l.split(": ")
                .nth(1)
                .unwrap()
                .split(' ')
                .next()
                .unwrap()
                .to_string()
        })
        .collect()
}

#[test]
fn without_rdrand_the_rng_server_is_seeded_from_each_boot_images_own_seed() {
    let mut board = qemu_board();
    let cpu = board.run.command.iter().position(|a| a == "-cpu").unwrap() + 1;
    // Nehalem has neither RDRAND nor RDSEED.
    board.run.command[cpu] = "Nehalem".into();
    let (first, built) = boot_fixture(&board, "../../systems/demo-sel4.dts");
    let mut seen = Vec::new();
    for boot in [first, built.boot_again(&board)] {
        assert!(boot.succeeded(), "{}", boot.output);
        assert!(
            boot.output
                .contains("kos root task: boot seed: given by the boot image"),
            "{}",
            boot.output
        );
        assert!(
            boot.output.contains(
                "[rng_server] seeded from the boot image's seed (this CPU has no RDRAND/RDSEED); serving kos_rng_protocol"
            ),
            "{}",
            boot.output
        );
        let r = randoms(&boot);
        assert_eq!(r.len(), 3, "{}", boot.output);
        assert!(
            r.iter().all(|x| x.len() == 64 && !seen.contains(x)),
            "{r:?} / {seen:?}"
        );
        seen.extend(r);
    }
    // The built image holds no seed: each boot's copy got its own.
    let image = std::fs::read(&built.roottask).unwrap();
    let at = image
        .windows(kos_sel4_build::seed::MARKER.len())
        .position(|w| w == kos_sel4_build::seed::MARKER)
        .unwrap();
    assert!(image[at + 8..at + 48].iter().all(|b| *b == 0));
}

#[test]
fn a_native_app_without_an_sel4_program_is_refused_naming_the_programs() {
    let board = qemu_board();
    let dir = tempfile::tempdir().unwrap();
    let dts = dir.path().join("system.dts");
    std::fs::write(
        &dts,
        "/dts-v1/;\n/ {\n    compatible = \"kos,system-0.10\";\n    apps { tool { kind = \"native\"; binary = \"fd_report\"; heap_kib = <256>; }; };\n};\n",
    )
    .unwrap();
    let err = system::prepare(&board, &dts, dir.path())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("app `tool`: board `qemu-x86_64` runs seL4, which has no program `fd_report`"),
        "{err}"
    );
    assert!(
        err.contains("rng_server") && err.contains("echo_client"),
        "{err}"
    );
    // A heap larger than a component gets on seL4 today is refused at build time too.
    std::fs::write(
        &dts,
        "/dts-v1/;\n/ {\n    compatible = \"kos,system-0.10\";\n    apps { big { kind = \"native\"; binary = \"kos-heap-probe\"; heap_kib = <4096>; }; };\n};\n",
    )
    .unwrap();
    let err = system::prepare(&board, &dts, dir.path())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("app `big`: heap_kib = 4096; a component on seL4 gets at most 2048 KiB"),
        "{err}"
    );
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
        probe { kind = "native"; binary = "rng_server"; heap_kib = <256>; };
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

#[test]
fn kos_run_with_an_sel4_board_builds_and_boots_the_same_manifest() {
    let dts = kos_sel4_build::checkout().join("systems/demo-sel4.dts");
    let run = kos_system_tests::kos(&[
        "run",
        dts.to_str().unwrap(),
        "--board",
        "qemu-x86_64",
        "--stop-after",
        "120s",
    ]);
    let out =
        String::from_utf8_lossy(&run.stdout).to_string() + &String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{out}");
    assert!(out.contains("[rng_client] random 1: "), "{out}");
    assert!(out.contains("kos root task: done"), "{out}");
    // The hosted demo has BEAM apps: refused for the seL4 board, before any build.
    let hosted = kos_sel4_build::checkout().join("systems/demo.dts");
    let refused =
        kos_system_tests::kos(&["run", hosted.to_str().unwrap(), "--board", "qemu-x86_64"]);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("where BEAM apps cannot run yet"),
        "{refused:?}"
    );
}

#[test]
fn a_kos_message_in_an_ipc_message_round_trips_every_length() {
    // `kos-sel4-rt`'s own tests of its encoding (every payload length from 0 to 4096
    // bytes, the unused bytes of the last word zero, malformed messages refused), run
    // on the host against this kernel build's constants: the seL4 programs' fast path
    // for short payloads is only trusted with them.
    let board = qemu_board();
    let out = out(&board.name);
    let tree = source::kernel_tree().unwrap();
    let kernel = kernel::build(&board, &tree, &out).unwrap_or_else(|e| panic!("{e}"));
    let constants = constants::generate(&board, &tree, &kernel, &out).unwrap();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let run = std::process::Command::new(cargo)
        .args(["test", "--locked", "-p", "kos-sel4-rt", "--lib"])
        .current_dir(kos_sel4_build::checkout().join("sel4/native"))
        .env("KOS_SEL4_CONSTANTS", &constants)
        .env("CARGO_TARGET_DIR", out.join("rt-host-tests"))
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(
        said.contains("test result: ok.") && !said.contains("ok. 0 passed"),
        "{said}"
    );
}
