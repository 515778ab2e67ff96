//! The SDK on seL4: start-up (stack, IPC buffer, the environment page the root task
//! wrote, the heap), the root task's directory for connect and publish, calls in one
//! IPC message or the token's shared frame (`kos_sel4_rt::wire`), the serve loop over
//! `ReplyRecv`, console lines through the root.

use alloc::string::String;
use alloc::vec::Vec;

use core::arch::global_asm;
use core::fmt::Write;
use core::panic::PanicInfo;
use core::sync::atomic::{AtomicUsize, Ordering};

pub use kos_sel4_rt as rt;
pub use kos_sel4_rt::wire::{MAX_IPC_PAYLOAD, MAX_SHARED_PAYLOAD};

use crate::{Answered, CallError, Refusal};

const _: () = assert!(
    MAX_SHARED_PAYLOAD == kos_msg::MAX_PAYLOAD,
    "a token's frame holds KOS's largest payload"
);

use kos_sel4_rt::env::{
    Env, ROOT_CONNECT, ROOT_EXIT, ROOT_LOG, ROOT_PUBLISH, ROOT_REFUSED, ROOT_WHO, SLOT_ROOT,
};
use kos_sel4_rt::{k, wire, Console, IpcBuffer, Loaded, Msg};
use kos_service::{Answer, Call, Client as Caller, Reply, Service, Status};

/// Reply label of a call the seL4 transport could not carry: the answer's payload fit
/// neither the message nor a shared frame.
pub const REPLY_TOO_LARGE: u64 = wire::MAX_LABEL;
/// Reply label of a call the service held: held calls need saved reply capabilities,
/// which the seL4 loop does not keep yet.
pub const HOLD_UNSUPPORTED: u64 = wire::MAX_LABEL - 1;

/// The running component: its IPC buffer and its environment.
pub struct Component {
    ipc: IpcBuffer,
    env: &'static Env,
}

/// Most clients a server remembers by name at once (the rest are asked for again).
const KNOWN_CLIENTS: usize = 16;

/// A granted protocol's server, to call.
pub struct Client<'c> {
    component: &'c Component,
    slot: usize,
}

impl Component {
    /// The app's name in the manifest.
    pub fn name(&self) -> &str {
        self.env.app.as_str()
    }

    /// Its number among the system's components.
    pub fn index(&self) -> usize {
        self.env.index as usize
    }

    /// Connects to `protocol`: the directory grants this app a badged, call-only
    /// capability to its server, or refuses as the hosted message server does
    /// (`NotGranted` when the manifest does not let this app use it). A protocol the
    /// app may use but nobody has published yet is waited for.
    pub fn connect(&self, protocol: &str) -> Result<Client<'_>, Refusal> {
        let m = self.ask_root(ROOT_CONNECT, protocol)?;
        Ok(Client {
            component: self,
            slot: self.ipc.get(&m, 0),
        })
    }

    /// A request to the root task naming `protocol`; its answer, or the refusal.
    fn ask_root(&self, label: usize, protocol: &str) -> Result<Msg, Refusal> {
        if protocol.len() > kos_msg::MAX_PROTOCOL_LEN {
            return Err(Refusal::BadName);
        }
        let m = wire::encode(self.ipc, 0, protocol.as_bytes(), None).ok_or(Refusal::BadName)?;
        answer(self.ipc.call_loaded(SLOT_ROOT, label, &m))
    }

    /// Microseconds since the machine started (the time-stamp counter).
    pub fn now_us(&self) -> u64 {
        // SAFETY: rdtsc reads a counter user code may read (CR4.TSD is clear).
        let tsc = unsafe { core::arch::x86_64::_rdtsc() };
        tsc / self.env.tsc_mhz.max(1)
    }

    /// The seed the boot image carried for this incarnation, if the root gave it one
    /// (only to the app the manifest lets serve `kos_rng_protocol`).
    pub fn boot_seed(&self) -> Option<[u8; 32]> {
        (self.env.has_seed == 1).then_some(self.env.seed)
    }

    /// The time-stamp counter's rate, MHz (from the boot info).
    pub fn tsc_mhz(&self) -> u64 {
        self.env.tsc_mhz
    }

    /// Writes a line to the console, under this app's name: the root prints it
    /// ([`ROOT_LOG`]), one piece of at most one IPC message per console line (a line
    /// break in `line` starts another).
    pub fn log(&self, line: core::fmt::Arguments<'_>) {
        log_through_root(self.ipc, line);
    }

    /// Publishes `protocol` and serves it with `service` for good: receives each call
    /// on the protocol's endpoint, tells the service who called (the badge, and the
    /// client's app name from the directory), replies, and lets the service do its
    /// work between calls. Returns the directory's refusal at once if it does not let
    /// this app publish the protocol.
    pub fn serve<S: Service>(&self, protocol: &str, service: &mut S) -> Refusal {
        match self.publish(protocol) {
            Ok(ep) => serve_loop(self, ep, service),
            Err(refusal) => refusal,
        }
    }

    /// Publishes `protocol` and returns the slot of its endpoint, for a program that
    /// receives on it with a loop of its own (the seL4 benchmark's bare baseline);
    /// KOS servers use [`Component::serve`].
    pub fn publish(&self, protocol: &str) -> Result<usize, Refusal> {
        let m = self.ask_root(ROOT_PUBLISH, protocol)?;
        Ok(self.ipc.get(&m, 0))
    }

    /// The IPC buffer.
    pub fn ipc(&self) -> IpcBuffer {
        self.ipc
    }

    /// The manifest's `args`.
    pub fn args(&self) -> impl Iterator<Item = &str> {
        self.env.args()
    }

    /// Its heap's size in bytes (the manifest's `heap_kib`).
    pub fn heap_bytes(&self) -> usize {
        self.env.heap_bytes as usize
    }
}

