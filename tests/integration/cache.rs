//! The unlock cache against the real backends: gnome-keyring on a private D-Bus session
//! and the kernel keyring, both started by `scripts/test` (scripts/with-keyring). The
//! passphrase is typed through a pseudo-terminal, as a person would.

use std::process::Command;
use std::time::{Duration, Instant};

use rexpect::session::spawn_command;

use crate::util::{Out, World, terminal_end};

pub(crate) const PASS: &str = "correct horse battery staple";
pub(crate) const VALUE: &str = "hf_FAKEcachedValue000000";

/// The session bus of the test keyring; these tests fail (never skip) without it.
pub(crate) fn bus() -> String {
    std::env::var("DBUS_SESSION_BUS_ADDRESS").unwrap_or_else(|_| {
        panic!("no D-Bus session: run the tests with scripts/test, which starts gnome-keyring and a session keyring")
    })
}

/// A world whose identity has a passphrase, with one secret set, and nothing cached.
/// `unlock` with [`PASS`] through `keyring`; it must succeed.
pub(crate) fn unlock(w: &World, keyring: &str) -> Out {
    w.cmd(["unlock"])
        .env("AISECRETS_KEYRING", keyring)
        .stdin(format!("{PASS}\n"))
        .ok()
}

pub(crate) fn locked_world(keyring: &str) -> World {
    let mut w = World::empty();
    w.canary(VALUE);
    w.cmd(["identity", "new"]).stdin(format!("{PASS}\n")).ok();
    w.cmd(["init"]).ok();
    unlock(&w, keyring);
    w.cmd(["set", "HF_TOKEN"])
        .env("AISECRETS_KEYRING", keyring)
        .stdin(VALUE)
        .ok();
    w.cmd(["lock"]).env("AISECRETS_KEYRING", keyring).ok();
    w
}

/// Runs `args` in a pseudo-terminal, answers each passphrase prompt with `pass` (a wrong
/// one is asked again, three times in all: #13), and returns (prompted, everything printed,
/// exit code).
fn in_terminal(w: &World, keyring: &str, args: &[&str], pass: &str) -> (bool, String, i32) {
    let mut c = w.command(args);
    c.env("AISECRETS_KEYRING", keyring);
    let mut p = spawn_command(c, Some(30_000)).unwrap();
    let (mut prompted, mut text) = (false, String::new());
    loop {
        match p.exp_any(vec![
            rexpect::ReadUntil::String("Passphrase for".into()),
            rexpect::ReadUntil::EOF,
        ]) {
            Ok((before, found)) if found.contains("Passphrase for") => {
                prompted = true;
                text += &(before + &found);
                p.send_line(pass).unwrap();
            }
            Ok((before, found)) => {
                text += &(before + &found);
                break;
            }
            Err(e) => panic!("{e}"),
        }
    }
    let (text, code) = terminal_end(&mut p, &text, PASS);
    (prompted, text, code)
}

/// A command with no terminal at all: it can only succeed from the cache.
fn get_without_terminal(w: &World, keyring: &str) -> bool {
    let out = w
        .cmd(["get", "HF_TOKEN"])
        .env("AISECRETS_KEYRING", keyring)
        .reveals()
        .run();
    if out.0.status.success() {
        assert_eq!(out.stdout_str(), format!("{VALUE}\n"));
        true
    } else {
        out.stderr_has("needs a terminal")
            .stderr_has("aisecrets unlock")
            .stderr_has("AISECRETS_IDENTITY");
        false
    }
}

/// `secret-tool search --all` for aisecrets' items of `public` in the Secret Service.
pub(crate) fn secret_tool_search(public: &str) -> std::process::Output {
    Command::new("secret-tool")
        .args([
            "search",
            "--all",
            "service",
            "aisecrets",
            "username",
            public,
        ])
        .output()
        .expect("secret-tool (Debian package libsecret-tools)")
}

fn held_by_backend(w: &World, keyring: &str) -> bool {
    let public = w.public_key();
    match keyring {
        "secret-service" => {
            let out = secret_tool_search(&public);
            String::from_utf8_lossy(&out.stdout).contains(&public)
                || String::from_utf8_lossy(&out.stderr).contains(&public)
        }
        "keyutils" => Command::new("keyctl")
            .args(["search", "@s", "user", &format!("aisecrets:{public}")])
            .output()
            .expect("keyctl (Debian package keyutils)")
            .status
            .success(),
        other => panic!("{other}"),
    }
}

