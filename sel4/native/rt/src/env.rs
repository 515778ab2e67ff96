//! The page the root task writes into every component before it starts — who it is,
//! its heap and its arguments — and the requests a component sends the root. The root
//! writes the page, the SDK reads it ([`Env`]); this one layout serves both.
//!
//! A component's CSpace starts with the root's endpoint in [`SLOT_ROOT`] and its fault
//! endpoint in [`SLOT_FAULT`], and nothing else: no protocol is reachable until the
//! directory grants it. A component asks the root ([`ROOT_PUBLISH`], [`ROOT_CONNECT`]),
//! the root decides with `kos-msg-server`'s directory under the manifest's
//! `dir_access_control` — the hosted message server's code — and on a grant puts the
//! capability into the component's CSpace from [`SLOT_FIRST_GRANT`] on: for a protocol
//! it publishes, an endpoint of its own; for one it connects to, a copy of the server's
//! endpoint minted with call rights only and the grant's badge, and a frame mapped in
//! both for payloads larger than one IPC message ([`token_frame`]). Its console lines
//! go through the root too ([`ROOT_LOG`]).

/// Where the page is mapped in every component (read-only).
pub const ENV_VADDR: usize = 0x0091_0000;
/// The page's first word.
pub const MAGIC: u64 = u64::from_le_bytes(*b"KOSENV02");
/// The root's endpoint, badged with the component's number (its requests).
pub const SLOT_ROOT: usize = 1;
/// The component's fault endpoint (the root's, under the fault badge).
pub const SLOT_FAULT: usize = 2;
/// The first slot the root fills with a granted capability.
pub const SLOT_FIRST_GRANT: usize = 3;
/// Longest name (app or argument) in the page, as the manifest allows.
pub const NAME_BYTES: usize = 32;
/// Where a component's heap is mapped (read-write), `heap_kib` of its manifest entry.
pub const HEAP_VADDR: usize = 0x1000_0000;
/// Where a client finds the shared frame of the token in its slot `s` (for payloads
/// over one IPC message): this plus `(s - SLOT_FIRST_GRANT)` pages, read-write.
pub const TOKEN_FRAMES_VADDR: usize = 0x2000_0000;
/// Where a server finds its clients' token frames: the root tells it each one's
/// address with the client's name (`ROOT_WHO`); they lie from here on.
pub const SERVED_FRAMES_VADDR: usize = 0x8000_0000;

/// The shared frame of the token a client holds in `slot`.
pub const fn token_frame(slot: usize) -> usize {
    TOKEN_FRAMES_VADDR + (slot - SLOT_FIRST_GRANT) * 4096
}

/// Most arguments (the manifest's `args`) a component gets, each up to [`NAME_BYTES`].
pub const MAX_ARGS: usize = 6;

/// Request: the component is done, with an exit status (MR 0). Never answered.
pub const ROOT_EXIT: usize = 0x0e;
/// Request: publish the protocol named by the message (`wire`: the name as payload).
/// Answer: label 0 and MR 0 the slot of the protocol's new endpoint, or a refusal.
pub const ROOT_PUBLISH: usize = 0x10;
/// Request: connect to the protocol named by the message. Held while the protocol is
/// granted but not published yet. Answer: label 0, MR 0 the slot of the call-only
/// capability and MR 1 its badge; or a refusal.
pub const ROOT_CONNECT: usize = 0x11;
/// Request of a server: which app holds the token with badge MR 1 on the protocol it
/// serves through the endpoint in its slot MR 0. Answer: label 0, the app's name as the
/// `wire` payload and the address of the token's shared frame in the server as its
/// param; or a refusal (`UnknownBadge`).
pub const ROOT_WHO: usize = 0x12;
/// Request: one line for the console, the message's `wire` payload (at most
/// `wire::MAX_IPC_PAYLOAD` bytes; a longer line comes as several). The root prints it
/// under the component's name — a label the component cannot forge — in one piece,
/// so lines of components that run at the same priority never interleave. Answer:
/// label 0.
pub const ROOT_LOG: usize = 0x13;
/// A refusal's reply label: this plus `kos_msg::Refusal::code`.
pub const ROOT_REFUSED: usize = 1;

/// A name in a fixed field.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct Name {
    len: u8,
    bytes: [u8; NAME_BYTES],
}

impl Name {
    /// The empty name.
    pub const EMPTY: Name = Name {
        len: 0,
        bytes: [0; NAME_BYTES],
    };

    /// `text`, cut at [`NAME_BYTES`] (manifest names are at most 32 bytes).
    pub fn new(text: &str) -> Name {
        let mut name = Name::EMPTY;
        let len = text.len().min(NAME_BYTES);
        name.bytes[..len].copy_from_slice(&text.as_bytes()[..len]);
        name.len = len as u8;
        name
    }

    /// The name as text (empty if the bytes are not UTF-8).
    pub fn as_str(&self) -> &str {
        let len = usize::from(self.len).min(NAME_BYTES);
        core::str::from_utf8(&self.bytes[..len]).unwrap_or("")
    }
}

/// The page.
#[repr(C)]
pub struct Env {
    /// [`MAGIC`].
    pub magic: u64,
    /// The component's app name.
    pub app: Name,
    /// Its number among the system's components.
    pub index: u64,
    /// The time-stamp counter's rate, MHz.
    pub tsc_mhz: u64,
    /// Its heap: [`HEAP_VADDR`] and this many bytes.
    pub heap_bytes: u64,
    /// How many of `args` are set.
    pub arg_count: u64,
    /// The manifest's `args`.
    pub args: [Name; MAX_ARGS],
    /// 1 when `seed` holds entropy from the boot image (given only to the app the
    /// manifest lets serve `kos_rng_protocol`, fresh for each of its incarnations).
    pub has_seed: u64,
    /// That entropy.
    pub seed: [u8; 32],
}

const _: () = assert!(
    core::mem::size_of::<Env>() <= 4096,
    "the environment is one page"
);

impl Env {
    /// An empty environment for `app`, component `index`.
    pub fn new(app: &str, index: usize, tsc_mhz: u64) -> Env {
        Env {
            magic: MAGIC,
            app: Name::new(app),
            index: index as u64,
            tsc_mhz,
            heap_bytes: 0,
            arg_count: 0,
            args: [Name::EMPTY; MAX_ARGS],
            has_seed: 0,
            seed: [0; 32],
        }
    }

    /// Adds `arg`; `false` when it does not fit (too many, or too long).
    pub fn add_arg(&mut self, arg: &str) -> bool {
        let i = self.arg_count as usize;
        if i >= MAX_ARGS || arg.len() > NAME_BYTES {
            return false;
        }
        self.args[i] = Name::new(arg);
        self.arg_count += 1;
        true
    }

    /// The manifest's `args`.
    pub fn args(&self) -> impl Iterator<Item = &str> {
        self.args[..(self.arg_count as usize).min(MAX_ARGS)]
            .iter()
            .map(Name::as_str)
    }

    /// The environment the root mapped at [`ENV_VADDR`].
    ///
    /// # Safety
    /// Only inside a component the KOS root task started (the page is mapped there).
    pub unsafe fn mapped() -> &'static Env {
        // SAFETY: the caller's promise; the root wrote a whole `Env` there.
        unsafe { &*(ENV_VADDR as *const Env) }
    }
}
