//! Identities sealed to a TPM 2.0 (#19), against a real software TPM: each test starts its
//! own `swtpm` (Debian's, installed by scripts/install-test-deps) on a Unix socket in its
//! temp dir, with a fresh state, so tests run in parallel and a second TPM is one call
//! away. The PIN is typed through a pseudo-terminal as a person would; the TPM's
//! dictionary-attack counter is read independently with `tpm2_getcap` (tpm2-tools).
//! The unlock cache is the kernel keyring of the session scripts/test starts.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use rexpect::session::spawn_command;

use crate::util::{World, terminal_end, wait_for};

pub(crate) const PIN: &str = "4711-fake-pin";
pub(crate) const VALUE: &str = "hf_FAKEtpmSealedValue0000000";

/// A private swtpm: its state folder and socket, killed on drop.
pub(crate) struct Swtpm {
    dir: tempfile::TempDir,
    child: Child,
    /// Its data port on 127.0.0.1, when it listens on TCP rather than a Unix socket.
    port: Option<u16>,
}

impl Swtpm {
    /// One on TCP, as the issue's example spells it (`swtpm:host=127.0.0.1,port=P`); its
    /// control channel stays a Unix socket. A free port is picked, and picked again if
    /// another process takes it first.
    pub(crate) fn start_tcp() -> Self {
        for _ in 0..5 {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let mut t = Self::spawn(&format!("type=tcp,port={port},bindaddr=127.0.0.1"));
            t.port = Some(port);
            let up = (0..200).any(|_| {
                std::thread::sleep(std::time::Duration::from_millis(20));
                std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
            });
            if up && t.child.try_wait().unwrap().is_none() {
                return t;
            }
        }
        panic!("swtpm did not start on a free port");
    }

    pub(crate) fn start() -> Self {
        let t = Self::spawn("type=unixio,path={dir}/sock");
        let sock = t.dir.path().join("sock");
        wait_for("swtpm's socket", || sock.exists());
        t
    }

    /// Starts swtpm with `server` (`{dir}` is its state folder).
    pub(crate) fn spawn(server: &str) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("aisecrets-swtpm")
            .tempdir()
            .unwrap();
        let d = dir.path().display().to_string();
        let child = Command::new("swtpm")
            .args([
                "socket",
                "--tpm2",
                "--tpmstate",
                &format!("dir={d}"),
                "--server",
                &server.replace("{dir}", &d),
                // The control channel is for tpm2-tools only; aisecrets does not use it.
                "--ctrl",
                &format!("type=unixio,path={d}/sock.ctrl"),
                "--flags",
                "not-need-init,startup-clear",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("swtpm (Debian package swtpm): run the tests with scripts/test");
        Self {
            dir,
            child,
            port: None,
        }
    }

    /// The TCTI string that reaches it, as tpm2-tools spells it.
    pub(crate) fn tcti(&self) -> String {
        match self.port {
            Some(port) => format!("swtpm:host=127.0.0.1,port={port}"),
            None => format!("swtpm:path={}", self.dir.path().join("sock").display()),
        }
    }

    /// `TPM2_PT_LOCKOUT_COUNTER`, read by tpm2-tools, not by aisecrets.
    pub(crate) fn failures(&self) -> u32 {
        let out = Command::new("tpm2_getcap")
            .args(["-T", &self.tcti(), "properties-variable"])
            .output()
            .expect("tpm2_getcap (Debian package tpm2-tools)");
        let text = String::from_utf8_lossy(&out.stdout);
        let hex = text
            .lines()
            .find_map(|l| l.trim().strip_prefix("TPM2_PT_LOCKOUT_COUNTER: 0x"))
            .unwrap_or_else(|| panic!("no lockout counter in:\n{text}"));
        u32::from_str_radix(hex.trim(), 16).unwrap()
    }
}

impl Drop for Swtpm {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A relay between aisecrets and a swtpm that records every byte both ways: what someone
/// sniffing the bus to a discrete TPM would see.
struct Sniffer {
    path: PathBuf,
    seen: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
    _dir: tempfile::TempDir,
}

impl Sniffer {
    /// With `tamper`, the relay also flips the last byte of Unseal's parameters in every
    /// successful answer (an active attacker on the bus).
    fn between(tpm: &Swtpm, tamper: bool) -> Self {
        use std::io::Write;
        use std::os::unix::net::{UnixListener, UnixStream};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("relay");
        let listener = UnixListener::bind(&path).unwrap();
        let target = tpm.dir.path().join("sock");
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = seen.clone();
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(mut client) = client else { return };
                let mut server = UnixStream::connect(&target).unwrap();
                // TPM traffic is strictly a command, then its response.
                while let Some(command) = frame(&mut client) {
                    server.write_all(&command).unwrap();
                    let mut response = frame(&mut server).unwrap();
                    let unseal = command[6..10] == [0, 0, 1, 0x5E];
                    if tamper && unseal && response[6..10] == [0, 0, 0, 0] {
                        // Body: parameterSize, then the parameters; flip their last byte.
                        let n = u32::from_be_bytes(response[10..14].try_into().unwrap());
                        response[13 + n as usize] ^= 1;
                    }
                    client.write_all(&response).unwrap();
                    let mut log = log.lock().unwrap();
                    log.extend_from_slice(&command);
                    log.extend_from_slice(&response);
                }
            }
        });
        Self {
            path,
            seen,
            _dir: dir,
        }
    }

    fn tcti(&self) -> String {
        format!("swtpm:path={}", self.path.display())
    }

    fn saw(&self, needle: &[u8]) -> bool {
        self.seen
            .lock()
            .unwrap()
            .windows(needle.len())
            .any(|w| w == needle)
    }
}

