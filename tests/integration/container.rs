//! examples/Dockerfile (#18): its entry point, read from the Dockerfile itself so the doc and
//! the test cannot drift, run as PID 1 of a new PID and mount namespace (`unshare`, what a
//! container runtime makes; no image is built), with the Dockerfile's `ENV`, the identity
//! in a file at the path it names under `/run/secrets`, the pins in `AISECRETS_TRUST`, and
//! a fresh home. The child gets the secret, exit codes pass through, `docker stop`'s
//! SIGTERM reaches the child, and orphans are reaped.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sha2::Digest;

use crate::util::{HF, OPENAI, World};

/// The instructions of examples/Dockerfile that the test uses.
struct Dockerfile {
    env: Vec<(String, String)>,
    entrypoint: Vec<String>,
    cmd: Vec<String>,
}

fn dockerfile() -> Dockerfile {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/Dockerfile"))
        .unwrap();
    let exec_form = |line: &str| -> Vec<String> {
        serde_json::from_str(line.trim()).expect("ENTRYPOINT and CMD in exec (JSON) form")
    };
    let mut d = Dockerfile {
        env: Vec::new(),
        entrypoint: Vec::new(),
        cmd: Vec::new(),
    };
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("ENV ") {
            let (k, v) = rest.split_once('=').expect("ENV K=V");
            d.env.push((k.trim().to_owned(), v.trim().to_owned()));
        } else if let Some(rest) = line.strip_prefix("ENTRYPOINT ") {
            d.entrypoint = exec_form(rest);
        } else if let Some(rest) = line.strip_prefix("CMD ") {
            d.cmd = exec_form(rest);
        }
    }
    d
}

/// A project with `prod` holding both keys, the example script, the identity's file and
/// the pins for `prod` (as `aisecrets trust --print --env prod` prints them).
fn deployment() -> (World, String) {
    let w = World::new();
    w.cmd(["init", "--env", "prod"]).ok();
    w.cmd(["set", "--env", "prod", "OPENAI_API_KEY"])
        .stdin(OPENAI)
        .ok();
    w.cmd(["set", "--env", "prod", "HF_TOKEN"]).stdin(HF).ok();
    std::fs::create_dir_all(w.project.join("examples")).unwrap();
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/examples/train.py"),
        w.project.join("examples/train.py"),
    )
    .unwrap();
    let pins = w
        .cmd(["trust", "--print", "--env", "prod"])
        .ok()
        .stdout_str()
        .trim()
        .to_owned();
    (w, pins)
}

/// The container: PID 1 of new PID and mount namespaces, a tmpfs on `/run` holding the
/// identity at the path the Dockerfile names, the Dockerfile's entry point with `cmd` (or
/// its `CMD`), and only the variables a container has.
fn container(w: &World, pins: &str, cmd: Option<&[&str]>) -> Command {
    assert!(
        nix::unistd::geteuid().is_root(),
        "the container test makes namespaces and mounts: run it as root (CI does)"
    );
    let d = dockerfile();
    let secret = d
        .env
        .iter()
        .find(|(k, _)| k == "AISECRETS_IDENTITY_FILE")
        .map(|(_, v)| v.clone())
        .expect("the Dockerfile sets AISECRETS_IDENTITY_FILE");
    assert!(secret.starts_with("/run/secrets/"), "{secret}");
    let bin_dir = Path::new(crate::util::bin()).parent().unwrap();
    let mut c = Command::new("unshare");
    c.args(["--pid", "--fork", "--mount-proc", "--", "sh", "-c"])
        .arg(
            "set -e; mount -t tmpfs -o mode=0755 tmpfs /run; mkdir -p \"$(dirname \"$SECRET\")\"; \
             cat \"$IDENTITY_SOURCE\" > \"$SECRET\"; chmod 0444 \"$SECRET\"; \
             unset SECRET IDENTITY_SOURCE; exec \"$@\"",
        )
        .arg("sh")
        .args(&d.entrypoint);
    match cmd {
        Some(cmd) => c.args(cmd),
        None => c.args(&d.cmd),
    };
    c.current_dir(&w.project)
        .env_clear()
        .env(
            "PATH",
            format!("{}:/usr/local/bin:/usr/bin:/bin", bin_dir.display()),
        )
        .env("HOME", w.path("container-root"))
        .env("HOSTNAME", "train")
        .env("AISECRETS_TRUST", pins)
        .env("SECRET", &secret)
        .env("IDENTITY_SOURCE", w.home.join("identity.age"))
        .envs(d.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null());
    c
}

