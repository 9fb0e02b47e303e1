//! `run` for AI workloads: least privilege, file secrets, masked output, the argv check,
//! PID 1, and the audit log.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::{HF, OPENAI, World, run_ok, wait_for};

fn child_env(w: &World, args: &[&str]) -> String {
    let mut full = vec!["run"];
    full.extend_from_slice(args);
    full.extend(["--", "env"]);
    w.cmd(full)
        .env("KEEP_ME", "kept")
        .reveals()
        .ok()
        .stdout_str()
}

#[test]
fn only_and_scope_give_exactly_the_named_secrets() {
    let mut w = World::with_secrets();
    w.canary("wandb-FAKE-0000");
    w.cmd(["set", "WANDB_API_KEY"])
        .stdin("wandb-FAKE-0000")
        .ok();
    w.append_manifest("\n[scopes.train]\nsecrets = [\"WANDB_API_KEY\", \"HF_TOKEN\"]\n");
    let env = child_env(&w, &["--only", "HF_TOKEN"]);
    assert!(env.contains(&format!("HF_TOKEN={HF}")) && env.contains("KEEP_ME=kept"));
    assert!(
        !env.contains("OPENAI_API_KEY") && !env.contains("WANDB_API_KEY"),
        "{env}"
    );
    let env = child_env(&w, &["--scope", "train"]);
    assert!(
        env.contains("WANDB_API_KEY=wandb-FAKE-0000")
            && env.contains("HF_TOKEN=")
            && env.contains("KEEP_ME=kept")
    );
    assert!(!env.contains("OPENAI_API_KEY"), "{env}");
    let env = child_env(&w, &["--only", "HF_TOKEN,OPENAI_API_KEY"]);
    assert!(env.contains("HF_TOKEN=") && env.contains("OPENAI_API_KEY=") && !env.contains("WANDB"));
    w.cmd(["run", "--only", "HF_TOKN", "--", "true"])
        .fails(1)
        .one_line_error()
        .stderr_has("known: HF_TOKEN, OPENAI_API_KEY, WANDB_API_KEY")
        .stderr_has("did you mean `HF_TOKEN`");
    w.cmd(["run", "--scope", "trian", "--", "true"])
        .fails(1)
        .one_line_error()
        .stderr_has("known: train");
    w.cmd([
        "run", "--scope", "train", "--only", "HF_TOKEN", "--", "true",
    ])
    .fails(2);
}

#[test]
fn default_env_from_the_manifest() {
    let w = World::with_secrets();
    w.cmd(["init", "--env", "prod"]).ok();
    w.cmd(["set", "K", "--env", "prod"]).stdin("prod-FAKE").ok();
    let path = w.project.join("aisecrets.toml");
    let m = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        m.replace("[project]\n", "[project]\ndefault_env = \"prod\"\n"),
    )
    .unwrap();
    assert_eq!(
        w.cmd(["run", "--", "printenv", "K"]).ok().stdout_str(),
        "prod-FAKE\n"
    );
}

const FILE_CHILD: &str = r#"
import os, stat, subprocess, sys
p = os.environ["GOOGLE_APPLICATION_CREDENTIALS"]
d = os.path.dirname(p)
fs = subprocess.run(["stat", "-f", "-c", "%T", d], capture_output=True, text=True).stdout.strip()
open(sys.argv[1], "w").write("%s %o %o %s %s" % (p, stat.S_IMODE(os.stat(p).st_mode), stat.S_IMODE(os.stat(d).st_mode), fs, open(p).read()))
how = sys.argv[2]
if how == "fail": sys.exit(3)
if how != "ok": os.kill(os.getpid(), int(how))
"#;