/// One TPM command or response read whole: its header says its size.
fn frame(s: &mut impl std::io::Read) -> Option<Vec<u8>> {
    let mut buf = vec![0u8; 10];
    s.read_exact(&mut buf).ok()?;
    let size = u32::from_be_bytes(buf[2..6].try_into().unwrap()) as usize;
    buf.resize(size.max(10), 0);
    s.read_exact(&mut buf[10..]).ok()?;
    Some(buf)
}

/// Runs `args` in a pseudo-terminal with `tpm`, answering each PIN prompt with the next of
/// `pins`; returns (prompts seen, everything printed, exit code).
pub(crate) fn in_terminal(
    w: &World,
    tpm: &Swtpm,
    args: &[&str],
    pins: &[&str],
) -> (usize, String, i32) {
    let mut c = w.command(args);
    c.env("TPM2TOOLS_TCTI", tpm.tcti())
        .env("AISECRETS_KEYRING", "keyutils");
    command_in_terminal(c, pins)
}

/// [`in_terminal`] for a command made by the caller.
pub(crate) fn command_in_terminal(c: Command, pins: &[&str]) -> (usize, String, i32) {
    let mut p = spawn_command(c, Some(30_000)).unwrap();
    let (mut prompts, mut text) = (0, String::new());
    // The prompts end in ": " with no newline; "wrong PIN for ..." lines do not match.
    let prompt = r"(PIN for [^\n]*\(TPM\): |PIN for the new TPM identity: |Same PIN again: )";
    loop {
        match p.exp_any(vec![
            rexpect::ReadUntil::Regex(rexpect::reader::Regex::new(prompt).unwrap()),
            rexpect::ReadUntil::EOF,
        ]) {
            Ok((before, found)) if found.ends_with(": ") => {
                text += &(before + &found);
                let pin = pins.get(prompts).copied().unwrap_or(PIN);
                prompts += 1;
                p.send_line(pin).unwrap();
            }
            Ok((before, found)) => {
                text += &(before + &found);
                break;
            }
            Err(e) => panic!("{e}\n{text}"),
        }
    }
    let (text, code) = terminal_end(&mut p, &text, PIN);
    assert!(!text.contains(VALUE), "the value was printed:\n{text}");
    (prompts, text, code)
}

/// An empty world whose outputs must never show the value or the PIN.
pub(crate) fn tpm_world() -> World {
    let mut w = World::empty();
    w.canary(VALUE);
    w.canary(PIN);
    w
}

pub(crate) fn identity_file(w: &World) -> PathBuf {
    w.home.join("identity.age")
}

