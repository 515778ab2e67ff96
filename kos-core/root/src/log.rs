//! Log lines with a timestamp and the name of the component that wrote them.
//!
//! Two forms. `text` (the default) is for people: `2026-11-25T02:30:01.123Z [app]
//! message`. `json` is for tools and log collectors: one object a line, `{"time":
//! "…", "app": "echo_server", "from": "kos" | "app", "event": "…", …, "message":
//! "…"}`, where `from` says whether KOS wrote the line about the app or the app
//! printed it itself. KOS's lines are [`Event`]s: their name and fields stand beside
//! the sentence. An app's own lines are the event `output`.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use crate::events::Event;
use crate::recent::Recent;

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
    /// Each app's recent lines (text form), for `kos logs`.
    recent: Option<Arc<Recent>>,
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
            recent: None,
        }
    }

    /// The same logger, also keeping each component's recent lines in `recent`.
    pub fn keeping(mut self, recent: Arc<Recent>) -> Self {
        self.recent = Some(recent);
        self
    }

    /// A logger that keeps `[who] message` lines in memory, for tests.
    #[cfg(test)]
    pub(crate) fn capturing() -> (Self, Arc<Mutex<Vec<String>>>) {
        let lines = Arc::new(Mutex::new(Vec::new()));
        let logger = Logger {
            out: Arc::new(Mutex::new(())),
            format: LogFormat::Text,
            captured: Some(lines.clone()),
            recent: None,
        };
        (logger, lines)
    }

    /// Logs `event`, reported by KOS, under the component name `who`.
    pub fn event(&self, who: &str, event: Event) {
        self.write(who, From::Kos, Some(&event), &event.to_string());
    }

    /// Logs a line the app `who` printed itself.
    pub fn app_output(&self, who: &str, message: &str) {
        self.write(who, From::App, None, message);
    }

    /// Keeps a line the app `who` printed in its recent lines only (`kos logs`), not
    /// in the log: the report behind a one-line summary.
    pub fn app_output_kept(&self, who: &str, message: &str) {
        if let Some(recent) = &self.recent {
            let stamp = humantime::format_rfc3339_millis(SystemTime::now());
            recent.push(who, &format!("{stamp} [{who}] {message}"));
        }
    }

    fn write(&self, who: &str, from: From, event: Option<&Event>, message: &str) {
        if let Some(lines) = &self.captured {
            let mut lines = lines.lock().unwrap_or_else(|p| p.into_inner());
            lines.push(format!("[{who}] {message}"));
            return;
        }
        let stamp = humantime::format_rfc3339_millis(SystemTime::now());
        let text = format!("{stamp} [{who}] {message}");
        if let Some(recent) = &self.recent {
            recent.push(who, &text);
        }
        let line = match self.format {
            LogFormat::Text => text,
            LogFormat::Json => json_line(&stamp.to_string(), who, from, event, message),
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
        Arc::new(move |m: &str| {
            logger.event(
                &who,
                Event::MsgServer {
                    detail: m.to_string(),
                },
            )
        })
    }
}

/// One JSON object: who and when, the event's name and fields, and the sentence.
fn json_line(time: &str, who: &str, from: From, event: Option<&Event>, message: &str) -> String {
    let mut object = match event.map(serde_json::to_value) {
        Some(Ok(serde_json::Value::Object(fields))) => fields,
        _ => {
            let mut fields = serde_json::Map::new();
            fields.insert("event".into(), "output".into());
            fields
        }
    };
    object.insert("time".into(), time.into());
    object.insert("app".into(), who.into());
    let from = match from {
        From::Kos => "kos",
        From::App => "app",
    };
    object.insert("from".into(), from.into());
    object.insert("message".into(), message.into());
    serde_json::Value::Object(object).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_json_line_holds_the_event_beside_who_when_and_the_sentence() {
        let line = json_line(
            "2026-12-03T00:00:00.000Z",
            "echo_server",
            From::Kos,
            Some(&Event::Started { pid: 42 }),
            "started (pid 42)",
        );
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&line).unwrap(),
            serde_json::json!({
                "time": "2026-12-03T00:00:00.000Z", "app": "echo_server", "from": "kos",
                "event": "started", "pid": 42, "message": "started (pid 42)",
            })
        );
        let output = json_line("t", "echo_client", From::App, None, "reply 1: hi");
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&output).unwrap(),
            serde_json::json!({
                "time": "t", "app": "echo_client", "from": "app",
                "event": "output", "message": "reply 1: hi",
            })
        );
    }
}
