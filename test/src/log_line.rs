//! One line of a running system's log, read from `kos run --log-format json`.
//!
//! KOS's own lines are events (`from` = `kos`): a stable name and typed fields, so a
//! test asks for `started` with its `pid` rather than for an English sentence. The
//! apps' own lines are the event `output`, matched on their text, which is what the
//! app promises. A line that is not JSON (a panic, `kos`'s own error exit) is kept as
//! `output` of the app `?`, so nothing is lost from a failure's log.

use serde_json::Value;

/// A parsed log line.
#[derive(Debug, Clone)]
pub struct LogLine {
    /// The component the line is about (`_root`, `msg:NAME`, an app).
    pub app: String,
    /// True when KOS wrote it, false when the app printed it.
    pub from_kos: bool,
    /// The event's name (`output` for an app's own line).
    pub event: String,
    /// The whole object, fields included.
    pub fields: Value,
    /// The sentence.
    pub message: String,
}

impl LogLine {
    /// Parses one line of `kos run --log-format json` output.
    pub fn parse(line: &str) -> LogLine {
        match serde_json::from_str::<Value>(line) {
            Ok(fields @ Value::Object(_)) => {
                let text = |key: &str| fields[key].as_str().unwrap_or_default().to_string();
                LogLine {
                    app: text("app"),
                    from_kos: fields["from"] == "kos",
                    event: text("event"),
                    message: text("message"),
                    fields,
                }
            }
            _ => LogLine {
                app: "?".into(),
                from_kos: false,
                event: "output".into(),
                fields: Value::Null,
                message: line.to_string(),
            },
        }
    }

    /// The line as people read it: `[app] message`.
    pub fn text(&self) -> String {
        format!("[{}] {}", self.app, self.message)
    }

    /// A numeric field (panics, naming the line, when there is none).
    pub fn number(&self, key: &str) -> u64 {
        self.fields[key]
            .as_u64()
            .unwrap_or_else(|| panic!("no number `{key}` in {}", self.fields))
    }

    /// A text field (panics, naming the line, when there is none).
    pub fn string(&self, key: &str) -> &str {
        self.fields[key]
            .as_str()
            .unwrap_or_else(|| panic!("no text `{key}` in {}", self.fields))
    }

    /// The `pid` of a `started` event.
    pub fn pid(&self) -> u32 {
        u32::try_from(self.number("pid")).expect("a pid")
    }

    /// How the process ended, for `stopped`, `restarting`, `stays_down` and `gave_up`:
    /// `exit.how` (`normal`, `status`, `signal`, …).
    pub fn exit_how(&self) -> &str {
        self.fields["exit"]["how"]
            .as_str()
            .unwrap_or_else(|| panic!("no exit in {}", self.fields))
    }

    /// The exit status or signal of `exit`, whichever it has.
    pub fn exit_number(&self, key: &str) -> Option<i64> {
        self.fields["exit"][key].as_i64()
    }
}
