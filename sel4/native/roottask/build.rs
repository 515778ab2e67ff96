//! Rebuilds the root task when the component it embeds or the constants change.

fn main() {
    for var in ["KOS_COMPONENT_ELF", "KOS_SEL4_CONSTANTS", "KOS_SYSTEM_DTB"] {
        println!("cargo:rerun-if-env-changed={var}");
        if let Ok(path) = std::env::var(var) {
            println!("cargo:rerun-if-changed={path}");
        }
    }
}
