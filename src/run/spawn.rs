//! Starting the child of `run` the way glibc's `posix_spawn` does, with
//! `clone(CLONE_VM | CLONE_VFORK)` instead of `fork` (#14).
//!
//! `fork` copies our page tables, and every page either process writes before the child's
//! `exec` is then copied again; the TLB shootdowns that follow cost more in a VM. With
//! `CLONE_VM` the child borrows our memory until `exec` (we wait, suspended, meanwhile), so
//! none of that happens. `posix_spawn` itself cannot be used: it has no way to set the
//! parent-death signal or to leave the session keyring, which the child must get before
//! `exec`.
//!
//! What the child does before `exec` is what [`super::child`]'s `pre_exec` does under
//! `fork`, plus what std's `Command` does: caught signals back to their defaults (our
//! handlers must not run on our memory), SIGPIPE to its default, its own process group
//! where asked, the parent-death signal, a session keyring of its own, its stdin, stdout
//! and stderr, an empty signal mask, then `execve` along `PATH` as `execvp` would (EACCES
//! remembered, a file without `#!` run by `/bin/sh`). It uses raw system calls only: no
//! allocation, no lock, nothing that reads a thread's cached id (glibc's `raise` would
//! signal us, not the child). Everything it needs is built beforehand.
#![allow(unsafe_code)]

use std::ffi::{CString, OsStr, OsString, c_int, c_void};
use std::os::fd::RawFd;
use std::os::unix::ffi::OsStrExt;
use std::sync::atomic::{AtomicI32, Ordering};

use nix::unistd::Pid;

/// What to start.
pub(super) struct Spawn<'a> {
    /// The program, as given: a path when it has a `/`, else looked up along `PATH`.
    pub program: &'a OsStr,
    /// Its arguments (the program name is argument 0).
    pub args: &'a [OsString],
    /// Its whole environment; the last of two equal names wins.
    pub env: &'a [(OsString, OsString)],
    /// What it gets as stdin, stdout and stderr (`None`: ours).
    pub stdio: [Option<RawFd>; 3],
    /// Whether it gets a process group of its own.
    pub own_group: bool,
    /// The signal it gets when we die.
    pub death: c_int,
}

/// Everything the child reads, built before `clone`.
struct Ready {
    /// Where to try the program, in order.
    paths: Vec<CString>,
    argv: Vec<*const libc::c_char>,
    envp: Vec<*const libc::c_char>,
    /// `/bin/sh PATH ARGS...` for a file without `#!`; slot 1 is filled in by the child.
    sh_argv: *mut *const libc::c_char,
    stdio: [Option<RawFd>; 3],
    own_group: bool,
    death: c_int,
    parent: libc::pid_t,
    /// The child's errno when it could not start the program; 0 once `exec` succeeded.
    error: AtomicI32,
}

/// The child's stack: enough for the few calls it makes, with a guard page below.
const STACK: usize = 64 * 1024;
const SH: &[u8] = b"/bin/sh\0";

/// Starts the program and returns its process id once it has called `exec`.
///
/// # Errors
/// The error `exec` gave (`NotFound`, `PermissionDenied`...), or one of `clone`'s.
pub(super) fn spawn(s: &Spawn<'_>) -> std::io::Result<Pid> {
    let arg_strings = std::iter::once(s.program)
        .chain(s.args.iter().map(OsString::as_os_str))
        .map(|a| c_string(a.as_bytes()))
        .collect::<std::io::Result<Vec<_>>>()?;
    // Sorted and unique, as std's `Command` gives it.
    let env: std::collections::BTreeMap<&OsStr, &OsStr> = s
        .env
        .iter()
        .map(|(k, v)| (k.as_os_str(), v.as_os_str()))
        .collect();
    let path = env
        .get(OsStr::new("PATH"))
        .map_or(&b"/bin:/usr/bin"[..], |p| p.as_bytes());
    let paths = candidates(s.program.as_bytes(), path)?;
    // `NAME=value` strings, built in place (room for the NUL, so no copy is left behind)
    // and wiped before they are freed, also when one holds a NUL.
    let mut env_strings = Vec::with_capacity(env.len());
    for (k, v) in &env {
        let mut kv = Vec::with_capacity(k.len() + v.len() + 2);
        kv.extend_from_slice(k.as_bytes());
        kv.push(b'=');
        kv.extend_from_slice(v.as_bytes());
        match CString::new(kv) {
            Ok(s) => env_strings.push(s),
            Err(e) => {
                zeroize::Zeroize::zeroize(&mut e.into_vec());
                wipe(env_strings);
                return Err(nul());
            }
        }
    }

    // `/bin/sh`, the program's path (filled in by the child), the arguments after 0.
    let mut sh_argv: Vec<*const libc::c_char> = [SH.as_ptr().cast(), std::ptr::null()]
        .into_iter()
        .chain(pointers(&arg_strings).into_iter().skip(1))
        .collect();
    let mut ready = Ready {
        paths,
        argv: pointers(&arg_strings),
        envp: pointers(&env_strings),
        sh_argv: sh_argv.as_mut_ptr(),
        stdio: s.stdio,
        own_group: s.own_group,
        death: s.death,
        // SAFETY: getpid has no preconditions.
        parent: unsafe { libc::getpid() },
        error: AtomicI32::new(0),
    };
    let result = clone_and_exec(&mut ready);
    drop(sh_argv);
    wipe(env_strings);
    result
}

