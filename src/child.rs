//! Running the child of `aisecrets run`: its environment, its process group and terminal,
//! signal forwarding, and its exit status as ours.
//!
//! The child gets a process group of its own. When aisecrets owns the terminal, the
//! child's group becomes the terminal's foreground group, so Ctrl-C and friends reach the
//! child straight from the terminal and not aisecrets; signals sent to aisecrets itself
//! (`kill`, `timeout`, a container runtime) are forwarded. Each signal thus reaches the
//! child exactly once. A stopped child (Ctrl-Z) stops aisecrets too, and `fg` resumes both.
#![allow(unsafe_code)]

use std::ffi::{OsStr, OsString};
use std::io::IsTerminal;
use std::os::fd::AsFd;
use std::os::unix::process::CommandExt;
use std::process::Command;

use nix::sys::signal::{self, SigHandler, Signal};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::{self, Pid};
use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH};
use signal_hook::iterator::Signals;

use crate::error::{Error, Result};
use crate::exit;
use crate::mask::Masker;

/// The signals forwarded to the child.
pub const FORWARDED: [i32; 7] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH];

/// The environment a child gets: ours without any `AISECRETS_*` variable, plus `extra`
/// (which wins over an inherited variable of the same name).
pub fn child_env(extra: Vec<(String, OsString)>) -> Vec<(OsString, OsString)> {
    let mut env: Vec<(OsString, OsString)> = std::env::vars_os()
        .filter(|(k, _)| !is_own_var(k))
        .filter(|(k, _)| !extra.iter().any(|(n, _)| OsStr::new(n) == k))
        .collect();
    env.extend(extra.into_iter().map(|(k, v)| (OsString::from(k), v)));
    env
}

/// Whether `name` is one of aisecrets' own variables, which never reach a child.
#[must_use]
pub fn is_own_var(name: &OsStr) -> bool {
    name.as_encoded_bytes().starts_with(b"AISECRETS_")
}

