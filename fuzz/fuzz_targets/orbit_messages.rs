//! Any bytes as what Orbit and a device send each other (JSON over the WebSocket) and as
//! what an operator gives Orbit's API (a device's public key): decoding is an error or a
//! value, never a panic; a command that decodes is checked by the protocol's rules.
#![no_main]

use libfuzzer_sys::fuzz_target;
use orbit_protocol::{ToDevice, ToOrbit};

fuzz_target!(|data: &[u8]| {
    let _ = serde_json::from_slice::<ToOrbit>(data);
    if let Ok(ToDevice::Command { command, .. }) = serde_json::from_slice::<ToDevice>(data) {
        let _ = command.check();
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = orbit::keys::public_key_from_pem(text);
    }
});
