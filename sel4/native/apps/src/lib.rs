//! What KOS's seL4 apps share: the CPU's entropy for the RNG server's seed, the echo
//! service, and the protocols' names as the hosted apps have them.
#![no_std]

pub mod echo;

/// The echo protocol of the demo (as `kos-demo-apps` names it).
pub const ECHO_PROTOCOL: &str = "kos_echo_protocol";
/// The seL4 benchmark's baseline: bare `seL4_Call`/`ReplyRecv`, no KOS message.
pub const BENCH_BARE_PROTOCOL: &str = "kos_bench_bare";

/// 32 bytes from the CPU's hardware generator (RDSEED where there is one, else
/// RDRAND), or `None` when it has neither or keeps failing: the seed of the RNG server
/// on seL4, where there is no operating system to ask.
pub fn cpu_entropy() -> Option<[u8; 32]> {
    // cpuid is available on every x86_64 CPU.
    let leaf1 = core::arch::x86_64::__cpuid(1);
    let leaf7 = core::arch::x86_64::__cpuid_count(7, 0);
    let rdrand = leaf1.ecx & (1 << 30) != 0;
    let rdseed = leaf7.ebx & (1 << 18) != 0;
    if !rdrand && !rdseed {
        return None;
    }
    let mut seed = [0u8; 32];
    for chunk in seed.chunks_mut(8) {
        let word = (0..64).find_map(|_| {
            let mut v = 0u64;
            // SAFETY: the CPU has the instruction (checked above); it only writes `v`.
            let ok = unsafe {
                if rdseed {
                    core::arch::x86_64::_rdseed64_step(&mut v)
                } else {
                    core::arch::x86_64::_rdrand64_step(&mut v)
                }
            };
            (ok == 1).then_some(v)
        })?;
        chunk.copy_from_slice(&word.to_le_bytes());
    }
    Some(seed)
}
