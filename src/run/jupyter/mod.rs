//! The Jupyter kernel under aisecrets (#18): a relay between the Jupyter client (notebook
//! server, `jupyter_client`) and the real kernel, so that no secret value reaches the
//! notebook through the messaging sockets, where `run --mask` cannot see.
//!
//! aisecrets binds the five TCP ports of the client's connection file itself, writes a
//! second connection file for the kernel (in the run's 0700 RAM folder, with a new random
//! key, so the kernel never learns the client's), whose transport is `ipc`: the kernel's
//! sockets are files in that folder, which no other user can reach (TCP on loopback is open
//! to every local user, and iopub needs no key). Each connection the client makes is relayed
//! to a fresh Unix-socket connection to the kernel's matching socket. Messages from the
//! kernel are masked and signed again with the client's key (see `wire.rs`); the relay ends
//! when the kernel does. Threads only, no ZeroMQ library: ZMTP 3 is small (see `zmtp.rs`).

mod command;
pub mod python;
mod stream;
mod wire;
mod zmtp;

use std::collections::BTreeMap;
use std::io;
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::fd::AsFd;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use nix::unistd::Pid;
use serde_json::{Value, json};
use zeroize::Zeroizing;

use crate::base::error::{Error, Result};
use crate::base::mask::Masker;
use crate::run::ramdir::RamDir;

/// The channels, in the order of their ports here.
const CHANNELS: [&str; 5] = ["shell", "iopub", "stdin", "control", "hb"];

/// The largest connection file read.
const MAX_CONNECTION_FILE: u64 = 64 * 1024;

/// Connections relayed at once on one channel: a notebook server makes a few per channel;
/// more is a local user flooding the port (each costs two sockets and a thread).
const MAX_CONNECTIONS: usize = 64;

/// How long a new client connection has to send its greeting.
const GREETING_TIMEOUT: Duration = Duration::from_secs(10);

/// The client's ports, bound; the kernel's connection file, written; ready to relay.
pub struct Plan {
    listeners: Vec<TcpListener>,
    sockets: Vec<PathBuf>,
    client_key: Zeroizing<Vec<u8>>,
    kernel_key: Zeroizing<Vec<u8>>,
    kernel_file: PathBuf,
    parent: Pid,
}

fn bad_file(path: &Path, what: &str) -> Error {
    Error::Failed(format!(
        "the Jupyter connection file {} {what}: start the kernel from Jupyter (its kernel.json passes {{connection_file}})",
        path.display()
    ))
}

