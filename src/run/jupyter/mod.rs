//! The Jupyter kernel under aisecrets (#18): a relay between the Jupyter client (notebook
//! server, `jupyter_client`) and the real kernel, so that no secret value reaches the
//! notebook through the messaging sockets, where `run --mask` cannot see.
//!
//! aisecrets binds the five ports of the client's connection file itself, writes a second
//! connection file for the kernel (in the run's RAM folder: fresh ports on 127.0.0.1 and a
//! new random key, so the kernel never learns the client's), and relays each connection the
//! client makes to a fresh connection to the kernel's matching port. Messages from the
//! kernel are masked and signed again with the client's key (see `wire.rs`); the relay ends
//! when the kernel does. Threads only, no ZeroMQ library: ZMTP 3 is small (see `zmtp.rs`).

pub mod python;
mod wire;
mod zmtp;

use std::collections::BTreeMap;
use std::io;
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::{Value, json};
use zeroize::Zeroizing;

use crate::base::error::{Error, Result};
use crate::base::mask::Masker;
use crate::run::ramdir::RamDir;

/// The channels, in the order of their ports here.
const CHANNELS: [&str; 5] = ["shell", "iopub", "stdin", "control", "hb"];

/// The largest connection file read.
const MAX_CONNECTION_FILE: u64 = 64 * 1024;

/// The client's ports, bound; the kernel's connection file, written; ready to relay.
pub struct Plan {
    listeners: Vec<TcpListener>,
    kernel_ports: Vec<u16>,
    client_key: Zeroizing<Vec<u8>>,
    kernel_key: Zeroizing<Vec<u8>>,
    kernel_file: PathBuf,
}

fn bad_file(path: &Path, what: &str) -> Error {
    Error::Failed(format!(
        "the Jupyter connection file {} {what}: start the kernel from Jupyter (its kernel.json passes {{connection_file}})",
        path.display()
    ))
}

impl Plan {
    /// Reads the client's connection file `client`, binds its five ports, and writes the
    /// kernel's connection file into `dir`.
    pub fn bind(client: &Path, dir: &RamDir) -> Result<Self> {
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
            listeners.push(l);
        }
        // The kernel's ports: free ones on loopback, as jupyter_client picks them.
        let mut kernel_ports = Vec::with_capacity(CHANNELS.len());
        let probes: Vec<TcpListener> = (0..CHANNELS.len())
            .map(|_| TcpListener::bind("127.0.0.1:0"))
            .collect::<io::Result<_>>()
            .map_err(|e| {
                Error::Failed(format!("find free ports on 127.0.0.1 for the kernel: {e}"))
            })?;
        for p in &probes {
            kernel_ports.push(
                p.local_addr()
                    .map_err(|e| Error::Failed(format!("find free ports for the kernel: {e}")))?
                    .port(),
            );
        }
        drop(probes);
        let kernel_key = Zeroizing::new(crate::keys::seal::random_id(32).into_bytes());
        let mut file = json!({
            "ip": "127.0.0.1",
            "transport": "tcp",
            "signature_scheme": "hmac-sha256",
            "key": String::from_utf8_lossy(&kernel_key),
            "kernel_name": text("kernel_name").unwrap_or(""),
        });
        for (ch, port) in CHANNELS.iter().zip(&kernel_ports) {
            file[format!("{ch}_port")] = json!(port);
        }
        let kernel_file = dir.write(
            "kernel.json",
            &Zeroizing::new(file.to_string().into_bytes()),
        )?;
        Ok(Self {
            listeners,
            kernel_ports,
            client_key,
            kernel_key,
            kernel_file,
        })
    }

    /// The connection file to give the kernel instead of the client's.
    #[must_use]
    pub fn kernel_file(&self) -> &Path {
        &self.kernel_file
    }

    /// Starts relaying, masking with `masker`; the relay stops when dropped.
    pub fn start(self, masker: Masker) -> Result<Relay> {
        let shared = Arc::new(Shared {
            open: Mutex::new((0, BTreeMap::new())),
            stop: AtomicBool::new(false),
            masker,
            client_key: self.client_key,
            kernel_key: self.kernel_key,
        });
        let listeners = self.listeners;
        let ports = self.kernel_ports;
        let s = Arc::clone(&shared);
        let accept = std::thread::Builder::new()
            .name("jupyter-relay".into())
            .spawn(move || accept_loop(&listeners, &ports, &s))
            .map_err(|e| Error::Failed(format!("start the Jupyter relay: {e}")))?;
        Ok(Relay {
            shared,
            accept: Some(accept),
        })
    }
}

/// What every relay thread shares.
struct Shared {
    /// Every stream open (by a counter), to shut down when the relay stops; the lock also
    /// orders a new connection against the stop.
    open: Mutex<(u64, BTreeMap<u64, TcpStream>)>,
    stop: AtomicBool,
    masker: Masker,
    client_key: Zeroizing<Vec<u8>>,
    kernel_key: Zeroizing<Vec<u8>>,
}