/// std's error for a NUL inside an argument or a variable.
fn nul() -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        "nul byte found in provided data",
    )
}

fn c_string(bytes: &[u8]) -> std::io::Result<CString> {
    CString::new(bytes).map_err(|_| nul())
}

/// The paths `execvp` would try for `program` along `path`.
fn candidates(program: &[u8], path: &[u8]) -> std::io::Result<Vec<CString>> {
    if program.contains(&b'/') {
        return Ok(vec![c_string(program)?]);
    }
    if program.is_empty() {
        return Ok(Vec::new());
    }
    path.split(|&b| b == b':')
        .map(|dir| {
            // An empty entry is the current folder: the bare name, as execvp tries it.
            let mut full = Vec::with_capacity(dir.len() + program.len() + 1);
            if !dir.is_empty() {
                full.extend_from_slice(dir);
                full.push(b'/');
            }
            full.extend_from_slice(program);
            c_string(&full)
        })
        .collect()
}

fn pointers(strings: &[CString]) -> Vec<*const libc::c_char> {
    strings
        .iter()
        .map(|s| s.as_ptr())
        .chain(std::iter::once(std::ptr::null()))
        .collect()
}

/// Overwrites the `NAME=value` copies before they are freed.
fn wipe(strings: Vec<CString>) {
    for s in strings {
        let mut bytes = s.into_bytes();
        zeroize::Zeroize::zeroize(&mut bytes);
    }
}

fn clone_and_exec(ready: &mut Ready) -> std::io::Result<Pid> {
    // SAFETY: sysconf has no preconditions.
    let page = usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) })
        .unwrap_or(4096)
        .max(4096);
    let stack_size = STACK.div_ceil(page) * page;
    // SAFETY: a fresh private anonymous mapping; nothing else refers to it.
    let stack = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            stack_size + page,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_STACK,
            -1,
            0,
        )
    };
    if stack == libc::MAP_FAILED {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: the lowest page of the mapping just made becomes the guard.
    unsafe { libc::mprotect(stack, page, libc::PROT_NONE) };
    // No signal reaches us, or the child, until the child has put our handlers away.
    // SAFETY: sigset_t is plain data; sigfillset and pthread_sigmask fill it and swap the
    // calling thread's mask.
    let mut all: libc::sigset_t = unsafe { std::mem::zeroed() };
    let mut old: libc::sigset_t = unsafe { std::mem::zeroed() };
    unsafe {
        libc::sigfillset(&raw mut all);
        libc::pthread_sigmask(libc::SIG_SETMASK, &raw const all, &raw mut old);
    }
    // SAFETY: the child runs `child` on its own stack (the top of the mapping, 16-byte
    // aligned) with our memory shared; CLONE_VFORK suspends us until it has called exec or
    // exited, so `ready` outlives its use and nothing else touches it meanwhile.
    let pid = unsafe {
        libc::clone(
            child,
            stack.cast::<u8>().add(stack_size + page).cast::<c_void>(),
            libc::CLONE_VM | libc::CLONE_VFORK | libc::SIGCHLD,
            std::ptr::from_mut(ready).cast::<c_void>(),
        )
    };
    let clone_error = std::io::Error::last_os_error();
    // SAFETY: restores the mask saved above; unmaps the mapping made above, which the child
    // no longer uses (it has called exec or exited).
    unsafe {
        libc::pthread_sigmask(libc::SIG_SETMASK, &raw const old, std::ptr::null_mut());
        libc::munmap(stack, stack_size + page);
    }
    if pid < 0 {
        return Err(clone_error);
    }
    let pid = Pid::from_raw(pid);
    match ready.error.load(Ordering::SeqCst) {
        0 => Ok(pid),
        errno => {
            // It exited without starting anything: reap it.
            let _ = nix::sys::wait::waitpid(pid, None);
            Err(std::io::Error::from_raw_os_error(errno))
        }
    }
}