impl Client<'_> {
    /// Calls the server: `label` (at most 20 bits), `param`, `payload`; the answer's
    /// payload goes to the front of `out`.
    #[inline(always)]
    pub fn call(
        &self,
        label: u64,
        param: u64,
        payload: &[u8],
        out: &mut [u8],
    ) -> Result<Answered, CallError> {
        if label > wire::MAX_LABEL - 2 {
            return Err(CallError::TooLarge);
        }
        let ipc = self.component.ipc;
        let message =
            wire::encode(ipc, param, payload, Some(self.frame())).ok_or(CallError::TooLarge)?;
        let m = ipc.call_loaded(self.slot, label as usize, &message);
        let status = m.label() as u64;
        match wire::decode(ipc, &m, out, Some(self.frame())) {
            // The two labels at the top are the transport's, never a service's status.
            Some((param, len)) if status < HOLD_UNSUPPORTED => Ok(Answered { status, param, len }),
            _ => Err(not_answered(&m)),
        }
    }

    /// The capability slot this client calls through.
    pub fn slot(&self) -> usize {
        self.slot
    }

    /// The token's shared frame, for payloads over one IPC message.
    fn frame(&self) -> &'static mut [u8] {
        // SAFETY: the root maps a read-write page there for every token it grants, into
        // this component and the token's server only; this thread is the one user on
        // this side, and the server touches it only while this thread waits in a call.
        unsafe {
            core::slice::from_raw_parts_mut(
                kos_sel4_rt::env::token_frame(self.slot) as *mut u8,
                MAX_SHARED_PAYLOAD,
            )
        }
    }
}

/// Why a reply is not a service's answer.
#[cold]
fn not_answered(m: &Msg) -> CallError {
    match m.label() as u64 {
        REPLY_TOO_LARGE if m.length() >= wire::HEADER_WORDS => CallError::ReplyTooLarge,
        HOLD_UNSUPPORTED if m.length() >= wire::HEADER_WORDS => CallError::HoldUnsupported,
        // Every KOS reply has a header; the kernel's own answer to a call through an
        // empty slot (its server's endpoint was deleted with it) has one word.
        l if m.length() < wire::HEADER_WORDS && l == k::ERR_INVALID_CAPABILITY as u64 => {
            CallError::ServerGone
        }
        _ => CallError::BadReply,
    }
}

