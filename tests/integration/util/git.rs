//! Hermetic git for the tests: no system config, a fixed author, this build's binary first
//! on `PATH` for the hooks and drivers.

use std::path::Path;
use std::process::Output;

use super::{World, bin};

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

impl World {
    /// A project with secrets in a git repository, `git setup` done and one commit.
    pub fn repo() -> Self {
        let w = Self::with_secrets();
        w.git_ok(&["init", "-q", "-b", "main"]);
        w.cmd(["git", "setup"]).ok();
        w.git_ok(&["add", "-A"]);
        w.git_ok(&["commit", "-qm", "init"]);
        w
    }

    /// Hermetic `git` in the project as author `t` (see [`git_command`]); callers add the
    /// arguments.
    pub fn git_command(&self) -> std::process::Command {
        git_command(&self.project, "t", &self.path("userhome"), &self.home)
    }

    /// Runs hermetic `git` in the project: its output.
    pub fn git(&self, args: &[&str]) -> Output {
        self.git_command().args(args).output().expect("git")
    }

    /// Runs hermetic `git` in the project, asserting success: its stdout.
    #[track_caller]
    pub fn git_ok(&self, args: &[&str]) -> String {
        git_succeeded(&self.git(args), &format!("git {args:?}"))
    }
}
