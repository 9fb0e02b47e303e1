//! The child of `run` against aisecrets' own process (#12, point 1): it finds no
//! credential in aisecrets' `/proc/PID/environ` or memory (also as root), cannot open its
//! memory as a same-user non-root process, and no core file is written; `edit`'s editor
//! gets no `AISECRETS_*` variable.

use std::process::Command;

use crate::util::{
    OPENAI, World, as_user, bin, chown_tree, no_controlling_terminal, throwaway_user, wait_for,
};

/// A fake Vault token that a file environment's run must keep out of its own environ.
const FAKE_VAULT_TOKEN: &str = "hvs.FAKE0canary0vault0token000000";

/// Searches the memory of process `$1` (readable regions, via /proc/PID/mem) for each line
/// of the file `$2`, and prints how many times each is found (needles never go through
/// argv, which aisecrets copies for the child).
const SCAN: &str = r#"
import sys
pid, needles = sys.argv[1], [l.encode() for l in open(sys.argv[2]).read().split()]
found = 0
with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", 0) as mem:
    for line in maps:
        addr, perms = line.split()[:2]
        if "r" not in perms:
            continue
        a, b = (int(x, 16) for x in addr.split("-"))
        try:
            mem.seek(a)
            data = mem.read(b - a)
        except OSError:
            continue
        found += sum(data.count(n) for n in needles)
print(found)
"#;

/// The world's identity as `AISECRETS_IDENTITY` would carry it (CI), with the stored file
/// moved away so only the variable can open anything.
fn identity_in_env(w: &World) -> String {
    let stored = w.home.join("identity.age");
    let text = std::fs::read_to_string(&stored).unwrap();
    std::fs::rename(&stored, w.home.join("identity.age.away")).unwrap();
    text.lines()
        .find(|l| l.starts_with("AGE-SECRET-KEY-1"))
        .unwrap()
        .to_owned()
}

fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

#[test]
fn the_child_of_run_finds_no_credential_in_aisecrets_environ_or_memory() {
    let mut w = World::with_secrets();
    let identity = identity_in_env(&w);
    w.canary(&identity);
    w.canary(FAKE_VAULT_TOKEN);
    let environ = w.path("parent-environ");
    let own = w.path("child-vault-token");
    w.run_sh("cat /proc/$PPID/environ > \"$ENVIRON\"; printf %s \"$VAULT_TOKEN\" > \"$OWN\"")
        .env("AISECRETS_IDENTITY", &identity)
        .env("VAULT_TOKEN", FAKE_VAULT_TOKEN)
        .env("ENVIRON", &environ)
        .env("OWN", &own)
        .ok();
    let block = std::fs::read(&environ).unwrap();
    let text = String::from_utf8_lossy(&block);
    assert!(
        !text.contains(&identity),
        "AISECRETS_IDENTITY's value is in aisecrets' /proc/PID/environ"
    );
    assert!(
        !text.contains(FAKE_VAULT_TOKEN),
        "VAULT_TOKEN's value is in aisecrets' /proc/PID/environ"
    );
    // A file environment's child still gets the VAULT_TOKEN it would get without us.
    assert_eq!(std::fs::read_to_string(&own).unwrap(), FAKE_VAULT_TOKEN);
    if is_root() {
        // Root ignores dumpable and reads aisecrets' memory: no copy of the identity may
        // be left there once the child runs (the bech32 text, in either case).
        let scan = w.path("scan.py");
        std::fs::write(&scan, SCAN).unwrap();
        let scan_identity = w.path("needles-identity");
        std::fs::write(
            &scan_identity,
            format!("{identity}\n{}\n", identity.to_lowercase()),
        )
        .unwrap();
        let out = w
            .run_sh("python3 \"$SCAN\" $PPID \"$NEEDLES\"")
            .env("AISECRETS_IDENTITY", &identity)
            .env("SCAN", &scan)
            .env("NEEDLES", &scan_identity)
            .ok();
        assert_eq!(
            out.stdout_str().trim(),
            "0",
            "the identity is still in aisecrets' memory while the child runs"
        );
    }
}

