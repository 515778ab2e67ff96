//! Log lines with a timestamp and the name of the component that wrote them.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

/// Writes `2026-11-25T02:30:01.123Z [app] message` lines to standard output, one
/// writer at a time so lines from different apps never interleave mid-line.
#[derive(Clone)]
pub struct Logger {
    out: Arc<Mutex<()>>,
}

impl Default for Logger {
    fn default() -> Self {
        Self::new()
    }
}

impl Logger {
    /// A logger writing to standard output.
    pub fn new() -> Self {
        Logger {
            out: Arc::new(Mutex::new(())),
        }
    }

    /// Logs `message` under the component name `who`.
    pub fn line(&self, who: &str, message: &str) {
        let stamp = humantime::format_rfc3339_millis(SystemTime::now());
        let _guard = self.out.lock().unwrap_or_else(|p| p.into_inner());
        let mut stdout = std::io::stdout().lock();
        // A closed stdout must not take the root server down.
        let _ = writeln!(stdout, "{stamp} [{who}] {message}");
        let _ = stdout.flush();
    }

    /// A closure that logs under `who`, for components that take a log sink.
    pub fn sink(&self, who: &str) -> Arc<dyn Fn(&str) + Send + Sync> {
        let logger = self.clone();
        let who = who.to_string();
        Arc::new(move |m: &str| logger.line(&who, m))
    }
}