/// The child, between `clone` and `exec`: system calls only (see the module header).
extern "C" fn child(arg: *mut c_void) -> c_int {
    // SAFETY: `arg` is the `Ready` the parent passed to clone; the parent is suspended until
    // we exec or exit, so it is alive and not being changed.
    let r = unsafe { &*arg.cast::<Ready>() };
    let fail = |r: &Ready| -> c_int {
        // SAFETY: errno is read through libc's own accessor.
        let e = unsafe { *libc::__errno_location() };
        r.error
            .store(if e == 0 { libc::EINVAL } else { e }, Ordering::SeqCst);
        // SAFETY: _exit ends this process without running anything of ours.
        unsafe { libc::_exit(127) }
    };
    // SAFETY: each call below is a plain system call on values built before clone.
    unsafe {
        for sig in 1..=libc::SIGRTMAX() {
            if sig == libc::SIGKILL || sig == libc::SIGSTOP {
                continue;
            }
            let mut sa: libc::sigaction = std::mem::zeroed();
            if libc::sigaction(sig, std::ptr::null(), &raw mut sa) != 0 {
                continue;
            }
            let caught = sa.sa_sigaction != libc::SIG_DFL && sa.sa_sigaction != libc::SIG_IGN;
            if caught || sig == libc::SIGPIPE {
                let mut dfl: libc::sigaction = std::mem::zeroed();
                dfl.sa_sigaction = libc::SIG_DFL;
                libc::sigaction(sig, &raw const dfl, std::ptr::null_mut());
            }
        }

        if r.own_group && libc::setpgid(0, 0) != 0 {
            return fail(r);
        }
        // If we die without forwarding (kill -9), the child is told; if we already died,
        // it is told now.
        libc::prctl(
            libc::PR_SET_PDEATHSIG,
            libc::c_ulong::from(r.death.unsigned_abs()),
            0,
            0,
            0,
        );
        if libc::getppid() != r.parent {
            libc::syscall(libc::SYS_kill, libc::syscall(libc::SYS_getpid), r.death);
        }
        // A session keyring of its own: the child never possesses the one that may hold
        // the unlock cache's wrapping key (see keys::cache).
        if crate::keys::cache::leave_session_keyring().is_err() {
            return fail(r);
        }
        for (target, fd) in [0, 1, 2].into_iter().zip(r.stdio) {
            let Some(fd) = fd else { continue };
            let ok = if fd == target {
                libc::fcntl(fd, libc::F_SETFD, 0) == 0
            } else {
                libc::dup2(fd, target) == target
            };
            if !ok {
                return fail(r);
            }
        }
        // Signals reach the child from here on, with their default actions, as std and
        // posix_spawn leave them: an empty mask.
        let mut none: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&raw mut none);
        libc::sigprocmask(libc::SIG_SETMASK, &raw const none, std::ptr::null_mut());
        let mut denied = false;
        let mut last = libc::ENOENT;
        for path in &r.paths {
            libc::execve(path.as_ptr(), r.argv.as_ptr(), r.envp.as_ptr());
            let mut e = *libc::__errno_location();
            if e == libc::ENOEXEC {
                // A script without `#!`: the shell runs it, as execvp does.
                *r.sh_argv.add(1) = path.as_ptr();
                libc::execve(SH.as_ptr().cast(), r.sh_argv.cast_const(), r.envp.as_ptr());
                e = *libc::__errno_location();
            }
            match e {
                libc::EACCES => denied = true,
                libc::ENOENT | libc::ENOTDIR | libc::ESTALE | libc::ENODEV | libc::ETIMEDOUT => {}
                _ => return fail(r),
            }
            last = e;
        }
        *libc::__errno_location() = if denied { libc::EACCES } else { last };
        fail(r)
    }
}