impl Shared {
    /// Keeps a clone of `s` to shut down on stop, under the id returned; `None` (and `s`
    /// shut) if stopped already.
    fn register(&self, s: &TcpStream) -> Option<u64> {
        let mut open = self.open.lock().ok()?;
        if self.stop.load(Ordering::SeqCst) {
            let _ = s.shutdown(Shutdown::Both);
            return None;
        }
        let clone = s.try_clone().ok()?;
        open.0 += 1;
        let id = open.0;
        open.1.insert(id, clone);
        Some(id)
    }

    /// Closes the streams kept under `ids` (a connection that ended).
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
    accept: Option<JoinHandle<()>>,
}

impl Drop for Relay {
    fn drop(&mut self) {
        if let Ok(open) = self.shared.open.lock() {
            self.shared.stop.store(true, Ordering::SeqCst);
            for s in open.1.values() {
                let _ = s.shutdown(Shutdown::Both);
            }
        }
        if let Some(t) = self.accept.take() {
            let _ = t.join();
        }
    }
}

/// Accepts the client's connections on the five ports until the relay stops; each one gets
/// a thread that relays it.
fn accept_loop(listeners: &[TcpListener], ports: &[u16], shared: &Arc<Shared>) {
    use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
    let mut threads = Vec::new();
    // A kernel ends when the client that started it dies (ipykernel polls its parent for
    // the same reason); our child's parent is us, so we watch ours: a SIGTERM to ourselves
    // is forwarded to the kernel by `run`, and everything unwinds as for a shutdown.
    let parent = nix::unistd::getppid();
    while !shared.stop.load(Ordering::SeqCst) {
        if nix::unistd::getppid() != parent {
            let _ = nix::sys::signal::raise(nix::sys::signal::Signal::SIGTERM);
            parent_gone_wait(shared);
            break;
        }
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
            let Ok((client, _)) = listeners[i].accept() else {
                continue;
            };
            let port = ports[i];
            let s = Arc::clone(shared);
            if let Ok(t) = std::thread::Builder::new()
                .name(format!("jupyter-{}", CHANNELS[i]))
                .spawn(move || connection(client, port, &s))
            {
                threads.push(t);
            }
        }
        threads.retain(|t| !t.is_finished());
    }
    for t in threads {
        let _ = t.join();
    }
}

/// Waits for the relay to be stopped (the kernel has ended after our SIGTERM).
fn parent_gone_wait(shared: &Shared) {
    while !shared.stop.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Relays one client connection to a new connection to the kernel's `port`, made as soon
/// as the kernel listens there.
fn connection(client: TcpStream, port: u16, shared: &Shared) {
    let Some(client_id) = shared.register(&client) else {
        return;
    };
    relay_connection(&client, port, shared);
    shared.forget(&[client_id]);
}

/// [`connection`] once the client's stream is kept.
fn relay_connection(client: &TcpStream, port: u16, shared: &Shared) {
    let kernel = loop {
        if shared.stop.load(Ordering::SeqCst) {
            return;
        }
        match TcpStream::connect(("127.0.0.1", port)) {
            Ok(k) => break k,
            Err(_) => std::thread::sleep(Duration::from_millis(25)),
        }
    };
    let Some(kernel_id) = shared.register(&kernel) else {
        let _ = client.shutdown(Shutdown::Both);
        return;
    };
    let _ = client.set_nodelay(true);
    let _ = kernel.set_nodelay(true);
    let clones = (
        client.try_clone(),
        kernel.try_clone(),
        kernel.try_clone(),
        client.try_clone(),
    );
    let (Ok(c_in), Ok(k_out), Ok(k_in), Ok(c_out)) = clones else {
        return;
    };
    let close = || {
        let _ = client.shutdown(Shutdown::Both);
        let _ = kernel.shutdown(Shutdown::Both);
    };
    // When either direction ends (a side closed, a broken frame), both connections go, so
    // the other direction ends too and the client reconnects to a fresh relay.
    std::thread::scope(|scope| {
        scope.spawn(|| {
            let _ = pump(c_in, k_out, Direction::ToKernel, shared);
            close();
        });
        let _ = pump(k_in, c_out, Direction::ToClient, shared);
        close();
    });
    shared.forget(&[kernel_id]);
}

/// Which way a pump carries messages.
#[derive(Clone, Copy)]
enum Direction {
    ToKernel,
    ToClient,
}

/// Carries one direction of a connection: the greeting, then commands and messages until
/// either end closes.
fn pump(mut from: TcpStream, mut to: TcpStream, dir: Direction, shared: &Shared) -> io::Result<()> {
    zmtp::greeting(&mut from, &mut to)?;
    let mut reader = zmtp::Reader::new(from);
    let mut writer = zmtp::Writer::new(to);
    loop {
        match reader.next()? {
            zmtp::Read1::End => return Ok(()),
            zmtp::Read1::Command(c) => writer.command(&c)?,
            zmtp::Read1::Message(frames) => {
                let out = match dir {
                    Direction::ToKernel => {
                        wire::to_kernel(frames, &shared.client_key, &shared.kernel_key)
                    }
                    Direction::ToClient => wire::to_client(
                        frames,
                        &shared.kernel_key,
                        &shared.client_key,
                        &shared.masker,
                    ),
                };
                if let Some(frames) = out {
                    writer.message(&frames)?;
                }
            }
        }
    }
}
