//! Asks `_root`, through `kos_root_protocol`, to restart applications, report on
//! them, or switch to an upgrade image.

use std::time::Duration;

use clap::{Parser, Subcommand};
use kos_client::{root, Token};
use kos_demo_apps::{kos, say};
use root::{Request, Status};

kos_heap::global_heap!();

/// Asks the root server to restart applications, after a delay.
#[derive(Parser)]
struct Args {
    /// Wait this long before asking, in milliseconds.
    #[arg(long, default_value_t = 1000)]
    after_ms: u64,
    #[command(subcommand)]
    what: What,
}

#[derive(Subcommand)]
enum What {
    /// Restart every application.
    RestartAll,
    /// Restart one application.
    RestartApp {
        /// Its manifest name.
        name: String,
    },
    /// Print every application's state and memory.
    Status,
    /// Switch the system to the image in DIR (system.dts + elixir/).
    Upgrade {
        /// The image directory.
        dir: String,
    },
}

fn main() {
    let args = Args::parse();
    let kos = kos();
    let msg_server = kos.only_msg_server().unwrap_or_else(|e| panic!("{e}"));
    std::thread::sleep(Duration::from_millis(args.after_ms));
    let mut token = match msg_server.connect_wait(root::PROTOCOL, Duration::from_secs(10)) {
        Ok(t) => t,
        Err(e) => {
            say!("no access to {}: {e}", root::PROTOCOL);
            // Stay up: a refused request is not a reason to crash-loop.
            loop {
                std::thread::park();
            }
        }
    };
    let request = match &args.what {
        What::RestartAll => Request::RestartAll,
        What::RestartApp { name } => Request::RestartApp(name),
        What::Status => Request::Status { from: 0 },
        What::Upgrade { dir } => Request::Upgrade(dir),
    };
    say!(
        "asking _root to {}",
        match &args.what {
            What::RestartAll => "restart all applications".to_string(),
            What::RestartApp { name } => format!("restart {name}"),
            What::Status => "report every app's state".to_string(),
            What::Upgrade { dir } => format!("switch to the system in {dir}"),
        }
    );
    match ask(&mut token, request) {
        Ok(lines) => {
            say!("_root accepted");
            for line in lines {
                say!("status: {line}");
            }
        }
        Err(why) => say!("{why}"),
    }
    loop {
        std::thread::park();
    }
}

/// Sends `request`; for a status report, asks page after page until every app is
/// read. The report's lines, or why the request failed.
fn ask(token: &mut Token, request: Request<'_>) -> Result<Vec<String>, String> {
    let mut lines = Vec::new();
    let mut request = request;
    loop {
        let reply = token
            .call(request.message())
            .map_err(|e| format!("call to _root failed: {e}"))?;
        if Status::from_label(reply.label) != Some(Status::Ok) {
            return Err(format!(
                "_root refused with status {}: {}",
                reply.label,
                String::from_utf8_lossy(&reply.payload)
            ));
        }
        let Request::Status { .. } = request else {
            return Ok(lines);
        };
        let before = lines.len();
        for app in root::decode_status_page(&reply.payload) {
            lines.push(
                app.map_err(|e| format!("bad status page: {e}"))?
                    .to_string(),
            );
        }
        if lines.len() as u64 >= reply.param || lines.len() == before {
            return Ok(lines);
        }
        request = Request::Status {
            from: lines.len() as u32,
        };
    }
}
