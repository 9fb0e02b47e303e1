//! What aisecrets does to itself at start-up, before it reads any secret, so that the
//! child of `run` (the least trusted code on the machine) and other processes of the user
//! cannot take secrets from aisecrets' own process (#12):
//!
//! - **No core file, no ptrace.** `RLIMIT_CORE` is 0, soft and hard (a same-user process
//!   could raise a soft limit again with prlimit(2); only privilege raises a hard one), and
//!   the process is not dumpable (`PR_SET_DUMPABLE` 0): the kernel writes no core, and
//!   ptrace, `/proc/PID/mem` and `/proc/PID/environ` refuse every process without
//!   `CAP_SYS_PTRACE`. Children get dumpable back at exec; they inherit the core limit.
//! - **Credential variables are taken, not left lying around.** Root ignores dumpable, and
//!   CI runs as root, so the variables aisecrets consumes ([`CREDENTIALS`]) are copied once
//!   into zeroizing storage here, their bytes in the initial environment block (what
//!   `/proc/PID/environ` shows, whatever the C `environ` array says) overwritten through
//!   `/proc/self/mem`, and the variables removed from the process environment. The rest of
//!   the code reads them through [`var`], never through `std::env`; `run` hands a file
//!   environment's child the non-`AISECRETS_*` ones back ([`for_child`]) and forgets them all
//!   before the child starts ([`forget_all`]).
//!
//! `AISECRETS_IDENTITY_FILE` (a path) and `AISECRETS_TRUST` (key ids and public verifiers:
//! integrity pins, nothing that opens or forges) are not secret and stay where they are.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use zeroize::Zeroizing;

/// The variables aisecrets logs in to Vault with: taken at start-up, and kept from the
/// child of a Vault environment's `run` (which gets a token of its own only with
/// `--vault-token`). `ACTIONS_ID_TOKEN_REQUEST_TOKEN` is GitHub Actions' bearer token for
/// minting the OIDC token of a JWT login: with it a child could log in as the job's role.
pub const VAULT_CREDENTIALS: [&str; 9] = [
    "VAULT_TOKEN",
    "BAO_TOKEN",
    "VAULT_ROLE_ID",
    "BAO_ROLE_ID",
    "VAULT_SECRET_ID",
    "BAO_SECRET_ID",
    "VAULT_JWT",
    "BAO_JWT",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
];

/// Every variable taken out of the environment at start-up.
pub const CREDENTIALS: [&str; 10] = [
    "AISECRETS_IDENTITY",
    VAULT_CREDENTIALS[0],
    VAULT_CREDENTIALS[1],
    VAULT_CREDENTIALS[2],
    VAULT_CREDENTIALS[3],
    VAULT_CREDENTIALS[4],
    VAULT_CREDENTIALS[5],
    VAULT_CREDENTIALS[6],
    VAULT_CREDENTIALS[7],
    VAULT_CREDENTIALS[8],
];

/// One taken variable; its value is wiped when it goes.
struct Taken {
    name: &'static str,
    value: Zeroizing<Vec<u8>>,
}

static TAKEN: Mutex<Vec<Taken>> = Mutex::new(Vec::new());
/// Whether [`scrub`] ran (only the binary's `main` runs it; the library alone reads the
/// environment as it is).
static SCRUBBED: AtomicBool = AtomicBool::new(false);

fn taken() -> MutexGuard<'static, Vec<Taken>> {
    TAKEN.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What std's start-up does before `main` that aisecrets needs, for the binary's own entry
/// point (`src/main.rs`, #14): descriptors 0, 1 and 2 open, on `/dev/null` where they were
/// closed, so that no file aisecrets opens (a secret, the audit log) becomes its standard
/// output; SIGPIPE ignored, so a closed pipe is an `EPIPE` error rather than a silent death
/// (children get it back at its default). As std does it on Linux, a failure aborts. (std
/// goes straight to the `fcntl` loop on Apple systems, whose `poll` does not flag a closed
/// descriptor: the binary calls this on Linux with glibc only.)
#[allow(unsafe_code)]
pub fn start_as_std() {
    let null = c"/dev/null";
    let mut fds = [0, 1, 2].map(|fd| libc::pollfd {
        fd,
        events: 0,
        revents: 0,
    });
    // SAFETY: poll reads and writes the three pollfd above; open, fcntl and signal take
    // plain values; abort does not return.
    unsafe {
        loop {
            if libc::poll(fds.as_mut_ptr(), 3, 0) != -1 {
                for pfd in fds {
                    if pfd.revents & libc::POLLNVAL != 0
                        && libc::open(null.as_ptr(), libc::O_RDWR, 0) == -1
                    {
                        libc::abort();
                    }
                }
                break;
            }
            match std::io::Error::last_os_error().raw_os_error() {
                Some(libc::EINTR) => {}
                // poll itself could not run (descriptor limit, memory): one by one.
                Some(libc::EINVAL | libc::EAGAIN | libc::ENOMEM) => {
                    for fd in 0..3 {
                        if libc::fcntl(fd, libc::F_GETFD) == -1
                            && std::io::Error::last_os_error().raw_os_error() == Some(libc::EBADF)
                            && libc::open(null.as_ptr(), libc::O_RDWR, 0) == -1
                        {
                            libc::abort();
                        }
                    }
                    break;
                }
                _ => libc::abort(),
            }
        }
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
    }
}

