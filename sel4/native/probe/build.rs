//! Links the probe at 0x400000, away from the root task's image (lld's default
//! 0x200000), so the root can map both at once while it loads it; and rebuilds it
//! when the kernel build's constants change.

fn main() {
    println!("cargo:rustc-link-arg-bins=-Wl,--image-base=0x400000");
    println!("cargo:rerun-if-env-changed=KOS_SEL4_CONSTANTS");
}