fn sha256_hex(s: &str) -> String {
    sha2::Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[track_caller]
fn no_value(text: &str) {
    assert!(!text.contains(OPENAI) && !text.contains(HF), "{text}");
}

#[test]
fn the_dockerfile_entry_point_runs_as_pid_1_with_the_mounted_identity_and_the_pins() {
    let d = dockerfile();
    assert_eq!(d.entrypoint[..2], ["aisecrets", "run"]);
    assert!(d.entrypoint.last().is_some_and(|a| a == "--"));
    let (w, pins) = deployment();

    // The image as documented: its CMD, the example script.
    let out = container(&w, &pins, None).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(
        stdout.contains("OPENAI_API_KEY: present") && stdout.contains("training: ok"),
        "{stdout}{stderr}"
    );
    no_value(&stdout);
    no_value(&stderr);

    // aisecrets is PID 1, the child sees the value (its hash), a printed value is masked,
    // and the child's exit code is the container's.
    let script = "echo \"pid1=$(cat /proc/1/comm) parent=$PPID\"; \
                  printf %s \"$OPENAI_API_KEY\" | sha256sum; echo \"key=$OPENAI_API_KEY\"; exit 7";
    let out = container(&w, &pins, Some(&["sh", "-c", script]))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(7), "{out:?}");
    assert!(stdout.contains("pid1=aisecrets parent=1"), "{stdout}");
    assert!(stdout.contains(&sha256_hex(OPENAI)), "{stdout}");
    assert!(stdout.contains("key=[REDACTED:OPENAI_API_KEY]"), "{stdout}");
    no_value(&stdout);
    no_value(&String::from_utf8_lossy(&out.stderr));

    // Without the pins, a container refuses, with one line naming AISECRETS_TRUST.
    let out = container(&w, "", Some(&["true"])).output().unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("AISECRETS_TRUST"),
        "{out:?}"
    );
}

/// The host pid of the process whose parent is `parent` (PID 1 of the namespace `unshare`
/// forked).
fn child_of(parent: u32) -> Option<i32> {
    for e in std::fs::read_dir("/proc").ok()?.flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
            continue;
        };
        // pid (comm) state ppid ...: comm may hold spaces, so after the last ')'.
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|p| p.parse::<u32>().ok());
        if ppid == Some(parent) {
            return Some(pid);
        }
    }
    None
}

/// `docker stop`: SIGTERM to PID 1, which has no default action for it there (the kernel
/// drops signals PID 1 does not handle). aisecrets handles it: the child gets it, and the
/// container ends at once with the child's status.
#[test]
fn docker_stop_reaches_the_child_through_pid_1_and_orphans_are_reaped() {
    let (w, pins) = deployment();
    for (script, want) in [
        // A child that handles SIGTERM: its own exit status.
        (
            "trap 'echo got-term; exit 3' TERM; echo ready; while :; do sleep 0.1; done",
            3,
        ),
        // One that does not: killed by it, 128 + 15.
        ("echo ready; exec sleep 60", 143),
    ] {
        let mut child = container(&w, &pins, Some(&["sh", "-c", script]))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        assert_eq!(lines.next().unwrap().unwrap(), "ready");
        let pid1 = child_of(child.id()).expect("unshare's child, PID 1 inside");
        let comm = std::fs::read_to_string(format!("/proc/{pid1}/comm")).unwrap();
        assert_eq!(comm.trim(), "aisecrets");
        let sent = Instant::now();
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(pid1),
            nix::sys::signal::Signal::SIGTERM,
        )
        .unwrap();
        let status = child.wait().unwrap();
        assert!(
            sent.elapsed() < Duration::from_secs(5),
            "the container took {:?} to stop",
            sent.elapsed()
        );
        let rest: Vec<String> = lines.map_while(Result::ok).collect();
        assert_eq!(status.code(), Some(want), "{script}: {rest:?}");
        if want == 3 {
            assert_eq!(rest, ["got-term"]);
        }
    }

    // An orphan: the subshell starts `sleep` in the background and ends, so the kernel hands
    // `sleep` to PID 1; when it ends, PID 1 must wait for it or it stays a zombie.
    let script = "(sleep 0.2 &); sleep 1.5; \
                  echo zombies=$(grep -l '^State:.*Z' /proc/[0-9]*/status 2>/dev/null | wc -l)";
    let out = container(&w, &pins, Some(&["sh", "-c", script]))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    assert!(stdout.contains("zombies=0"), "{stdout}");
}

/// examples/compose.yaml runs the same image with the identity as a compose secret at the
/// path the Dockerfile names, and the pins from the environment.
#[test]
fn the_compose_file_mounts_the_identity_where_the_dockerfile_looks() {
    let compose = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/compose.yaml"
    ))
    .unwrap();
    let d = dockerfile();
    let path = &d
        .env
        .iter()
        .find(|(k, _)| k == "AISECRETS_IDENTITY_FILE")
        .unwrap()
        .1;
    let name = path.strip_prefix("/run/secrets/").unwrap();
    assert!(compose.contains(&format!("      - {name}\n")), "{compose}");
    assert!(
        compose.contains(&format!("  {name}:\n    file: ")),
        "{compose}"
    );
    assert!(compose.contains("dockerfile: examples/Dockerfile"));
    assert!(compose.contains("AISECRETS_TRUST: ${AISECRETS_TRUST"));
}