#[test]
fn file_secrets_live_in_ram_while_the_child_runs_and_go_after_any_exit() {
    let mut w = World::new();
    let sa = "{\"type\": \"service_account\", \"private_key\": \"FAKE-pem\"}";
    w.canary(sa);
    w.cmd(["set", "GOOGLE_APPLICATION_CREDENTIALS"])
        .stdin(sa)
        .ok();
    w.append_manifest("\n[files]\nGOOGLE_APPLICATION_CREDENTIALS = \"gcp-sa.json\"\n");
    let script = w.path("child.py");
    std::fs::write(&script, FILE_CHILD).unwrap();
    for (how, code) in [
        ("ok", 0),
        ("fail", 3),
        ("15", 128 + 15),
        ("2", 128 + 2),
        ("9", 128 + 9),
    ] {
        let report = w.path(&format!("report-{how}"));
        w.cmd([
            "run",
            "--",
            "python3",
            script.to_str().unwrap(),
            report.to_str().unwrap(),
            how,
        ])
        .fails(code);
        let text = std::fs::read_to_string(&report).unwrap();
        let mut parts = text.splitn(5, ' ');
        let (path, fmode, dmode, fs, content) = (
            parts.next().unwrap(),
            parts.next().unwrap(),
            parts.next().unwrap(),
            parts.next().unwrap(),
            parts.next().unwrap(),
        );
        assert!(path.ends_with("/gcp-sa.json"), "{text}");
        assert_eq!((fmode, dmode), ("600", "700"), "{how}");
        assert!(
            fs == "tmpfs" || fs == "ramfs",
            "not on a RAM filesystem: {fs}"
        );
        assert_eq!(content, sa);
        assert!(
            !std::path::Path::new(path).exists(),
            "the file outlived the child ({how})"
        );
        assert!(
            !std::path::Path::new(path).parent().unwrap().exists(),
            "the folder outlived the child ({how})"
        );
    }
}

const TALKER: &str = r#"
import base64, os, sys, time, urllib.parse
v = os.environ["OPENAI_API_KEY"]
print("plain:", v, flush=True)
print("b64:", base64.b64encode(v.encode()).decode(), flush=True)
print("url:", urllib.parse.quote(v, safe=""), flush=True)
sys.stdout.write("split:" + v[:7]); sys.stdout.flush(); time.sleep(0.01)
sys.stdout.write(v[7:] + "\n"); sys.stdout.flush()
print("err:", os.environ["HF_TOKEN"], file=sys.stderr, flush=True)
print("\x1b[32mgreen\x1b[0m 10%\r100%", flush=True)
sys.exit(4)
"#;

#[test]
fn mask_redacts_every_form_through_pipes() {
    let w = World::with_secrets();
    let script = w.path("talk.py");
    std::fs::write(&script, TALKER).unwrap();
    let out = w
        .cmd(["run", "--mask", "--", "python3", script.to_str().unwrap()])
        .fails(4);
    let text = out.stdout_str();
    for line in [
        "plain: [REDACTED:OPENAI_API_KEY]",
        "b64: [REDACTED:OPENAI_API_KEY]",
        "url: [REDACTED:OPENAI_API_KEY]",
        "split:[REDACTED:OPENAI_API_KEY]",
        "\x1b[32mgreen\x1b[0m 10%\r100%",
    ] {
        assert!(text.contains(line), "missing {line:?} in {text:?}");
    }
    assert!(out.stderr_str().contains("err: [REDACTED:HF_TOKEN]"));
    // Without --mask the same child shows them (the check above is not vacuous).
    let out = w
        .cmd(["run", "--", "python3", script.to_str().unwrap()])
        .cmd
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains(OPENAI));
}

#[test]
fn mask_under_a_terminal_keeps_isatty_and_colours() {
    let w = World::with_secrets();
    let mut c = w.command(["run", "--mask", "--", "python3", "-c", "import os,sys; print('tty', sys.stdout.isatty(), sys.stderr.isatty(), os.environ['OPENAI_API_KEY']); print('\\x1b[31mred\\x1b[0m 1/2\\r2/2')"]);
    c.env("AISECRETS_KEYRING", "none");
    let mut p = rexpect::session::spawn_command(c, Some(20_000)).unwrap();
    let text = p.exp_eof().unwrap();
    assert!(
        text.contains("tty True True [REDACTED:OPENAI_API_KEY]"),
        "{text:?}"
    );
    assert!(text.contains("\x1b[31mred\x1b[0m 1/2\r2/2"), "{text:?}");
    assert!(!text.contains(OPENAI));
}

#[test]
fn a_secret_in_argv_is_refused_unless_allowed() {
    let w = World::with_secrets();
    let marker = w.path("ran");
    w.cmd([
        "run",
        "--",
        "sh",
        "-c",
        &format!("touch {}", marker.display()),
        "x",
        &format!("--key={OPENAI}"),
    ])
    .reveals()
    .fails(1)
    .one_line_error()
    .stderr_has("`OPENAI_API_KEY` is in the command line")
    .stderr_has("--allow-argv");
    assert!(!marker.exists());
    w.cmd(["run", "--allow-argv", "--", "true", OPENAI])
        .reveals()
        .ok();
}

