//! Running the child of `aisecrets run`: its environment, its process group, signal
//! forwarding, and its exit status as ours.
//!
//! In a terminal's foreground, the child stays in aisecrets' process group, as any command
//! a shell starts would be: Ctrl-C, Ctrl-Z and pipelines behave as without aisecrets, and
//! signals the terminal sends reach the child directly, so aisecrets does not forward them.
//! Signals sent to aisecrets by a process (`kill`, `timeout`, a container runtime, also when
//! aisecrets is PID 1) are forwarded. Elsewhere (no terminal, or in the background) the
//! child gets a process group of its own and everything is forwarded. Either way each signal
//! reaches the child once. As PID 1 (a container's entry point) aisecrets also reaps the
//! orphans the kernel hands it, as an init must. When the child dies of the Ctrl-C or Ctrl-\\ that the terminal
//! sent, aisecrets dies of it too (as [`Outcome::Signal`], once everything is dropped), so
//! a shell loop stops; otherwise it exits 128 + signal.
#![allow(unsafe_code)]

use std::ffi::{OsStr, OsString};
use std::io::IsTerminal;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::sync::atomic::Ordering;

use nix::sys::signal::{self, Signal};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::{self, Pid};
use signal_hook::consts::{SIGCHLD, SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH};
use signal_hook::iterator::SignalsInfo;
use signal_hook::iterator::exfiltrator::WithOrigin;
use signal_hook::low_level::siginfo::Cause;

use crate::base::error::{Error, Result};
use crate::base::exit::{self, Outcome};
use crate::base::mask::Masker;
use crate::run::stop::Stop;

/// What `run --jail` does in the child before exec ([`crate::run::jail::Confine::enter`]):
/// async-signal-safe system calls only.
pub type Confine = Box<dyn Fn() -> std::io::Result<()> + Send + Sync>;

/// The signals forwarded to the child.
pub const FORWARDED: [i32; 7] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH];

/// The environment a child of `run` gets: ours without any `AISECRETS_*` variable, the
/// credential variables start-up took ([`crate::base::hardening`]) back as they were except
/// those in `withhold`, plus `extra` (which wins over an inherited variable of the same
/// name).
pub fn child_env(extra: Vec<(String, OsString)>, withhold: &[&str]) -> Vec<(OsString, OsString)> {
    let names: std::collections::HashSet<&OsStr> =
        extra.iter().map(|(n, _)| OsStr::new(n.as_str())).collect();
    let mut env: Vec<(OsString, OsString)> = inherited()
        .chain(crate::base::hardening::for_child(withhold))
        .filter(|(k, _)| !names.contains(k.as_os_str()))
        .collect();
    drop(names);
    env.extend(extra.into_iter().map(|(k, v)| (OsString::from(k), v)));
    env
}

/// Our environment less aisecrets' own variables and the credentials start-up took.
pub(super) fn inherited() -> impl Iterator<Item = (OsString, OsString)> {
    std::env::vars_os().filter(|(k, _)| !is_own_var(k) && !crate::base::hardening::is_credential(k))
}

/// Whether `name` is one of aisecrets' own variables, which never reach a child.
#[must_use]
pub fn is_own_var(name: &OsStr) -> bool {
    name.as_encoded_bytes().starts_with(b"AISECRETS_")
}

/// The child's output kept in memory instead of written to ours (the `run` tool of
/// `aisecrets mcp`, whose stdout is the protocol channel, #16): stdout and stderr in one
/// buffer, in the order written, masked, and cut at a size limit.
pub struct Capture {
    kept: std::sync::Mutex<(Vec<u8>, bool)>,
    limit: usize,
}

impl Capture {
    /// An empty capture keeping at most `limit` bytes.
    #[must_use]
    pub fn new(limit: usize) -> Self {
        Self {
            kept: std::sync::Mutex::new((Vec::new(), false)),
            limit,
        }
    }

    fn push(&self, bytes: &[u8]) {
        if let Ok(mut k) = self.kept.lock() {
            let room = self.limit.saturating_sub(k.0.len());
            if bytes.len() > room {
                k.1 = true;
            }
            let n = bytes.len().min(room);
            k.0.extend_from_slice(&bytes[..n]);
        }
    }

