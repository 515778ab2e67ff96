//! The heap budget is a hard limit for the component that exceeds it.

use std::process::Command;

fn probe(budget_kib: &str, alloc_kib: &str) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_kos-heap-probe"))
        .arg(alloc_kib)
        .env("KOS_HEAP_KIB", budget_kib)
        .output()
        .expect("run kos-heap-probe")
}

#[test]
fn allocations_within_the_budget_succeed() {
    let out = probe("4096", "2048");
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("allocated 2048 KiB within a budget of 4096 KiB"),
        "{stdout}"
    );
}

#[test]
fn an_allocation_past_the_budget_fails_in_that_component() {
    let out = probe("1024", "4096");
    assert!(
        !out.status.success(),
        "allocating 4 MiB in a 1 MiB heap must fail"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("memory allocation of"), "{stderr}");
    assert!(out.stdout.is_empty(), "it never got to the end");
}

#[test]
fn without_a_budget_the_development_default_applies() {
    let out = Command::new(env!("CARGO_BIN_EXE_kos-heap-probe"))
        .arg("1024")
        .env_remove("KOS_HEAP_KIB")
        .output()
        .unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!("budget of {} KiB", kos_heap::DEFAULT_HEAP_KIB)),
        "{stdout}"
    );
}
