//! The test harness: a hermetic home and project per test, a command builder with
//! `#[track_caller]` assertions, and a leak check on every output.
//!
//! Built on `assert_cmd`: `cargo_bin!` locates the binary, `assert_cmd::Command` runs it
//! (stdin fed from a thread, a timeout so a hung prompt fails instead of stalling CI), and
//! its `Assert` (with `predicates`) checks exit codes and output. `World::command` still
//! hands out a bare `std::process::Command` for the pseudo-terminal (rexpect) tests.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Output;

use tempfile::TempDir;

mod files;
mod git;
mod system;

pub use files::*;
pub use git::*;
pub use system::*;

/// Fake secret values used by tests; no output may contain them unless a test says so.
pub const OPENAI: &str = "sk-proj-FAKE0canary0openai0000000000";
pub const HF: &str = "hf_FAKEcanaryHuggingFace000000000";

/// The built binary (found by `assert_cmd`, from the path cargo gives the test).
pub fn bin() -> &'static str {
    assert_cmd::cargo::cargo_bin!("aisecrets")
        .to_str()
        .expect("the binary's path is UTF-8")
}

/// The longest any one command may run before the test fails: far above the slowest
/// (Vault leases, scrypt), low enough that a command waiting on a prompt does not hang CI.
const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(300);

/// One test's world: a user folder and a project folder in a fresh temp dir.
pub struct World {
    pub dir: TempDir,
    pub home: PathBuf,
    pub project: PathBuf,
    canaries: Vec<String>,
}

impl World {
    /// Rewrites `dev` as a format 1 file (no MAC) without its `HF_TOKEN` line: what a
    /// repository writer without the key does to drop a secret unseen (#12, point 6).
    pub fn downgrade_dropping_hf_token(&self) {
        let text = std::fs::read_to_string(self.dev_file()).unwrap();
        let v1: String = text
            .lines()
            .filter(|l| !l.starts_with("HF_TOKEN = ") && !l.starts_with("mac = "))
            .map(|l| format!("{l}\n"))
            .collect::<String>()
            .replace("format = 2\n", "format = 1\n");
        std::fs::write(self.dev_file(), v1).unwrap();
    }

    /// A world with nothing in it.
    pub fn empty() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("aisecrets-test")
            .tempdir()
            .unwrap();
        let home = dir.path().join("home");
        let project = dir.path().join("project");
        std::fs::create_dir_all(&home).unwrap();
        std::fs::create_dir_all(&project).unwrap();
        Self {
            dir,
            home,
            project,
            canaries: vec![OPENAI.into(), HF.into()],
        }
    }

    /// A world with an identity (no passphrase) and a project with `dev`.
    pub fn new() -> Self {
        let w = Self::empty();
        w.cmd(["identity", "new", "--no-passphrase"]).ok();
        w.cmd(["init"]).ok();
        w
    }

    /// A world with `OPENAI_API_KEY` and `HF_TOKEN` set in `dev`.
    pub fn with_secrets() -> Self {
        let w = Self::new();
        w.cmd(["set", "OPENAI_API_KEY"]).stdin(OPENAI).ok();
        w.cmd(["set", "HF_TOKEN"]).stdin(HF).ok();
        w
    }

    /// Registers another fake value that must not leak.
    pub fn canary(&mut self, value: &str) {
        self.canaries.push(value.to_owned());
    }

    /// A path inside the test's temp dir.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// The `dev` environment file.
    pub fn dev_file(&self) -> PathBuf {
        self.project.join("secrets/dev.toml")
    }

    /// The public key of this world's identity.
    pub fn public_key(&self) -> String {
        self.cmd(["identity", "show"])
            .ok()
            .stdout_str()
            .trim()
            .to_owned()
    }

    /// Appends `text` to the project's `aisecrets.toml`.
    pub fn append_manifest(&self, text: &str) {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(self.project.join("aisecrets.toml"))
            .unwrap();
        f.write_all(text.as_bytes()).unwrap();
    }

    /// A hermetic command in the project folder.
    pub fn cmd<I, S>(&self, args: I) -> Cmd
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut c = self.command(args);
        no_controlling_terminal(&mut c);
        Cmd {
            cmd: c,
            stdin: Some(Vec::new()),
            reveals: false,
            canaries: self.canaries.clone(),
        }
    }

    /// `run -- sh -c script`: a shell child that sees the environment's secrets.
    pub fn run_sh(&self, script: &str) -> Cmd {
        self.cmd(["run", "--", "sh", "-c", script])
    }

    /// The bare hermetic `std::process::Command`, for driving through a pseudo-terminal.
    pub fn command<I, S>(&self, args: I) -> std::process::Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut c = std::process::Command::new(bin());
        c.args(args).current_dir(&self.project);
        for (k, _) in std::env::vars_os() {
            if k.to_string_lossy().starts_with("AISECRETS_") {
                c.env_remove(&k);
            }
        }
        let root = self.dir.path();
        c.env("HOME", root.join("userhome"))
            .env("XDG_CONFIG_HOME", root.join("userhome/.config"))
            .env("XDG_STATE_HOME", root.join("userhome/.local/state"))
            .env("AISECRETS_HOME", &self.home)
            .env("AISECRETS_SCRYPT_WORK_FACTOR", "10")
            .env("AISECRETS_KEYRING", "none")
            .env("USER", "tester")
            .env_remove("AISECRETS_ENV");
        // The tests may themselves run under a coding agent: its markers would make
        // `get` and `run` refuse (#16). Tests that want one set it.
        for marker in [
            "CLAUDECODE",
            "CLAUDE_CODE_ENTRYPOINT",
            "CODEX_SANDBOX",
            "CODEX_SANDBOX_NETWORK_DISABLED",
            "CODEX_THREAD_ID",
            "CODEX_CI",
            "CURSOR_AGENT",
            "COPILOT_CLI",
            "GEMINI_CLI",
        ] {
            c.env_remove(marker);
        }
        c
    }
}