impl Plan {
    /// Reads the client's connection file `client`, binds its five ports, and writes the
    /// kernel's connection file into `dir`. `parent` is the client, as our parent when we
    /// started: when it dies, the kernel is stopped.
    pub fn bind(client: &Path, dir: &RamDir, parent: Pid) -> Result<Self> {
        let bytes = crate::base::files::read_regular(client, MAX_CONNECTION_FILE)?;
        let info: Value =
            serde_json::from_slice(&bytes).map_err(|_| bad_file(client, "is not JSON"))?;
        let text = |k: &str| info.get(k).and_then(Value::as_str);
        if text("transport").unwrap_or("tcp") != "tcp" {
            return Err(bad_file(
                client,
                "asks for a transport other than tcp, which aisecrets does not relay; use tcp (the default)",
            ));
        }
        let scheme = text("signature_scheme").unwrap_or("hmac-sha256");
        if scheme != "hmac-sha256" {
            return Err(bad_file(
                client,
                "asks for a signature scheme other than hmac-sha256",
            ));
        }
        let ip = text("ip").unwrap_or("127.0.0.1");
        let client_key = Zeroizing::new(text("key").unwrap_or("").as_bytes().to_vec());
        let mut listeners = Vec::with_capacity(CHANNELS.len());
        for ch in CHANNELS {
            let port = info
                .get(format!("{ch}_port"))
                .and_then(Value::as_u64)
                .and_then(|p| u16::try_from(p).ok())
                .filter(|p| *p != 0)
                .ok_or_else(|| bad_file(client, &format!("has no {ch}_port")))?;
            // std sets SO_REUSEADDR on Unix: a restarted kernel binds the same ports again
            // while the old connections are in TIME_WAIT.
            let l = TcpListener::bind((ip, port)).map_err(|e| {
                Error::Failed(format!(
                    "bind the Jupyter {ch} port {ip}:{port}: {e}; is another kernel on it? restart the kernel from Jupyter"
                ))
            })?;
            l.set_nonblocking(true)
                .map_err(|e| Error::Failed(format!("set up the Jupyter {ch} port: {e}")))?;
            listeners.push(l);
        }
        // The kernel's sockets: `ipc` files `k-1` .. `k-5` in the RAM folder (ipykernel
        // binds `ipc://{ip}-{port}`), reachable by us only (the folder is 0700).
        let prefix = dir.path().join("k");
        let sockets: Vec<PathBuf> = (1..=CHANNELS.len())
            .map(|n| PathBuf::from(format!("{}-{n}", prefix.display())))
            .collect();
        let kernel_key = Zeroizing::new(crate::keys::seal::random_id(32).into_bytes());
        let mut file = json!({
            "ip": prefix,
            "transport": "ipc",
            "signature_scheme": "hmac-sha256",
            "key": String::from_utf8_lossy(&kernel_key),
            "kernel_name": text("kernel_name").unwrap_or(""),
        });
        for (n, ch) in CHANNELS.iter().enumerate() {
            file[format!("{ch}_port")] = json!(n + 1);
        }
        let kernel_file = dir.write(
            "kernel.json",
            &Zeroizing::new(file.to_string().into_bytes()),
        )?;
        Ok(Self {
            listeners,
            sockets,
            client_key,
            kernel_key,
            kernel_file,
            parent,
        })
    }

    /// The connection file to give the kernel instead of the client's.
    #[must_use]
    pub fn kernel_file(&self) -> &Path {
        &self.kernel_file
    }

    /// Starts relaying, masking with `masker`; the relay stops when dropped.
    pub fn start(self, masker: Arc<Masker>) -> Result<Relay> {
        let shared = Arc::new(Shared {
            open: Mutex::new((0, BTreeMap::new())),
            stop: AtomicBool::new(false),
            masker,
            client_key: self.client_key,
            kernel_key: self.kernel_key,
        });
        let listeners = self.listeners;
        let sockets = self.sockets;
        let s = Arc::clone(&shared);
        let spawn_err = |e: io::Error| Error::Failed(format!("start the Jupyter relay: {e}"));
        let accept = std::thread::Builder::new()
            .name("jupyter-relay".into())
            .spawn(move || accept_loop(&listeners, &sockets, &s))
            .map_err(spawn_err)?;
        let s = Arc::clone(&shared);
        let parent = self.parent;
        let watch = std::thread::Builder::new()
            .name("jupyter-parent".into())
            .spawn(move || parent_watch(parent, &s))
            .map_err(spawn_err)?;
        Ok(Relay {
            shared,
            threads: vec![accept, watch],
        })
    }
}

/// A stream the relay may have to shut down.
enum Open {
    Tcp(Arc<TcpStream>),
    Unix(Arc<UnixStream>),
}

impl Open {
    fn shutdown(&self) {
        let _ = match self {
            Self::Tcp(s) => s.shutdown(Shutdown::Both),
            Self::Unix(s) => s.shutdown(Shutdown::Both),
        };
    }
}

/// What every relay thread shares.
struct Shared {
    /// Every stream open (by a counter), to shut down when the relay stops; the lock also
    /// orders a new connection against the stop.
    open: Mutex<(u64, BTreeMap<u64, Open>)>,
    stop: AtomicBool,
    masker: Arc<Masker>,
    client_key: Zeroizing<Vec<u8>>,
    kernel_key: Zeroizing<Vec<u8>>,
}

impl Shared {
    /// Keeps `s` to shut down on stop, under the id returned; `None` (and `s` shut) if
    /// stopped already.
    fn register(&self, s: Open) -> Option<u64> {
        let mut open = self.open.lock().ok()?;
        if self.stop.load(Ordering::SeqCst) {
            s.shutdown();
            return None;
        }
        open.0 += 1;
        let id = open.0;
        open.1.insert(id, s);
        Some(id)
    }