/// `run` in a child that compares the value itself, so it is never printed.
fn run_sees_value(w: &World, tpm: &Swtpm) -> crate::util::Out {
    w.run_sh("[ \"$HF_TOKEN\" = \"$WANT\" ] && echo same")
        .env("WANT", VALUE)
        .env("TPM2TOOLS_TCTI", tpm.tcti())
        .env("AISECRETS_KEYRING", "keyutils")
        .run()
}

#[test]
fn a_tpm_identity_with_a_pin_makes_sets_and_runs_and_unlocks_like_a_passphrase() {
    let tpm = Swtpm::start();
    let w = tpm_world();
    let with_tpm = |args: &[&str]| {
        w.cmd(args)
            .env("TPM2TOOLS_TCTI", tpm.tcti())
            .env("AISECRETS_KEYRING", "keyutils")
    };

    // Made with a PIN typed twice on a terminal.
    let (prompts, text, code) = in_terminal(&w, &tpm, &["identity", "new", "--tpm"], &[PIN, PIN]);
    assert!(code == 0 && prompts == 2, "{text}");
    assert!(text.contains("sealed to this machine's TPM"), "{text}");
    let file = std::fs::read_to_string(identity_file(&w)).unwrap();
    assert!(file.contains("AISECRETS-TPM-1:pin:"), "{file}");
    assert!(
        !file.contains("AGE-SECRET-KEY"),
        "the key is in the clear:\n{file}"
    );
    // Its public key is an ordinary age recipient.
    let public = with_tpm(&["identity", "show"]).ok().stdout_str();
    assert!(public.trim().starts_with("age1") && file.contains(public.trim()));

    with_tpm(&["init"]).ok();
    // No terminal and nothing unlocked: one line that says what to do.
    with_tpm(&["set", "HF_TOKEN"])
        .stdin(VALUE)
        .fails(1)
        .stderr_has("PIN needs a terminal")
        .stderr_has("aisecrets unlock");
    // unlock (PIN on a pipe here) caches it as a passphrase identity is cached.
    with_tpm(&["unlock"])
        .stdin(format!("{PIN}\n"))
        .ok()
        .stderr_has("unlocked until");
    with_tpm(&["set", "HF_TOKEN"]).stdin(VALUE).ok();
    run_sees_value(&w, &tpm).assert().success().stdout("same\n");
    let status = with_tpm(&["status"]).ok().stdout_str();
    assert!(
        status.contains("sealed to this machine's TPM, PIN, 0 of 3 failed PINs counted"),
        "{status}"
    );
    assert!(
        status.contains("cache:       keyutils, unlocked until"),
        "{status}"
    );

    // After lock it asks again: no terminal fails, a terminal prompts once.
    with_tpm(&["lock"]).ok().stderr_has("keyutils");
    run_sees_value(&w, &tpm)
        .assert()
        .failure()
        .stderr(predicates::str::contains("needs a terminal"));
    let (prompts, text, code) = in_terminal(&w, &tpm, &["run", "--", "true"], &[PIN]);
    assert!(prompts == 1 && code == 0, "{text}");
    // Opened on the terminal, it is cached: the next run asks nothing.
    run_sees_value(&w, &tpm).assert().success().stdout("same\n");
    with_tpm(&["lock"]).ok();

    // A wrong PIN is refused by the TPM and counted by it; on a terminal it is asked
    // again while more than one failure is left before lockout.
    assert_eq!(tpm.failures(), 0);
    let (prompts, text, code) = in_terminal(&w, &tpm, &["unlock"], &["0000", PIN]);
    assert!(prompts == 2 && code == 0, "{text}");
    assert!(
        text.contains("wrong PIN (the TPM counts failures: 1 of 3 before it locks out), try again"),
        "{text}"
    );
    assert_eq!(tpm.failures(), 1, "the TPM did not count the wrong PIN");
    with_tpm(&["lock"]).ok();
    with_tpm(&["unlock"])
        .stdin("9999\n")
        .fails(1)
        .one_line_error()
        .stderr_has("wrong PIN for")
        .stderr_has("(the TPM counts failures: 2 of 3 before it locks out)");
    assert_eq!(tpm.failures(), 2);
    let status = with_tpm(&["status"]).ok().stdout_str();
    assert!(status.contains("2 of 3 failed PINs counted"), "{status}");
    // One failure left: a terminal does not spend it on a retry, so no command locks out.
    let (prompts, text, code) = in_terminal(&w, &tpm, &["run", "--", "true"], &["1111", PIN]);
    assert!(
        prompts == 1 && code == 1 && text.contains("3 of 3"),
        "{text}"
    );
    // Now locked out: its own line, and the right PIN waits for the TPM's recovery.
    with_tpm(&["unlock"])
        .stdin(format!("{PIN}\n"))
        .fails(1)
        .one_line_error()
        .stderr_has("the TPM is locked out after too many wrong PINs")
        .stderr_has("it forgives one failure every");
}