/// A command to run, with its stdin and whether its stdout may hold secret values.
#[must_use]
pub struct Cmd {
    pub cmd: std::process::Command,
    stdin: Option<Vec<u8>>,
    reveals: bool,
    canaries: Vec<String>,
}

impl Cmd {
    /// Feeds `data` on stdin (a pipe, so not a terminal).
    pub fn stdin(mut self, data: impl AsRef<[u8]>) -> Self {
        self.stdin = Some(data.as_ref().to_vec());
        self
    }

    /// Sets an environment variable.
    pub fn env(mut self, k: impl AsRef<OsStr>, v: impl AsRef<OsStr>) -> Self {
        self.cmd.env(k, v);
        self
    }

    /// Removes an environment variable.
    pub fn env_remove(mut self, k: impl AsRef<OsStr>) -> Self {
        self.cmd.env_remove(k);
        self
    }

    /// Runs in another folder.
    pub fn dir(mut self, d: impl AsRef<Path>) -> Self {
        self.cmd.current_dir(d);
        self
    }

    /// Removes every Vault and OpenBao variable ([`VAULT_VARS`]) the tests could inherit.
    pub fn without_vault_env(mut self) -> Self {
        remove_vault_env(&mut self.cmd);
        self
    }

    /// This command prints secret values on stdout on purpose (get, export, run).
    pub fn reveals(mut self) -> Self {
        self.reveals = true;
        self
    }

    /// Starts the command in the background, stdin closed, stdout piped, stderr dropped
    /// (for a test that reads the output while it runs; no leak check).
    pub fn spawn_stdout(mut self) -> std::process::Child {
        self.cmd
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap()
    }

    /// Runs and returns the output, checking that no fake value leaked.
    #[track_caller]
    pub fn run(mut self) -> Out {
        let data = self.stdin.take().unwrap_or_default();
        let out = assert_cmd::Command::from_std(self.cmd)
            .write_stdin(data)
            .timeout(TIMEOUT)
            .output()
            .expect("spawn aisecrets");
        let out = Out(out);
        let err = out.stderr_str();
        for c in &self.canaries {
            assert!(
                !err.contains(c.as_str()),
                "a secret value leaked to stderr:\n{err}"
            );
            if !self.reveals {
                assert!(
                    !out.stdout_str().contains(c.as_str()),
                    "a secret value leaked to stdout"
                );
            }
        }
        assert_ne!(out.0.status.code(), Some(101), "aisecrets panicked:\n{err}");
        out
    }

    /// Runs and asserts success.
    #[track_caller]
    pub fn ok(self) -> Out {
        let out = self.run();
        out.assert().success();
        out
    }

    /// Runs and asserts exit code `code`.
    #[track_caller]
    pub fn fails(self, code: i32) -> Out {
        let out = self.run();
        out.assert().code(code);
        out
    }
}

/// A finished command's output.
pub struct Out(pub Output);

impl Out {
    pub fn stdout_str(&self) -> String {
        String::from_utf8_lossy(&self.0.stdout).into_owned()
    }

    pub fn stderr_str(&self) -> String {
        String::from_utf8_lossy(&self.0.stderr).into_owned()
    }

    /// `assert_cmd`'s assertions on this output (exit code, stdout, stderr predicates).
    pub fn assert(&self) -> assert_cmd::assert::Assert {
        use assert_cmd::assert::OutputAssertExt;
        self.0.clone().assert()
    }

    /// Asserts stderr contains `needle`.
    #[track_caller]
    pub fn stderr_has(self, needle: &str) -> Self {
        self.assert().stderr(predicates::str::contains(needle));
        self
    }

    /// Asserts the error is one `aisecrets: error:` line (plus an optional hint line).
    #[track_caller]
    pub fn one_line_error(self) -> Self {
        let e = self.stderr_str();
        let lines: Vec<&str> = e.lines().collect();
        assert_eq!(lines.len(), 1, "expected one error line:\n{e}");
        assert!(lines[0].starts_with("aisecrets: error: "), "{e}");
        self
    }
}

/// Runs the command in a new session, so it has no controlling terminal even when the
/// tests run from one: prompts then fail as they would in CI, instead of waiting.
#[allow(unsafe_code)]
pub fn no_controlling_terminal(c: &mut std::process::Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: setsid is async-signal-safe and touches no memory of the parent.
    unsafe {
        c.pre_exec(|| {
            nix::unistd::setsid()
                .map(|_| ())
                .map_err(std::io::Error::from)
        });
    }
}

/// Waits (at most 20 s) for `f` to hold.
#[track_caller]
pub fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !f() {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(20),
            "timed out waiting for {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// The exit code of the command in a pseudo-terminal session (it must exit, not be killed).
#[track_caller]
pub fn exit_code(p: &mut rexpect::session::PtySession) -> i32 {
    match p.process().wait().unwrap() {
        nix::sys::wait::WaitStatus::Exited(_, c) => c,
        other => panic!("{other:?}"),
    }
}

/// The end of a pseudo-terminal session: everything it printed (`text`, without `\r`) and
/// its exit code, asserting that the passphrase `pass` was not echoed.
#[track_caller]
pub fn terminal_end(p: &mut rexpect::session::PtySession, text: &str, pass: &str) -> (String, i32) {
    let code = exit_code(p);
    let text = text.replace('\r', "");
    assert!(!text.contains(pass), "the passphrase was echoed:\n{text}");
    (text, code)
}
