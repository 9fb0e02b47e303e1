//! `run --jail` and `run --agent` (#15): the jailed child reaches no network but loopback of
//! its own, reads none of the user's aisecrets files, cannot read aisecrets, and otherwise
//! behaves as without the jail; where the kernel refuses a piece, `--jail` refuses to start.
//!
//! The end-to-end test through the proxy (`run --agent` with the proxy tests' fake HTTPS
//! server) is `agent_reaches_a_server_only_through_the_proxy`.

use std::net::TcpListener;

use crate::util::{HF, OPENAI, World, as_user, chown_tree, throwaway_user};

/// `run --jail -- sh -c SCRIPT` in `w`.
fn jailed(w: &World, script: &str) -> crate::util::Cmd {
    w.cmd(["run", "--jail", "--", "sh", "-c", script])
}

#[test]
fn a_direct_connection_to_the_hosts_loopback_fails() {
    let w = World::with_secrets();
    let server = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = server.local_addr().unwrap().port();
    let probe = format!(
        "if bash -c 'echo > /dev/tcp/127.0.0.1/{port}' 2>/dev/null; then echo CONNECTED; else echo REFUSED; fi"
    );
    // The control: without the jail the same probe connects.
    let free = w.run_sh(&probe).ok();
    assert!(
        free.stdout_str().contains("CONNECTED"),
        "{}",
        free.stdout_str()
    );
    let out = jailed(&w, &probe).ok();
    assert!(
        out.stdout_str().contains("REFUSED"),
        "the jailed child reached the host: {}",
        out.stdout_str()
    );
    // Only loopback exists in the jail.
    let ifaces = jailed(&w, "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '")
        .ok()
        .stdout_str();
    assert_eq!(ifaces.trim(), "lo", "interfaces in the jail: {ifaces}");
}

#[test]
fn the_users_aisecrets_files_are_out_of_reach() {
    let w = World::with_secrets();
    let userhome = w.path("userhome");
    std::fs::create_dir_all(userhome.join(".local/share/keyrings")).unwrap();
    std::fs::create_dir_all(userhome.join(".local/state/aisecrets")).unwrap();
    std::fs::write(userhome.join(".vault-token"), "hvs.FAKE-VAULT-TOKEN-canary").unwrap();
    std::fs::write(
        userhome.join(".local/share/keyrings/login.keyring"),
        "KEYRING-canary",
    )
    .unwrap();
    let elsewhere = w.path("keys/id.age");
    std::fs::create_dir_all(elsewhere.parent().unwrap()).unwrap();
    std::fs::copy(w.home.join("identity.age"), &elsewhere).unwrap();
    let home = w.home.display().to_string();
    let script = format!(
        r#"
        cat "{home}/identity.age" 2>/dev/null && echo IDENTITY-READ
        cat "{other}" 2>/dev/null | grep -q . && echo IDENTITY-FILE-READ
        ls -A "{home}" | grep . && echo HOME-LISTED
        cat "$HOME/.vault-token"
        cat "$HOME/.local/share/keyrings/login.keyring" 2>/dev/null
        ls -A "$HOME/.local/state/aisecrets" | grep . && echo AUDIT-LISTED
        echo "key=$OPENAI_API_KEY"
        "#,
        other = elsewhere.display()
    );
    let out = jailed(&w, &script)
        .env("AISECRETS_IDENTITY_FILE", &elsewhere)
        .reveals()
        .ok();
    let text = out.stdout_str();
    assert!(!text.contains("AGE-SECRET-KEY"), "{text}");
    for leak in [
        "IDENTITY-READ",
        "IDENTITY-FILE-READ",
        "HOME-LISTED",
        "FAKE-VAULT-TOKEN",
        "KEYRING-canary",
        "AUDIT-LISTED",
    ] {
        assert!(!text.contains(leak), "{leak} in: {text}");
    }
    // Its own secrets still arrive.
    assert!(text.contains(&format!("key={OPENAI}")), "{text}");
    // And outside the jail the files are there.
    assert!(w.home.join("identity.age").exists());
}