/// No core file and not dumpable. Lowering limits and dumpable cannot fail, so a failure
/// (a platform without them) is ignored.
pub(crate) fn harden() {
    #[cfg(target_os = "linux")]
    let _ = nix::sys::prctl::set_dumpable(false);
    let _ = nix::sys::resource::setrlimit(nix::sys::resource::Resource::RLIMIT_CORE, 0, 0);
}

/// Takes [`CREDENTIALS`] out of the environment into zeroizing storage. Called once, by
/// `main`, first thing: no other thread exists yet (see `remove`).
pub(crate) fn scrub() {
    let mut found = Vec::new();
    for name in CREDENTIALS {
        if let Some(v) = std::env::var_os(name) {
            found.push(Taken {
                name,
                value: Zeroizing::new(v.into_vec()),
            });
        }
    }
    if !found.is_empty() {
        let names: Vec<&str> = found.iter().map(|t| t.name).collect();
        // One read of /proc/self/stat gives both where the initial environment lies and
        // how many threads we have (#14: a second listing of /proc/self/task cost a start).
        #[cfg(target_os = "linux")]
        let stat = std::fs::read_to_string("/proc/self/stat");
        #[cfg(target_os = "linux")]
        if let Err(e) = stat
            .as_ref()
            .map_err(|e| std::io::Error::new(e.kind(), e.to_string()))
            .and_then(|stat| overwrite_initial_block(stat, &names))
        {
            crate::base::output::status(&format!(
                "aisecrets: warning: could not clear {} from this process's /proc environ ({e})",
                names.join(", ")
            ));
        }
        // With another thread (one reading the environment in C), removal would be a data
        // race; none exists when `main` calls `scrub`, and this checks it on Linux. If it
        // ever fails, the variables stay, with their values already overwritten (empty).
        #[cfg(target_os = "linux")]
        let alone = stat.as_deref().ok().and_then(thread_count) == Some(1);
        #[cfg(not(target_os = "linux"))]
        let alone = true;
        if alone {
            remove(&names);
        }
    }
    *taken() = found;
    SCRUBBED.store(true, Ordering::SeqCst);
}

/// Removes `names` from the C environment, so neither `getenv` nor a child inherits them.
#[allow(unsafe_code)]
fn remove(names: &[&str]) {
    for name in names {
        // SAFETY: `remove_var` is unsafe because another thread may read or write the
        // environment at the same time; `scrub` runs first thing in `main`, before any
        // thread is spawned (on Linux, `scrub` checked the thread count first), so none can.
        unsafe { std::env::remove_var(name) };
    }
}

/// Overwrites the values of `names` with zero bytes where the kernel placed the initial
/// environment (`env_start`..`env_end` of /proc/self/stat), which `/proc/PID/environ`
/// shows to root even after the variable is gone from `environ`. Going through
/// /proc/self/mem needs no unsafe code and touches memory no Rust value refers to.
#[cfg(target_os = "linux")]
fn overwrite_initial_block(stat: &str, names: &[&str]) -> std::io::Result<()> {
    use std::os::unix::fs::FileExt;
    let bad = |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_owned());
    let (start, end) = env_bounds(stat).ok_or_else(|| bad("no env_start in /proc/self/stat"))?;
    let mem = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/proc/self/mem")?;
    // Read in one go into a buffer of the right size: a growing one (`fs::read`) would
    // leave copies of the block behind in freed memory.
    let len = usize::try_from(end - start).map_err(|_| bad("environment block too large"))?;
    let read_block = || -> std::io::Result<Zeroizing<Vec<u8>>> {
        let mut block = Zeroizing::new(vec![0u8; len]);
        mem.read_exact_at(&mut block, start)?;
        Ok(block)
    };
    let block = read_block()?;
    for (offset, len) in value_spans(&block, names) {
        let at = start + offset as u64;
        if at + len as u64 > end {
            return Err(bad("a value lies outside the environment block"));
        }
        mem.write_all_at(&vec![0u8; len], at)?;
    }
    // Check: nothing of the values is left in the block.
    let after = read_block()?;
    if value_spans(&after, names)
        .iter()
        .any(|&(o, l)| after[o..o + l].iter().any(|&b| b != 0))
    {
        return Err(bad("the values are still there after overwriting"));
    }
    Ok(())
}