const SIGNALS: &str = r#"
import signal, sys, time
out = sys.argv[1]
def h(sig, frame):
    open(out, "a").write(signal.Signals(sig).name + "\n")
    if sig == signal.SIGTERM: sys.exit(9)
for s in (signal.SIGINT, signal.SIGHUP, signal.SIGTERM): signal.signal(s, h)
open(out + ".ready", "w").close()
while True: time.sleep(0.02)
"#;

fn signals_reach_the_child(w: &World, mask: bool, in_pid_namespace: bool) {
    let log = w.path(&format!("sig-{mask}-{in_pid_namespace}.log"));
    let script = w.path("sig.py");
    std::fs::write(&script, SIGNALS).unwrap();
    let mut args = vec!["run"];
    if mask {
        args.push("--mask");
    }
    args.extend([
        "--",
        "python3",
        script.to_str().unwrap(),
        log.to_str().unwrap(),
    ]);
    let mut c = w.cmd(args).cmd;
    if in_pid_namespace {
        // aisecrets as PID 1 of a new PID namespace, as in a container.
        let inner = std::mem::replace(&mut c, Command::new("unshare"));
        c.arg("--pid")
            .arg("--fork")
            .arg("--kill-child")
            .arg(inner.get_program())
            .args(inner.get_args())
            .current_dir(&w.project);
        for (k, v) in inner.get_envs() {
            match v {
                Some(v) => c.env(k, v),
                None => c.env_remove(k),
            };
        }
    }
    let child = c
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let ready = log.with_extension("log.ready");
    wait_for("the child", || ready.exists());
    // The process to signal: aisecrets itself (inside the namespace, PID 1).
    let target = if in_pid_namespace {
        let children =
            std::fs::read_to_string(format!("/proc/{}/task/{}/children", child.id(), child.id()))
                .unwrap();
        children
            .split_whitespace()
            .next()
            .unwrap()
            .parse::<i32>()
            .unwrap()
    } else {
        child.id() as i32
    };
    let pid = nix::unistd::Pid::from_raw(target);
    let lines = || {
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .lines()
            .count()
    };
    for (i, sig) in [
        nix::sys::signal::Signal::SIGINT,
        nix::sys::signal::Signal::SIGHUP,
    ]
    .iter()
    .enumerate()
    {
        nix::sys::signal::kill(pid, *sig).unwrap();
        wait_for("a signal", || lines() > i);
    }
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(9),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(&log).unwrap(),
        "SIGINT\nSIGHUP\nSIGTERM\n"
    );
}

#[test]
fn signals_and_exit_status_with_mask() {
    let w = World::with_secrets();
    signals_reach_the_child(&w, true, false);
    w.cmd(["run", "--mask", "--", "sh", "-c", "kill -TERM $$"])
        .fails(128 + 15);
}

#[test]
fn signals_reach_the_child_when_aisecrets_is_pid_1() {
    let w = World::with_secrets();
    signals_reach_the_child(&w, false, true);
    signals_reach_the_child(&w, true, true);
}

#[test]
fn the_audit_log_records_opens_and_changes_and_catches_tampering() {
    let w = World::with_secrets();
    w.cmd(["get", "HF_TOKEN"]).reveals().ok();
    w.cmd(["export"]).reveals().ok();
    w.cmd(["run", "--", "true"]).ok();
    w.cmd(["rm", "HF_TOKEN"]).ok();
    let (bob_key, _) = {
        let out = Command::new("age-keygen").output().unwrap();
        let pubk = String::from_utf8(out.stderr)
            .unwrap()
            .trim()
            .trim_start_matches("Public key: ")
            .to_owned();
        (pubk, ())
    };
    w.cmd(["recipients", "add", "bob", &bob_key]).ok();
    let events: serde_json::Value =
        serde_json::from_str(&w.cmd(["audit", "--json"]).ok().stdout_str()).unwrap();
    let actions: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "set",
            "set",
            "get",
            "export",
            "run",
            "rm",
            "recipients-rewrap"
        ]
    );
    let run = &events[4];
    assert_eq!(run["command"], "true");
    assert_eq!(run["env"], "dev");
    assert!(
        run["names"].as_array().unwrap().len() == 2 && run["time"].as_str().unwrap().ends_with('Z')
    );
    let log = w.home.join("audit.jsonl");
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        !text.contains(OPENAI) && !text.contains(HF),
        "a value is in the audit log"
    );
    w.cmd(["audit", "--verify"]).ok();
    assert!(w.cmd(["audit"]).ok().stdout_str().contains("export"));
    assert_eq!(
        w.cmd(["audit", "--since", "2999-01-01", "--json"])
            .ok()
            .stdout_str()
            .trim(),
        "[]"
    );
    w.cmd(["audit", "--since", "yesterday-ish"]).fails(2);
    // Removing a line is caught, naming it.
    let lines: Vec<&str> = text.lines().collect();
    let without: String = lines
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 2)
        .map(|(_, l)| format!("{l}\n"))
        .collect();
    std::fs::write(&log, &without).unwrap();
    w.cmd(["audit", "--verify"]).fails(1).stderr_has("line 3");
    // Editing one is caught too.
    std::fs::write(&log, text.replacen("\"get\"", "\"list\"", 1)).unwrap();
    w.cmd(["audit", "--verify"])
        .fails(1)
        .stderr_has("line 3 was altered");
    // And the last line.
    std::fs::write(
        &log,
        lines[..lines.len() - 1]
            .iter()
            .map(|l| format!("{l}\n"))
            .collect::<String>(),
    )
    .unwrap();
    w.cmd(["audit", "--verify"])
        .fails(1)
        .stderr_has("last line");
}

