//! seL4 5.0 x86_64 system calls.
//!
//! Convention (libsel4 `sel4_arch/syscalls_syscall.h`): rdx = syscall number,
//! rdi = capability/destination (badge on return), rsi = message info (on return
//! too), r10, r8, r9, r15 = message registers 0..3; MRs 4.. live in the IPC buffer's
//! `msg[]`, extra caps in its `caps_or_badges[]`. The kernel saves the user rsp in rbx
//! and clobbers rcx, r11; LLVM reserves rbx, so it is parked in r12.

use core::arch::asm;

use crate::k;

/// A message's info word and its first four registers, as returned by the kernel.
#[derive(Clone, Copy)]
pub struct Msg {
    pub info: usize,
    pub badge: usize,
    pub mr: [usize; 4],
}

impl Msg {
    /// `seL4_MessageInfo.label` (bits 12..31).
    pub fn label(&self) -> usize {
        (self.info >> 12) & 0xf_ffff
    }
    /// `seL4_MessageInfo.length` (bits 0..6).
    pub fn length(&self) -> usize {
        self.info & 0x7f
    }
}

/// A message ready to go: its first four words (for the registers) and its length;
/// words 4.. are already in the IPC buffer (see `wire::encode`).
#[derive(Clone, Copy)]
pub struct Loaded {
    pub regs: [usize; 4],
    pub len: usize,
}

/// `seL4_MessageInfo_new(label, 0, extra_caps, length)`.
pub const fn msg_info(label: usize, extra_caps: usize, length: usize) -> usize {
    (label << 12) | ((extra_caps & 3) << 7) | (length & 0x7f)
}

/// One seL4 system call.
pub fn syscall(number: isize, rdi: usize, rsi: usize, mr: [usize; 4]) -> Msg {
    let (info, badge, m0, m1, m2, m3);
    // SAFETY: the seL4 syscall ABI above; every register the kernel changes is
    // declared; memory is not marked untouched, so IPC-buffer writes before the call
    // and reads after it are ordered with it.
    unsafe {
        asm!(
            "mov r12, rbx",
            "mov rbx, rsp",
            "syscall",
            "mov rsp, rbx",
            "mov rbx, r12",
            inout("rdx") number => _,
            inout("rdi") rdi => badge,
            inout("rsi") rsi => info,
            inout("r10") mr[0] => m0,
            inout("r8") mr[1] => m1,
            inout("r9") mr[2] => m2,
            inout("r15") mr[3] => m3,
            out("r12") _, out("rcx") _, out("r11") _,
            options(nostack),
        );
    }
    Msg {
        info,
        badge,
        mr: [m0, m1, m2, m3],
    }
}

/// The calling thread's IPC buffer (the same address the kernel loads into GS base).
#[derive(Clone, Copy)]
pub struct IpcBuffer(pub usize);

