//! The C API: `kos_request_rng_stream` (declared in `include/kos_rng_client.h`).
//!
//! The first call takes over the process's KOS handoff and connects; later calls
//! reuse the connection. After a lost connection the call fails once with
//! `KOS_RNG_ERR_CLOSED` and the next one reconnects.

use std::ffi::{c_char, c_int};
use std::sync::{Mutex, OnceLock};

use kos_client::{Error, Kos, Refusal};

use crate::RngClient;

/// Status codes of the C API (the `KOS_RNG_*` constants of the header).
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// The buffer was filled.
    Ok = 0,
    /// The process was not started by KOS (no handoff in its environment).
    NotKos = -1,
    /// The RNG server did not come up in time.
    NoServer = -2,
    /// The manifest does not grant this app `kos_rng_protocol`.
    NotGranted = -3,
    /// The connection to the server was lost; the next call reconnects.
    Closed = -4,
    /// `buf` is NULL while `len` is not 0.
    Invalid = -5,
    /// Any other failure.
    Failed = -6,
}

impl Status {
    fn of(error: &Error) -> Status {
        match error {
            Error::Refused(Refusal::NotGranted) => Status::NotGranted,
            Error::Refused(Refusal::NotPublished) | Error::Timeout => Status::NoServer,
            Error::Closed => Status::Closed,
            Error::Handoff(_) => Status::NotKos,
            Error::NoSuchMsgServer(_) => Status::NotGranted,
            _ => Status::Failed,
        }
    }

    fn describe(self) -> &'static std::ffi::CStr {
        match self {
            Status::Ok => c"ok",
            Status::NotKos => c"not started by KOS (no handoff in the environment)",
            Status::NoServer => c"the RNG server is not available",
            Status::NotGranted => c"kos_rng_protocol is not granted to this app by the manifest",
            Status::Closed => c"connection to the RNG server lost",
            Status::Invalid => c"invalid argument",
            Status::Failed => c"request failed",
        }
    }
}

fn kos() -> Result<&'static Kos, Status> {
    static KOS: OnceLock<Result<Kos, Status>> = OnceLock::new();
    KOS.get_or_init(|| Kos::from_env().map_err(|e| Status::of(&e)))
        .as_ref()
        .map_err(|s| *s)
}

fn fill(out: &mut [u8]) -> Status {
    static CLIENT: Mutex<Option<RngClient>> = Mutex::new(None);
    let kos = match kos() {
        Ok(k) => k,
        Err(s) => return s,
    };
    let mut client = CLIENT.lock().unwrap_or_else(|p| p.into_inner());
    if client.is_none() {
        match RngClient::connect(kos) {
            Ok(c) => *client = Some(c),
            Err(e) => return Status::of(&e),
        }
    }
    let result = client
        .as_mut()
        .expect("connected above")
        .request_stream(out);
    match result {
        Ok(()) => Status::Ok,
        Err(e) => {
            // Reconnect on the next call.
            *client = None;
            Status::of(&e)
        }
    }
}

/// Fills `buf[0..len]` with random bytes from the KOS RNG server. Returns
/// `KOS_RNG_OK` (0) or a negative `KOS_RNG_ERR_*` status.
///
/// # Safety
/// `buf` must point to `len` writable bytes (or be NULL with `len == 0`).
#[no_mangle]
pub unsafe extern "C" fn kos_request_rng_stream(buf: *mut u8, len: usize) -> c_int {
    if len == 0 {
        return Status::Ok as c_int;
    }
    if buf.is_null() {
        return Status::Invalid as c_int;
    }
    // SAFETY: the caller guarantees `len` writable bytes at `buf`.
    let out = unsafe { std::slice::from_raw_parts_mut(buf, len) };
    // A panic must not unwind into C.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| fill(out))).unwrap_or(Status::Failed)
        as c_int
}

/// A static, NUL-terminated description of a status code.
#[no_mangle]
pub extern "C" fn kos_rng_strerror(status: c_int) -> *const c_char {
    let status = [
        Status::Ok,
        Status::NotKos,
        Status::NoServer,
        Status::NotGranted,
        Status::Closed,
        Status::Invalid,
        Status::Failed,
    ]
    .into_iter()
    .find(|s| *s as c_int == status)
    .unwrap_or(Status::Failed);
    status.describe().as_ptr()
}