/// Runs `program args` with exactly `env`, waits for it, and returns its exit code (or
/// 128 + the signal that killed it).
pub fn run(
    program: &OsStr,
    args: &[OsString],
    env: Vec<(OsString, OsString)>,
    mask: Option<&Masker>,
) -> Result<u8> {
    let stdin = std::io::stdin();
    let foreground =
        stdin.is_terminal() && unistd::tcgetpgrp(stdin.as_fd()).ok() == Some(unistd::getpgrp());

    // Handlers go in before the child exists, so no signal can kill us in between and
    // orphan it. exec resets caught signals to their defaults in the child.
    let mut signals =
        Signals::new(FORWARDED).map_err(|e| Error::io("install signal handlers for", "run", e))?;
    let handle = signals.handle();

    let mut cmd = Command::new(program);
    cmd.args(args).env_clear().envs(env).process_group(0);
    // With --mask, stdout and stderr each go through a pseudo-terminal when ours is a
    // terminal (so isatty, colours and progress bars behave), else through a pipe.
    let mut outputs = Vec::new();
    if mask.is_some() {
        let out = Output::new(1)?;
        cmd.stdout(out.child_end()?);
        outputs.push(out);
        let err = Output::new(2)?;
        cmd.stderr(err.child_end()?);
        outputs.push(err);
    }
    let parent = unistd::getpid();
    // SAFETY: the closure runs in the forked child before exec and only makes
    // async-signal-safe system calls (prctl, getppid, kill, keyctl, signal, tcsetpgrp); it
    // allocates nothing and takes no locks.
    unsafe {
        cmd.pre_exec(move || {
            // If aisecrets dies without forwarding (kill -9), the child is told.
            let _ = nix::sys::prctl::set_pdeathsig(Signal::SIGTERM);
            if unistd::getppid() != parent {
                let _ = signal::raise(Signal::SIGTERM);
            }
            // A session keyring of its own: the child never possesses the one that may
            // hold the unlocked identity (`aisecrets unlock`). Failure (no keyring
            // support) leaves nothing to protect.
            #[cfg(target_os = "linux")]
            {
                const KEYCTL_JOIN_SESSION_KEYRING: libc::c_long = 1;
                let _ = libc::syscall(
                    libc::SYS_keyctl,
                    KEYCTL_JOIN_SESSION_KEYRING,
                    std::ptr::null::<libc::c_char>(),
                );
            }
            if foreground {
                // Take the terminal before exec, so the child never reads it from a
                // background group. SIGTTOU would stop us while we are not yet in front.
                let old = signal::signal(Signal::SIGTTOU, SigHandler::SigIgn);
                let _ = unistd::tcsetpgrp(std::io::stdin().as_fd(), unistd::getpgrp());
                if let Ok(old) = old {
                    let _ = signal::signal(Signal::SIGTTOU, old);
                }
            }
            Ok(())
        });
    }
    let child = cmd.spawn();
    // Close our copies of the child's ends, or the readers never see the end.
    drop(cmd);
    for o in &mut outputs {
        o.child = None;
    }
    let child = match child {
        Ok(c) => c,
        Err(source) => {
            handle.close();
            return Err(Error::Spawn {
                program: crate::secret::sanitize(&program.to_string_lossy(), 200),
                source,
            });
        }
    };
    let pid = Pid::from_raw(i32::try_from(child.id()).unwrap_or(i32::MAX));
    if foreground {
        let _ = unistd::tcsetpgrp(stdin.as_fd(), pid);
    }
    let forwarder = std::thread::spawn(move || {
        for sig in signals.forever() {
            if let Ok(sig) = Signal::try_from(sig) {
                let _ = signal::kill(pid, sig);
            }
        }
    });

    let done = std::sync::atomic::AtomicBool::new(false);
    let code = std::thread::scope(|scope| {
        if let Some(masker) = mask {
            for o in &outputs {
                let done = &done;
                scope.spawn(move || o.copy(masker, done));
            }
        }
        let code = wait(pid, foreground);
        done.store(true, std::sync::atomic::Ordering::SeqCst);
        code
    });
    handle.close();
    let _ = forwarder.join();
    if foreground {
        take_terminal_back();
    }
    Ok(code)
}

fn wait(pid: Pid, foreground: bool) -> u8 {
    loop {
        match waitpid(pid, Some(WaitPidFlag::WUNTRACED)) {
            Ok(WaitStatus::Exited(_, code)) => {
                return u8::try_from(code & 0xff).unwrap_or(exit::ERROR);
            }
            Ok(WaitStatus::Signaled(_, sig, _)) => {
                return exit::SIGNAL_BASE.saturating_add(u8::try_from(sig as i32).unwrap_or(0));
            }
            Ok(WaitStatus::Stopped(..)) if foreground => {
                // Ctrl-Z: hand the terminal back, stop like the child did, and when the
                // shell resumes us (`fg`), give the terminal to the child and wake it.
                take_terminal_back();
                let _ = signal::raise(Signal::SIGSTOP);
                let _ = unistd::tcsetpgrp(std::io::stdin().as_fd(), pid);
                let _ = signal::killpg(pid, Signal::SIGCONT);
            }
            Ok(_) | Err(nix::errno::Errno::EINTR) => {}
            Err(_) => return exit::ERROR,
        }
    }
}

fn take_terminal_back() {
    // We are in a background group now: ignore SIGTTOU while taking the terminal back.
    // SAFETY: SigIgn installs no handler function, so no handler code can run.
    let old = unsafe { signal::signal(Signal::SIGTTOU, SigHandler::SigIgn) };
    let _ = unistd::tcsetpgrp(std::io::stdin().as_fd(), unistd::getpgrp());
    if let Ok(old) = old {
        // SAFETY: restores the disposition that was in place a moment ago.
        let _ = unsafe { signal::signal(Signal::SIGTTOU, old) };
    }
}