/// Numeric field `n` (counted from 1) of /proc/self/stat. The command name (field 2) may
/// hold blanks and parentheses, so fields are counted after its last `)`.
#[cfg(target_os = "linux")]
fn stat_field(stat: &str, n: usize) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_ascii_whitespace()
        .nth(n.checked_sub(3)?)?
        .parse()
        .ok()
}

/// `num_threads` (field 20) of /proc/self/stat.
#[cfg(target_os = "linux")]
fn thread_count(stat: &str) -> Option<u64> {
    stat_field(stat, 20)
}

/// `env_start` and `env_end` (fields 50 and 51) of /proc/self/stat.
#[cfg(target_os = "linux")]
fn env_bounds(stat: &str) -> Option<(u64, u64)> {
    let (start, end) = (stat_field(stat, 50)?, stat_field(stat, 51)?);
    (start < end).then_some((start, end))
}

/// Where the values of `names` lie in a NUL-separated environment block: offset and
/// length of each `NAME=value` entry's value.
#[cfg(any(target_os = "linux", test))]
fn value_spans(block: &[u8], names: &[&str]) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut pos = 0;
    for entry in block.split(|&b| b == 0) {
        for name in names {
            let n = name.as_bytes();
            if entry.len() > n.len() && entry.starts_with(n) && entry[n.len()] == b'=' {
                spans.push((pos + n.len() + 1, entry.len() - n.len() - 1));
            }
        }
        pos += entry.len() + 1;
    }
    spans
}

/// The value of environment variable `name`, read from the taken store for
/// [`CREDENTIALS`]; `None` when unset or not UTF-8.
#[must_use]
pub fn var(name: &str) -> Option<Zeroizing<String>> {
    if SCRUBBED.load(Ordering::SeqCst) && CREDENTIALS.contains(&name) {
        return taken()
            .iter()
            .find(|t| t.name == name)
            .and_then(|t| std::str::from_utf8(&t.value).ok())
            .map(|s| Zeroizing::new(s.to_owned()));
    }
    std::env::var(name).ok().map(Zeroizing::new)
}

/// Whether `name` is a taken variable (never inherited from the environment as it is now).
#[must_use]
pub fn is_credential(name: &std::ffi::OsStr) -> bool {
    CREDENTIALS.iter().any(|c| std::ffi::OsStr::new(c) == name)
}

/// The taken variables a child gets back as they were: none of aisecrets' own, none in
/// `withhold`.
#[must_use]
pub fn for_child(withhold: &[&str]) -> Vec<(OsString, OsString)> {
    if !SCRUBBED.load(Ordering::SeqCst) {
        return CREDENTIALS
            .iter()
            .filter(|n| !n.starts_with("AISECRETS_") && !withhold.contains(n))
            .filter_map(|n| std::env::var_os(n).map(|v| (OsString::from(n), v)))
            .collect();
    }
    taken()
        .iter()
        .filter(|t| !t.name.starts_with("AISECRETS_") && !withhold.contains(&t.name))
        .map(|t| (OsString::from(t.name), OsString::from_vec(t.value.to_vec())))
        .collect()
}

/// Wipes every taken value: nothing more will read them.
pub fn forget_all() {
    taken().clear();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_found_at_the_start_of_entries_only() {
        let block = b"A=1\0XVAULT_TOKEN=no\0VAULT_TOKEN=secret\0B=\0VAULT_TOKEN\0";
        assert_eq!(value_spans(block, &["VAULT_TOKEN"]), vec![(32, 6)]);
        assert_eq!(&block[32..38], b"secret");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn env_bounds_skips_a_command_name_with_blanks_and_parentheses() {
        let mut stat = String::from("12 (a b) c)) S");
        for i in 4..=52 {
            stat.push_str(&format!(" {i}"));
        }
        assert_eq!(env_bounds(&stat), Some((50, 51)));
        assert_eq!(thread_count(&stat), Some(20));
    }
}
