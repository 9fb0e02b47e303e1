//! The Python wheel (#18): `scripts/wheel --dev` builds it from the tree (maturin, the dev
//! profile, so cargo reuses the binary `cargo test` just built: about a second), pip
//! installs it offline into a fresh virtualenv, and the venv's `aisecrets` works; uv's
//! `tool install` too. The wheel holds the binary and its metadata, and no test data.

use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::Digest;

use crate::util::{HF, OPENAI, World, no_controlling_terminal, run_ok};

/// Builds the wheel into `out` as a user would (`scripts/wheel --dev`), and returns its path.
///
/// What keeps it cheap and safe beside the other tests:
/// - cargo's build dir is the tree's own (`target/`, where `cargo test` just built
///   everything), so only what differs is compiled: the dev-dependencies' features (regex,
///   getrandom) are not in a plain build, so the first run compiles the binary and a few
///   crates once (their artifacts then stay beside the test ones);
/// - the final binary goes to a target dir of the test's own: cargo would otherwise replace
///   `target/debug/aisecrets` (remove, then link) while other tests run it;
/// - without the variables `cargo test` gives the test process (`CARGO_MANIFEST_DIR`,
///   `CARGO_PKG_*`...): ring's build script reruns when `CARGO_MANIFEST_DIR` changes, which
///   recompiled half the tree at each run.
fn build_wheel(w: &World, out: &Path) -> PathBuf {
    let target = Path::new(crate::util::bin())
        .parent()
        .and_then(Path::parent)
        .expect("the binary is in <target>/debug");
    let mut c = Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/wheel"));
    c.arg("--dev").arg("--out").arg(out);
    for (k, _) in std::env::vars_os() {
        let k = k.to_string_lossy();
        if k == "CARGO" || (k.starts_with("CARGO_") && k != "CARGO_HOME") {
            c.env_remove(&*k);
        }
    }
    c.env("CARGO_BUILD_BUILD_DIR", target)
        .env("CARGO_TARGET_DIR", w.path("wheel-target"));
    let tested = std::fs::metadata(crate::util::bin())
        .unwrap()
        .modified()
        .unwrap();
    let built = run_ok(&mut c);
    assert_eq!(
        std::fs::metadata(crate::util::bin())
            .unwrap()
            .modified()
            .unwrap(),
        tested,
        "scripts/wheel replaced the binary that the other tests run"
    );
    let path = PathBuf::from(String::from_utf8_lossy(&built.stdout).trim());
    assert!(
        path.starts_with(out) && path.extension().is_some_and(|e| e == "whl"),
        "scripts/wheel printed {path:?}"
    );
    path
}

/// The harness's hermetic command for `args`, with `program` in place of the binary under
/// test.
fn hermetic(w: &World, program: &Path, args: &[&str]) -> Command {
    let base = w.command(args);
    let mut c = Command::new(program);
    c.args(args).current_dir(&w.project);
    for (k, v) in base.get_envs() {
        match v {
            Some(v) => c.env(k, v),
            None => c.env_remove(k),
        };
    }
    no_controlling_terminal(&mut c);
    c
}

/// `aisecrets --version` and `run` of an installed binary: the version is Cargo's, and the
/// child of `run` sees the secret (its hash) while the output holds no value.
#[track_caller]
fn check_installed(w: &World, exe: &Path) {
    let version = run_ok(&mut hermetic(w, exe, &["--version"]));
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        format!("aisecrets {}", env!("CARGO_PKG_VERSION"))
    );
    let script = "import hashlib, os; print(hashlib.sha256(os.environ['OPENAI_API_KEY'].encode()).hexdigest())";
    let out = run_ok(&mut hermetic(
        w,
        exe,
        &["run", "--", "python3", "-c", script],
    ));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let want: String = sha2::Sha256::digest(OPENAI.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(stdout.trim(), want);
    for bytes in [&out.stdout, &out.stderr] {
        let text = String::from_utf8_lossy(bytes);
        assert!(!text.contains(OPENAI) && !text.contains(HF), "{text}");
    }
}

#[test]
fn the_wheel_installs_with_pip_into_a_fresh_venv_and_holds_only_the_binary() {
    let w = World::with_secrets();
    let wheel = build_wheel(&w, &w.path("wheels"));

    // What is in it: the binary and dist-info, read back by Python's own zipfile.
    let unpacked = w.path("unpacked");
    run_ok(
        Command::new("python3")
            .args(["-m", "zipfile", "-e"])
            .arg(&wheel)
            .arg(&unpacked),
    );
    let listed = run_ok(
        Command::new("python3")
            .args(["-m", "zipfile", "-l"])
            .arg(&wheel),
    );
    let version = env!("CARGO_PKG_VERSION");
    let names: Vec<String> = String::from_utf8_lossy(&listed.stdout)
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect();
    let script = format!("aisecrets-{version}.data/scripts/aisecrets");
    let meta = format!("aisecrets-{version}.dist-info/");
    assert!(names.contains(&script), "{names:?}");
    for name in &names {
        assert!(
            *name == script || name.starts_with(&meta),
            "the wheel holds {name}, which is neither the binary nor its metadata"
        );
        for bad in ["tests/", ".age", ".env", "fixtures", "secrets/", ".key"] {
            assert!(!name.contains(bad), "the wheel holds {name}");
        }
    }
    // The licence texts Cargo.toml's licence names, in the dist-info (PEP 639).
    for licence in ["LICENSE-MIT", "LICENSE-APACHE"] {
        let name = format!("{meta}licenses/{licence}");
        assert!(names.contains(&name), "{name} is missing: {names:?}");
    }
    // No fake value from the tests anywhere in its (decompressed) bytes.
    let fakes = aho_corasick::AhoCorasick::new([OPENAI, HF, "FAKE0canary", "FAKEcanary"]).unwrap();
    let mut files = vec![unpacked.clone()];
    let mut seen = 0;
    while let Some(p) = files.pop() {
        if p.is_dir() {
            files.extend(std::fs::read_dir(&p).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        let bytes = std::fs::read(&p).unwrap();
        seen += 1;
        assert!(
            !fakes.is_match(&bytes),
            "{} holds a test value",
            p.display()
        );
    }
    assert_eq!(seen, names.len());

    // A fresh virtualenv, pip offline: nothing comes from an index.
    let venv = w.path("venv");
    run_ok(Command::new("python3").args(["-m", "venv"]).arg(&venv));
    run_ok(
        Command::new(venv.join("bin/python"))
            .args(["-m", "pip", "install", "-q", "--no-index", "--no-deps"])
            .arg(&wheel)
            .env("PIP_DISABLE_PIP_VERSION_CHECK", "1"),
    );
    check_installed(&w, &venv.join("bin/aisecrets"));

    // `uv tool install`, offline, into the test's own tool folders.
    let tools = w.path("uv");
    run_ok(
        Command::new("uv")
            .args(["tool", "install", "--offline", "--no-index", "--quiet"])
            .arg(&wheel)
            .env("UV_TOOL_DIR", tools.join("tools"))
            .env("UV_TOOL_BIN_DIR", tools.join("bin"))
            .env("UV_CACHE_DIR", tools.join("cache"))
            .env("UV_PYTHON_DOWNLOADS", "never"),
    );
    check_installed(&w, &tools.join("bin/aisecrets"));
}