/// The text of one [`Component::log`], sent to the root a console line at a time.
struct LineToRoot {
    ipc: IpcBuffer,
    bytes: [u8; MAX_IPC_PAYLOAD],
    len: usize,
    sent: bool,
}

impl LineToRoot {
    /// Sends what is gathered as one console line.
    fn send(&mut self) {
        if let Some(m) = wire::encode(self.ipc, 0, &self.bytes[..self.len], None) {
            let _ = self.ipc.call_loaded(SLOT_ROOT, ROOT_LOG, &m);
        }
        self.len = 0;
        self.sent = true;
    }
}

impl Write for LineToRoot {
    fn write_str(&mut self, text: &str) -> core::fmt::Result {
        let mut lines = text.split('\n');
        let mut piece = lines.next().unwrap_or("");
        loop {
            // What fits, cut at a character's start.
            while !piece.is_empty() {
                let mut cut = piece.len().min(self.bytes.len() - self.len);
                while !piece.is_char_boundary(cut) {
                    cut -= 1;
                }
                self.bytes[self.len..self.len + cut].copy_from_slice(&piece.as_bytes()[..cut]);
                self.len += cut;
                piece = &piece[cut..];
                if !piece.is_empty() {
                    self.send();
                }
            }
            match lines.next() {
                Some(next) => {
                    self.send();
                    piece = next;
                }
                None => return Ok(()),
            }
        }
    }
}

/// Formats `line` and sends it to the root to print ([`ROOT_LOG`]).
fn log_through_root(ipc: IpcBuffer, line: core::fmt::Arguments<'_>) {
    let mut out = LineToRoot {
        ipc,
        bytes: [0; MAX_IPC_PAYLOAD],
        len: 0,
        sent: false,
    };
    let _ = out.write_fmt(line);
    if out.len > 0 || !out.sent {
        out.send();
    }
}

/// A directory answer: label 0 is yes, `ROOT_REFUSED + code` a refusal.
fn answer(m: Msg) -> Result<Msg, Refusal> {
    match m.label() {
        0 => Ok(m),
        l => Err(l
            .checked_sub(ROOT_REFUSED)
            .and_then(|code| Refusal::from_code(code as u64))
            .unwrap_or(Refusal::BadFrame)),
    }
}

/// A client as the directory told its server: its app (checked as UTF-8 once, when
/// told, not on every call), where its token's shared frame is mapped here (0: none),
/// and whether the service admitted it (`connected` is asked once).
struct Known {
    badge: u64,
    app: String,
    frame: usize,
    admitted: bool,
}

/// The clients a server has asked the directory about.
struct KnownClients {
    entries: Vec<Known>,
    /// The oldest entry, the next forgotten when [`KNOWN_CLIENTS`] are remembered.
    next: usize,
    /// The entry of the last call's client, looked at first (a client calls in runs).
    last: usize,
}

impl KnownClients {
    /// The entry of the client holding `badge`, if it is remembered.
    #[inline]
    fn find(&mut self, badge: u64) -> Option<usize> {
        if self
            .entries
            .get(self.last)
            .is_some_and(|k| k.badge == badge)
        {
            return Some(self.last);
        }
        let i = self.entries.iter().position(|k| k.badge == badge)?;
        self.last = i;
        Some(i)
    }

    /// Asks the root who holds `badge` on the endpoint in `ep` (`ROOT_WHO`) and
    /// remembers it, the oldest forgotten when [`KNOWN_CLIENTS`] are; its entry. The
    /// call overwrites the IPC buffer: read a message's words before.
    #[cold]
    fn learn(&mut self, ipc: IpcBuffer, ep: usize, badge: u64) -> usize {
        let m = ipc.call(SLOT_ROOT, ROOT_WHO, &[ep, badge as usize], &[]);
        let mut bytes = [0u8; kos_sel4_rt::env::NAME_BYTES];
        let (app, frame) = match answer(m)
            .ok()
            .and_then(|m| wire::decode(ipc, &m, &mut bytes, None))
        {
            Some((frame, len)) => (
                core::str::from_utf8(&bytes[..len]).unwrap_or("?"),
                frame as usize,
            ),
            None => ("?", 0),
        };
        let known = Known {
            badge,
            app: String::from(app),
            frame,
            admitted: false,
        };
        let i = if self.entries.len() < KNOWN_CLIENTS {
            self.entries.push(known);
            self.entries.len() - 1
        } else {
            let i = self.next;
            self.entries[i] = known;
            self.next = (self.next + 1) % KNOWN_CLIENTS;
            i
        };
        self.last = i;
        i
    }