impl IpcBuffer {
    pub fn set_mr(self, i: usize, v: usize) {
        assert!(i < k::MSG_MAX_LENGTH);
        // SAFETY: the buffer is a mapped, writable 1 KiB-aligned seL4_IPCBuffer.
        unsafe { ((self.0 + k::ipcbuf::MSG + 8 * i) as *mut usize).write_volatile(v) }
    }
    pub fn mr(self, i: usize) -> usize {
        assert!(i < k::MSG_MAX_LENGTH);
        // SAFETY: as above.
        unsafe { ((self.0 + k::ipcbuf::MSG + 8 * i) as *const usize).read_volatile() }
    }
    pub fn set_cap(self, i: usize, cptr: usize) {
        assert!(i < k::MSG_MAX_EXTRA_CAPS);
        // SAFETY: as above.
        unsafe { ((self.0 + k::ipcbuf::CAPS_OR_BADGES + 8 * i) as *mut usize).write_volatile(cptr) }
    }
    /// Writes `bytes` into the buffer's message registers from `first` on (>= 4: the
    /// ones past the registers), little-endian as the words are, and zeroes the rest of
    /// the last word, so no earlier message's bytes go out with this one.
    pub fn write_mr_bytes(self, first: usize, bytes: &[u8]) {
        let words = bytes.len().div_ceil(8);
        assert!(first >= 4 && first + words <= k::MSG_MAX_LENGTH);
        let at = self.0 + k::ipcbuf::MSG + 8 * first;
        // SAFETY: inside the buffer's msg[] (checked above), which is this thread's own.
        unsafe {
            core::ptr::copy_nonoverlapping(bytes.as_ptr(), at as *mut u8, bytes.len());
            core::ptr::write_bytes((at + bytes.len()) as *mut u8, 0, words * 8 - bytes.len());
        }
    }
    /// Reads `out.len()` bytes of the buffer's message registers from `first` on (>= 4).
    pub fn read_mr_bytes(self, first: usize, out: &mut [u8]) {
        assert!(first >= 4 && first + out.len().div_ceil(8) <= k::MSG_MAX_LENGTH);
        let at = self.0 + k::ipcbuf::MSG + 8 * first;
        // SAFETY: as above.
        unsafe { core::ptr::copy_nonoverlapping(at as *const u8, out.as_mut_ptr(), out.len()) }
    }
    /// Message register `i` of a message just received: 0..3 from `m`, the rest here.
    pub fn get(self, m: &Msg, i: usize) -> usize {
        if i < 4 {
            m.mr[i]
        } else {
            self.mr(i)
        }
    }
    /// Loads `words` (MRs 0.. ; 4.. into the buffer) and `caps`; returns the 4 register MRs.
    fn load(self, words: &[usize], caps: &[usize]) -> [usize; 4] {
        let mut regs = [0; 4];
        for (i, &w) in words.iter().enumerate() {
            if i < 4 {
                regs[i] = w
            } else {
                self.set_mr(i, w)
            }
        }
        for (i, &c) in caps.iter().enumerate() {
            self.set_cap(i, c);
        }
        regs
    }
    /// `seL4_Call(cap, label, words, extra caps)`.
    pub fn call(self, cap: usize, label: usize, words: &[usize], caps: &[usize]) -> Msg {
        let regs = self.load(words, caps);
        syscall(
            k::SYS_CALL,
            cap,
            msg_info(label, caps.len(), words.len()),
            regs,
        )
    }
    /// `seL4_ReplyRecv(ep, label, words)`: answers the caller and waits for the next
    /// message on `ep`.
    pub fn reply_recv(self, ep: usize, label: usize, words: &[usize]) -> Msg {
        let regs = self.load(words, &[]);
        syscall(k::SYS_REPLY_RECV, ep, msg_info(label, 0, words.len()), regs)
    }
    /// `seL4_Send(cap, label, words)`: no answer awaited. On a saved reply capability
    /// (`CNode_SaveCaller`) it is that call's answer, and the kernel deletes the cap.
    pub fn send(self, cap: usize, label: usize, words: &[usize]) {
        let regs = self.load(words, &[]);
        syscall(k::SYS_SEND, cap, msg_info(label, 0, words.len()), regs);
    }
    /// `seL4_Call` of a message already loaded (no copy through a word array).
    pub fn call_loaded(self, cap: usize, label: usize, m: &Loaded) -> Msg {
        syscall(k::SYS_CALL, cap, msg_info(label, 0, m.len), m.regs)
    }
    /// `seL4_ReplyRecv` of a message already loaded.
    pub fn reply_recv_loaded(self, ep: usize, label: usize, m: &Loaded) -> Msg {
        syscall(k::SYS_REPLY_RECV, ep, msg_info(label, 0, m.len), m.regs)
    }
    /// `seL4_Reply` of a message already loaded.
    pub fn reply_loaded(self, label: usize, m: &Loaded) {
        syscall(k::SYS_REPLY, 0, msg_info(label, 0, m.len), m.regs);
    }
    /// `seL4_Send` of a message already loaded.
    pub fn send_loaded(self, cap: usize, label: usize, m: &Loaded) {
        syscall(k::SYS_SEND, cap, msg_info(label, 0, m.len), m.regs);
    }
    /// `seL4_Reply(label, words)` (non-MCS 5.0: to the caller cap in the TCB).
    pub fn reply(self, label: usize, words: &[usize]) {
        let regs = self.load(words, &[]);
        syscall(k::SYS_REPLY, 0, msg_info(label, 0, words.len()), regs);
    }
}

/// `seL4_Recv(ep)`: the message, with the sender's badge.
pub fn recv(ep: usize) -> Msg {
    syscall(k::SYS_RECV, ep, 0, [0; 4])
}

/// `seL4_NBRecv(ep)`: a message if one is waiting; badge 0 if none (the kernel
/// zeroes it: `doNBRecvFailedTransfer`).
pub fn nb_recv(ep: usize) -> Msg {
    syscall(k::SYS_NB_RECV, ep, 0, [0; 4])
}

/// `seL4_Yield`: lets another thread of the same priority run.
pub fn yield_now() {
    syscall(k::SYS_YIELD, 0, 0, [0; 4]);
}

/// `seL4_DebugPutChar` (debug kernels).
pub fn debug_put_char(c: u8) {
    syscall(k::SYS_DEBUG_PUT_CHAR, usize::from(c), 0, [0; 4]);
}

/// `seL4_DebugHalt`.
pub fn debug_halt() -> ! {
    syscall(k::SYS_DEBUG_HALT, 0, 0, [0; 4]);
    #[allow(clippy::empty_loop)]
    loop {}
}

/// The kernel's debug console as a `core::fmt::Write`.
pub struct Console;

impl core::fmt::Write for Console {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        for b in s.bytes() {
            debug_put_char(b);
        }
        Ok(())
    }
}
