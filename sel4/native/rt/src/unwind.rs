//! The unwinding hooks the host target's precompiled `core` and `alloc` refer to.
//! They were built to unwind; KOS's seL4 programs are built with `panic = abort`, so
//! nothing ever unwinds and neither is called — but the linker needs them defined.

/// Called only by unwinding landing pads, which never run here.
#[no_mangle]
extern "C" fn _Unwind_Resume() -> ! {
    crate::debug_halt()
}

/// The personality routine unwinding would use; never called here.
#[no_mangle]
extern "C" fn rust_eh_personality() {}