    /// The client of message `m` and its call's param and payload (copied into
    /// `input`), `None` for a message that is not a KOS call. A client seen for the
    /// first time is asked about after its message's words are read.
    #[inline]
    fn receive(
        &mut self,
        ipc: IpcBuffer,
        ep: usize,
        m: &Msg,
        input: &mut [u8],
    ) -> (usize, Option<(u64, usize)>) {
        let badge = m.badge as u64;
        if let Some(i) = self.find(badge) {
            let frame = served_frame(&self.entries[i]);
            return (i, wire::decode(ipc, m, input, frame.as_deref()));
        }
        let inline = wire::decode(ipc, m, input, None);
        let i = self.learn(ipc, ep, badge);
        let frame = served_frame(&self.entries[i]);
        (
            i,
            inline.or_else(|| wire::decode(ipc, m, input, frame.as_deref())),
        )
    }
}

/// A client's token frame in this server, if the root mapped one.
#[inline]
fn served_frame(known: &Known) -> Option<&'static mut [u8]> {
    // SAFETY: the root mapped a read-write page at this address for this client's
    // token alone; its client waits in its call while the server uses it.
    (known.frame != 0).then(|| unsafe {
        core::slice::from_raw_parts_mut(known.frame as *mut u8, MAX_SHARED_PAYLOAD)
    })
}

/// The reply to one call (its label, and what the message decoded to): the reply's
/// label and message (`None`: a header with no payload).
#[inline]
fn answer_call<S: Service>(
    ipc: IpcBuffer,
    service: &mut S,
    client: &mut Known,
    label_and_decoded: (u64, Option<(u64, usize)>),
    input: &[u8],
    out: &mut [u8; kos_service::MAX_PAYLOAD],
    now: u64,
) -> (u64, Option<Loaded>) {
    // Not a KOS message: answered with no payload and the transport's refusal.
    let (label, Some((param, len))) = label_and_decoded else {
        return (REPLY_TOO_LARGE, None);
    };
    let caller = Caller {
        badge: client.badge,
        app: &client.app,
    };
    // The first call of a client is its connection: the service may refuse it (and
    // is asked again at its next call).
    let was_admitted = client.admitted;
    let refused = if was_admitted {
        None
    } else {
        match service.connected(caller, now) {
            kos_service::Admission::Admit => None,
            kos_service::Admission::Refuse(no) => Some(no),
        }
    };
    let answer = match refused {
        Some(no) => no,
        None => {
            let call = Call {
                label,
                param,
                payload: &input[..len],
            };
            let reply = service.call(caller, call, out, now);
            client.admitted = true;
            match reply {
                Reply::Now(a) => a,
                Reply::Hold { .. } => return (HOLD_UNSUPPORTED, None),
            }
        }
    };
    let frame = served_frame(client);
    match out
        .get(..answer.len)
        .and_then(|payload| wire::encode(ipc, answer.param, payload, frame))
    {
        Some(reply) => (answer.status.label(), Some(reply)),
        None => (REPLY_TOO_LARGE, None),
    }
}

