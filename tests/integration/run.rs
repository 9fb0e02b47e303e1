//! `aisecrets run`: what the child gets, what it does not, its exit status and signals.

use std::process::Stdio;
use std::time::Duration;

use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;

use crate::util::{HF, OPENAI, World, wait_for};

#[test]
fn the_child_gets_the_secrets_and_nothing_of_aisecrets() {
    let w = World::with_secrets();
    let out = w
        .cmd(["run", "--", "env"])
        .env("AISECRETS_IDENTITY_FILE", w.home.join("identity.age"))
        .env("AISECRETS_ANYTHING", "x")
        .env("KEEP_ME", "kept")
        .reveals()
        .ok();
    let env = out.stdout_str();
    assert!(
        env.lines().any(|l| l == format!("OPENAI_API_KEY={OPENAI}")),
        "{env}"
    );
    assert!(env.lines().any(|l| l == format!("HF_TOKEN={HF}")));
    assert!(env.lines().any(|l| l == "KEEP_ME=kept"));
    assert!(
        !env.contains("AISECRETS_"),
        "aisecrets' own variables reached the child:\n{env}"
    );
    assert!(
        out.stderr_str().is_empty(),
        "run printed: {}",
        out.stderr_str()
    );
}

#[test]
fn aisecrets_identity_never_reaches_the_child() {
    let w = World::with_secrets();
    let key = std::fs::read_to_string(w.home.join("identity.age")).unwrap();
    let secret = key
        .lines()
        .find(|l| l.starts_with("AGE-SECRET-KEY-1"))
        .unwrap();
    let out = w
        .cmd(["run", "--", "env"])
        .env("AISECRETS_IDENTITY", secret)
        .reveals()
        .ok();
    assert!(!out.stdout_str().contains("AGE-SECRET-KEY"));
    assert!(out.stdout_str().contains(OPENAI));
}

#[test]
fn argv_is_passed_untouched_without_a_shell() {
    let w = World::with_secrets();
    let args = ["two words", "$HOME", "*", "`id`", "--env", "-x", ""];
    let mut full = vec![
        "run",
        "--",
        "python3",
        "-c",
        "import sys, json; print(json.dumps(sys.argv[1:]))",
    ];
    full.extend(args);
    let out = w.cmd(full).ok();
    let got: Vec<String> = serde_json::from_str(out.stdout_str().trim()).unwrap();
    assert_eq!(got, args);
}

#[test]
fn nothing_on_stdout_but_the_childs() {
    let w = World::with_secrets();
    assert_eq!(w.cmd(["run", "--", "true"]).ok().0.stdout, b"");
    assert_eq!(
        w.cmd(["run", "--", "printf", "exact"]).ok().0.stdout,
        b"exact"
    );
}

#[test]
fn values_arrive_literally() {
    let w = World::new();
    let marker = w.path("marker");
    let bait = format!(
        "$(touch {m}) `touch {m}` ${{HOME}} %USERPROFILE%",
        m = marker.display()
    );
    w.cmd(["set", "BAIT"]).stdin(&bait).ok();
    let out = w.cmd(["run", "--", "printenv", "BAIT"]).ok();
    assert_eq!(out.stdout_str(), format!("{bait}\n"));
    assert!(!marker.exists());
}

#[test]
fn exit_status_is_the_childs() {
    let w = World::with_secrets();
    w.run_sh("exit 42").fails(42);
    w.cmd(["run", "--", "false"]).fails(1);
    w.run_sh("kill -TERM $$").fails(128 + 15);
    w.run_sh("kill -KILL $$").fails(128 + 9);
    w.run_sh("kill -INT $$").fails(128 + 2);
}

#[test]
fn a_missing_command_is_one_line_and_127() {
    let w = World::with_secrets();
    w.cmd(["run", "--", "no-such-command-xyz"])
        .fails(127)
        .one_line_error()
        .stderr_has("cannot run `no-such-command-xyz`");
    let script = w.path("noexec.sh");
    std::fs::write(&script, "#!/bin/sh\n").unwrap();
    w.cmd(["run", "--", script.to_str().unwrap()]).fails(126);
}

pub(crate) const SIGNAL_CHILD: &str = r#"
import signal, sys, time
out = sys.argv[1]
def h(sig, frame):
    with open(out, "a") as f:
        f.write(signal.Signals(sig).name + "\n")
    if sig == signal.SIGTERM:
        sys.exit(7)
for s in (signal.SIGINT, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2, signal.SIGTERM):
    signal.signal(s, h)
open(out + ".ready", "w").close()
while True:
    time.sleep(0.02)
"#;

#[test]
fn signals_reach_the_child_exactly_once() {
    let w = World::with_secrets();
    let log = w.path("signals.log");
    let script = w.path("child.py");
    std::fs::write(&script, SIGNAL_CHILD).unwrap();
    let mut c = w
        .cmd([
            "run",
            "--",
            "python3",
            script.to_str().unwrap(),
            log.to_str().unwrap(),
        ])
        .cmd;
    let child = c
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = Pid::from_raw(child.id() as i32);
    let ready = log.with_extension("log.ready");
    wait_for("the child to start", || ready.exists());
    let lines = || {
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .lines()
            .count()
    };
    let sent = [
        Signal::SIGINT,
        Signal::SIGHUP,
        Signal::SIGQUIT,
        Signal::SIGUSR1,
        Signal::SIGUSR2,
    ];
    for (i, sig) in sent.iter().enumerate() {
        kill(pid, *sig).unwrap();
        wait_for("the signal to arrive", || lines() > i);
    }
    // Sent to aisecrets' whole process group (as a shell's `kill %1` does): still once.
    killpg(pid, Signal::SIGUSR1).unwrap();
    wait_for("the group signal", || lines() > sent.len());
    std::thread::sleep(Duration::from_millis(300));
    kill(pid, Signal::SIGTERM).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(7),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty());
    let got = std::fs::read_to_string(&log).unwrap();
    assert_eq!(
        got,
        "SIGINT\nSIGHUP\nSIGQUIT\nSIGUSR1\nSIGUSR2\nSIGUSR1\nSIGTERM\n"
    );
}
