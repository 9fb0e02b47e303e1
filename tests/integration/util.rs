//! The test harness: a hermetic home and project per test, a command builder with
//! `#[track_caller]` assertions, and a leak check on every output.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Output;

use tempfile::TempDir;

/// Fake secret values used by tests; no output may contain them unless a test says so.
pub const OPENAI: &str = "sk-proj-FAKE0canary0openai0000000000";
pub const HF: &str = "hf_FAKEcanaryHuggingFace000000000";

/// The built binary.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_aisecrets")
}

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
        use std::io::Write;
        self.cmd
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = self.cmd.spawn().expect("spawn aisecrets");
        let data = self.stdin.take().unwrap_or_default();
        let mut sin = child.stdin.take().unwrap();
        let writer = std::thread::spawn(move || {
            let _ = sin.write_all(&data);
        });
        let out = child.wait_with_output().unwrap();
        writer.join().unwrap();
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
        assert!(
            out.0.status.success(),
            "expected success, got {:?}\nstderr: {}",
            out.0.status,
            out.stderr_str()
        );
        out
    }

    /// Runs and asserts exit code `code`.
    #[track_caller]
    pub fn fails(self, code: i32) -> Out {
        let out = self.run();
        assert_eq!(
            out.0.status.code(),
            Some(code),
            "stderr: {}",
            out.stderr_str()
        );
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

    /// Asserts stderr contains `needle`.
    #[track_caller]
    pub fn stderr_has(self, needle: &str) -> Self {
        let e = self.stderr_str();
        assert!(e.contains(needle), "stderr lacks {needle:?}:\n{e}");
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

/// The throwaway unprivileged local user that root-only tests run things as.
pub const THROWAWAY_USER: &str = "aisecrets-other";

/// The uid and gid of [`THROWAWAY_USER`], made once, idempotently (test binaries and runs
/// go in parallel, so another may make it at the same moment). Needs root.
pub fn throwaway_user() -> (u32, u32) {
    let lookup = || nix::unistd::User::from_name(THROWAWAY_USER).ok().flatten();
    if lookup().is_none() {
        // "Already exists" (9) is fine: another test made it in the meantime.
        let status = std::process::Command::new("useradd")
            .args([
                "--system",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
                THROWAWAY_USER,
            ])
            .status()
            .expect("run useradd");
        assert!(
            status.success() || status.code() == Some(9),
            "useradd: {status:?}"
        );
    }
    let user = lookup().expect("the throwaway user exists");
    (user.uid.as_raw(), user.gid.as_raw())
}

/// `program` run as `uid`:`gid` with no supplementary groups (setpriv; needs root).
pub fn as_user(uid: u32, gid: u32, program: impl AsRef<OsStr>) -> std::process::Command {
    let mut c = std::process::Command::new("setpriv");
    c.arg(format!("--reuid={uid}"))
        .arg(format!("--regid={gid}"))
        .arg("--clear-groups")
        .arg("--")
        .arg(program);
    c
}

/// `chown -R uid:gid dir`.
#[track_caller]
pub fn chown_tree(dir: &Path, uid: u32, gid: u32) {
    let status = std::process::Command::new("chown")
        .args(["-R", &format!("{uid}:{gid}")])
        .arg(dir)
        .status()
        .unwrap();
    assert!(status.success());
}

/// Hermetic `git` in `dir`: author and committer `who` (`who@example.invalid`), no system
/// config, `HOME` and `AISECRETS_HOME` as given, no OS keyring, this build's binary first
/// on `PATH` (for hooks and drivers), stdin closed. Callers add the arguments.
pub fn git_command(
    dir: &Path,
    who: &str,
    home: &Path,
    aisecrets_home: &Path,
) -> std::process::Command {
    let bin_dir = Path::new(bin()).parent().unwrap();
    let email = format!("{who}@example.invalid");
    let mut c = std::process::Command::new("git");
    c.current_dir(dir)
        .env("GIT_AUTHOR_NAME", who)
        .env("GIT_AUTHOR_EMAIL", &email)
        .env("GIT_COMMITTER_NAME", who)
        .env("GIT_COMMITTER_EMAIL", &email)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", home)
        .env("AISECRETS_HOME", aisecrets_home)
        .env("AISECRETS_KEYRING", "none")
        .env(
            "PATH",
            format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap()),
        )
        .stdin(std::process::Stdio::null());
    c
}

/// Asserts that a git run succeeded (else panics with `what` and its output): its stdout.
#[track_caller]
pub fn git_succeeded(out: &Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Hermetic `git` in `dir` with `dir` as its `HOME` (the user folder under it, as
/// aisecrets would find it there), as author `t`; asserts success, returns stdout.
#[track_caller]
pub fn git_in(dir: &Path, args: &[&str]) -> String {
    let out = git_command(dir, "t", dir, &dir.join(".config/aisecrets"))
        .args(args)
        .output()
        .expect("git");
    git_succeeded(&out, &format!("git {args:?}"))
}

/// Runs `c`, asserting that it succeeded (else panics with its stderr): its output.
#[track_caller]
pub fn run_ok(c: &mut std::process::Command) -> Output {
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Opens the data key block (the armored age block) of an environment file's `text` with
/// the reference age CLI and `identity`, by way of the file `block`: the data key's bytes.
#[track_caller]
pub fn age_open_data_key(text: &str, identity: &Path, block: &Path) -> Vec<u8> {
    let s = text.find("-----BEGIN").unwrap();
    let e = text.find("-----END AGE ENCRYPTED FILE-----").unwrap() + 32;
    std::fs::write(block, format!("{}\n", &text[s..e])).unwrap();
    let out = std::process::Command::new("age")
        .arg("-d")
        .arg("-i")
        .arg(identity)
        .arg(block)
        .output()
        .expect("age (Debian package age)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
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

/// An age key made by age-keygen into `<name>.key`: (secret, public).
pub fn age_key(w: &World, name: &str) -> (String, String) {
    let path = w.path(&format!("{name}.key"));
    let out = std::process::Command::new("age-keygen")
        .arg("-o")
        .arg(&path)
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = std::fs::read_to_string(&path).unwrap();
    (
        text.lines()
            .find(|l| l.starts_with("AGE-SECRET-KEY-1"))
            .unwrap()
            .to_owned(),
        String::from_utf8(out.stderr)
            .unwrap()
            .trim()
            .trim_start_matches("Public key: ")
            .to_owned(),
    )
}