/// The core limit line of /proc/PID/limits: soft and hard.
fn core_limits(limits: &str) -> (String, String) {
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max core file size"))
        .unwrap_or_else(|| panic!("no core line in {limits}"));
    let mut f = line["Max core file size".len()..].split_whitespace();
    (f.next().unwrap().to_owned(), f.next().unwrap().to_owned())
}

#[test]
fn aisecrets_writes_no_core_file_and_its_limit_stays_zero() {
    let w = World::with_secrets();
    // SIGABRT with `ulimit -c unlimited`, in the project folder: no core file there.
    let pattern = std::fs::read_to_string("/proc/sys/kernel/core_pattern").unwrap_or_default();
    let started = w.path("started");
    let mut sh = Command::new("sh");
    sh.arg("-c")
        .arg("ulimit -c unlimited && exec \"$BIN\" run -- sh -c 'touch \"$STARTED\"; sleep 30'")
        .env("BIN", bin())
        .env("STARTED", &started);
    copy_env(&w, &mut sh);
    no_controlling_terminal(&mut sh);
    let mut child = sh.spawn().unwrap();
    wait_for("the child to start", || started.exists());
    let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).unwrap());
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGABRT).unwrap();
    let status = child.wait().unwrap();
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.signal(), Some(libc::SIGABRT), "{status:?}");
    assert!(!status.core_dumped(), "the kernel dumped core: {status:?}");
    if !pattern.starts_with('|') {
        // core_pattern names a file (here: {pattern:?}): none may be in the folder.
        let cores: Vec<_> = std::fs::read_dir(&w.project)
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with("core"))
            .map(|e| e.path())
            .collect();
        assert!(cores.is_empty(), "core files: {cores:?}");
    }
    // The hard limit too: the child (same user) cannot raise ours with prlimit(2).
    let limits = w.run_sh("cat /proc/$PPID/limits").ok().stdout_str();
    assert_eq!(
        core_limits(&limits),
        ("0".to_owned(), "0".to_owned()),
        "{limits}"
    );
}

/// Gives `c` the hermetic environment of `w.cmd`.
fn copy_env(w: &World, c: &mut Command) {
    let model = w.command(["--version"]);
    for (k, v) in model.get_envs() {
        match v {
            Some(v) => c.env(k, v),
            None => c.env_remove(k),
        };
    }
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("AISECRETS_") && model.get_envs().all(|(m, _)| m != k) {
            c.env_remove(k);
        }
    }
    c.current_dir(&w.project);
}

#[test]
fn a_non_root_child_cannot_open_aisecrets_memory_or_environ() {
    let w = World::with_secrets();
    let (uid, gid) = if is_root() {
        let (uid, gid) = throwaway_user();
        chown_tree(w.dir.path(), uid, gid);
        (Some(uid), Some(gid))
    } else {
        (None, None)
    };
    let probe = "for f in mem environ; do if true < /proc/$PPID/$f; then echo \"$f opened\"; \
                 else echo \"$f denied\"; fi; done 2>/dev/null";
    let mut c = match (uid, gid) {
        (Some(uid), Some(gid)) => {
            // The build folder may be out of the user's reach (a checkout under /root):
            // the binary goes into the test's folder, linked after the chown so the
            // build's own file keeps its owner.
            let local = w.path("aisecrets");
            if std::fs::hard_link(bin(), &local).is_err() {
                std::fs::copy(bin(), &local).unwrap();
            }
            as_user(uid, gid, &local)
        }
        _ => Command::new(bin()),
    };
    c.args(["run", "--", "sh", "-c", probe]);
    copy_env(&w, &mut c);
    no_controlling_terminal(&mut c);
    let out = c.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{:?} {stdout} {stderr}", out.status);
    assert!(!stdout.contains(OPENAI) && !stderr.contains(OPENAI));
    assert_eq!(stdout, "mem denied\nenviron denied\n", "{stderr}");
}

