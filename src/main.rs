//! The `aisecrets` binary: everything lives in the library so that `Drop` and zeroize run.
//!
//! On Linux with glibc its entry point is C's `main`, not std's (#14). std's start-up finds
//! the main thread's stack in `/proc/self/maps` and maps a signal stack, to print a message
//! when the main thread overflows its stack: about 0.05 ms of every start. Without it, an
//! overflow still stops the process at the kernel's guard gap (SIGSEGV; no core file, see
//! `base::hardening`), without the message, and a panic message names the thread
//! `<unnamed>` rather than `main`. The rest of std's start-up is kept:
//! descriptors 0-2 open and SIGPIPE ignored ([`aisecrets::base::hardening::start_as_std`]),
//! a panic exits with 101, and standard output is flushed at the end. glibc hands std the
//! arguments and the environment itself (std reads them in an `.init_array` function there,
//! and only there: other C libraries get std's own start-up, below).
#![cfg_attr(all(target_os = "linux", target_env = "gnu", not(test)), no_main)]

#[cfg(all(target_os = "linux", target_env = "gnu", not(test)))]
// The C entry point: the one symbol of that name in the program (std's is not built, see
// `no_main` above).
#[allow(unsafe_code)]
#[unsafe(no_mangle)]
extern "C" fn main(
    _argc: std::ffi::c_int,
    _argv: *const *const std::ffi::c_char,
) -> std::ffi::c_int {
    use std::io::Write as _;
    aisecrets::base::hardening::start_as_std();
    // The panic hook has printed the message; 101 is what std's start-up returns then.
    let code = std::panic::catch_unwind(aisecrets::main).unwrap_or(101);
    let _ = std::io::stdout().flush();
    std::ffi::c_int::from(code)
}

#[cfg(not(all(target_os = "linux", target_env = "gnu", not(test))))]
fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(aisecrets::main())
}
