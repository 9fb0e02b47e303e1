//! `run --jail` (Linux): the child runs where it cannot reach the network except through a
//! listening socket that aisecrets holds, and cannot read the user's aisecrets files (#15).
//!
//! Two steps, both before any secret reaches a child:
//!
//! 1. [`Jail::new`] forks a short-lived helper that makes a user namespace (so no root is
//!    needed) owning a network namespace with only `lo` up, binds `127.0.0.1:0` inside it,
//!    proves that a mount namespace, a tmpfs mount and a nested user namespace work there,
//!    and sends the listener and both namespaces back over a socket pair (`SCM_RIGHTS`).
//!    Where the kernel refuses a piece, `run --jail` stops with one line naming it: it never
//!    runs the child unconfined. aisecrets serves the listener (the `--proxy`) from outside
//!    the namespace, so its own upstream connections use the host's network.
//! 2. [`Confine::enter`] runs in the forked child before exec: it joins those namespaces,
//!    takes a mount namespace of its own, covers the aisecrets home, the audit log's folder,
//!    the keyring files, `~/.vault-token`, `$XDG_RUNTIME_DIR` (the Secret Service bus, other
//!    runs' RAM folders) and `/dev/shm` with empty tmpfs (or `/dev/null` for a file), binds
//!    this run's own RAM folder back, and then enters a nested user and mount namespace, so
//!    the covers are locked: not even a child that is root inside can lift them. Last,
//!    Landlock's scopes (ABI 6): no signal to, and no abstract socket of, a process outside
//!    the child's own tree (it cannot kill aisecrets, and with it the proxy).
//!
//! aisecrets itself is non-dumpable ([`crate::base::hardening`]) and the child holds no
//! capability in aisecrets' user namespace, so `/proc/<aisecrets>/mem` and `environ` and
//! `ptrace` are refused to it.
#![allow(unsafe_code)]

mod sys;

use std::ffi::CString;
use std::net::{SocketAddr, TcpListener};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::base::error::{Error, Result};

use sys::{
    FdPath, bind, check, landlock_restrict, landlock_scopes, listen, loopback_up, private_mounts,
    receive, send, socketpair, tmpfs, write_file,
};

/// What went wrong in the helper, by step (its exit code).
const STEPS: [(i32, &str); 8] = [
    (
        10,
        "the kernel refused a new user namespace: allow unprivileged user namespaces (sysctl user.max_user_namespaces above 0; on Ubuntu kernel.apparmor_restrict_unprivileged_userns=0)",
    ),
    (
        11,
        "the kernel refused the user namespace's uid/gid map (/proc/self/uid_map)",
    ),
    (
        12,
        "the kernel refused a new network namespace (CLONE_NEWNET)",
    ),
    (
        13,
        "the loopback interface of the jail could not be brought up",
    ),
    (
        14,
        "the jail's listening socket on 127.0.0.1 could not be made",
    ),
    (
        15,
        "the kernel refused a mount namespace or a tmpfs mount in the jail",
    ),
    (
        16,
        "the kernel refused a nested user namespace (user.max_user_namespaces is too low)",
    ),
    (
        17,
        "the kernel has no Landlock scopes (Landlock ABI 6: Linux 6.12 or later, with landlock in the lsm= boot list)",
    ),
];

/// The sockets of container daemons (Docker, containerd, Podman as root), covered: any of
/// them starts a process outside the jail.
const CONTAINER_SOCKETS: [&str; 5] = [
    "/run/docker.sock",
    "/var/run/docker.sock",
    "/run/containerd/containerd.sock",
    "/run/podman/podman.sock",
    "/run/buildkit/buildkitd.sock",
];

/// The namespaces of one jailed run and the listener inside them.
pub struct Jail {
    listener: Option<TcpListener>,
    addr: SocketAddr,
    userns: OwnedFd,
    netns: OwnedFd,
}