    /// The output kept (already masked) and whether more was cut.
    #[must_use]
    pub fn take(&self) -> (Vec<u8>, bool) {
        self.kept
            .lock()
            .map(|mut k| (std::mem::take(&mut k.0), k.1))
            .unwrap_or_default()
    }
}

/// Runs `program args` with exactly `env`, waits for it, and returns its exit code (or
/// 128 + the signal that killed it, or that signal to die of when it came from the
/// terminal). A signal `stop` noted before the child could start is returned instead, and
/// nothing is started. With `capture` (which needs `mask`), the child's stdin is empty and
/// its output goes, masked, into `capture` instead of ours.
pub fn run(
    program: &OsStr,
    args: &[OsString],
    env: Vec<(OsString, OsString)>,
    mask: Option<&Masker>,
    capture: Option<&Capture>,
    stop: &Stop,
    confine: Option<Confine>,
) -> Result<Outcome> {
    let stdin = std::io::stdin();
    let foreground = capture.is_none()
        && stdin.is_terminal()
        && unistd::tcgetpgrp(stdin.as_fd()).ok() == Some(unistd::getpgrp());

    // Handlers go in before the child exists, so no signal can kill us in between and
    // orphan it. exec resets caught signals to their defaults in the child.
    let mut signals = SignalsInfo::<WithOrigin>::new(FORWARDED)
        .map_err(|e| Error::io("install signal handlers for", "run", e))?;
    let handle = signals.handle();
    // From here on a signal is forwarded to the child; one that came before is ours.
    if let Some(outcome) = stop.outcome() {
        handle.close();
        return Ok(outcome);
    }

    // No forwarding thread: this thread waits for signals, forwards them, and notices the
    // child's end through SIGCHLD in the same self-pipe (a thread cost a stack, a clone and
    // a join on every run, and could wait a scheduler slice to start, #14). Signals that
    // come before the child exists wait in the pipe until it does.
    signals
        .add_signal(SIGCHLD)
        .map_err(|e| Error::io("install signal handlers for", "run", e))?;
    let mut from_terminal = 0;

    // With --mask, the child's output goes through us (see `Output::attach`); we keep
    // `child_ends` (one for stdout and stderr, or one each) only until the child has them.
    let (outputs, child_ends) = if let Some(c) = capture {
        Output::attach_capture(c)?
    } else if mask.is_some() {
        Output::attach()?
    } else {
        (Vec::new(), Vec::new())
    };
    let jailed = confine.is_some();
    let io = ChildIo {
        null_stdin: capture.is_some(),
        ends: &child_ends,
        own_group: !foreground,
    };
    let child = start(program, args, env, &io, confine);
    // Close our copies of the child's ends, or the readers never see the end.
    drop(child_ends);
    let pid = match child {
        Ok(pid) => pid,
        Err(source) => {
            handle.close();
            // A refusal inside the jail (not a missing or unrunnable program) says so.
            if jailed
                && !matches!(
                    source.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::PermissionDenied
                )
            {
                return Err(Error::Failed(format!(
                    "run --jail: the kernel refused to confine the command ({source}); it did not run: run without --jail, or report this with your kernel version"
                )));
            }
            return Err(Error::Spawn {
                program: crate::base::output::sanitize(&program.to_string_lossy(), 200),
                source,
            });
        }
    };

    let done = std::sync::atomic::AtomicBool::new(false);
    let status = std::thread::scope(|scope| {
        if let Some(masker) = mask {
            for o in outputs {
                let done = &done;
                // The copier owns its end: when it stops, the end closes.
                scope.spawn(move || o.copy(masker, done));
            }
        }
        let status = wait_forwarding(pid, &mut signals, foreground, &mut from_terminal);
        done.store(true, Ordering::SeqCst);
        status
    });
    handle.close();
    drop(signals);
    Ok(match status {
        Ok(WaitStatus::Exited(_, code)) => {
            Outcome::Exit(u8::try_from(code & 0xff).unwrap_or(exit::ERROR))
        }
        Ok(WaitStatus::Signaled(_, sig, _)) => {
            if foreground
                && from_terminal == sig as i32
                && matches!(sig, Signal::SIGINT | Signal::SIGQUIT)
            {
                Outcome::Signal(sig as i32)
            } else {
                Outcome::Exit(
                    exit::SIGNAL_BASE.saturating_add(u8::try_from(sig as i32).unwrap_or(0)),
                )
            }
        }
        _ => Outcome::Exit(exit::ERROR),
    })
}