/// Whether `path` (relative to the build context) is left out by the `.dockerignore`
/// `rules`, as BuildKit reads them: Go's `filepath.Match` globs with `**`, a pattern that
/// matches a folder leaves out all under it, `!` brings a path back, and the last rule that
/// matches wins.
fn ignored(rules: &str, path: &str) -> bool {
    let glob = |pattern: &str| {
        let mut re = String::from("^");
        let mut rest = pattern.trim_start_matches('/');
        while let Some(c) = rest.chars().next() {
            if let Some(r) = rest.strip_prefix("**/") {
                re.push_str("(.*/)?");
                rest = r;
                continue;
            }
            if let Some(r) = rest.strip_prefix("**") {
                re.push_str(".*");
                rest = r;
                continue;
            }
            match c {
                '*' => re.push_str("[^/]*"),
                '?' => re.push_str("[^/]"),
                c => re.push_str(&regex::escape(&c.to_string())),
            }
            rest = &rest[c.len_utf8()..];
        }
        re.push_str("(/.*)?$");
        regex::Regex::new(&re).unwrap()
    };
    let mut out = false;
    for line in rules.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (keep, pattern) = match line.strip_prefix('!') {
            Some(p) => (true, p),
            None => (false, line),
        };
        if glob(pattern).is_match(path) {
            out = !keep;
        }
    }
    out
}

/// The Dockerfile copies only what the image needs (no `COPY .`), and its build context
/// leaves out keys, `.env` files and `.git` (examples/Dockerfile.dockerignore, which
/// BuildKit reads for it): the README's deployment key must never end up in a layer. Before,
/// `COPY . /app` with no ignore file took `ci.key` from the project folder into the image.
#[test]
fn the_image_gets_no_key_env_file_or_git_history() {
    let root = env!("CARGO_MANIFEST_DIR");
    let docker = std::fs::read_to_string(format!("{root}/examples/Dockerfile")).unwrap();
    let rules = std::fs::read_to_string(format!("{root}/examples/Dockerfile.dockerignore"))
        .expect("examples/Dockerfile.dockerignore");
    let copies: Vec<&str> = docker
        .lines()
        .filter(|l| l.starts_with("COPY ") || l.starts_with("ADD "))
        .collect();
    assert!(!copies.is_empty());
    for copy in &copies {
        let sources: Vec<&str> = copy.split_whitespace().skip(1).collect();
        let sources = &sources[..sources.len() - 1];
        for s in sources {
            assert!(
                !matches!(*s, "." | "./" | "*"),
                "the whole context is copied: {copy}"
            );
            let probe = s.trim_end_matches('/').replace('*', "0.1.0-py3-none-any");
            assert!(
                !ignored(&rules, &probe),
                "{copy} is left out of the context"
            );
        }
    }
    for secret in [
        "ci.key",
        "deploy/ci.key",
        "identity.age",
        ".env",
        ".env.prod",
        "app/.env.local",
        ".git",
        ".git/config",
        "sub/.git/HEAD",
        "target/debug/aisecrets",
    ] {
        assert!(ignored(&rules, secret), "{secret} is in the build context");
    }
    for needed in [
        "aisecrets.toml",
        "secrets/prod.toml",
        "examples/train.py",
        "target/wheels/aisecrets-0.1.0-py3-none-manylinux_2_34_x86_64.whl",
    ] {
        assert!(!ignored(&rules, needed), "{needed} is left out");
    }
    // aisecrets is not on PyPI yet: the image installs the wheel that was built, never a
    // package fetched by a name anyone could register.
    let installs: Vec<&str> = docker
        .lines()
        .filter(|l| !l.starts_with('#') && l.contains("pip install"))
        .collect();
    assert!(!installs.is_empty());
    for l in installs {
        assert!(l.contains("--no-index"), "installed from an index: {l}");
    }
    let readme = std::fs::read_to_string(format!("{root}/README.md")).unwrap();
    assert!(readme.contains("The package is not published on PyPI yet"));
    assert!(readme.contains("pip install target/wheels/aisecrets-*.whl"));
    // The README and the compose file keep the key outside the project folder.
    let compose = std::fs::read_to_string(format!("{root}/examples/compose.yaml")).unwrap();
    assert!(!compose.contains("../ci.key"), "{compose}");
}