impl Jail {
    /// Makes the namespaces and the listener, or says which piece the kernel refuses.
    pub fn new() -> Result<Self> {
        // Landlock first: it needs no fork to check.
        if landlock_scopes().is_err() {
            return Err(refused(17));
        }
        let (ours, theirs) = socketpair()?;
        let (uid, gid) = (
            nix::unistd::getuid().as_raw(),
            nix::unistd::getgid().as_raw(),
        );
        let maps = Maps::new(uid, gid)?;
        // SAFETY: the helper makes only async-signal-safe system calls on memory prepared
        // above, allocates nothing, and ends with _exit.
        let pid = match unsafe { nix::unistd::fork() }
            .map_err(|e| Error::io("start", "the jail's helper", e.into()))?
        {
            nix::unistd::ForkResult::Child => {
                let code = helper(theirs.as_raw_fd(), &maps);
                // SAFETY: _exit ends the helper without running the parent's destructors.
                unsafe { libc::_exit(code) }
            }
            nix::unistd::ForkResult::Parent { child } => child,
        };
        drop(theirs);
        let status = loop {
            match nix::sys::wait::waitpid(pid, None) {
                Err(nix::errno::Errno::EINTR) => {}
                other => break other,
            }
        };
        let code = match status {
            Ok(nix::sys::wait::WaitStatus::Exited(_, c)) => c,
            _ => 1,
        };
        if code != 0 {
            return Err(refused(code));
        }
        let fds = receive(&ours)?;
        let [listener, userns, netns] = fds;
        let listener = TcpListener::from(listener);
        let addr = listener
            .local_addr()
            .map_err(|e| Error::io("read the address of", "the jail's listener", e))?;
        Ok(Self {
            listener: Some(listener),
            addr,
            userns,
            netns,
        })
    }

    /// The listener inside the jail, for the proxy; once.
    pub fn take_listener(&mut self) -> Option<TcpListener> {
        self.listener.take()
    }

    /// Where the listener is, as the child sees it: `127.0.0.1:PORT`.
    #[must_use]
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The part that runs in the child before exec; it holds raw descriptors of this jail,
    /// so the jail must live until the child is spawned. `ramdir` is this run's folder of
    /// file secrets, which the child must still read.
    pub fn confine(&self, ramdirs: &[&Path]) -> Result<Confine> {
        let (uid, gid) = (
            nix::unistd::getuid().as_raw(),
            nix::unistd::getgid().as_raw(),
        );
        let mut cover_dirs = Vec::new();
        let mut cover_files = Vec::new();
        let mut sensitive: Vec<PathBuf> = Vec::new();
        if let Ok(h) = crate::base::files::home() {
            sensitive.push(h);
        }
        if let Ok(p) = crate::keys::identity::identity_path()
            && let Some(d) = p.parent()
        {
            sensitive.push(d.to_path_buf());
        }
        // An identity file named by hand (CI, a second key) is covered too.
        if let Some(f) = std::env::var_os("AISECRETS_IDENTITY_FILE").filter(|f| !f.is_empty()) {
            sensitive.push(PathBuf::from(f));
        }
        if let Ok(log) = crate::project::audit::path()
            && let Some(d) = log.parent()
        {
            sensitive.push(d.to_path_buf());
        }
        if let Some(home) = dirs::home_dir() {
            sensitive.push(home.join(".vault-token"));
            sensitive.push(home.join(".local/share/keyrings"));
        }
        if let Some(d) = dirs::data_dir() {
            sensitive.push(d.join("keyrings"));
        }
        // The session bus (the Secret Service) where it has a path outside the runtime
        // folder (`unix:path=/tmp/...`); an abstract one is per network namespace, gone.
        sensitive.extend(bus_paths(std::env::var_os("DBUS_SESSION_BUS_ADDRESS")));
        // Container daemons: a socket to one is a way out of every namespace.
        sensitive.extend(CONTAINER_SOCKETS.iter().map(PathBuf::from));
        for p in sensitive {
            match std::fs::metadata(&p) {
                Ok(m) if m.is_dir() => cover_dirs.push(cstring(&p)?),
                Ok(_) => cover_files.push(cstring(&p)?),
                Err(_) => {}
            }
        }
        // Where RAM folders live: the Secret Service bus, other runs' file secrets.
        let mut shared: Vec<PathBuf> = Vec::new();
        if let Some(r) = std::env::var_os("XDG_RUNTIME_DIR").filter(|r| !r.is_empty()) {
            shared.push(PathBuf::from(r));
        }
        shared.push(PathBuf::from(format!("/run/user/{uid}")));
        shared.push(PathBuf::from("/dev/shm"));
        shared.retain(|p| p.is_dir());
        shared.dedup();
        let mut keep = Vec::new();
        for path in ramdirs.iter().take(MAX_KEPT) {
            // The covered folder that holds it, and the folders to make in the cover.
            let under = shared.iter().find(|s| path.starts_with(s));
            if let Some(base) = under {
                let mut mkdirs = Vec::new();
                let mut at = base.clone();
                for c in path
                    .strip_prefix(base)
                    .unwrap_or(Path::new(""))
                    .components()
                {
                    at.push(c);
                    mkdirs.push(cstring(&at)?);
                }
                keep.push(Keep {
                    mkdirs,
                    target: cstring(path)?,
                });
            }
        }
        let mut covers = Vec::new();
        for s in &shared {
            covers.push(cstring(s)?);
        }
        covers.extend(cover_dirs);
        Ok(Confine {
            userns: self.userns.as_raw_fd(),
            netns: self.netns.as_raw_fd(),
            maps: Maps::new(uid, gid)?,
            shared: shared.len(),
            covers,
            files: cover_files,
            keep,
            scopes: landlock_scopes().map_err(|_| refused(17))?,
        })
    }
}