/// The child's stdin, stdout and stderr, and its process group.
struct ChildIo<'a> {
    /// Its stdin is `/dev/null` (its output is captured).
    null_stdin: bool,
    /// Its stdout and stderr: one end for both, one each, or none (ours).
    ends: &'a [OwnedFd],
    /// It gets a process group of its own.
    own_group: bool,
}

impl ChildIo<'_> {
    fn out_err(&self) -> (Option<&OwnedFd>, Option<&OwnedFd>) {
        match self.ends {
            [both] => (Some(both), Some(both)),
            [out, err] => (Some(out), Some(err)),
            _ => (None, None),
        }
    }
}

/// The child's environment, values overwritten when dropped (they hold the secrets).
struct Wiped(Vec<(OsString, OsString)>);

impl Drop for Wiped {
    fn drop(&mut self) {
        for (_, v) in self.0.drain(..) {
            zeroize::Zeroize::zeroize(&mut v.into_encoded_bytes());
        }
    }
}

/// Starts the child and returns its process id once it runs `program`. Without `--jail`
/// (Linux) it starts as `posix_spawn` starts one ([`super::spawn`], #14); under `--jail`,
/// through `fork`, whose child can enter the namespaces and rules.
fn start(
    program: &OsStr,
    args: &[OsString],
    env: Vec<(OsString, OsString)>,
    io: &ChildIo<'_>,
    confine: Option<Confine>,
) -> std::io::Result<Pid> {
    let env = Wiped(env);
    #[cfg(target_os = "linux")]
    let death = super::group::death_signal();
    #[cfg(target_os = "linux")]
    if confine.is_none() {
        use std::os::fd::AsRawFd;
        let null = if io.null_stdin {
            Some(std::fs::File::open("/dev/null")?)
        } else {
            None
        };
        let (out, err) = io.out_err();
        return super::spawn::spawn(&super::spawn::Spawn {
            program,
            args,
            env: &env.0,
            stdio: [
                null.as_ref().map(AsRawFd::as_raw_fd),
                out.map(AsRawFd::as_raw_fd),
                err.map(AsRawFd::as_raw_fd),
            ],
            own_group: io.own_group,
            death: death as i32,
        });
    }
    let mut cmd = Command::new(program);
    cmd.args(args)
        .env_clear()
        .envs(env.0.iter().map(|(k, v)| (k, v)));
    drop(env);
    if io.own_group {
        cmd.process_group(0);
    }
    if io.null_stdin {
        cmd.stdin(std::process::Stdio::null());
    }
    let (out, err) = io.out_err();
    if let (Some(out), Some(err)) = (out, err) {
        cmd.stdout(out.try_clone()?).stderr(err.try_clone()?);
    }
    #[cfg(target_os = "linux")]
    let parent = unistd::getpid();
    // SAFETY: the closure runs in the forked child before exec and only makes
    // async-signal-safe system calls (prctl, getppid, kill, keyctl; under --jail setns,
    // unshare, mount, open, write, mkdir, landlock); it allocates nothing and takes no locks.
    unsafe {
        cmd.pre_exec(move || {
            // If aisecrets dies without forwarding (kill -9), the child is told (Linux).
            #[cfg(target_os = "linux")]
            {
                let _ = nix::sys::prctl::set_pdeathsig(death);
                if unistd::getppid() != parent {
                    let _ = signal::raise(death);
                }
            }
            // A session keyring of its own: the child never possesses the one that may
            // hold the unlock cache's wrapping key (see keycache).
            #[cfg(target_os = "linux")]
            crate::keys::cache::leave_session_keyring()?;
            // `run --jail`: the child's namespaces and covers, last (#15).
            if let Some(c) = &confine {
                c()?;
            }
            Ok(())
        });
    }
    let child = cmd.spawn()?;
    Ok(Pid::from_raw(i32::try_from(child.id()).unwrap_or(i32::MAX)))
}

/// Waits for `pid` to end (the editor's).
pub(super) fn wait(pid: Pid) -> nix::Result<WaitStatus> {
    loop {
        match waitpid(pid, None) {
            Ok(s @ (WaitStatus::Exited(..) | WaitStatus::Signaled(..))) => return Ok(s),
            Err(nix::errno::Errno::EINTR) | Ok(_) => {}
            Err(e) => return Err(e),
        }
    }
}