#[test]
fn edit_gives_the_editor_no_aisecrets_variable() {
    let mut w = World::with_secrets();
    let identity = identity_in_env(&w);
    w.canary(&identity);
    let dump = w.path("editor-env");
    let editor = w.path("dump-env");
    std::fs::write(&editor, "#!/bin/sh\nenv > \"$DUMP\"\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&editor, std::fs::Permissions::from_mode(0o755)).unwrap();
    w.cmd(["edit"])
        .env("AISECRETS_IDENTITY", &identity)
        .env("EDITOR", &editor)
        .env_remove("VISUAL")
        .env("DUMP", &dump)
        .ok()
        .stderr_has("no changes");
    let env = std::fs::read_to_string(&dump).unwrap();
    assert!(env.contains("DUMP="), "{env}");
    let own: Vec<&str> = env
        .lines()
        .filter(|l| l.starts_with("AISECRETS_"))
        .collect();
    assert!(own.is_empty(), "the editor got {own:?}");
    assert!(!env.contains(&identity));
}

/// A Vault environment at a KV path of its own on the test server (scripts/with-vault).
fn vault_world() -> (World, String) {
    let addr = std::env::var("AISECRETS_TEST_BAO_ADDR").expect(
        "AISECRETS_TEST_BAO_ADDR is not set: run the tests with scripts/test (scripts/with-vault)",
    );
    let token = std::env::var("AISECRETS_TEST_BAO_TOKEN").unwrap();
    let w = World::new();
    w.append_manifest(&format!(
        "\n[environments.prod]\nvault = {{ address = \"{addr}\", mount = \"secret\", path = \"ml/hardening-{}\" }}\n",
        std::process::id()
    ));
    w.cmd(["trust", "--env", "prod", "--yes"]).ok();
    (w, token)
}

#[test]
fn a_vault_environment_s_token_is_neither_in_aisecrets_environ_nor_in_its_memory() {
    let (mut w, token) = vault_world();
    w.canary(&token);
    w.cmd(["set", "OPENAI_API_KEY", "--env", "prod"])
        .env("VAULT_TOKEN", &token)
        .stdin(OPENAI)
        .ok();
    let environ = w.path("parent-environ");
    let own = w.path("child-vault-token");
    let scan = w.path("scan.py");
    let needles = w.path("needles");
    std::fs::write(&scan, SCAN).unwrap();
    std::fs::write(&needles, format!("{token}\n")).unwrap();
    let memory = if is_root() {
        "python3 \"$SCAN\" $PPID \"$NEEDLES\""
    } else {
        "echo 0"
    };
    let out = w
        .cmd([
            "run",
            "--env",
            "prod",
            "--",
            "sh",
            "-c",
            &format!(
                "cat /proc/$PPID/environ > \"$ENVIRON\"; printf %s \"${{VAULT_TOKEN-unset}}\" > \"$OWN\"; {memory}"
            ),
        ])
        .env("VAULT_TOKEN", &token)
        .env("ENVIRON", &environ)
        .env("OWN", &own)
        .env("SCAN", &scan)
        .env("NEEDLES", &needles)
        .ok();
    let block = std::fs::read(&environ).unwrap();
    assert!(
        !String::from_utf8_lossy(&block).contains(&token),
        "VAULT_TOKEN's value is in aisecrets' /proc/PID/environ"
    );
    assert_eq!(std::fs::read_to_string(&own).unwrap(), "unset");
    // Nothing needs Vault while a KV-only run's child runs: the token is gone from memory
    // too (root reads it whatever dumpable says).
    assert_eq!(out.stdout_str().trim(), "0", "the token is still in memory");
}