    /// Forgets the streams kept under `ids` (a connection that ended).
    fn forget(&self, ids: &[u64]) {
        if let Ok(mut open) = self.open.lock() {
            for id in ids {
                open.1.remove(id);
            }
        }
    }
}

/// The running relay; dropping it closes every connection and waits for its threads.
pub struct Relay {
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
}

impl Drop for Relay {
    fn drop(&mut self) {
        if let Ok(open) = self.shared.open.lock() {
            self.shared.stop.store(true, Ordering::SeqCst);
            for s in open.1.values() {
                s.shutdown();
            }
        }
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// A kernel ends when the client that started it dies (ipykernel polls its parent for the
/// same reason); our child's parent is us, so we watch ours, as it was when we started: a
/// SIGTERM to ourselves is forwarded by `run` to the kernel's process group (then SIGKILL
/// after a grace, see `group::set_kernel_mode`), and everything unwinds as for a shutdown.
fn parent_watch(parent: Pid, shared: &Shared) {
    while !shared.stop.load(Ordering::SeqCst) {
        if nix::unistd::getppid() != parent {
            let _ = nix::sys::signal::raise(nix::sys::signal::Signal::SIGTERM);
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Accepts the client's connections on the five ports until the relay stops; each one gets
/// a thread that relays it, up to [`MAX_CONNECTIONS`] at once per channel.
fn accept_loop(listeners: &[TcpListener], sockets: &[PathBuf], shared: &Arc<Shared>) {
    use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
    let mut threads = Vec::new();
    let counts: Arc<Vec<AtomicUsize>> =
        Arc::new((0..CHANNELS.len()).map(|_| AtomicUsize::new(0)).collect());
    while !shared.stop.load(Ordering::SeqCst) {
        let mut fds: Vec<PollFd<'_>> = listeners
            .iter()
            .map(|l| PollFd::new(l.as_fd(), PollFlags::POLLIN))
            .collect();
        match poll(&mut fds, PollTimeout::from(100u16)) {
            Ok(0) | Err(nix::errno::Errno::EINTR) => continue,
            Ok(_) => {}
            Err(_) => break,
        }
        let ready: Vec<usize> = fds
            .iter()
            .enumerate()
            .filter(|(_, f)| f.revents().is_some_and(|r| !r.is_empty()))
            .map(|(i, _)| i)
            .collect();
        for i in ready {
            let client = match listeners[i].accept() {
                Ok((c, _)) => c,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                Err(_) => {
                    // Out of descriptors (EMFILE) and the like: the connection stays
                    // queued, so wait instead of spinning on it.
                    std::thread::sleep(Duration::from_millis(100));
                    continue;
                }
            };
            if counts[i].load(Ordering::SeqCst) >= MAX_CONNECTIONS {
                let _ = client.shutdown(Shutdown::Both);
                continue;
            }
            counts[i].fetch_add(1, Ordering::SeqCst);
            let path = sockets[i].clone();
            let (s, c) = (Arc::clone(shared), Arc::clone(&counts));
            match std::thread::Builder::new()
                .name(format!("jupyter-{}", CHANNELS[i]))
                .spawn(move || {
                    connection(client, &path, &s);
                    c[i].fetch_sub(1, Ordering::SeqCst);
                }) {
                Ok(t) => threads.push(t),
                Err(_) => {
                    counts[i].fetch_sub(1, Ordering::SeqCst);
                }
            }
        }
        threads.retain(|t| !t.is_finished());
    }
    for t in threads {
        let _ = t.join();
    }
}

/// Relays one client connection to a new connection to the kernel's socket `path`, made
/// as soon as the kernel listens there.
fn connection(client: TcpStream, path: &Path, shared: &Shared) {
    let _ = client.set_nonblocking(false);
    let client = Arc::new(client);
    let Some(client_id) = shared.register(Open::Tcp(Arc::clone(&client))) else {
        return;
    };
    relay_connection(&client, path, shared);
    shared.forget(&[client_id]);
}

/// [`connection`] once the client's stream is kept.
fn relay_connection(client: &TcpStream, path: &Path, shared: &Shared) {
    let kernel = loop {
        if shared.stop.load(Ordering::SeqCst) {
            return;
        }
        match UnixStream::connect(path) {
            Ok(k) => break Arc::new(k),
            Err(_) => std::thread::sleep(Duration::from_millis(25)),
        }
    };
    let Some(kernel_id) = shared.register(Open::Unix(Arc::clone(&kernel))) else {
        let _ = client.shutdown(Shutdown::Both);
        return;
    };
    let _ = client.set_nodelay(true);
    let close = || {
        let _ = client.shutdown(Shutdown::Both);
        let _ = kernel.shutdown(Shutdown::Both);
    };
    // When either direction ends (a side closed, a broken frame, a silent client), both
    // connections go, so the other direction ends too and the client reconnects.
    std::thread::scope(|scope| {
        scope.spawn(|| {
            let _ = client.set_read_timeout(Some(GREETING_TIMEOUT));
            let _ = pump(client, &*kernel, shared, || {
                let _ = client.set_read_timeout(None);
            });
            close();
        });
        let _ = pump_to_client(&kernel, client, shared);
        close();
    });
    shared.forget(&[kernel_id]);
}

/// Carries the client's side to the kernel: the greeting (then `greeted`), then commands
/// and messages (checked and signed again) until either end closes.
fn pump(
    mut from: impl io::Read,
    mut to: impl io::Write,
    shared: &Shared,
    greeted: impl FnOnce(),
) -> io::Result<()> {
    zmtp::greeting(&mut from, &mut to)?;
    greeted();
    let mut reader = zmtp::Reader::new(from);
    let mut writer = zmtp::Writer::new(to);
    loop {
        match reader.next()? {
            zmtp::Read1::End => return Ok(()),
            zmtp::Read1::Command(c) => {
                if let Some(c) = command::filter(&c, None) {
                    writer.command(&c)?;
                }
            }
            zmtp::Read1::Message(frames) => {
                if let Some(frames) =
                    wire::to_kernel(frames, &shared.client_key, &shared.kernel_key)
                {
                    writer.message(&frames)?;
                }
            }
        }
    }
}

/// Carries the kernel's side to the client, masked: commands filtered, messages masked
/// and signed with the client's key, stream output held back where it may go on with a
/// value (see `stream.rs`) and released when due.
fn pump_to_client(from: &UnixStream, to: &TcpStream, shared: &Shared) -> io::Result<()> {
    use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
    let (mut r, mut w) = (from, to);
    zmtp::greeting(&mut r, &mut w)?;
    let mut reader = zmtp::Reader::new(from);
    let mut writer = zmtp::Writer::new(to);
    let masker = &*shared.masker;
    let mut carry = stream::Carry::new(masker);
    let send = |writer: &mut zmtp::Writer<&TcpStream>, msgs: Vec<Vec<zmtp::Frame>>| {
        for m in msgs {
            if let Some(out) = wire::to_client(m, &shared.kernel_key, &shared.client_key, masker) {
                writer.message(&out)?;
            }
        }
        Ok::<(), io::Error>(())
    };
    loop {
        // Held output waits for the kernel's next bytes until it is due.
        if let Some(due) = carry.due_at()
            && !reader.buffered()
        {
            let left = due.saturating_duration_since(std::time::Instant::now());
            let ms = u16::try_from(left.as_millis()).unwrap_or(u16::MAX);
            let mut fds = [PollFd::new(from.as_fd(), PollFlags::POLLIN)];
            if matches!(poll(&mut fds, PollTimeout::from(ms)), Ok(0)) {
                send(&mut writer, carry.due(&shared.kernel_key))?;
                continue;
            }
        }
        match reader.next()? {
            zmtp::Read1::End => {
                send(&mut writer, carry.all(&shared.kernel_key))?;
                return Ok(());
            }
            zmtp::Read1::Command(c) => {
                if let Some(c) = command::filter(&c, Some(masker)) {
                    writer.command(&c)?;
                }
            }
            zmtp::Read1::Message(frames) => {
                send(&mut writer, carry.take(frames, &shared.kernel_key))?;
            }
        }
    }
}
