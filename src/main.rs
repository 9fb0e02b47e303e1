//! The `aisecrets` binary: everything lives in the library so that `Drop` and zeroize run.
//!
//! Its entry point is C's `main`, not std's (#14). std's start-up finds the main thread's
//! stack in `/proc/self/maps` and maps a signal stack, to print a message when the main
//! thread overflows its stack: about 0.05 ms of the 1.3 ms a `run -- true` costs. Without
//! it, an overflow still stops the process at the kernel's guard gap (SIGSEGV; no core file,
//! see `base::hardening`), without the message. The rest of std's start-up is kept:
//! descriptors 0-2 open and SIGPIPE ignored ([`aisecrets::base::hardening::start_as_std`]),
//! a panic exits with 101, and standard output is flushed at the end. Arguments and the
//! environment come through glibc as before.
#![no_main]

use std::ffi::{c_char, c_int};
use std::io::Write as _;

// The C entry point: the one symbol of that name in the program (std's is not built, see
// `no_main` above).
#[allow(unsafe_code)]
#[unsafe(no_mangle)]
extern "C" fn main(_argc: c_int, _argv: *const *const c_char) -> c_int {
    aisecrets::base::hardening::start_as_std();
    // The panic hook has printed the message; 101 is what std's start-up returns then.
    let code = std::panic::catch_unwind(aisecrets::main).unwrap_or(101);
    let _ = std::io::stdout().flush();
    c_int::from(code)
}
