//! Allocates the KiB its first argument says from its heap (the manifest's
//! `heap_kib`), touching every page, and says so; past its heap the allocation fails,
//! which is a panic and a fault the root handles by its policy — as the hosted
//! `kos-heap-probe` ends when it outgrows its budget.
#![no_std]
#![no_main]

extern crate alloc;

use alloc::vec::Vec;

use kos_sel4_sdk::{say, Component};

fn run(c: &Component) -> u64 {
    let Some(kib) = c.args().next().and_then(|a| a.parse::<usize>().ok()) else {
        say!(c, "usage: args = \"KIB\";");
        return 2;
    };
    let budget = c.heap_bytes() / 1024;
    say!(c, "allocating {kib} KiB within a budget of {budget} KiB");
    let mut block: Vec<u8> = Vec::with_capacity(kib * 1024);
    block.resize(kib * 1024, 0xa5);
    let sum: usize = block.iter().step_by(4096).map(|&b| usize::from(b)).sum();
    say!(
        c,
        "allocated {kib} KiB within a budget of {budget} KiB ({} pages touched)",
        sum / 0xa5
    );
    0
}

kos_sel4_sdk::main!(run);
