//! `run --proxy` (#15): a local HTTP proxy for one child, which holds placeholders instead of
//! keys; the proxy puts the real value on the wire, only toward the hosts its rule names.
//!
//! The contract with `--jail` (kept exactly):
//! - [`start`]`(listener, plan)` serves on an already-bound listener: the jail hands one
//!   bound inside the child's network namespace; without `--jail`, [`bind_loopback`] binds
//!   127.0.0.1:0.
//! - [`Running::child_env`]`(addr)` gives the child `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY`
//!   (and lower-case) with the per-run credential, for `addr`, the address the child must
//!   use (the listener's own without the jail; 127.0.0.1:PORT inside the namespace with
//!   it), and `SSL_CERT_FILE`/`REQUESTS_CA_BUNDLE`/`CURL_CA_BUNDLE`/`NODE_EXTRA_CA_CERTS`
//!   naming the bundle (system roots + the per-run CA) in the run's RAM folder.
//! - [`Running`] stops the proxy when dropped.
//! - [`Plan`] is built from the selected secrets, the rules and the user's config.
//!
//! Threads, no async runtime: one accepting thread, one thread per connection.

mod ca;
mod http;
pub mod placeholder;
pub mod rules;
mod serve;
mod swap;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::net::{SocketAddr, TcpListener};
use std::os::fd::AsFd as _;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};

use anyhow::{Context as _, Result};
use base64::Engine as _;
use zeroize::Zeroizing;

pub use rules::Rule;

use crate::run::ramdir::RamDir;

/// One secret the child gets as a placeholder.
pub struct Proxied {
    /// Its name.
    pub name: String,
    /// The real value, only ever written toward the rule's hosts.
    real: Zeroizing<String>,
    /// What the child holds instead.
    pub placeholder: String,
    /// Where it may go.
    pub rule: Rule,
}

impl std::fmt::Debug for Proxied {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Proxied")
            .field("name", &self.name)
            .field("rule", &self.rule)
            .finish_non_exhaustive()
    }
}

/// What the proxy reports: a key put on the wire, or refused.
#[derive(Debug, Clone)]
pub struct Event {
    /// The secret's name.
    pub secret: String,
    /// The host it was headed to.
    pub host: String,
    /// Refused (an exfiltration attempt) rather than sent.
    pub refused: bool,
}

/// What the proxy does for one run.
#[derive(Debug, Default)]
pub struct Plan {
    /// The secrets behind placeholders.
    pub secrets: Vec<Proxied>,
    /// `[proxy] resolve` of the user's config: host to `ADDR:PORT`.
    pub resolve: BTreeMap<String, String>,
    /// `[proxy] upstream_ca_files` of the user's config.
    pub upstream_ca_files: Vec<PathBuf>,
    /// `--egress=strict`: no tunnel or plain HTTP to hosts without rules.
    pub egress_strict: bool,
    /// Where events go (the audit log, written by `run`).
    pub events: Option<mpsc::Sender<Event>>,
}

impl Plan {
    /// Adds `name` behind a placeholder when it has a rule: the manifest's
    /// (`declared`) first, else a built-in one. Returns the placeholder, `None` when the
    /// secret has no rule.
    pub fn add(&mut self, name: &str, value: &str, declared: Option<Rule>) -> Option<&str> {
        let rule = declared.or_else(|| Rule::built_in(name, value))?;
        let taken: Vec<String> = self.secrets.iter().map(|s| s.placeholder.clone()).collect();
        let placeholder = placeholder::make(value, &taken);
        self.secrets.push(Proxied {
            name: name.to_owned(),
            real: Zeroizing::new(value.to_owned()),
            placeholder,
            rule,
        });
        self.secrets.last().map(|s| s.placeholder.as_str())
    }
}

/// The state connections share.
struct Shared {
    secrets: Vec<Proxied>,
    resolve: BTreeMap<String, String>,
    egress_strict: bool,
    events: Option<std::sync::Mutex<mpsc::Sender<Event>>>,
    ca: ca::Authority,
    /// The upstream TLS configuration, made at the first upstream connection.
    client_tls: std::sync::OnceLock<std::result::Result<Arc<rustls::ClientConfig>, String>>,
    /// The system roots (PEM) and the user's `upstream_ca_files`, for it.
    system_pem: String,
    extra_roots: Vec<rustls_pki_types::CertificateDer<'static>>,
    /// The whole `Proxy-Authorization` value expected.
    proxy_auth: String,
    /// Real values back to placeholders, in answers.
    swapper: swap::Swapper,
    /// The placeholders, in the order of `secrets`, to find them in request bodies.
    placeholders: Option<aho_corasick::AhoCorasick>,
}

impl Shared {
    fn intercepts(&self, host: &str) -> bool {
        self.secrets.iter().any(|s| s.rule.has_host(host))
    }

    fn address(&self, host: &str, port: u16) -> String {
        self.resolve
            .iter()
            .find(|(h, _)| h.eq_ignore_ascii_case(host))
            .map_or_else(|| format!("{host}:{port}"), |(_, a)| a.clone())
    }

    /// The upstream TLS configuration: the system roots plus `upstream_ca_files`.
    fn client_tls(&self) -> std::io::Result<Arc<rustls::ClientConfig>> {
        self.client_tls
            .get_or_init(|| {
                let mut roots = rustls::RootCertStore::empty();
                roots.add_parsable_certificates(ca::parse_roots(&self.system_pem));
                roots.add_parsable_certificates(self.extra_roots.iter().cloned());
                let mut client = rustls::ClientConfig::builder_with_provider(provider())
                    .with_safe_default_protocol_versions()
                    .map_err(|e| e.to_string())?
                    .with_root_certificates(roots)
                    .with_no_client_auth();
                client.alpn_protocols = vec![b"http/1.1".to_vec()];
                Ok(Arc::new(client))
            })
            .clone()
            .map_err(std::io::Error::other)
    }

