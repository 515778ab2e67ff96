//! Links the probe at 0x400000, away from the root task's image (lld's default
//! 0x200000), so the root can map both at once while it loads it, without debug
//! sections (the root embeds it); and rebuilds it when the constants change.

fn main() {
    println!("cargo:rustc-link-arg-bins=-Wl,--image-base=0x400000");
    // The root task embeds this ELF: no debug sections in it.
    println!("cargo:rustc-link-arg-bins=-Wl,--strip-debug");
    println!("cargo:rerun-if-env-changed=KOS_SEL4_CONSTANTS");
}
