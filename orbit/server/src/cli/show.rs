//! How the operating commands print what Orbit answers, and how a command is followed
//! to its result.

use std::time::{Duration, Instant};

use super::Failed;
use crate::api::DeviceView;
use crate::client::Client;
use crate::store::CommandRecord;

/// How long `orbit upgrade` follows a device through its switch.
const FOLLOW_UPGRADE: Duration = Duration::from_secs(300);
/// How often it asks meanwhile.
const FOLLOW_EVERY: Duration = Duration::from_millis(500);

/// Prints a command's outcome; an error result fails the CLI command. An upgrade
/// restarts the device, so its result comes later: follow it (bounded).
pub(super) fn finish(client: &Client, mut r: CommandRecord, device: &str) -> Result<(), Failed> {
    let pending = |r: &CommandRecord| matches!(r.state.as_str(), "sent" | "acked");
    if r.kind == "upgrade" && pending(&r) {
        eprintln!("{device} is switching to the new system; waiting for it to report");
        let t0 = Instant::now();
        while pending(&r) && t0.elapsed() < FOLLOW_UPGRADE {
            // Orbit has no long poll for a command's end: ask again shortly.
            std::thread::sleep(FOLLOW_EVERY);
            r = client.command(r.id)?;
        }
    }
    let (id, kind, detail) = (r.id, &r.kind, &printable(&r.detail));
    match r.state.as_str() {
        "ok" => {
            let took = r
                .finished_at
                .map(|f| format!(" in {} ms", f - r.created_at))
                .unwrap_or_default();
            println!("{kind} #{id} to {device}: ok{took} — {detail}");
            Ok(())
        }
        "error" => Err(Failed::Command(format!(
            "{kind} #{id} to {device} failed: {detail}"
        ))),
        other => Err(Failed::Command(format!(
            "{kind} #{id} to {device}: no result yet (state {other}); see `orbit commands --device {device}`"
        ))),
    }
}

/// `orbit devices`.
pub(super) fn devices(devices: &[DeviceView]) {
    println!(
        "{:<20} {:<8} {:<25} {:<12} {:>9}",
        "DEVICE", "STATUS", "LAST SEEN", "VERSION", "PING ms"
    );
    for d in devices {
        let status = if d.record.revoked {
            "revoked"
        } else if d.online {
            "online"
        } else {
            "offline"
        };
        let seen = d
            .record
            .last_seen
            .map(format_time)
            .unwrap_or_else(|| "never".into());
        let rtt = d
            .record
            .rtt_ms
            .map(|r| format!("{r:.1}"))
            .unwrap_or_else(|| "-".into());
        println!(
            "{:<20} {:<8} {:<25} {:<12} {:>9}",
            printable(&d.record.name),
            status,
            seen,
            printable(d.record.version.as_deref().unwrap_or("-")),
            rtt
        );
    }
}

/// `orbit device status`: `NAME online|offline|revoked VERSION`, one line, so a script
/// (`mix kos.push`) reads it by splitting on spaces (a version has none).
pub(super) fn status_line(d: &DeviceView) -> String {
    let state = if d.record.revoked {
        "revoked"
    } else if d.online {
        "online"
    } else {
        "offline"
    };
    format!(
        "{} {state} {}",
        printable(&d.record.name),
        printable(d.record.version.as_deref().unwrap_or("-"))
    )
}

/// `orbit commands`.
pub(super) fn commands(commands: &[CommandRecord]) {
    println!(
        "{:>6} {:<20} {:<8} {:<6} DETAIL",
        "ID", "DEVICE", "KIND", "STATE"
    );
    for c in commands {
        println!(
            "{:>6} {:<20} {:<8} {:<6} {}",
            c.id,
            printable(&c.device),
            c.kind,
            c.state,
            printable(&c.detail)
        );
    }
}

/// Text a device supplied (its version, a command's detail), safe for a terminal:
/// control characters — escape sequences included — are shown escaped, not run.
pub(super) fn printable(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Unix ms as UTC `YYYY-MM-DD HH:MM:SS` (civil-from-days, no time zone database needed).
fn format_time(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod test {
    use super::format_time;

    #[test]
    fn device_text_cannot_drive_the_terminal() {
        use super::printable;
        assert_eq!(printable("2.0.0"), "2.0.0");
        assert_eq!(
            printable("1.0\u{1b}[2J\u{1b}]0;pwned\u{7}"),
            "1.0\\u{1b}[2J\\u{1b}]0;pwned\\u{7}"
        );
        assert_eq!(printable("a\nb\r"), "a\\nb\\r");
        assert_eq!(printable("°C ü"), "°C ü", "printable text stays as it is");
    }

    #[test]
    fn times_are_utc_calendar_dates() {
        assert_eq!(format_time(0), "1970-01-01 00:00:00");
        // 2024-02-29 12:34:56.789 UTC: a leap day.
        assert_eq!(format_time(1_709_210_096_789), "2024-02-29 12:34:56");
        assert_eq!(format_time(-1000), "1969-12-31 23:59:59");
    }
}
