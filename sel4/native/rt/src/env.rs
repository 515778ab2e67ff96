//! The page the root task writes into every component before it starts: who it is and
//! which endpoints its manifest entry grants it — its directory. The root writes it
//! (`EnvWriter`), the SDK reads it ([`Env`]); this one layout serves both.
//!
//! A component's CSpace has the root's endpoint in [`SLOT_ROOT`], its fault endpoint in
//! [`SLOT_FAULT`] and one capability per directory entry from [`SLOT_FIRST_PROTOCOL`]
//! on: for a protocol it serves, the endpoint itself (it receives on it); for one it
//! uses, a copy badged with its own number and minted with call rights only, so it can
//! call the server and never receive the server's calls. A protocol the manifest does
//! not grant has no entry and no capability: there is nothing to call.

/// Where the page is mapped in every component (read-only).
pub const ENV_VADDR: usize = 0x0091_0000;
/// The page's first word.
pub const MAGIC: u64 = u64::from_le_bytes(*b"KOSENV01");
/// The root's endpoint (requests: exit).
pub const SLOT_ROOT: usize = 1;
/// The component's fault endpoint (the root's, under the fault badge).
pub const SLOT_FAULT: usize = 2;
/// The first protocol capability.
pub const SLOT_FIRST_PROTOCOL: usize = 3;
/// Most directory entries.
pub const MAX_ENTRIES: usize = 8;
/// Most clients listed for a served protocol.
pub const MAX_CLIENTS: usize = 8;
/// Longest name (app or protocol), as the manifest allows.
pub const NAME_BYTES: usize = 32;
/// Where a component's heap is mapped (read-write), `heap_kib` of its manifest entry.
pub const HEAP_VADDR: usize = 0x1000_0000;
/// Most arguments (the manifest's `args`) a component gets, each up to [`NAME_BYTES`].
pub const MAX_ARGS: usize = 6;

/// Label of a component's request to the root: it is done, with an exit status (MR 0).
pub const ROOT_EXIT: usize = 0x0e;

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

/// What a component does with a protocol.
#[repr(u8)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Role {
    /// It serves it: the capability is the endpoint.
    Serve = 1,
    /// It calls it: the capability is a badged, call-only copy.
    Use = 2,
}

/// A client of a served protocol: the badge its calls carry, and its app's name.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct ClientEntry {
    /// The badge.
    pub badge: u64,
    /// The app.
    pub app: Name,
}

/// One granted protocol.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct Entry {
    /// The protocol.
    pub protocol: Name,
    /// What the component does with it.
    pub role: Role,
    /// Its capability's slot.
    pub slot: u64,
    /// For a served protocol: its clients.
    pub clients: [ClientEntry; MAX_CLIENTS],
    /// How many of `clients` are set.
    pub client_count: u64,
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
    /// How many of `entries` are set.
    pub entry_count: u64,
    /// Its directory.
    pub entries: [Entry; MAX_ENTRIES],
    /// Its heap: [`HEAP_VADDR`] and this many bytes.
    pub heap_bytes: u64,
    /// How many of `args` are set.
    pub arg_count: u64,
    /// The manifest's `args`.
    pub args: [Name; MAX_ARGS],
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
            entry_count: 0,
            entries: [Entry {
                protocol: Name::EMPTY,
                role: Role::Use,
                slot: 0,
                clients: [ClientEntry {
                    badge: 0,
                    app: Name::EMPTY,
                }; MAX_CLIENTS],
                client_count: 0,
            }; MAX_ENTRIES],
            heap_bytes: 0,
            arg_count: 0,
            args: [Name::EMPTY; MAX_ARGS],
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

    /// Adds `protocol` in `role` at the next slot; returns the slot, or `None` when the
    /// directory is full.
    pub fn add(&mut self, protocol: &str, role: Role) -> Option<usize> {
        let i = self.entry_count as usize;
        let entry = self.entries.get_mut(i)?;
        entry.protocol = Name::new(protocol);
        entry.role = role;
        entry.slot = (SLOT_FIRST_PROTOCOL + i) as u64;
        self.entry_count += 1;
        Some(SLOT_FIRST_PROTOCOL + i)
    }

    /// Records `app` as a client of the last entry, calling with `badge`.
    pub fn add_client(&mut self, badge: u64, app: &str) -> bool {
        let Some(entry) = self
            .entry_count
            .checked_sub(1)
            .and_then(|i| self.entries.get_mut(i as usize))
        else {
            return false;
        };
        let Some(client) = entry.clients.get_mut(entry.client_count as usize) else {
            return false;
        };
        *client = ClientEntry {
            badge,
            app: Name::new(app),
        };
        entry.client_count += 1;
        true
    }

    /// The environment the root mapped at [`ENV_VADDR`].
    ///
    /// # Safety
    /// Only inside a component the KOS root task started (the page is mapped there).
    pub unsafe fn mapped() -> &'static Env {
        // SAFETY: the caller's promise; the root wrote a whole `Env` there.
        unsafe { &*(ENV_VADDR as *const Env) }
    }

    /// The set entries.
    pub fn entries(&self) -> &[Entry] {
        &self.entries[..(self.entry_count as usize).min(MAX_ENTRIES)]
    }

    /// The entry of `protocol` in `role`, if the manifest grants it.
    pub fn find(&self, protocol: &str, role: Role) -> Option<&Entry> {
        self.entries()
            .iter()
            .find(|e| e.role == role && e.protocol.as_str() == protocol)
    }
}

impl Entry {
    /// The app calling with `badge`, if it is a client.
    pub fn client(&self, badge: u64) -> Option<&str> {
        self.clients[..(self.client_count as usize).min(MAX_CLIENTS)]
            .iter()
            .find(|c| c.badge == badge)
            .map(|c| c.app.as_str())
    }
}