fn the_cache_works(keyring: &str) {
    if keyring == "secret-service" {
        bus();
    }
    let w = locked_world(keyring);
    assert!(!held_by_backend(&w, keyring));
    assert!(!get_without_terminal(&w, keyring), "nothing cached yet");

    // The first command prompts, opens, and caches.
    let (prompted, text, code) = in_terminal(&w, keyring, &["get", "HF_TOKEN"], PASS);
    assert!(prompted && code == 0 && text.contains(VALUE), "{text}");
    assert!(
        held_by_backend(&w, keyring),
        "the item is not in the real {keyring}"
    );
    // The next one does not prompt, with or without a terminal.
    assert!(get_without_terminal(&w, keyring));
    let (prompted, text, _) = in_terminal(&w, keyring, &["get", "HF_TOKEN"], PASS);
    assert!(!prompted && text.contains(VALUE), "{text}");
    let status = w
        .cmd(["status", "--json"])
        .env("AISECRETS_KEYRING", keyring)
        .ok()
        .stdout_str();
    let status: serde_json::Value = serde_json::from_str(&status).unwrap();
    assert_eq!(status["cache"]["backend"], keyring);
    assert!(status["cache"]["expires"].as_str().unwrap().ends_with('Z'));

    // After lock it prompts again.
    w.cmd(["lock"])
        .env("AISECRETS_KEYRING", keyring)
        .ok()
        .stderr_has(keyring);
    assert!(!held_by_backend(&w, keyring));
    assert!(!get_without_terminal(&w, keyring));
    let (prompted, _, code) = in_terminal(&w, keyring, &["get", "HF_TOKEN"], PASS);
    assert!(prompted && code == 0);
    w.cmd(["lock"]).env("AISECRETS_KEYRING", keyring).ok();

    // A 2-second unlock expires.
    let (prompted, text, code) = in_terminal(&w, keyring, &["unlock", "--for", "2s"], PASS);
    assert!(
        prompted && code == 0 && text.contains("unlocked until"),
        "{text}"
    );
    assert!(get_without_terminal(&w, keyring));
    std::thread::sleep(Duration::from_millis(2600));
    assert!(
        !get_without_terminal(&w, keyring),
        "the unlock outlived --for"
    );
    let (prompted, _, _) = in_terminal(&w, keyring, &["get", "HF_TOKEN"], PASS);
    assert!(prompted, "an expired item must ask again");
    w.cmd(["lock"]).env("AISECRETS_KEYRING", keyring).ok();

    // A wrong passphrase is refused and caches nothing.
    let (prompted, text, code) = in_terminal(&w, keyring, &["unlock"], "wrong passphrase");
    assert!(
        prompted && code == 1 && text.contains("wrong passphrase"),
        "{text}"
    );
    assert!(!held_by_backend(&w, keyring));
    assert!(!get_without_terminal(&w, keyring));
    let (_, text, code) = in_terminal(&w, keyring, &["get", "HF_TOKEN"], "wrong passphrase");
    assert!(code == 1 && !text.contains(VALUE));
    assert!(!held_by_backend(&w, keyring));
}

#[test]
fn secret_service_cache() {
    the_cache_works("secret-service");
}

#[test]
fn keyutils_cache() {
    the_cache_works("keyutils");
}

#[test]
fn auto_prefers_the_secret_service_and_falls_back_to_keyutils_without_a_bus() {
    let bus = bus();
    let w = locked_world("keyutils");
    let auto = |c: crate::util::Cmd| {
        c.env_remove("AISECRETS_KEYRING")
            .env("DBUS_SESSION_BUS_ADDRESS", &bus)
    };
    let status = auto(w.cmd(["status", "--json"])).ok().stdout_str();
    assert!(
        status.contains("\"backend\": \"secret-service\""),
        "{status}"
    );
    // The bus is gone (a dead address): keyutils, quickly, no hang.
    let dead = format!("unix:path={}", w.path("no-such-bus").display());
    let start = Instant::now();
    let status = w
        .cmd(["status", "--json"])
        .env_remove("AISECRETS_KEYRING")
        .env("DBUS_SESSION_BUS_ADDRESS", &dead)
        .ok()
        .stdout_str();
    assert!(status.contains("\"backend\": \"keyutils\""), "{status}");
    w.cmd(["unlock"])
        .env_remove("AISECRETS_KEYRING")
        .env("DBUS_SESSION_BUS_ADDRESS", &dead)
        .stdin(format!("{PASS}\n"))
        .ok()
        .stderr_has("keyutils");
    let out = w
        .cmd(["get", "HF_TOKEN"])
        .env_remove("AISECRETS_KEYRING")
        .env("DBUS_SESSION_BUS_ADDRESS", &dead)
        .reveals()
        .ok();
    assert_eq!(out.stdout_str(), format!("{VALUE}\n"));
    // No bus at all.
    let out = w
        .cmd(["get", "HF_TOKEN"])
        .env_remove("AISECRETS_KEYRING")
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .reveals()
        .ok();
    assert_eq!(out.stdout_str(), format!("{VALUE}\n"));
    assert!(start.elapsed() < Duration::from_secs(15));
    w.cmd(["lock"])
        .env_remove("AISECRETS_KEYRING")
        .env("DBUS_SESSION_BUS_ADDRESS", &dead)
        .ok();
}

