//! One exit path for `run` (#14): a SIGTERM or SIGINT that reaches aisecrets while it logs
//! in, takes leases or makes a child token leaves nothing behind (every token and lease it
//! was handed is revoked, no RAM folder is left), starts nothing, and aisecrets still dies
//! of that signal. A slow TCP relay between aisecrets and OpenBao (through `VAULT_ADDR`)
//! holds the request of the step under test, so the signal lands inside it; the relay also
//! keeps every answer, which is how the test knows each token and lease handed out.

use std::io::{Read as _, Write as _};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::unix::process::ExitStatusExt as _;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use nix::sys::signal::Signal;

use crate::util::{World, wait_for};
use crate::vault::{addr, approle, bao_at, bare, need, root_token, unique, vault_world, vcmd};

/// A relay to OpenBao that holds back (for `HOLD`) the answer to each request whose bytes
/// contain its needle, and keeps every answer. The request itself goes on at once: the
/// server has acted on it (issued the token, the lease) while aisecrets waits.
struct Relay {
    address: String,
    /// A request with the needle has arrived (and is being held).
    held: Arc<AtomicBool>,
    /// Every byte OpenBao answered, in order.
    answers: Arc<Mutex<Vec<u8>>>,
    /// Connections still open.
    open: Arc<AtomicUsize>,
}

const HOLD: Duration = Duration::from_millis(1500);

impl Relay {
    fn start(needle: &'static str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = format!("http://{}", listener.local_addr().unwrap());
        let upstream = addr()
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_owned();
        let held = Arc::new(AtomicBool::new(false));
        let answers = Arc::new(Mutex::new(Vec::new()));
        let open = Arc::new(AtomicUsize::new(0));
        let (h, a, o) = (held.clone(), answers.clone(), open.clone());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { return };
                let Ok(server) = TcpStream::connect(&upstream) else {
                    continue;
                };
                o.fetch_add(2, Ordering::SeqCst);
                let (h, a, o1, o2) = (h.clone(), a.clone(), o.clone(), o.clone());
                let (c2, s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                let delay = Arc::new(AtomicBool::new(false));
                let d2 = delay.clone();
                std::thread::spawn(move || {
                    requests(client, server, needle, &h, &delay);
                    o1.fetch_sub(1, Ordering::SeqCst);
                });
                std::thread::spawn(move || {
                    answers_to(s2, c2, &a, &d2);
                    o2.fetch_sub(1, Ordering::SeqCst);
                });
            }
        });
        Self {
            address,
            held,
            answers,
            open,
        }
    }

    /// Every string value of `"key":"..."` in the answers so far.
    fn values_of(&self, key: &str) -> Vec<String> {
        let text = String::from_utf8_lossy(&self.answers.lock().unwrap()).into_owned();
        let pattern = format!("\"{key}\":\"");
        text.match_indices(&pattern)
            .filter_map(|(i, _)| {
                let rest = &text[i + pattern.len()..];
                rest.find('"').map(|end| rest[..end].to_owned())
            })
            .filter(|v| !v.is_empty())
            .collect()
    }
}

/// aisecrets -> OpenBao; a request that holds `needle` has its answer delayed.
fn requests(
    mut client: TcpStream,
    mut server: TcpStream,
    needle: &str,
    held: &AtomicBool,
    delay: &AtomicBool,
) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match client.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if !needle.is_empty()
            && buf[..n]
                .windows(needle.len())
                .any(|w| w == needle.as_bytes())
        {
            delay.store(true, Ordering::SeqCst);
            held.store(true, Ordering::SeqCst);
        }
        if server.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = server.shutdown(Shutdown::Write);
}

/// OpenBao -> aisecrets, keeping a copy; an answer to be delayed waits `HOLD` first.
fn answers_to(
    mut server: TcpStream,
    mut client: TcpStream,
    answers: &Mutex<Vec<u8>>,
    delay: &AtomicBool,
) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match server.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        answers.lock().unwrap().extend_from_slice(&buf[..n]);
        if delay.swap(false, Ordering::SeqCst) {
            std::thread::sleep(HOLD);
        }
        if client.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = client.shutdown(Shutdown::Write);
}