#[test]
fn the_secret_service_bus_and_other_runs_folders_are_unreachable() {
    let w = World::with_secrets();
    let runtime = w.path("runtime");
    std::fs::create_dir_all(&runtime).unwrap();
    std::fs::set_permissions(
        &runtime,
        std::os::unix::fs::PermissionsExt::from_mode(0o700),
    )
    .unwrap();
    let _bus = std::os::unix::net::UnixListener::bind(runtime.join("bus")).unwrap();
    std::fs::create_dir_all(runtime.join("aisecrets-run-other")).unwrap();
    let script = r#"
        [ -e "$XDG_RUNTIME_DIR/bus" ] && echo BUS-VISIBLE
        [ -e "$XDG_RUNTIME_DIR/aisecrets-run-other" ] && echo OTHER-RUN-VISIBLE
        echo done
    "#;
    let out = jailed(&w, script).env("XDG_RUNTIME_DIR", &runtime).ok();
    let text = out.stdout_str();
    assert!(text.contains("done"), "{text}");
    assert!(!text.contains("BUS-VISIBLE"), "{text}");
    assert!(!text.contains("OTHER-RUN-VISIBLE"), "{text}");
    // Without the jail the child sees it (the control).
    let free = w
        .run_sh(script)
        .env("XDG_RUNTIME_DIR", &runtime)
        .ok()
        .stdout_str();
    assert!(free.contains("BUS-VISIBLE"), "{free}");
}

#[test]
fn the_child_cannot_read_aisecrets_or_other_processes_of_the_user() {
    let w = World::with_secrets();
    let mut bystander = std::process::Command::new("sleep")
        .arg("30")
        .spawn()
        .unwrap();
    let script = format!(
        r#"
        cat /proc/$PPID/environ >/dev/null 2>&1 && echo ENVIRON-READ
        dd if=/proc/$PPID/mem bs=1 count=1 skip=4096 >/dev/null 2>&1 && echo MEM-READ
        ls /proc/{by}/root/ >/dev/null 2>&1 && echo ROOT-OF-OTHER
        cat /proc/{by}/environ >/dev/null 2>&1 && echo ENVIRON-OF-OTHER
        python3 -c 'import ctypes, sys; l = ctypes.CDLL(None); print("PTRACE-ATTACHED" if l.ptrace(16, int(sys.argv[1]), 0, 0) == 0 else "ptrace refused")' $PPID
        kill -USR2 $PPID 2>/dev/null && echo SIGNALLED-AISECRETS
        kill -KILL {by} 2>/dev/null && echo KILLED-OTHER
        echo done
        "#,
        by = bystander.id()
    );
    let out = jailed(&w, &script).ok();
    assert!(
        bystander.try_wait().unwrap().is_none(),
        "the jailed child killed a process outside the jail"
    );
    let _ = bystander.kill();
    let _ = bystander.wait();
    let text = out.stdout_str();
    assert!(text.contains("done"), "{text}");
    for leak in [
        "ENVIRON-READ",
        "MEM-READ",
        "ROOT-OF-OTHER",
        "ENVIRON-OF-OTHER",
    ] {
        assert!(!text.contains(leak), "{leak}: {text}");
    }
}

#[test]
fn without_user_namespaces_jail_refuses_to_start() {
    let w = World::with_secrets();
    let ran = w.path("ran");
    // A user namespace of the test's own where no further user namespace is allowed: the
    // limit is per namespace, so nothing else on the machine is touched.
    let template = w.command(["run", "--jail", "--", "touch"]);
    let mut c = std::process::Command::new("unshare");
    c.args([
        "-Ur",
        "sh",
        "-c",
        "echo 0 > /proc/sys/user/max_user_namespaces && exec \"$@\"",
        "sh",
    ])
    .arg(crate::util::bin())
    .args(["run", "--jail", "--", "touch"])
    .arg(&ran)
    .current_dir(&w.project)
    .stdin(std::process::Stdio::null());
    copy_env(&template, &mut c);
    let out = c.output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("user namespace"), "{err}");
    assert!(err.contains("without --jail"), "{err}");
    assert_eq!(
        err.lines().filter(|l| l.contains("error")).count(),
        1,
        "{err}"
    );
    assert!(!ran.exists(), "the command ran unconfined");
}

