//! How far a repository writer can make a plugin identity go (#19): how many times git history
//! may start the plugin (each start may ask for a PIN or a touch), a plugin that dies or never
//! answers. The stand-in plugin and its world are plugin.rs's; its log counts its runs.

use std::io::Write as _;

use crate::plugin::Plugged;
use crate::util::git_in;

/// An armored age file of a random 32-byte key to a throwaway recipient: a data key block
/// that opens for nobody here, as anyone can make one.
fn junk_block(seed: u8) -> String {
    let r = age::x25519::Identity::generate().to_public();
    let enc = age::Encryptor::with_recipients(std::iter::once(&r as &dyn age::Recipient)).unwrap();
    let mut out = Vec::new();
    let armor =
        age::armor::ArmoredWriter::wrap_output(&mut out, age::armor::Format::AsciiArmor).unwrap();
    let mut w = enc.wrap_output(armor).unwrap();
    w.write_all(&[seed; 32]).unwrap();
    w.finish().and_then(|a| a.finish()).unwrap();
    String::from_utf8(out).unwrap()
}

/// `text` (an environment file) with another key id and data key block.
fn forged(text: &str, key_id: &str, block: &str) -> String {
    let begin = text.find("-----BEGIN AGE ENCRYPTED FILE-----").unwrap();
    let end = text.find("-----END AGE ENCRYPTED FILE-----").unwrap() + 32;
    let text = format!("{}{}{}", &text[..begin], block.trim_end(), &text[end..]);
    let line = text.lines().find(|l| l.starts_with("key_id = ")).unwrap();
    text.replace(line, &format!("key_id = \"{key_id}\""))
}

/// A branch of `versions` commits of `dev`, each with another key id; `blocks` distinct data
/// key blocks among them. Back on the previous branch after.
fn junk_branch(p: &Plugged, name: &str, versions: usize, blocks: usize) {
    let dir = &p.w.project;
    git_in(dir, &["checkout", "-qb", name]);
    let text = std::fs::read_to_string(p.w.dev_file()).unwrap();
    let made: Vec<String> = (0..blocks)
        .map(|i| junk_block(u8::try_from(i).unwrap()))
        .collect();
    for i in 0..versions {
        let key_id = format!(
            "{:032x}",
            0xfeed_0000_u64 + (i as u64) + (name.len() as u64) * 1000
        );
        std::fs::write(p.w.dev_file(), forged(&text, &key_id, &made[i % blocks])).unwrap();
        git_in(
            dir,
            &["commit", "--no-verify", "-qam", &format!("{name} {i}")],
        );
    }
    git_in(dir, &["checkout", "-q", "-"]);
}

/// A legitimate rekey by the X25519 user (a recipient added and removed), committed.
fn rekey(p: &Plugged, who: &str) {
    let other = age::x25519::Identity::generate().to_public().to_string();
    p.cmd(&["recipients", "add", who, &other]).ok();
    p.cmd(&["recipients", "rm", who]).ok();
    git_in(
        &p.w.project,
        &["commit", "--no-verify", "-qam", &format!("rekey {who}")],
    );
}

