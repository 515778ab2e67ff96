//! The seL4 call benchmark's baseline server: publishes the bare protocol and answers
//! every call with a bare `seL4_ReplyRecv` of the words it got — the kernel copies them
//! both ways, this loop touches none. It is the least a server on seL4 can do per call,
//! the round trip sel4bench measures; `bench_client` sets KOS's calls beside it.
#![no_std]
#![no_main]

use kos_sel4_apps::BENCH_BARE_PROTOCOL;
use kos_sel4_sdk::rt::{k, msg_info, recv, syscall};
use kos_sel4_sdk::{say, Component};

fn run(c: &Component) -> u64 {
    let ep = match c.publish(BENCH_BARE_PROTOCOL) {
        Ok(ep) => ep,
        Err(refusal) => {
            say!(c, "publish {BENCH_BARE_PROTOCOL} refused: {refusal}");
            return 1;
        }
    };
    say!(c, "answering {BENCH_BARE_PROTOCOL} with bare ReplyRecv");
    let mut m = recv(ep);
    loop {
        // Message registers past the fourth are still in this IPC buffer, where the
        // kernel put them: replying with the same length sends them back.
        m = syscall(k::SYS_REPLY_RECV, ep, msg_info(0, 0, m.length()), m.mr);
    }
}

kos_sel4_sdk::main!(run);