    fn event(&self, e: Event) {
        if let Some(tx) = &self.events
            && let Ok(tx) = tx.lock()
        {
            let _ = tx.send(e);
        }
    }
}

/// The proxy, running; stopped on drop.
pub struct Running {
    stop: Arc<AtomicBool>,
    /// Written on drop, to wake the accepting thread at once.
    wake: Option<std::os::fd::OwnedFd>,
    thread: Option<std::thread::JoinHandle<()>>,
    user: String,
    bundle: PathBuf,
    _dir: RamDir,
}

/// rustls' crypto: ring, as ureq's.
fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A listener on 127.0.0.1, any free port.
///
/// # Errors
/// The bind failed.
pub fn bind_loopback() -> Result<TcpListener> {
    TcpListener::bind(("127.0.0.1", 0)).context("listen on 127.0.0.1 for the proxy")
}

/// Starts serving on `listener`.
///
/// # Errors
/// The CA, the RAM folder, the bundle or `upstream_ca_files` failed.
pub fn start(listener: TcpListener, plan: Plan) -> Result<Running> {
    let ca = ca::Authority::new()?;
    let dir = RamDir::create("proxy").map_err(|e| anyhow::anyhow!("{e}"))?;
    let system_pem = ca::system_pem();
    let bundle = dir
        .write(
            "ca-bundle.pem",
            ca::bundle(&system_pem, &ca.pem()).as_bytes(),
        )
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    // The user's own CAs are checked now, so a bad file stops the run before the child.
    let extra_roots = ca::read_ca_files(&plan.upstream_ca_files)?;
    let mut check = rustls::RootCertStore::empty();
    for c in &extra_roots {
        check
            .add(c.clone())
            .context("a certificate of [proxy] upstream_ca_files is not usable")?;
    }
    let user = crate::keys::seal::random_id(16);
    let proxy_auth = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("aisecrets:{user}"))
    );
    let swapper = swap::Swapper::new(plan.secrets.iter().map(|s| {
        (
            s.real.as_bytes().to_vec(),
            s.placeholder.as_bytes().to_vec(),
        )
    }));
    let placeholders = if plan.secrets.is_empty() {
        None
    } else {
        Some(
            aho_corasick::AhoCorasick::new(plan.secrets.iter().map(|s| s.placeholder.as_bytes()))
                .context("index the placeholders")?,
        )
    };
    let shared = Arc::new(Shared {
        placeholders,
        secrets: plan.secrets,
        resolve: plan.resolve,
        egress_strict: plan.egress_strict,
        events: plan.events.map(std::sync::Mutex::new),
        ca,
        client_tls: std::sync::OnceLock::new(),
        system_pem,
        extra_roots,
        proxy_auth,
        swapper,
    });
    listener
        .set_nonblocking(true)
        .context("set the proxy's listener non-blocking")?;
    let stop = Arc::new(AtomicBool::new(false));
    let stopping = Arc::clone(&stop);
    let (woken, wake) = nix::unistd::pipe().context("make the proxy's wake-up pipe")?;
    let thread = std::thread::Builder::new()
        .name("proxy".into())
        .spawn(move || accept(&listener, &woken, &shared, &stopping))
        .context("start the proxy thread")?;
    Ok(Running {
        stop,
        wake: Some(wake),
        thread: Some(thread),
        user,
        bundle,
        _dir: dir,
    })
}

fn accept(
    listener: &TcpListener,
    woken: &std::os::fd::OwnedFd,
    shared: &Arc<Shared>,
    stop: &AtomicBool,
) {
    use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
    while !stop.load(Ordering::Relaxed) {
        let mut fds = [
            PollFd::new(listener.as_fd(), PollFlags::POLLIN),
            PollFd::new(woken.as_fd(), PollFlags::POLLIN),
        ];
        if poll(&mut fds, PollTimeout::from(1000u16)).unwrap_or(0) == 0 {
            continue;
        }
        if fds[1].any().unwrap_or(true) {
            return;
        }
        let Ok((conn, _)) = listener.accept() else {
            continue;
        };
        let _ = conn.set_nonblocking(false);
        let shared = Arc::clone(shared);
        let _ = std::thread::Builder::new()
            .name("proxy-conn".into())
            .stack_size(256 * 1024)
            .spawn(move || {
                let _ = serve::connection(conn, &shared);
            });
    }
}

impl Running {
    /// The child's proxy and CA variables, for a child that reaches the proxy at `addr`.
    #[must_use]
    pub fn child_env(&self, addr: SocketAddr) -> Vec<(OsString, OsString)> {
        let url = format!("http://aisecrets:{}@{addr}", self.user);
        let mut out = Vec::new();
        for name in ["HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY"] {
            out.push((OsString::from(name), OsString::from(&url)));
            out.push((
                OsString::from(name.to_ascii_lowercase()),
                OsString::from(&url),
            ));
        }
        // Nothing goes around the proxy because of an inherited exception list.
        out.push(("NO_PROXY".into(), OsString::new()));
        out.push(("no_proxy".into(), OsString::new()));
        for name in [
            "SSL_CERT_FILE",
            "REQUESTS_CA_BUNDLE",
            "CURL_CA_BUNDLE",
            "NODE_EXTRA_CA_CERTS",
        ] {
            out.push((OsString::from(name), self.bundle.clone().into_os_string()));
        }
        out
    }

    /// The bundle the child trusts.
    #[must_use]
    pub fn bundle(&self) -> &std::path::Path {
        &self.bundle
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Closing the pipe's write end wakes the accepting thread (POLLHUP).
        drop(self.wake.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
