//! Test helper for `kos-heap`: allocates the number of KiB given as its argument, in
//! 64 KiB blocks, under the budget-capped heap, and prints how far it got.
//! Exits 0 if every block fit; aborts with Rust's allocation-failure message if not.

kos_heap::global_heap!();

fn main() {
    let want_kib: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .expect("usage: kos-heap-probe KIB");
    let mut blocks = Vec::with_capacity(want_kib / 64 + 1);
    for i in 0..want_kib / 64 {
        let mut block = vec![0u8; 64 * 1024];
        block[i % 1024] = 1; // touch it: the memory is really used
        blocks.push(block);
    }
    println!(
        "allocated {} KiB within a budget of {} KiB",
        blocks.len() * 64,
        kos_heap::budget_bytes() / 1024
    );
}
