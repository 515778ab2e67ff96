//! memcpy, memmove, memset, memcmp, bcmp: the host target's precompiled
//! compiler_builtins leaves them to libc, which a freestanding program lacks.
//! String instructions, so LLVM cannot turn them back into calls to themselves; eight
//! bytes a step, then the rest (a `rep movsb` of a page is 4096 steps under QEMU's
//! TCG, which the seL4 benchmark boots).

use core::arch::asm;

#[no_mangle]
unsafe extern "C" fn memcpy(dst: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    asm!("rep movsq", "mov rcx, {rest}", "rep movsb",
         rest = in(reg) n & 7,
         inout("rcx") n >> 3 => _, inout("rdi") dst => _, inout("rsi") src => _,
         options(nostack, preserves_flags));
    dst
}

#[no_mangle]
unsafe extern "C" fn memmove(dst: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    if (dst as usize) <= (src as usize) || (dst as usize) >= (src as usize) + n {
        memcpy(dst, src, n)
    } else {
        // Overlapping with dst above src: copy backwards.
        asm!("std", "rep movsb", "cld",
             inout("rcx") n => _, inout("rdi") dst.add(n - 1) => _, inout("rsi") src.add(n - 1) => _,
             options(nostack));
        dst
    }
}

#[no_mangle]
unsafe extern "C" fn memset(dst: *mut u8, c: i32, n: usize) -> *mut u8 {
    let byte = u64::from(c as u8) * 0x0101_0101_0101_0101;
    asm!("rep stosq", "mov rcx, {rest}", "rep stosb",
         rest = in(reg) n & 7,
         inout("rcx") n >> 3 => _, inout("rdi") dst => _, in("rax") byte,
         options(nostack, preserves_flags));
    dst
}

#[no_mangle]
unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    let mut i = 0;
    while i < n {
        let (x, y) = (a.add(i).read_volatile(), b.add(i).read_volatile());
        if x != y {
            return i32::from(x) - i32::from(y);
        }
        i += 1;
    }
    0
}

#[no_mangle]
unsafe extern "C" fn bcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    memcmp(a, b, n)
}