/// Regression (review of #6): with --mask, a reader that goes away (`| head -1`) ends the
/// child with SIGPIPE as without aisecrets, instead of leaving it running.
#[test]
fn mask_ends_when_the_reader_goes_away() {
    let w = World::with_secrets();
    let start = Instant::now();
    let mut child = w
        .cmd([
            "run",
            "--mask",
            "--",
            "sh",
            "-c",
            "while :; do echo x; sleep 0.05; done",
        ])
        .spawn_stdout();
    {
        use std::io::Read;
        let mut out = child.stdout.take().unwrap();
        let mut one = [0u8; 2];
        out.read_exact(&mut one).unwrap();
    } // our end of the pipe closes here
    let status = child.wait().unwrap();
    assert!(
        start.elapsed() < Duration::from_secs(15),
        "aisecrets ran on after its reader left"
    );
    assert_eq!(
        status.code(),
        Some(128 + 13),
        "the child should die of SIGPIPE"
    );
}

/// Regression (review of #6): another aisecrets in another PID namespace (same /dev/shm)
/// must not sweep a live run's file secrets.
#[test]
fn a_live_runs_file_secrets_survive_another_aisecrets_in_another_pid_namespace() {
    let mut w = World::new();
    let sa = "{\"type\": \"service_account\", \"private_key\": \"FAKE-ns\"}";
    w.canary(sa);
    w.cmd(["set", "GOOGLE_APPLICATION_CREDENTIALS"])
        .stdin(sa)
        .ok();
    w.append_manifest("\n[files]\nGOOGLE_APPLICATION_CREDENTIALS = \"gcp-sa.json\"\n");
    let ready = w.path("ready");
    let seen = w.path("seen");
    let script = format!(
        "touch {r}; while [ ! -e {go} ]; do sleep 0.05; done; cat \"$GOOGLE_APPLICATION_CREDENTIALS\" > {s}",
        r = ready.display(),
        go = w.path("go").display(),
        s = seen.display()
    );
    let mut c = w.run_sh(&script).cmd;
    let child = c
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for("the run", || ready.exists());
    let other = w.cmd(["list"]).cmd;
    run_ok(
        Command::new("unshare")
            .args(["--pid", "--fork"])
            .arg(other.get_program())
            .args(other.get_args())
            .envs(other.get_envs().filter_map(|(k, v)| v.map(|v| (k, v))))
            .env_remove("AISECRETS_IDENTITY")
            .current_dir(&w.project),
    );
    std::fs::write(w.path("go"), "").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::read_to_string(&seen).unwrap(), sa);
}

/// Regression (review of #6): deleting the last line and the head file is not papered over
/// by the next record.
#[test]
fn a_lost_head_file_is_reported_not_rebuilt() {
    let w = World::with_secrets();
    w.cmd(["get", "HF_TOKEN"]).reveals().ok();
    let log = w.home.join("audit.jsonl");
    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    std::fs::write(
        &log,
        lines[..lines.len() - 1]
            .iter()
            .map(|l| format!("{l}\n"))
            .collect::<String>(),
    )
    .unwrap();
    std::fs::remove_file(w.home.join("audit.head")).unwrap();
    w.cmd(["get", "HF_TOKEN"]).reveals().ok();
    w.cmd(["audit", "--verify"])
        .fails(1)
        .stderr_has("head file was missing");
}