/// Runs the rest of argv with `landlock_create_ruleset` (444 on x86_64) failing with ENOSYS,
/// as on a kernel without Landlock: a seccomp filter, set with ctypes.
const WITHOUT_LANDLOCK: &str = r#"
import ctypes, os, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
f = b"".join(struct.pack("HBBI", *i) for i in [
    (0x20, 0, 0, 0), (0x15, 0, 1, 444), (0x06, 0, 0, 0x00050000 | 38), (0x06, 0, 0, 0x7fff0000)])
buf = ctypes.create_string_buffer(f)
prog = struct.pack("HxxxxxxQ", 4, ctypes.addressof(buf))
pbuf = ctypes.create_string_buffer(prog)
assert libc.prctl(38, 1, 0, 0, 0) == 0
assert libc.prctl(22, 2, pbuf, 0, 0) == 0
os.execv(sys.argv[1], sys.argv[1:])
"#;

#[test]
fn without_landlock_jail_refuses_to_start() {
    if !cfg!(target_arch = "x86_64") {
        return;
    }
    let w = World::with_secrets();
    let ran = w.path("ran");
    let template = w.command(["run", "--jail", "--", "touch"]);
    let mut c = std::process::Command::new("python3");
    c.args(["-c", WITHOUT_LANDLOCK])
        .arg(crate::util::bin())
        .args(["run", "--jail", "--", "touch"])
        .arg(&ran)
        .current_dir(&w.project)
        .stdin(std::process::Stdio::null());
    copy_env(&template, &mut c);
    let out = c.output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("Landlock"), "{err}");
    assert!(err.contains("without --jail"), "{err}");
    assert!(!ran.exists(), "the command ran unconfined");
    // The control: the same filter without --jail runs the command.
    let mut c = std::process::Command::new("python3");
    c.args(["-c", WITHOUT_LANDLOCK])
        .arg(crate::util::bin())
        .args(["run", "--", "touch"])
        .arg(&ran)
        .current_dir(&w.project)
        .stdin(std::process::Stdio::null());
    copy_env(&template, &mut c);
    assert!(c.status().unwrap().success());
    assert!(ran.exists());
}