/// The one-line refusal for a failed step of [`STEPS`].
fn refused(code: i32) -> Error {
    let what = STEPS
        .iter()
        .find(|(c, _)| *c == code)
        .map_or("the jail's helper failed", |(_, w)| w);
    Error::Failed(format!(
        "run --jail: {what}; aisecrets does not run the command unconfined: fix that, or run without --jail"
    ))
}

/// The socket paths of a D-Bus address (`unix:path=P;...`).
fn bus_paths(address: Option<std::ffi::OsString>) -> Vec<PathBuf> {
    let Some(a) = address else {
        return Vec::new();
    };
    a.to_string_lossy()
        .split(';')
        .filter_map(|t| t.strip_prefix("unix:"))
        .flat_map(|t| t.split(','))
        .filter_map(|kv| kv.strip_prefix("path="))
        .map(PathBuf::from)
        .collect()
}

/// The uid and gid maps of a user namespace: our own ids, as themselves.
struct Maps {
    uid: CString,
    gid: CString,
}

impl Maps {
    fn new(uid: u32, gid: u32) -> Result<Self> {
        let c = |s: String| CString::new(s).map_err(|_| Error::Failed("bad id map".into()));
        Ok(Self {
            uid: c(format!("{uid} {uid} 1\n"))?,
            gid: c(format!("{gid} {gid} 1\n"))?,
        })
    }

    /// Writes them for this process's new user namespace (async-signal-safe).
    ///
    /// The `/proc/self` files of a non-dumpable process (aisecrets and its forks are,
    /// [`crate::base::hardening`]) belong to root, so a user other than root cannot open
    /// its own maps: the process is dumpable for these three writes only, and not again
    /// until exec. This fork holds nothing the child will not get (its values), and
    /// `forget_all` wiped the credentials aisecrets took before it.
    fn write(&self) -> std::io::Result<()> {
        // SAFETY: prctl(PR_SET_DUMPABLE) changes only this process's flag.
        let not_root = unsafe { libc::geteuid() } != 0;
        if not_root {
            unsafe { libc::prctl(libc::PR_SET_DUMPABLE, 1, 0, 0, 0) };
        }
        let r = write_file(c"/proc/self/setgroups", c"deny")
            .and_then(|()| write_file(c"/proc/self/uid_map", &self.uid))
            .and_then(|()| write_file(c"/proc/self/gid_map", &self.gid));
        if not_root {
            // SAFETY: as above.
            unsafe { libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0) };
        }
        r
    }
}