/// Waits for the child `pid` to end, forwarding the signals that come meanwhile. In the
/// foreground what the terminal sent has reached the child already: it is only noted in
/// `from_terminal`, so aisecrets can die of the Ctrl-C that killed the child.
fn wait_forwarding(
    pid: Pid,
    signals: &mut SignalsInfo<WithOrigin>,
    foreground: bool,
    from_terminal: &mut i32,
) -> nix::Result<WaitStatus> {
    let reaper = super::reap::is_init();
    loop {
        for info in signals.wait() {
            if info.signal == SIGCHLD {
                continue; // looked at below
            }
            if foreground && matches!(info.cause, Cause::Kernel) {
                *from_terminal = info.signal;
                continue;
            }
            if let Ok(sig) = Signal::try_from(info.signal) {
                super::group::forward(pid, sig, foreground);
            }
        }
        let status = if reaper {
            super::reap::reap(pid)
        } else {
            waitpid(pid, Some(WaitPidFlag::WNOHANG))
        };
        match status {
            Ok(s @ (WaitStatus::Exited(..) | WaitStatus::Signaled(..))) => {
                // The terminal's Ctrl-C that killed the child reached us before the
                // child's death did, but may still sit in the self-pipe: note it.
                // Nothing is forwarded to a reaped pid.
                for info in signals.pending() {
                    if foreground && matches!(info.cause, Cause::Kernel) {
                        *from_terminal = info.signal;
                    }
                }
                return Ok(s);
            }
            Err(nix::errno::Errno::EINTR) | Ok(_) => {}
            Err(e) => return Err(e),
        }
    }
}

/// One masked output of the child: a pseudo-terminal or a pipe, and where it goes.
struct Output<'c> {
    /// Our end, read by the copier.
    ours: std::os::fd::OwnedFd,
    /// 1 for stdout, 2 for stderr.
    target: i32,
    /// Where it goes instead of our stdout or stderr.
    capture: Option<&'c Capture>,
}

impl<'c> Output<'c> {
    /// Gives the child one pipe for stdout and stderr, read into `capture`.
    fn attach_capture(capture: &'c Capture) -> Result<(Vec<Self>, Vec<OwnedFd>)> {
        let (mut both, end) = Self::pipe(1)?;
        both.capture = Some(capture);
        Ok((vec![both], vec![end]))
    }

    /// Gives the child its stdout and stderr: a pseudo-terminal where ours is a terminal (so
    /// isatty, colours and progress bars behave), else a pipe. When our stdout and stderr are
    /// the same terminal, pipe or file (a terminal, `2>&1`), the child gets one channel for
    /// both, as it would without aisecrets, so the order of its writes across the two is
    /// kept exactly (#12); otherwise one each. Returns our ends and the child's, which the
    /// caller closes once the child is spawned (or the readers never see the end).
    fn attach() -> Result<(Vec<Self>, Vec<OwnedFd>)> {
        if same_destination() {
            let (both, end) = Self::new(1)?;
            return Ok((vec![both], vec![end]));
        }
        let (out, out_end) = Self::new(1)?;
        let (err, err_end) = Self::new(2)?;
        Ok((vec![out, err], vec![out_end, err_end]))
    }

    /// Our end and the child's.
    fn new(target: i32) -> Result<(Self, OwnedFd)> {
        let io = |e: nix::errno::Errno| Error::io("set up output for", "run --mask", e.into());
        let ours_is_tty = match target {
            1 => std::io::stdout().is_terminal(),
            _ => std::io::stderr().is_terminal(),
        };
        if ours_is_tty {
            let size = window_size(target);
            let pty = nix::pty::openpty(size.as_ref(), None).map_err(io)?;
            // The child gets the slave only, as its stdout or stderr (dup2 clears the flag
            // there); our master, and a second copy of the slave, must not leak into it.
            for fd in [&pty.master, &pty.slave] {
                nix::fcntl::fcntl(
                    fd,
                    nix::fcntl::FcntlArg::F_SETFD(nix::fcntl::FdFlag::FD_CLOEXEC),
                )
                .map_err(io)?;
            }
            // Raw output: the child's bytes reach our terminal unchanged (no \n -> \r\n twice).
            if let Ok(mut t) = nix::sys::termios::tcgetattr(&pty.slave) {
                t.output_flags.remove(nix::sys::termios::OutputFlags::OPOST);
                let _ = nix::sys::termios::tcsetattr(
                    &pty.slave,
                    nix::sys::termios::SetArg::TCSANOW,
                    &t,
                );
            }
            Ok((
                Self {
                    ours: pty.master,
                    target,
                    capture: None,
                },
                pty.slave,
            ))
        } else {
            Self::pipe(target)
        }
    }