/// One masked output of the child: a pseudo-terminal or a pipe, and where it goes.
struct Output {
    /// Our end, read by the copier.
    ours: std::os::fd::OwnedFd,
    /// The child's end, until the child has it.
    child: Option<std::os::fd::OwnedFd>,
    /// 1 for stdout, 2 for stderr.
    target: i32,
}

impl Output {
    fn new(target: i32) -> Result<Self> {
        let io = |e: nix::errno::Errno| Error::io("set up output for", "run --mask", e.into());
        let ours_is_tty = match target {
            1 => std::io::stdout().is_terminal(),
            _ => std::io::stderr().is_terminal(),
        };
        if ours_is_tty {
            let size = window_size(target);
            let pty = nix::pty::openpty(size.as_ref(), None).map_err(io)?;
            // Raw output: the child's bytes reach our terminal unchanged (no \n -> \r\n twice).
            if let Ok(mut t) = nix::sys::termios::tcgetattr(&pty.slave) {
                t.output_flags.remove(nix::sys::termios::OutputFlags::OPOST);
                let _ = nix::sys::termios::tcsetattr(
                    &pty.slave,
                    nix::sys::termios::SetArg::TCSANOW,
                    &t,
                );
            }
            Ok(Self {
                ours: pty.master,
                child: Some(pty.slave),
                target,
            })
        } else {
            let (read, write) = nix::unistd::pipe().map_err(io)?;
            Ok(Self {
                ours: read,
                child: Some(write),
                target,
            })
        }
    }

    fn child_end(&self) -> Result<std::process::Stdio> {
        let fd = self
            .child
            .as_ref()
            .expect("taken once")
            .try_clone()
            .map_err(|e| Error::io("set up output for", "run --mask", e))?;
        Ok(std::process::Stdio::from(fd))
    }

    /// Copies the child's output to ours through the masker until the end; once the child
    /// has exited, stops as soon as no more output comes (a grandchild may hold it open).
    fn copy(&self, masker: &Masker, done: &std::sync::atomic::AtomicBool) {
        use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
        use std::io::Write;
        let mut stream = masker.stream();
        let mut buf = vec![0u8; 64 * 1024];
        let write = |bytes: &[u8]| {
            let _ = if self.target == 1 {
                std::io::stdout()
                    .lock()
                    .write_all(bytes)
                    .and_then(|()| std::io::stdout().lock().flush())
            } else {
                std::io::stderr().lock().write_all(bytes)
            };
        };
        loop {
            let mut fds = [PollFd::new(self.ours.as_fd(), PollFlags::POLLIN)];
            match poll(&mut fds, PollTimeout::from(100u16)) {
                Ok(0) => {
                    if done.load(std::sync::atomic::Ordering::SeqCst) {
                        break;
                    }
                    continue;
                }
                Err(nix::errno::Errno::EINTR) => continue,
                Err(_) => break,
                Ok(_) => {}
            }
            match nix::unistd::read(&self.ours, &mut buf) {
                Ok(0) | Err(_) => break, // end of pipe; EIO once a pty's last writer is gone
                Ok(n) => write(&stream.feed(&buf[..n], false)),
            }
        }
        write(&stream.feed(&[], true));
        zeroize::Zeroize::zeroize(&mut buf);
    }
}

/// The window size of our terminal on `fd`, for the child's pseudo-terminal.
fn window_size(fd: i32) -> Option<nix::pty::Winsize> {
    nix::ioctl_read_bad!(tiocgwinsz, libc::TIOCGWINSZ, nix::pty::Winsize);
    let mut ws = nix::pty::Winsize {
        ws_row: 0,
        ws_col: 0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCGWINSZ writes one Winsize into the pointer we pass, which is valid.
    unsafe { tiocgwinsz(fd, &mut ws) }.ok().map(|_| ws)
}
