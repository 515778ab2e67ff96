//! A fixed heap for native KOS components.
//!
//! On seL4 a component gets exactly the memory its manifest entry gives it. In the
//! hosted environment this crate does the same for a Rust component: the global
//! allocator is [talc](https://docs.rs/talc) over a single arena of `heap_kib`
//! (handed over by `kos run` in `KOS_HEAP_KIB`), reserved on the first allocation and
//! never grown. An allocation beyond it fails inside that component alone — Rust's
//! allocation-error handler reports `memory allocation of N bytes failed` and aborts —
//! and the root server restarts it by policy; no other component is touched.
//!
//! ```ignore
//! kos_heap::global_heap!();   // in the component's main.rs
//! ```

mod arena;

pub use arena::{budget_bytes, BudgetArena, DEFAULT_HEAP_KIB};

/// The allocator type: talc over one [`BudgetArena`], behind a spinlock.
pub type KosHeap = talc::TalcLock<spinning_top::RawSpinlock, BudgetArena>;

/// Installs the budget-capped heap as this binary's global allocator.
#[macro_export]
macro_rules! global_heap {
    () => {
        #[global_allocator]
        static KOS_HEAP: $crate::KosHeap = $crate::KosHeap::new($crate::BudgetArena::new());
    };
}