/// A Vault environment reached by AppRole (so the login token is aisecrets' own to
/// revoke) with a leased `DATABASE_URL`, a file secret, and a child token for
/// `--vault-token`; returns the world, AppRole's role id and secret id.
fn signal_world() -> (World, String, String) {
    let port = need("AISECRETS_TEST_PG_PORT");
    let policy = unique("p-stop");
    let (w, path) = vault_world(&format!(
        "\n[environments.prod.leases]\nDATABASE_URL = {{ path = \"database/creds/train\", template = \"postgres://{{{{username}}}}:{{{{password}}}}@127.0.0.1:{port}/ml\" }}\n\n[environments.prod.child_token]\nttl = \"10m\"\npolicies = [\"{policy}\"]\n\n[files]\nGOOGLE_APPLICATION_CREDENTIALS = \"gcp-sa.json\"\n"
    ));
    vcmd(
        &w,
        ["set", "GOOGLE_APPLICATION_CREDENTIALS", "--env", "prod"],
    )
    .stdin("{\"type\": \"service_account\", \"private_key\": \"FAKE-stop\"}")
    .ok();
    let rules = format!(
        "path \"secret/data/{path}\" {{ capabilities = [\"read\"] }}\npath \"database/creds/train\" {{ capabilities = [\"read\"] }}\npath \"auth/token/create\" {{ capabilities = [\"update\"] }}\npath \"sys/leases/revoke\" {{ capabilities = [\"update\"] }}\npath \"sys/leases/renew\" {{ capabilities = [\"update\"] }}\n"
    );
    let (_, role_id, secret_id) = approle(&w, &policy, &rules, "10m");
    (w, role_id, secret_id)
}

/// Runs `run --vault-token` through a relay holding `needle`, sends `sig` when the held
/// request arrives (or, with no needle, once the child runs), and returns the exit status
/// and what was left behind (or went wrong), one line each.
fn stop_during(needle: &'static str, sig: Signal) -> (std::process::ExitStatus, Vec<String>) {
    let (w, role_id, secret_id) = signal_world();
    let relay = Relay::start(needle);
    let ram = tempfile::tempdir_in("/dev/shm").unwrap();
    let marker = w.path("started");
    let mut c = bare(
        &w,
        [
            "run",
            "--env",
            "prod",
            "--vault-token",
            "--",
            "sh",
            "-c",
            "touch \"$MARKER\"; exec sleep 30",
        ],
    )
    .env("VAULT_ADDR", &relay.address)
    .env("VAULT_ROLE_ID", &role_id)
    .env("VAULT_SECRET_ID", &secret_id)
    .env("XDG_RUNTIME_DIR", ram.path())
    .env("MARKER", &marker)
    .cmd;
    let mut child = c
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let in_child = needle.is_empty();
    if in_child {
        wait_for("the child", || marker.exists());
    } else {
        wait_for(needle, || relay.held.load(Ordering::SeqCst));
    }
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(child.id() as i32), sig).unwrap();
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    let _ = child.stderr.take().unwrap().read_to_string(&mut stderr);
    // Whatever aisecrets left in flight reaches the server before we look.
    wait_for("the relay's connections to close", || {
        relay.open.load(Ordering::SeqCst) == 0
    });
    let mut wrong = Vec::new();
    if marker.exists() != in_child {
        wrong.push(format!("{needle} {sig}: the command started"));
    }
    let tokens = relay.values_of("client_token");
    if tokens.is_empty() {
        wrong.push(format!("{needle} {sig}: no login seen"));
    }
    for (i, t) in tokens.iter().enumerate() {
        if bao_at(&addr(), t, &["token", "lookup"]).status.success() {
            wrong.push(format!(
                "{needle} {sig}: token {} of {} aisecrets was given is still live",
                i + 1,
                tokens.len()
            ));
        }
    }
    for id in relay.values_of("lease_id") {
        if bao_at(&addr(), &root_token(), &["lease", "lookup", &id])
            .status
            .success()
        {
            wrong.push(format!("{needle} {sig}: lease {id} is still live"));
        }
    }
    let left: Vec<_> = std::fs::read_dir(ram.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    if !left.is_empty() {
        wrong.push(format!("{needle} {sig}: left in RAM: {left:?}"));
    }
    if !wrong.is_empty() {
        wrong.push(format!("(stderr: {})", stderr.trim()));
    }
    (status, wrong)
}

#[test]
fn a_signal_while_logging_in_leasing_or_making_a_token_leaves_nothing_and_kills_aisecrets() {
    let mut failures = Vec::new();
    for needle in [
        "POST /v1/auth/approle/login",
        "GET /v1/database/creds/train",
        "POST /v1/auth/token/create",
    ] {
        for sig in [Signal::SIGTERM, Signal::SIGINT] {
            let (status, mut wrong) = stop_during(needle, sig);
            if status.signal() != Some(sig as i32) {
                wrong.push(format!(
                    "{needle}: aisecrets did not die of {sig}: {status:?}"
                ));
            }
            failures.extend(wrong);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_signal_while_the_child_runs_is_its_and_still_leaves_nothing() {
    // Forwarded to the child, whose death (128 + 15) is aisecrets' exit status.
    let (status, wrong) = stop_during("", Signal::SIGTERM);
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert_eq!(status.code(), Some(143), "{status:?}");
}