    /// A pipe: our reading end and the child's writing end.
    fn pipe(target: i32) -> Result<(Self, OwnedFd)> {
        let io = |e: nix::errno::Errno| Error::io("set up output for", "run --mask", e.into());
        {
            // CLOEXEC from the start (another thread may be starting a process): the child
            // must not inherit our reading end, or it never sees EPIPE.
            let (read, write) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(io)?;
            Ok((
                Self {
                    ours: read,
                    target,
                    capture: None,
                },
                write,
            ))
        }
    }

    /// Writes masked output to our stdout or stderr; false once our reader is gone.
    fn write(&self, bytes: &[u8]) -> bool {
        use std::io::Write;
        if bytes.is_empty() {
            return true;
        }
        if let Some(c) = self.capture {
            c.push(bytes);
            return true;
        }
        if self.target == 1 {
            let mut out = std::io::stdout().lock();
            out.write_all(bytes).and_then(|()| out.flush()).is_ok()
        } else {
            std::io::stderr().lock().write_all(bytes).is_ok()
        }
    }

    /// Copies the child's output to ours through the masker until the end; once the child
    /// has exited, stops as soon as no more output comes (a grandchild may hold it open).
    /// Bytes the masker holds back (they could start a value) go out once
    /// [`crate::base::mask::HOLD`] passes without more output, so a partial line never waits for
    /// the next one (#12). Each channel has its own copier: a paused reader of our stdout
    /// (`| less`) does not hold up stderr.
    fn copy(self, masker: &Masker, done: &std::sync::atomic::AtomicBool) {
        use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
        use std::time::{Duration, Instant};
        let mut stream = masker.stream();
        let mut buf = zeroize::Zeroizing::new(vec![0u8; 64 * 1024]);
        // When the held bytes last got company: they go out HOLD after that.
        let mut held_since: Option<Instant> = None;
        // Once the child has exited, whatever still holds the output (a background
        // grandchild) gets a short grace period, not our life.
        let mut deadline: Option<Instant> = None;
        loop {
            let now = Instant::now();
            if deadline.is_none() && done.load(Ordering::SeqCst) {
                deadline = Some(now + Duration::from_millis(300));
            }
            if deadline.is_some_and(|d| now > d) {
                break;
            }
            let mut wait = Duration::from_millis(100);
            if let Some(since) = held_since {
                let due = since + crate::base::mask::HOLD;
                if due <= now {
                    held_since = None;
                    if !self.write(&stream.release()) {
                        return;
                    }
                } else {
                    wait = due - now;
                }
            }
            let mut fds = [PollFd::new(self.ours.as_fd(), PollFlags::POLLIN)];
            // Rounded up, so a wake-up is never early and spins.
            let ms = u16::try_from(wait.as_micros().div_ceil(1000)).unwrap_or(100);
            match poll(&mut fds, PollTimeout::from(ms)) {
                Ok(0) | Err(nix::errno::Errno::EINTR) => continue,
                Err(_) => break,
                Ok(_) => {}
            }
            match nix::unistd::read(&self.ours, &mut buf) {
                Ok(0) | Err(_) => break, // end of pipe; EIO once a pty's last writer is gone
                Ok(n) => {
                    // Our reader went away (`| head`): stop, and close our end on return,
                    // so the child gets SIGPIPE as it would without aisecrets.
                    if !self.write(&stream.feed(&buf[..n], false)) {
                        return;
                    }
                    held_since = stream.holding().then(Instant::now);
                }
            }
        }
        self.write(&stream.release());
    }
}

/// Whether our stdout and stderr are the same terminal, pipe or file.
fn same_destination() -> bool {
    let out = nix::sys::stat::fstat(std::io::stdout().as_fd());
    let err = nix::sys::stat::fstat(std::io::stderr().as_fd());
    match (out, err) {
        (Ok(o), Ok(e)) => (o.st_dev, o.st_ino, o.st_rdev) == (e.st_dev, e.st_ino, e.st_rdev),
        _ => false,
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