#[test]
fn exit_codes_signals_file_secrets_and_only_behave_as_without_the_jail() {
    let w = World::with_secrets();
    jailed(&w, "exit 7").fails(7);
    jailed(&w, "kill -TERM $$").fails(143);
    let only = w
        .cmd(["run", "--jail", "--only", "HF_TOKEN", "--", "env"])
        .reveals()
        .ok()
        .stdout_str();
    assert!(only.contains("HF_TOKEN="), "{only}");
    assert!(!only.contains("OPENAI_API_KEY"), "{only}");
    // A file secret lives in the RAM folder, under a cover: the child still reads it.
    w.append_manifest("\n[files]\nOPENAI_API_KEY = \"openai.key\"\n");
    let out = jailed(&w, "cat \"$OPENAI_API_KEY\"").reveals().ok();
    assert_eq!(out.stdout_str(), OPENAI);
    let xdg = w.path("runtime");
    std::fs::create_dir_all(&xdg).unwrap();
    std::fs::set_permissions(&xdg, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    let out = jailed(&w, "cat \"$OPENAI_API_KEY\"")
        .env("XDG_RUNTIME_DIR", &xdg)
        .reveals()
        .ok();
    assert_eq!(out.stdout_str(), OPENAI);
}

/// `run::signals_reach_the_child_exactly_once`, jailed.
#[test]
fn signals_reach_the_jailed_child_exactly_once() {
    use nix::sys::signal::{Signal, kill, killpg};
    use std::process::Stdio;
    let w = World::with_secrets();
    let log = w.path("signals.log");
    let script = w.path("child.py");
    std::fs::write(&script, crate::run::SIGNAL_CHILD).unwrap();
    let mut c = w
        .cmd([
            "run",
            "--jail",
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
    let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).unwrap());
    let ready = log.with_extension("log.ready");
    crate::util::wait_for("the child to start", || ready.exists());
    let lines = || {
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .lines()
            .count()
    };
    let sent = [Signal::SIGINT, Signal::SIGHUP, Signal::SIGUSR1];
    for (i, sig) in sent.iter().enumerate() {
        kill(pid, *sig).unwrap();
        crate::util::wait_for("the signal to arrive", || lines() > i);
    }
    killpg(pid, Signal::SIGUSR1).unwrap();
    crate::util::wait_for("the group signal", || lines() > sent.len());
    std::thread::sleep(std::time::Duration::from_millis(300));
    kill(pid, Signal::SIGTERM).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(7),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got = std::fs::read_to_string(&log).unwrap();
    assert_eq!(got, "SIGINT\nSIGHUP\nSIGUSR1\nSIGUSR1\nSIGTERM\n");
}

#[test]
fn the_jail_works_for_a_user_without_root() {
    let (uid, gid) = throwaway_user();
    let w = World::with_secrets();
    let server = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = server.local_addr().unwrap().port();
    chown_tree(w.dir.path(), uid, gid);
    std::fs::set_permissions(
        w.dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    w.append_manifest("\n[files]\nHF_TOKEN = \"hf.token\"\n");
    // Another process of the same user, outside the jail.
    let mut bystander = as_user(uid, gid, "sleep").arg("30").spawn().unwrap();
    let home = w.home.display().to_string();
    let script = format!(
        r#"
        id -u
        cat "{home}/identity.age" 2>/dev/null && echo IDENTITY-READ
        bash -c 'echo > /dev/tcp/127.0.0.1/{port}' 2>/dev/null && echo CONNECTED
        cat /proc/$PPID/environ >/dev/null 2>&1 && echo ENVIRON-READ
        ls /proc/{by}/root/ >/dev/null 2>&1 && echo ROOT-OF-OTHER
        cat /proc/{by}/environ >/dev/null 2>&1 && echo ENVIRON-OF-OTHER
        echo "key=$OPENAI_API_KEY"
        echo "hf=$(cat "$HF_TOKEN")"
        "#,
        by = bystander.id()
    );
    let template = w.command(["status"]);
    let mut c = as_user(uid, gid, crate::util::bin());
    c.args(["run", "--jail", "--", "sh", "-c", &script])
        .current_dir(&w.project)
        .stdin(std::process::Stdio::null());
    copy_env(&template, &mut c);
    let out = c.output().unwrap();
    let _ = bystander.kill();
    let _ = bystander.wait();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.starts_with(&uid.to_string()), "{text}");
    for leak in [
        "IDENTITY-READ",
        "CONNECTED",
        "ENVIRON-READ",
        "ROOT-OF-OTHER",
        "ENVIRON-OF-OTHER",
    ] {
        assert!(!text.contains(leak), "{leak}: {text}");
    }
    assert!(text.contains(&format!("key={OPENAI}")), "{text}");
    assert!(text.contains(&format!("hf={HF}")), "{text}");
}

#[test]
fn agent_is_jail_and_mask_and_satisfies_the_agent_guard() {
    let w = World::with_secrets();
    let out = w
        .cmd([
            "run",
            "--agent",
            "--",
            "sh",
            "-c",
            "echo \"k=$OPENAI_API_KEY\"; echo \"$AISECRETS_JAIL\"",
        ])
        .ok();
    let text = out.stdout_str();
    assert!(text.contains("k=[REDACTED:OPENAI_API_KEY]"), "{text}");
    assert!(text.contains('1'), "not jailed: {text}");
    // Under a coding agent, `run` without --mask names `run --agent`.
    w.cmd(["run", "--", "true"])
        .env("CLAUDECODE", "1")
        .fails(1)
        .stderr_has("run --agent");
}

#[test]
fn the_cached_identity_and_the_secret_service_are_out_of_reach() {
    use crate::cache::{VALUE, bus};
    use crate::cache_isolation::{Unlocked, nothing_usable};
    bus();
    // auto (the Secret Service here, the key in the kernel) and the kernel keyring alone.
    for keyring in [None, Some("keyutils")] {
        let u = Unlocked::new(keyring);
        let (w, wrap, script) = (&u.w, &u.wrap, &u.script);
        let with = |c: crate::util::Cmd| u.with(c);
        let probe = format!(
            "{script}; dbus-send --session --print-reply --dest=org.freedesktop.DBus / org.freedesktop.DBus.GetId >/dev/null 2>&1 && echo BUS-REACHED; echo HF=$HF_TOKEN"
        );
        let out = with(w.cmd(["run", "--jail", "--", "sh", "-c", &probe]))
            .reveals()
            .ok();
        let text = out.stdout_str() + &out.stderr_str();
        assert!(text.contains(&format!("HF={VALUE}")), "{text}");
        assert!(!text.contains("BUS-REACHED"), "{text}");
        nothing_usable(&text, wrap.as_deref(), "the jailed child");
        // The control: without the jail the bus answers.
        let free = with(w.run_sh(&probe)).reveals().ok().stdout_str();
        assert!(free.contains("BUS-REACHED"), "{free}");
        with(w.cmd(["lock"])).ok();
    }
}

/// `run --agent` end to end (#15): the jailed child reaches a fake OpenAI over HTTPS only
/// through the proxy, which puts the real key on the wire; a direct connection to the same
/// server fails; the child and its output hold only the placeholder; every proxied request
/// is in the audit log.
#[test]
fn agent_reaches_a_server_only_through_the_proxy() {
    let w = World::with_secrets();
    let up = crate::proxy::upstream(&w);
    let port = up.ports[0];
    let script = format!(
        r#"
        bash -c 'echo > /dev/tcp/127.0.0.1/{port}' 2>/dev/null && echo DIRECT
        echo "LEN=${{#OPENAI_API_KEY}} PREFIX=${{OPENAI_API_KEY%%-*}} JAIL=$AISECRETS_JAIL"
        curl -sS -o /dev/null -w 'CODE=%{{http_code}}\n' -H "Authorization: Bearer $OPENAI_API_KEY" https://api.openai.com/v1/models
        echo "$OPENAI_API_KEY" > key-seen.txt
        "#
    );
    let out = w.cmd(["run", "--agent", "--", "sh", "-c", &script]).ok();
    let stdout = out.stdout_str();
    assert!(
        !stdout.contains("DIRECT"),
        "the jailed child went around the proxy: {stdout}"
    );
    assert!(stdout.contains("CODE=200"), "through the proxy: {stdout}");
    assert!(
        stdout.contains(&format!("LEN={} PREFIX=sk JAIL=1", OPENAI.len())),
        "{stdout}"
    );
    // The server got the real key; the child held only the placeholder.
    assert!(
        up.log("a").contains(&format!("auth=Bearer {OPENAI}")),
        "the server got: {}",
        up.log("a")
    );
    let seen = std::fs::read_to_string(w.project.join("key-seen.txt")).unwrap();
    assert_ne!(seen.trim(), OPENAI);
    assert_eq!(seen.trim().len(), OPENAI.len());
    // --agent audits every proxied request: its host and secret name.
    let audit = std::fs::read_to_string(w.home.join("audit.jsonl")).unwrap_or_default();
    assert!(
        audit.contains("api.openai.com") && audit.contains("OPENAI_API_KEY"),
        "{audit}"
    );
}

fn copy_env(from: &std::process::Command, to: &mut std::process::Command) {
    to.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default());
    for (k, v) in from.get_envs() {
        match v {
            Some(v) => {
                to.env(k, v);
            }
            None => {
                to.env_remove(k);
            }
        }
    }
}
