//! Log lines with a timestamp and the name of the component that wrote them.
//!
//! Two forms. `text` (the default) is for people: `2026-11-25T02:30:01.123Z [app]
//! message`. `json` is for tools and log collectors: one object a line, `{"time":
//! "…", "app": "echo_server", "from": "kos" | "app", "message": "…"}`, where `from`
//! says whether KOS wrote the line about the app (started, stopped, restarting…) or
//! the app printed it itself.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

/// How lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// `time [app] message`.
    #[default]
    Text,
    /// One JSON object a line.
    Json,
}

/// Who wrote a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum From {
    /// KOS itself (the root server, a message server, the supervisor).
    Kos,
    /// The app, on its standard output or error.
    App,
}

/// Writes log lines to standard output, one writer at a time so lines from different
/// apps never interleave mid-line.
#[derive(Clone)]
pub struct Logger {
    out: Arc<Mutex<()>>,
    format: LogFormat,
    /// Where lines go instead of standard output (tests read them).
    captured: Option<Arc<Mutex<Vec<String>>>>,
}

impl Default for Logger {
    fn default() -> Self {
        Self::new()
    }
}

impl Logger {
    /// A logger writing text lines to standard output.
    pub fn new() -> Self {
        Self::with_format(LogFormat::Text)
    }

    /// A logger writing `format` lines to standard output.
    pub fn with_format(format: LogFormat) -> Self {
        Logger {
            out: Arc::new(Mutex::new(())),
            format,
            captured: None,
        }
    }

    /// A logger that keeps `[who] message` lines in memory, for tests.
    #[cfg(test)]
    pub(crate) fn capturing() -> (Self, Arc<Mutex<Vec<String>>>) {
        let lines = Arc::new(Mutex::new(Vec::new()));
        let logger = Logger {
            out: Arc::new(Mutex::new(())),
            format: LogFormat::Text,
            captured: Some(lines.clone()),
        };
        (logger, lines)
    }

    /// Logs `message`, written by KOS, under the component name `who`.
    pub fn line(&self, who: &str, message: &str) {
        self.write(who, From::Kos, message);
    }

    /// Logs a line the app `who` printed itself.
    pub fn app_output(&self, who: &str, message: &str) {
        self.write(who, From::App, message);
    }

    fn write(&self, who: &str, from: From, message: &str) {
        if let Some(lines) = &self.captured {
            let mut lines = lines.lock().unwrap_or_else(|p| p.into_inner());
            lines.push(format!("[{who}] {message}"));
            return;
        }
        let stamp = humantime::format_rfc3339_millis(SystemTime::now());
        let line = match self.format {
            LogFormat::Text => format!("{stamp} [{who}] {message}"),
            LogFormat::Json => serde_json::json!({
                "time": stamp.to_string(),
                "app": who,
                "from": match from { From::Kos => "kos", From::App => "app" },
                "message": message,
            })
            .to_string(),
        };
        let _guard = self.out.lock().unwrap_or_else(|p| p.into_inner());
        let mut stdout = std::io::stdout().lock();
        // A closed stdout must not take the root server down.
        let _ = writeln!(stdout, "{line}");
        let _ = stdout.flush();
    }

    /// A closure that logs under `who`, for components that take a log sink.
    pub fn sink(&self, who: &str) -> Arc<dyn Fn(&str) + Send + Sync> {
        let logger = self.clone();
        let who = who.to_string();
        Arc::new(move |m: &str| logger.line(&who, m))
    }
}
