//! Test app: reports which descriptors and KOS variables it was started with, then
//! waits to be stopped. Lets the tests check that an app holds only its own channels.

fn main() {
    let mut fds: Vec<i32> = std::fs::read_dir("/proc/self/fd")
        .expect("read /proc/self/fd")
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    fds.sort();
    // The directory listing itself holds one descriptor while it is read; it is closed now.
    fds.retain(|&fd| std::fs::read_link(format!("/proc/self/fd/{fd}")).is_ok());
    let kinds: Vec<String> = fds
        .iter()
        .map(|fd| {
            let target =
                std::fs::read_link(format!("/proc/self/fd/{fd}")).map(|p| p.display().to_string());
            format!("{fd}={}", target.unwrap_or_default())
        })
        .collect();
    println!("fds: {}", kinds.join(" "));
    println!(
        "KOS_MSG_SERVERS={}",
        std::env::var("KOS_MSG_SERVERS").unwrap_or_default()
    );
    println!(
        "KOS_HEAP_KIB={}",
        std::env::var("KOS_HEAP_KIB").unwrap_or_default()
    );
    loop {
        std::thread::park();
    }
}
