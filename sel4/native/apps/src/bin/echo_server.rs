//! The echo server on seL4: publishes the echo protocol and serves it with the echo
//! service (`kos_sel4_apps::echo`), as the hosted echo server does.
#![cfg_attr(not(feature = "hosted"), no_std, no_main)]

use kos_sel4_apps::echo::Echo;
use kos_sel4_apps::ECHO_PROTOCOL;
use kos_sel4_sdk::{say, Component};

fn run(c: &Component) -> u64 {
    say!(c, "serving {ECHO_PROTOCOL}");
    let refusal = c.serve(ECHO_PROTOCOL, &mut Echo::new(c));
    say!(c, "publish {ECHO_PROTOCOL} refused: {refusal}");
    1
}

kos_sel4_sdk::main!(run);
