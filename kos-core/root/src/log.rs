//! Log lines with a timestamp and the name of the component that wrote them.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

/// Writes `2026-11-25T02:30:01.123Z [app] message` lines to standard output, one
/// writer at a time so lines from different apps never interleave mid-line.
#[derive(Clone)]
pub struct Logger {
    out: Arc<Mutex<()>>,
    /// Where lines go instead of standard output (tests read them).
    captured: Option<Arc<Mutex<Vec<String>>>>,
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
            captured: None,
        }
    }

    /// A logger that keeps `[who] message` lines in memory, for tests.
    #[cfg(test)]
    pub(crate) fn capturing() -> (Self, Arc<Mutex<Vec<String>>>) {
        let lines = Arc::new(Mutex::new(Vec::new()));
        let logger = Logger {
            out: Arc::new(Mutex::new(())),
            captured: Some(lines.clone()),
        };
        (logger, lines)
    }

    /// Logs `message` under the component name `who`.
    pub fn line(&self, who: &str, message: &str) {
        if let Some(lines) = &self.captured {
            let mut lines = lines.lock().unwrap_or_else(|p| p.into_inner());
            lines.push(format!("[{who}] {message}"));
            return;
        }
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