/// This run's RAM folder, bound back inside the cover of the folder that holds it.
/// At most this many RAM folders of the run are put back in the jail (file secrets, the
/// proxy's CA bundle).
const MAX_KEPT: usize = 2;

struct Keep {
    mkdirs: Vec<CString>,
    target: CString,
}

/// What the child does before exec: join the jail, cover the user's files, lock the covers.
pub struct Confine {
    userns: RawFd,
    netns: RawFd,
    maps: Maps,
    /// How many of `covers` are shared RAM folders (tmpfs writable by the child).
    shared: usize,
    covers: Vec<CString>,
    files: Vec<CString>,
    keep: Vec<Keep>,
    /// The Landlock ruleset of scopes, enforced last.
    scopes: OwnedFd,
}

impl Confine {
    /// Runs in the forked child before exec: only async-signal-safe system calls on memory
    /// prepared before the fork.
    ///
    /// # Errors
    /// The `errno` of the refused call; the child does not run.
    pub fn enter(&self) -> std::io::Result<()> {
        // SAFETY: setns on descriptors the parent keeps open until the spawn returns.
        check(unsafe { libc::setns(self.userns, libc::CLONE_NEWUSER) })?;
        check(unsafe { libc::setns(self.netns, libc::CLONE_NEWNET) })?;
        check(unsafe { libc::unshare(libc::CLONE_NEWNS) })?;
        private_mounts()?;
        // Our own RAM folder, opened in this mount namespace (a bind mount's source must
        // be in it), still reachable through its descriptor once covered.
        // (A fixed array: nothing is allocated between fork and exec.)
        let mut kept = [-1; MAX_KEPT];
        for (slot, k) in kept.iter_mut().zip(&self.keep) {
            // SAFETY: open on a NUL-terminated path prepared before the fork.
            match unsafe {
                libc::open(
                    k.target.as_ptr(),
                    libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC,
                )
            } {
                fd if fd >= 0 => *slot = fd,
                _ => return Err(std::io::Error::last_os_error()),
            }
        }
        for (i, c) in self.covers.iter().enumerate() {
            let opts: &std::ffi::CStr = if i < self.shared {
                c"mode=1777,size=64m"
            } else {
                c"mode=000,size=4k"
            };
            match tmpfs(c, opts) {
                Err(e) if e.raw_os_error() == Some(libc::ENOENT) => {}
                r => r?,
            }
        }
        for f in &self.files {
            match bind(c"/dev/null", f) {
                Err(e) if e.raw_os_error() == Some(libc::ENOENT) => {}
                r => r?,
            }
        }
        for (k, fd) in self.keep.iter().zip(kept) {
            for d in &k.mkdirs {
                // SAFETY: mkdir on a NUL-terminated path prepared before the fork.
                if unsafe { libc::mkdir(d.as_ptr(), 0o700) } != 0 {
                    let e = std::io::Error::last_os_error();
                    if e.raw_os_error() != Some(libc::EEXIST) {
                        return Err(e);
                    }
                }
            }
            let source = FdPath::new(fd);
            bind(source.as_cstr(), &k.target)?;
        }
        // A nested user and mount namespace: the covers become locked (they came from a
        // more privileged namespace), so even a child that is root inside cannot lift them.
        check(unsafe { libc::unshare(libc::CLONE_NEWUSER | libc::CLONE_NEWNS) })?;
        self.maps.write()?;
        // Signals and abstract sockets only within the child's own processes: it cannot
        // kill aisecrets (and with it the proxy) or the user's other processes.
        landlock_restrict(self.scopes.as_raw_fd())
    }
}

