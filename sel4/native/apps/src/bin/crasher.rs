//! Crashes on purpose: reads address 0x10, a VM fault the root sees and answers by the
//! app's restart policy.
#![cfg_attr(not(feature = "hosted"), no_std, no_main)]

use kos_sel4_sdk::{say, Component};

fn run(c: &Component) -> u64 {
    say!(c, "crashing now: reading address 0x10");
    // SAFETY: none; this faults on purpose, and the kernel tells the root.
    let v = unsafe { (0x10 as *const usize).read_volatile() };
    say!(c, "read {v:#x} at 0x10 (UNEXPECTED)");
    1
}

kos_sel4_sdk::main!(run);