#[test]
fn with_no_cache_the_passphrase_is_asked_each_time() {
    let w = locked_world("keyutils");
    w.cmd(["unlock"])
        .env("AISECRETS_KEYRING", "none")
        .stdin(format!("{PASS}\n"))
        .fails(1)
        .stderr_has("cannot cache");
    for _ in 0..2 {
        let (prompted, text, code) = in_terminal(&w, "none", &["get", "HF_TOKEN"], PASS);
        assert!(prompted && code == 0 && text.contains(VALUE), "{text}");
    }
    w.cmd(["status"]).env("AISECRETS_KEYRING", "none").ok();
    w.cmd(["status"])
        .env("AISECRETS_KEYRING", "bogus")
        .fails(2)
        .stderr_has("unknown keyring");
}

#[test]
fn a_corrupted_cache_item_is_deleted_and_asked_again() {
    let w = locked_world("keyutils");
    let public = w.public_key();
    let st = Command::new("keyctl")
        .args([
            "add",
            "user",
            &format!("aisecrets:{public}"),
            "garbage",
            "@s",
        ])
        .output()
        .unwrap();
    assert!(st.status.success());
    assert!(!get_without_terminal(&w, "keyutils"));
    assert!(
        !held_by_backend(&w, "keyutils"),
        "the broken item was not deleted"
    );
}

#[test]
fn the_child_of_run_never_possesses_the_cached_identity() {
    let w = locked_world("keyutils");
    unlock(&w, "keyutils");
    let public = w.public_key();
    let out = w
        .run_sh(&format!(
            "keyctl search @s user aisecrets:{public}; keyctl show @s; env"
        ))
        .env("AISECRETS_KEYRING", "keyutils")
        .reveals()
        .run();
    let text = out.stdout_str();
    assert!(
        !text.contains("aisecrets:age1"),
        "the child can see the cached key:\n{text}"
    );
    assert!(!text.contains("AGE-SECRET-KEY") && !text.contains("AISECRETS_"));
    assert!(text.contains(VALUE), "the child did not get its secret");
    assert!(
        held_by_backend(&w, "keyutils"),
        "the parent's cache is still there"
    );
    w.cmd(["lock"]).env("AISECRETS_KEYRING", "keyutils").ok();
}

#[test]
fn run_in_a_terminal_gives_the_child_the_terminal() {
    // The child reads the terminal (it is the foreground group) and Ctrl-C reaches it once.
    let w = World::with_secrets();
    let mut c = w.command(["run", "--", "sh", "-c", "read line; echo got:$line; trap 'echo INT; exit 5' INT; echo ready; while :; do sleep 0.1; done"]);
    c.env("AISECRETS_KEYRING", "none");
    let mut p = spawn_command(c, Some(20_000)).unwrap();
    p.send_line("hello").unwrap();
    p.exp_string("got:hello").unwrap();
    p.exp_string("ready").unwrap();
    p.send_control('c').unwrap();
    let rest = p.exp_eof().unwrap();
    assert_eq!(rest.matches("INT").count(), 1, "{rest}");
    match p.process().wait().unwrap() {
        nix::sys::wait::WaitStatus::Exited(_, code) => assert_eq!(code, 5),
        other => panic!("{other:?}"),
    }
}

#[test]
fn ctrl_c_in_a_terminal_ends_the_child_and_aisecrets_like_a_plain_command() {
    // A child that does not catch SIGINT dies of the terminal's Ctrl-C, and aisecrets dies of
    // it too (so a shell loop around it stops), without a second SIGINT reaching the child.
    let w = World::with_secrets();
    let mut c = w.command(["run", "--", "sh", "-c", "echo ready; sleep 30"]);
    c.env("AISECRETS_KEYRING", "none");
    let mut p = spawn_command(c, Some(20_000)).unwrap();
    p.exp_string("ready").unwrap();
    p.send_control('c').unwrap();
    p.exp_eof().unwrap();
    match p.process().wait().unwrap() {
        nix::sys::wait::WaitStatus::Signaled(_, sig, _) => {
            assert_eq!(sig, nix::sys::signal::Signal::SIGINT)
        }
        other => panic!("expected death by SIGINT, got {other:?}"),
    }
}
