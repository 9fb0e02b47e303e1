//! How `run` signals its child: to the child alone (plain `run`), or, in kernel mode (`jupyter
//! kernel`, #18), to the child's whole process group, with SIGKILL after a grace and SIGKILL
//! as the parent-death signal.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use nix::sys::signal::{self, Signal};
use nix::unistd::Pid;

/// Milliseconds of grace after a forwarded SIGTERM or SIGHUP before the child's process
/// group is killed; 0 (plain `run`): no kill, signals go to the child alone.
static KERNEL_GRACE_MS: AtomicU64 = AtomicU64::new(0);

/// Kernel mode, for `jupyter kernel` (#18): a forwarded signal goes to the child's whole
/// process group (an interrupt reaches `os.system('sleep 15')` too), a SIGTERM or SIGHUP
/// is followed by SIGKILL to the group after `grace` (a kernel that traps SIGTERM still
/// goes), and the child's parent-death signal is SIGKILL, as jupyter_client's kill is.
pub fn set_kernel_mode(grace: Duration) {
    let ms = u64::try_from(grace.as_millis()).unwrap_or(u64::MAX).max(1);
    KERNEL_GRACE_MS.store(ms, Ordering::SeqCst);
}

/// The signal the child gets when aisecrets dies.
#[must_use]
pub fn death_signal() -> Signal {
    if KERNEL_GRACE_MS.load(Ordering::SeqCst) == 0 {
        Signal::SIGTERM
    } else {
        Signal::SIGKILL
    }
}

/// Forwards `sig` to the child; in kernel mode to its process group (its own unless
/// `foreground`), with a SIGKILL to follow a SIGTERM or SIGHUP after the grace.
pub(super) fn forward(pid: Pid, sig: Signal, foreground: bool) {
    let grace = KERNEL_GRACE_MS.load(Ordering::SeqCst);
    if grace == 0 || foreground {
        let _ = signal::kill(pid, sig);
        return;
    }
    let _ = signal::killpg(pid, sig);
    if matches!(sig, Signal::SIGTERM | Signal::SIGHUP) {
        static ARMED: AtomicBool = AtomicBool::new(false);
        if !ARMED.swap(true, Ordering::SeqCst) {
            // If the kernel ends first, aisecrets is normally gone before this wakes;
            // what is left of its group then goes too.
            let _ = std::thread::Builder::new()
                .name("kernel-kill".into())
                .spawn(move || {
                    std::thread::sleep(Duration::from_millis(grace));
                    let _ = signal::killpg(pid, Signal::SIGKILL);
                });
        }
    }
}
