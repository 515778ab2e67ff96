//! Test app: ignores SIGTERM, so the root server has to kill it when its stop timeout
//! runs out.

fn main() {
    // SAFETY: setting a signal disposition to "ignore" before any thread starts.
    unsafe {
        libc::signal(libc::SIGTERM, libc::SIG_IGN);
    }
    println!("ignoring SIGTERM");
    loop {
        std::thread::park();
    }
}
