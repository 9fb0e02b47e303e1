//! aisecrets as PID 1 (a container's entry point, #18): the orphans anywhere below are
//! handed to it, and would stay zombies, filling the process table, unless it waits for
//! them too, as an init must. [`reap`] does that while `run` waits for its child.

use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::{self, Pid};

/// Whether aisecrets is PID 1, and so must reap orphans.
pub(super) fn is_init() -> bool {
    unistd::getpid().as_raw() == 1
}

/// As PID 1: waits for every child that has ended (orphans re-parented to us), without
/// blocking; the status of `child` when it is among them, else `StillAlive`.
pub(super) fn reap(child: Pid) -> nix::Result<WaitStatus> {
    loop {
        match waitpid(None::<Pid>, Some(WaitPidFlag::WNOHANG)) {
            Ok(s @ (WaitStatus::Exited(p, _) | WaitStatus::Signaled(p, ..))) if p == child => {
                return Ok(s);
            }
            // Nothing more has ended.
            Ok(WaitStatus::StillAlive) => return Ok(WaitStatus::StillAlive),
            // An orphan reaped, or a stop or continue: look again.
            Ok(_) | Err(nix::errno::Errno::EINTR) => {}
            Err(e) => return Err(e),
        }
    }
}