/// A repository writer pushes versions of `dev` with other key ids. When a plugin user's pin
/// moves (a legitimate rekey), the fork search of git history opens each data key block once,
/// whatever key ids claim it, and starts the plugin for at most three of them; past that,
/// one line says to check the key with `aisecrets trust`, and nothing is trusted.
#[test]
fn git_history_starts_a_plugin_identity_at_most_three_times() {
    let p = Plugged::new();
    p.add_recipient();
    let dir = &p.w.project;
    git_in(dir, &["init", "-q"]);
    git_in(dir, &["add", "-A"]);
    git_in(dir, &["commit", "--no-verify", "-qm", "base"]);
    // The plugin user: the world's X25519 key (which opens the current file, so no terminal
    // is needed) and the plugin identity, in one file, with a home of their own.
    let stored = std::fs::read_to_string(p.w.home.join("identity.age")).unwrap();
    let x25519 = stored
        .lines()
        .find(|l| l.starts_with("AGE-SECRET-KEY-1"))
        .unwrap();
    let both = p.w.path("both.txt");
    let plugin_text = std::fs::read_to_string(&p.identity).unwrap();
    std::fs::write(&both, format!("{x25519}\n{plugin_text}")).unwrap();
    let pu_home = p.w.path("pu-home");
    std::fs::create_dir_all(&pu_home).unwrap();
    let as_pu = |args: &[&str]| {
        p.cmd(args)
            .env("AISECRETS_HOME", &pu_home)
            .env("AISECRETS_IDENTITY_FILE", &both)
    };
    as_pu(&["trust", "--env", "dev", "--yes"]).ok();
    let runs = || p.log().matches("identity-v1").count();

    // Ten versions sharing two blocks: two plugin starts, and the rekey is trusted.
    junk_branch(&p, "junk", 10, 2);
    rekey(&p, "carol");
    let _ = std::fs::remove_file(&p.log);
    as_pu(&["run", "--", "true"]).ok();
    assert_eq!(runs(), 2, "{}", p.log());

    // Five more blocks: three starts, then one line, and nothing run.
    junk_branch(&p, "more", 5, 5);
    rekey(&p, "dave");
    let _ = std::fs::remove_file(&p.log);
    as_pu(&["run", "--", "sh", "-c", "echo child-ran"])
        .fails(1)
        .stderr_has("aisecrets trust --env dev")
        .stderr_has("not searched for a fork");
    assert_eq!(runs(), 3, "{}", p.log());
}

/// Installs a shell script as `age-plugin-aistest` in a new folder `name`: PATH for it.
fn script_plugin(p: &Plugged, name: &str, body: &str) -> String {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = p.w.path(name);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("age-plugin-aistest");
    std::fs::write(&file, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o755)).unwrap();
    format!("{}:{}", dir.display(), std::env::var("PATH").unwrap())
}

/// A plugin that dies at once (not installed right: exit 127) is the plugin's failure: one
/// line naming it, not "the file is damaged, restore it from git".
#[test]
fn a_plugin_that_dies_is_not_a_damaged_file() {
    let p = Plugged::new();
    p.add_recipient();
    let path = script_plugin(&p, "dies", "exit 127");
    let out = p
        .as_plugin_user(&["run", "--", "true"])
        .env("PATH", &path)
        .fails(1)
        .one_line_error()
        .stderr_has("your identity's age plugin did not open it")
        .stderr_has("age-plugin-aistest ended without answering");
    let err = out.stderr_str();
    assert!(
        !err.contains("restore") && !err.contains("damaged") && !err.contains("does not open"),
        "{err}"
    );
}

/// A plugin that never answers (a device waiting for a touch), with no terminal to show its
/// messages on: the wait is bounded (60 s; the tests shorten it) and ends in one line.
#[test]
fn a_plugin_that_never_answers_without_a_terminal_times_out() {
    let p = Plugged::new();
    p.add_recipient();
    let pid_file = p.w.path("hangs.pid");
    let path = script_plugin(
        &p,
        "hangs",
        &format!(
            "echo $$ > {}\nexec sleep 40 2>/dev/null",
            pid_file.display()
        ),
    );
    let started = std::time::Instant::now();
    p.as_plugin_user(&["run", "--", "true"])
        .env("PATH", &path)
        .env("AISECRETS_TEST_PLUGIN_TIMEOUT", "2")
        .fails(1)
        .one_line_error()
        .stderr_has("age-plugin-aistest did not answer within 2 s");
    let took = started.elapsed();
    // The plugin is ours to stop (it would end by itself after 40 s).
    let pid: i32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGKILL,
    );
    assert!(took < std::time::Duration::from_secs(20), "{took:?}");
}

/// A plugin's message reaches the person without Unicode isolation marks (U+2068/U+2069),
/// which a terminal does not show and which can hide text.
#[test]
fn a_plugin_message_loses_its_isolation_marks() {
    let p = Plugged::new();
    p.add_recipient();
    let out = p
        .as_plugin_user(&["run", "--", "true"])
        .env(
            "AISTEST_MESSAGE",
            "aistest: touch \u{2068}your key\u{2069} now",
        )
        .fails(1);
    let err = out.stderr_str();
    assert!(
        err.contains("aistest: touch your key now") && !err.contains(['\u{2068}', '\u{2069}']),
        "{err:?}"
    );
}
