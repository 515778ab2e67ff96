//! Links the programs without debug sections (the root task embeds every one of them)
//! and rebuilds them when the kernel build's constants change.

fn main() {
    println!("cargo:rustc-link-arg-bins=-Wl,--strip-debug");
    println!("cargo:rerun-if-env-changed=KOS_SEL4_CONSTANTS");
}