#[test]
fn a_tpm_identity_without_a_pin_needs_no_terminal_and_opens_on_no_other_tpm() {
    let tpm = Swtpm::start_tcp();
    let w = tpm_world();
    let with = |tpm: &Swtpm, args: &[&str]| {
        w.cmd(args)
            .env("TPM2TOOLS_TCTI", tpm.tcti())
            .env("AISECRETS_KEYRING", "none")
    };
    with(&tpm, &["identity", "new", "--tpm", "--no-pin"])
        .ok()
        .stderr_has("sealed to this machine's TPM, no PIN");
    with(&tpm, &["init"]).ok();
    with(&tpm, &["set", "HF_TOKEN"]).stdin(VALUE).ok();
    run_sees_value(&w, &tpm).assert().success().stdout("same\n");
    with(&tpm, &["status"])
        .ok()
        .assert()
        .stdout(predicates::str::contains(
            "sealed to this machine's TPM, no PIN",
        ));
    with(&tpm, &["unlock"]).ok().stderr_has("nothing to unlock");

    // The same file on another TPM (a fresh state: another machine) opens nothing.
    let other = Swtpm::start();
    with(&other, &["get", "HF_TOKEN"])
        .fails(1)
        .one_line_error()
        .stderr_has("this identity is sealed to another machine's TPM")
        .stderr_has("make one here with `aisecrets identity new --tpm` and have a teammate add its recipient");
    // Commands that do not need the values go on without them.
    with(&other, &["list"])
        .ok()
        .assert()
        .stdout(predicates::str::contains("HF_TOKEN"));
    with(&other, &["status"]).ok();
    // Copied elsewhere and named by AISECRETS_IDENTITY_FILE, likewise.
    let copy = w.path("copied-identity.age");
    std::fs::copy(identity_file(&w), &copy).unwrap();
    with(&other, &["run", "--", "true"])
        .env("AISECRETS_IDENTITY_FILE", &copy)
        .fails(1)
        .one_line_error()
        .stderr_has("sealed to another machine's TPM");
    // The right TPM still opens the copy.
    with(&tpm, &["get", "HF_TOKEN"])
        .env("AISECRETS_IDENTITY_FILE", &copy)
        .reveals()
        .ok()
        .assert()
        .stdout(format!("{VALUE}\n"));
}

#[test]
fn no_tpm_or_an_unsupported_tcti_is_one_line_and_creates_nothing() {
    let w = World::empty();
    w.cmd(["identity", "new", "--tpm", "--no-pin"])
        .env(
            "TPM2TOOLS_TCTI",
            format!("swtpm:path={}", w.path("no-such-socket").display()),
        )
        .fails(1)
        .one_line_error()
        .stderr_has("no TPM at swtpm:path=")
        .stderr_has("set TPM2TOOLS_TCTI");
    w.cmd(["identity", "new", "--tpm", "--no-pin"])
        .env_remove("TPM2TOOLS_TCTI")
        .env("TCTI", "tabrmd:bus_type=session")
        .fails(1)
        .one_line_error()
        .stderr_has("the `tabrmd` TCTI is not supported")
        .stderr_has("swtpm:host=HOST,port=PORT");
    assert!(!identity_file(&w).exists());
    // --no-pin only with --tpm; --tpm not with --no-passphrase.
    w.cmd(["identity", "new", "--no-pin"]).fails(2);
    w.cmd(["identity", "new", "--tpm", "--no-passphrase"])
        .fails(2);
}

