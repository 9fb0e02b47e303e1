//! An editor on a plaintext file (`aisecrets edit`): the terminal is the editor's, its
//! environment is aisecrets' without aisecrets' own variables, and SIGTERM or SIGHUP stops
//! it so that the caller can remove the plaintext.

#![allow(unsafe_code)]

use std::os::unix::process::CommandExt;
use std::process::Command;
use std::sync::atomic::Ordering;

use nix::sys::signal::{self, Signal};
use nix::sys::wait::WaitStatus;
use nix::unistd::Pid;
use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};

use super::child::{inherited, wait};
use crate::base::error::{Error, Result};

/// How an editor session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edited {
    /// The editor exited by itself with status 0.
    Exited,
    /// The editor exited with a failure (vim's `:cq`): the edit is abandoned.
    Failed(i32),
    /// aisecrets was told to stop (SIGTERM, SIGHUP): the editor was stopped too.
    Interrupted,
}

/// Runs `argv` (an editor and its arguments) on `file` with the terminal, and waits. While
/// it runs, Ctrl-C belongs to the editor; SIGTERM and SIGHUP stop it and are reported, so
/// the caller can remove the plaintext before exiting.
pub fn run_editor(argv: &[String], file: &std::path::Path) -> Result<Edited> {
    let (program, args) = argv
        .split_first()
        .ok_or_else(|| Error::Failed("the editor command is empty".into()))?;
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP])
        .map_err(|e| Error::io("install signal handlers for", "edit", e))?;
    let handle = signals.handle();
    // The editor needs none of aisecrets' variables nor the credentials it logged in with.
    let mut cmd = Command::new(program);
    cmd.args(args).arg(file).env_clear().envs(inherited());
    // SAFETY: the closure runs in the forked child before exec and makes one
    // async-signal-safe system call (keyctl); it allocates nothing and takes no locks.
    #[cfg(target_os = "linux")]
    unsafe {
        // The editor does not possess the session keyring that holds the unlock cache.
        cmd.pre_exec(crate::keys::cache::leave_session_keyring);
    }
    let child = cmd.spawn();
    let child = match child {
        Ok(c) => c,
        Err(source) => {
            handle.close();
            return Err(Error::Spawn {
                program: crate::base::output::sanitize(program, 200),
                source,
            });
        }
    };
    let pid = Pid::from_raw(i32::try_from(child.id()).unwrap_or(i32::MAX));
    let stopped = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = std::sync::Arc::clone(&stopped);
    let watcher = std::thread::spawn(move || {
        for sig in signals.forever() {
            if sig != SIGINT {
                flag.store(true, Ordering::SeqCst);
                let _ = signal::kill(pid, Signal::SIGTERM);
            }
        }
    });
    let status = wait(pid);
    handle.close();
    let _ = watcher.join();
    Ok(match status {
        _ if stopped.load(Ordering::SeqCst) => Edited::Interrupted,
        Ok(WaitStatus::Exited(_, 0)) => Edited::Exited,
        Ok(WaitStatus::Exited(_, code)) => Edited::Failed(code),
        Ok(WaitStatus::Signaled(_, sig, _)) => Edited::Failed(128 + sig as i32),
        _ => Edited::Failed(-1),
    })
}
