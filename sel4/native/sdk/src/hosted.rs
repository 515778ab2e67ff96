//! The SDK in the hosted environment: the app is a process `kos run` started with the
//! channels of its message servers (`kos_client`). The same calls as on seL4 — connect,
//! call, serve, say — over the hosted transport, so one program source runs in both;
//! what differs is only how a token travels (a socket here, a capability there).

use std::cell::RefCell;
use std::io::Write;
use std::time::{Duration, Instant};

use kos_client::{Error, Kos, Message, Token};
use kos_service::Service;

use crate::{Answered, CallError, Refusal};

/// How long a connect waits for its protocol to be published (a server restarting).
const CONNECT_WAIT: Duration = Duration::from_secs(30);

kos_heap::global_heap!();

/// The running app: its message servers, arguments and start time.
pub struct Component {
    kos: Kos,
    args: Vec<String>,
    started: Instant,
}

/// A granted protocol's server, to call.
pub struct Client<'c> {
    _component: &'c Component,
    token: RefCell<Token>,
}

/// Starts the app: takes over what `kos run` handed this process (or exits 2 saying
/// it was not started by KOS), runs `main` and exits with its status.
pub fn run_hosted(main: fn(&Component) -> u64) -> ! {
    // A panic ends the app at once, as a fault ends a component on seL4: one line,
    // no backtrace (symbolising one would need more than a small heap budget holds).
    std::panic::set_hook(Box::new(|info| {
        let _ = writeln!(std::io::stderr(), "panic: {info}");
        std::process::abort();
    }));
    let kos = match Kos::from_env() {
        Ok(kos) => kos,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let component = Component {
        kos,
        args: std::env::args().skip(1).collect(),
        started: Instant::now(),
    };
    let status = main(&component);
    let _ = std::io::stdout().flush();
    std::process::exit(i32::try_from(status).unwrap_or(1))
}

/// A hosted failure as the directory's refusal an seL4 app would see.
fn refusal(e: Error) -> Refusal {
    match e {
        Error::Refused(r) => r,
        Error::Timeout => Refusal::NotPublished,
        _ => Refusal::BadFrame,
    }
}

impl Component {
    /// The app's name in the manifest.
    pub fn name(&self) -> &str {
        self.kos.app()
    }

    /// Connects to `protocol` on the first of the app's message servers that grants
    /// it, waiting while it is granted but not published yet.
    pub fn connect(&self, protocol: &str) -> Result<Client<'_>, Refusal> {
        let mut last = Refusal::NotGranted;
        for msg_server in self.kos.msg_servers() {
            match msg_server.connect_wait(protocol, CONNECT_WAIT) {
                Ok(token) => {
                    return Ok(Client {
                        _component: self,
                        token: RefCell::new(token),
                    })
                }
                Err(Error::Refused(Refusal::NotGranted)) => {}
                Err(e) => last = refusal(e),
            }
        }
        Err(last)
    }

    /// Publishes `protocol` on the first of the app's message servers that lets it and
    /// serves it with `service` until that message server goes away; returns the
    /// refusal (or, once served, why serving stopped, as the closest refusal).
    pub fn serve<S: Service>(&self, protocol: &str, service: &mut S) -> Refusal {
        let mut last = Refusal::NotGranted;
        for msg_server in self.kos.msg_servers() {
            match msg_server.publish(protocol) {
                Ok(()) => {
                    let server = match msg_server.serve() {
                        Ok(server) => server,
                        Err(e) => return refusal(e),
                    };
                    let stopped =
                        kos_client::serve(server, service, |line| self.log(format_args!("{line}")));
                    self.log(format_args!("message server gone: {stopped}"));
                    return Refusal::NotPublished;
                }
                Err(Error::Refused(Refusal::NotGranted)) => {}
                Err(e) => last = refusal(e),
            }
        }
        last
    }

    /// Microseconds since the app started.
    pub fn now_us(&self) -> u64 {
        self.started.elapsed().as_micros() as u64
    }

    /// Writes one line to standard output, which `kos run` logs under the app's name.
    pub fn log(&self, line: core::fmt::Arguments<'_>) {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }

    /// The manifest's `args` (the process's arguments).
    pub fn args(&self) -> impl Iterator<Item = &str> {
        self.args.iter().map(String::as_str)
    }

    /// A boot seed: hosted apps have the operating system's entropy instead.
    pub fn boot_seed(&self) -> Option<[u8; 32]> {
        None
    }
}

impl Client<'_> {
    /// Calls the server: `label`, `param`, `payload`; the answer's payload goes to the
    /// front of `out`.
    pub fn call(
        &self,
        label: u64,
        param: u64,
        payload: &[u8],
        out: &mut [u8],
    ) -> Result<Answered, CallError> {
        let reply = self
            .token
            .borrow_mut()
            .call(Message::new(label, payload).with_param(param))
            .map_err(|e| match e {
                Error::PayloadTooLarge(_) => CallError::TooLarge,
                Error::Closed => CallError::ServerGone,
                _ => CallError::BadReply,
            })?;
        let len = reply.payload.len();
        out.get_mut(..len)
            .ok_or(CallError::BadReply)?
            .copy_from_slice(&reply.payload);
        Ok(Answered {
            status: reply.label,
            param: reply.param,
            len,
        })
    }
}