fn serve_loop<S: Service>(component: &Component, ep: usize, service: &mut S) -> ! {
    let ipc = component.ipc;
    let mut known = KnownClients {
        entries: Vec::with_capacity(KNOWN_CLIENTS),
        next: 0,
        last: 0,
    };
    let mut input = [0u8; MAX_SHARED_PAYLOAD];
    let mut out = [0u8; kos_service::MAX_PAYLOAD];
    let start = component.now_us();
    let mut tick_due = start.saturating_add(service.wait_us(start));
    let mut m = kos_sel4_rt::recv(ep);
    loop {
        let now = component.now_us();
        // The payload in the message is read before anything else: asking the root who
        // a new client is overwrites the IPC buffer. The caller's reply capability
        // survives that call: on 5.0 only a receive deletes it.
        let (i, decoded) = known.receive(ipc, ep, &m, &mut input);
        let (label, reply) = answer_call(
            ipc,
            service,
            &mut known.entries[i],
            (m.label() as u64, decoded),
            &input,
            &mut out,
            now,
        );
        let reply = reply.unwrap_or(Loaded {
            regs: [0; 4],
            len: wire::HEADER_WORDS,
        });
        m = ipc.reply_recv_loaded(ep, label as usize, &reply);
        service.replied(&mut out[..reply.regs[1].min(kos_service::MAX_PAYLOAD)]);
        // Its timers, when the service said they are due (5.0's receive has no
        // timeout: they are looked at as calls come in).
        if now >= tick_due {
            let mut ignore = |_: u64, _: Answer<S::Status>, _: &[u8]| {};
            service.tick(now, &mut out, &mut ignore);
            tick_due = now.saturating_add(service.wait_us(now));
        }
    }
}

/// Tells the root this component is done, with `status` (0: normally), and stops.
pub fn exit(component: &Component, status: u64) -> ! {
    let _ = component
        .ipc
        .call(SLOT_ROOT, ROOT_EXIT, &[status as usize], &[]);
    // The root suspends an exited component; nothing comes back.
    loop {
        kos_sel4_rt::yield_now();
    }
}

extern "Rust" {
    fn kos_component_main(c: &Component) -> u64;
}

global_asm!(
    ".section .text._start,\"ax\",@progbits",
    ".global _start",
    "_start:",
    "    and rsp, -16",
    "    xor ebp, ebp",
    "    call {start}",
    "    ud2",
    start = sym start,
);

/// The component's heap: `heap_kib` of frames the root mapped at `HEAP_VADDR`, given
/// to talc at start. Past it, an allocation fails, which panics: a fault the root
/// handles by the app's policy, as the hosted heap's limit ends a process.
#[global_allocator]
static HEAP: talc::TalcLock<spinning_top::RawSpinlock, talc::source::Manual> =
    talc::TalcLock::new(talc::source::Manual);

/// Registers at entry (the root's TCB_WriteRegisters): rdi = the IPC buffer.
extern "C" fn start(ipc_buffer: usize) -> ! {
    // SAFETY: the root task maps the environment page before it starts a component.
    let env = unsafe { Env::mapped() };
    if env.magic == kos_sel4_rt::env::MAGIC && env.heap_bytes > 0 {
        // SAFETY: the root mapped these bytes read-write for this component alone.
        unsafe {
            HEAP.lock().claim(
                kos_sel4_rt::env::HEAP_VADDR as *mut u8,
                env.heap_bytes as usize,
            );
        }
    }
    let component = Component {
        ipc: IpcBuffer(ipc_buffer),
        env,
    };
    if env.magic != kos_sel4_rt::env::MAGIC {
        let _ = writeln!(Console, "component: no KOS environment page; stopping");
        exit(&component, 70);
    }
    // From here a panic's message goes to the root like any line.
    IPC_BUFFER.store(ipc_buffer, Ordering::Relaxed);
    // SAFETY: the app's `main!` defines it.
    let status = unsafe { kos_component_main(&component) };
    exit(&component, status)
}

/// The IPC buffer's address, for the panic handler (set at start).
static IPC_BUFFER: AtomicUsize = AtomicUsize::new(0);

#[panic_handler]
fn panic(info: &PanicInfo) -> ! {
    match IPC_BUFFER.load(Ordering::Relaxed) {
        0 => {
            let _ = writeln!(Console, "component: panic: {info}");
        }
        ipc => match info.location() {
            Some(at) => log_through_root(
                IpcBuffer(ipc),
                format_args!("panic at {at}: {}", info.message()),
            ),
            None => log_through_root(IpcBuffer(ipc), format_args!("panic: {}", info.message())),
        },
    }
    // A user exception the root's fault handler sees, like a crash of a hosted app.
    // SAFETY: ud2 only raises #UD.
    unsafe { core::arch::asm!("ud2", options(noreturn)) }
}
