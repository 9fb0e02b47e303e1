//! Helpers for tests that touch the machine: a throwaway local user, runs as another user,
//! plain command runs, and the Vault variables a test must not inherit.

use std::ffi::OsStr;
use std::path::Path;
use std::process::Output;

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

/// Vault and OpenBao variables a test must not inherit from the machine it runs on.
pub const VAULT_VARS: [&str; 14] = [
    "VAULT_ADDR",
    "VAULT_TOKEN",
    "VAULT_NAMESPACE",
    "VAULT_CACERT",
    "VAULT_CAPATH",
    "VAULT_ROLE_ID",
    "VAULT_SECRET_ID",
    "VAULT_JWT",
    "VAULT_CLIENT_TIMEOUT",
    "BAO_ADDR",
    "BAO_TOKEN",
    "BAO_CACERT",
    "BAO_ROLE_ID",
    "BAO_SECRET_ID",
];

/// Removes every [`VAULT_VARS`] variable from `c` (set the ones a test wants after this).
pub fn remove_vault_env(c: &mut std::process::Command) {
    for v in VAULT_VARS {
        c.env_remove(v);
    }
}