/// The helper: makes the namespaces and the listener, proves the rest works, sends them.
/// Returns its exit code (0, or a step of [`STEPS`]).
fn helper(sock: RawFd, maps: &Maps) -> i32 {
    // SAFETY: plain system calls on memory prepared before the fork.
    unsafe {
        if libc::unshare(libc::CLONE_NEWUSER) != 0 {
            return 10;
        }
        if maps.write().is_err() {
            return 11;
        }
        if libc::unshare(libc::CLONE_NEWNET) != 0 {
            return 12;
        }
        if loopback_up().is_err() {
            return 13;
        }
        let Ok(listener) = listen() else {
            return 14;
        };
        let user = libc::open(
            c"/proc/self/ns/user".as_ptr(),
            libc::O_RDONLY | libc::O_CLOEXEC,
        );
        let net = libc::open(
            c"/proc/self/ns/net".as_ptr(),
            libc::O_RDONLY | libc::O_CLOEXEC,
        );
        if user < 0 || net < 0 {
            return 12;
        }
        // The child will do this: prove the kernel allows it.
        if libc::unshare(libc::CLONE_NEWNS) != 0
            || private_mounts().is_err()
            || tmpfs(c"/tmp", c"mode=000,size=4k").is_err()
        {
            return 15;
        }
        if libc::unshare(libc::CLONE_NEWUSER | libc::CLONE_NEWNS) != 0 {
            return 16;
        }
        if send(sock, &[listener, user, net]).is_err() {
            return 14;
        }
        0
    }
}

fn cstring(p: &Path) -> Result<CString> {
    CString::new(p.as_os_str().as_bytes()).map_err(|_| {
        Error::Failed(format!(
            "run --jail: the path {} holds a NUL byte",
            crate::base::output::sanitize(&p.to_string_lossy(), 200)
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::{FdPath, bus_paths};

    #[test]
    fn bus_paths_are_the_unix_paths_of_the_address() {
        assert_eq!(
            bus_paths(Some(
                "unix:path=/tmp/b,guid=1;unix:abstract=/x;tcp:host=h".into()
            )),
            vec![std::path::PathBuf::from("/tmp/b")]
        );
        assert!(bus_paths(None).is_empty());
    }

    /// The listener hand-over with a stand-in for the proxy: a TCP server on the jail's
    /// listener, served from outside, is what the jailed child reaches; a server on the
    /// host's loopback is not. (Linux with user namespaces and Landlock ABI 6.)
    #[test]
    fn the_jailed_child_reaches_the_listener_and_nothing_else() {
        use std::io::Write;
        use std::os::unix::process::CommandExt;
        let mut jail = super::Jail::new().expect("this kernel can jail");
        let listener = jail.take_listener().unwrap();
        let addr = jail.addr();
        assert!(addr.ip().is_loopback());
        let server = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            s.write_all(b"from-the-stand-in\n").unwrap();
        });
        let host = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let host_port = host.local_addr().unwrap().port();
        let confine = jail.confine(&[]).unwrap();
        let script = format!(
            "exec 3<>/dev/tcp/127.0.0.1/{}; head -n1 <&3; \
             (echo > /dev/tcp/127.0.0.1/{host_port}) 2>/dev/null && echo HOST-REACHED; echo end",
            addr.port()
        );
        let mut cmd = std::process::Command::new("bash");
        cmd.args(["-c", &script]);
        // SAFETY: Confine::enter makes only async-signal-safe calls.
        unsafe {
            cmd.pre_exec(move || confine.enter());
        }
        let out = cmd.output().unwrap();
        server.join().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(text, "from-the-stand-in\nend\n");
    }

    #[test]
    fn fd_paths_are_written_without_allocating() {
        assert_eq!(FdPath::new(0).as_cstr(), c"/proc/self/fd/0");
        assert_eq!(FdPath::new(1234).as_cstr(), c"/proc/self/fd/1234");
    }
}