/// Someone who can read the bus to the TPM (a discrete chip's LPC/SPI lines, or root
/// interposing on the device) sees neither the PIN, nor its hash, nor the identity, when it
/// is sealed nor when it is unsealed: a salted HMAC session keys the PIN into HMACs and
/// encrypts the secret parameters both ways. With the first version's password sessions,
/// this test saw the PIN's SHA-256 in Unseal's command and `AGE-SECRET-KEY-1` in Create's
/// command and Unseal's response.
#[test]
fn the_pin_and_the_identity_never_cross_the_bus_in_the_clear() {
    use sha2::Digest;
    let tpm = Swtpm::start();
    let sniffer = Sniffer::between(&tpm, false);
    let w = tpm_world();
    let with = |args: &[&str]| {
        w.cmd(args)
            .env("TPM2TOOLS_TCTI", sniffer.tcti())
            .env("AISECRETS_KEYRING", "keyutils")
    };
    with(&["identity", "new", "--tpm"])
        .stdin(format!("{PIN}\n"))
        .ok();
    with(&["init"]).ok();
    with(&["unlock"]).stdin(format!("{PIN}\n")).ok();
    with(&["set", "HF_TOKEN"]).stdin(VALUE).ok();
    with(&["lock"]).ok();
    with(&["unlock"]).stdin("0000\n").fails(1);
    with(&["unlock"]).stdin(format!("{PIN}\n")).ok();
    with(&["get", "HF_TOKEN"]).reveals().ok();
    assert!(sniffer.saw(&[0x80, 0x02]), "the relay saw no TPM traffic");
    let hash = sha2::Sha256::digest(PIN.as_bytes());
    let leaks: Vec<&str> = [
        (sniffer.saw(b"AGE-SECRET-KEY-1"), "the identity"),
        (sniffer.saw(PIN.as_bytes()), "the PIN"),
        (sniffer.saw(&hash[..16]), "the PIN's hash"),
    ]
    .into_iter()
    .filter_map(|(seen, what)| seen.then_some(what))
    .collect();
    assert!(leaks.is_empty(), "crossed the bus in the clear: {leaks:?}");
    assert_eq!(tpm.failures(), 1, "the wrong PIN was counted");
}

/// An active attacker on the bus who changes the TPM's answer is caught by the session's
/// response HMAC: aisecrets refuses in one line and uses nothing from the answer.
#[test]
fn a_tampered_answer_from_the_tpm_is_refused() {
    let tpm = Swtpm::start();
    let w = tpm_world();
    let with = |tcti: &str, args: &[&str]| {
        w.cmd(args)
            .env("TPM2TOOLS_TCTI", tcti)
            .env("AISECRETS_KEYRING", "none")
    };
    with(&tpm.tcti(), &["identity", "new", "--tpm", "--no-pin"]).ok();
    with(&tpm.tcti(), &["init"]).ok();
    with(&tpm.tcti(), &["set", "HF_TOKEN"]).stdin(VALUE).ok();
    let attacker = Sniffer::between(&tpm, true);
    with(&attacker.tcti(), &["get", "HF_TOKEN"])
        .fails(1)
        .one_line_error()
        .stderr_has("the TPM's answer failed its HMAC check");
    with(&tpm.tcti(), &["get", "HF_TOKEN"]).reveals().ok();
}

/// The swtpm `scripts/test` starts (scripts/with-tpm) is found through the inherited
/// `TPM2TOOLS_TCTI`, as tpm2-tools find it: nothing is set on the commands.
#[test]
fn the_tpm_that_scripts_test_starts_is_found_through_tpm2tools_tcti() {
    let tcti = std::env::var("AISECRETS_TEST_TPM_TCTI")
        .expect("run the tests with scripts/test: it starts a swtpm (scripts/with-tpm)");
    assert_eq!(std::env::var("TPM2TOOLS_TCTI").ok(), Some(tcti));
    let w = tpm_world();
    w.cmd(["identity", "new", "--tpm", "--no-pin"]).ok();
    w.cmd(["init"]).ok();
    w.cmd(["set", "HF_TOKEN"]).stdin(VALUE).ok();
    let same = w
        .run_sh("[ \"$HF_TOKEN\" = \"$WANT\" ] && echo same")
        .env("WANT", VALUE)
        .ok()
        .stdout_str();
    assert_eq!(same, "same\n");
    let status = w.cmd(["status"]).ok().stdout_str();
    assert!(status.contains("sealed to this machine's TPM"), "{status}");
}
