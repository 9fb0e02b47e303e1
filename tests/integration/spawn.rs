//! How `run` starts its child (#14: `clone(CLONE_VM | CLONE_VFORK)` as `posix_spawn` does,
//! not `fork`): the child starts in the state std's `Command` gave it, finds its program
//! along `PATH` as `execvp` does, holds no descriptor of ours, and is told when aisecrets
//! is killed.

use std::os::unix::fs::PermissionsExt;

use crate::util::{World, wait_for};

fn executable(path: &std::path::Path, text: &str, mode: u32) {
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// A field of the child's own /proc status.
fn status_field(status: &str, name: &str) -> u64 {
    let line = status
        .lines()
        .find(|l| l.starts_with(name))
        .unwrap_or_else(|| panic!("no {name} in {status}"));
    u64::from_str_radix(line.split_whitespace().nth(1).unwrap(), 16).unwrap()
}

/// `run [--mask] -- child...`, without then with `--mask` (its output through aisecrets).
fn both_ways<'a>(child: &[&'a str]) -> [Vec<&'a str>; 2] {
    [&[][..], &["--mask"][..]].map(|mask| {
        let mut args = vec!["run"];
        args.extend_from_slice(mask);
        args.push("--");
        args.extend_from_slice(child);
        args
    })
}

#[test]
fn the_child_starts_with_no_signal_blocked_and_sigpipe_at_its_default() {
    let w = World::with_secrets();
    for args in both_ways(&["cat", "/proc/self/status"]) {
        let status = w.cmd(args).ok().stdout_str();
        assert_eq!(status_field(&status, "SigBlk:"), 0, "{status}");
        // aisecrets ignores SIGPIPE (Rust's runtime does); its child must not.
        let sigpipe = 1u64 << (13 - 1);
        assert_eq!(status_field(&status, "SigIgn:") & sigpipe, 0, "{status}");
    }
}

#[test]
fn the_program_is_found_along_path_as_execvp_finds_it() {
    let w = World::with_secrets();
    let (a, b) = (w.path("bin-a"), w.path("bin-b"));
    std::fs::create_dir_all(&a).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    // Not executable in the first folder: skipped, the second one runs.
    executable(&a.join("tool"), "#!/bin/sh\necho from-a\n", 0o644);
    executable(&b.join("tool"), "#!/bin/sh\necho from-b\n", 0o755);
    // No `#!`: /bin/sh runs it, with its arguments.
    executable(&b.join("plain"), "echo plain \"$1\"\n", 0o755);
    let path = format!("{}:{}:/usr/bin:/bin", a.display(), b.display());
    let out = w.cmd(["run", "--", "tool"]).env("PATH", &path).ok();
    assert_eq!(out.stdout_str(), "from-b\n");
    let out = w.cmd(["run", "--", "plain", "arg"]).env("PATH", &path).ok();
    assert_eq!(out.stdout_str(), "plain arg\n");
    let direct = b.join("plain");
    let out = w.cmd(["run", "--", direct.to_str().unwrap(), "x"]).ok();
    assert_eq!(out.stdout_str(), "plain x\n");
    // Found only where it cannot run: permission denied (126), not "not found" (127).
    let only_a = format!("{}:/usr/bin:/bin", a.display());
    w.cmd(["run", "--", "tool"])
        .env("PATH", &only_a)
        .fails(126)
        .one_line_error()
        .stderr_has("cannot run `tool`");
    // An empty entry is the current folder (the project's, where the test runs).
    executable(
        &w.path("project/here"),
        "#!/bin/sh\necho from-here\n",
        0o755,
    );
    let out = w
        .cmd(["run", "--", "here"])
        .env("PATH", ":/usr/bin:/bin")
        .ok();
    assert_eq!(out.stdout_str(), "from-here\n");
}

/// A child that prints the descriptors it holds, opening none to look (a shell pipeline
/// or `ls` would: the shell holds the pipe's end while `ls` reads /proc).
const LIST_FDS: &[&str] = &[
    "python3",
    "-I",
    "-c",
    "import os\nopen_ = []\nfor fd in range(1024):\n    try:\n        os.fstat(fd)\n        open_.append(str(fd))\n    except OSError:\n        pass\nprint(' '.join(open_), 'end')",
];

/// `c` started with no descriptor but 0, 1 and 2 (the test process holds others, some
/// of other tests running beside it), so any other the child holds is aisecrets'.
fn with_only_stdio(c: &std::process::Command) -> std::process::Command {
    let mut p = std::process::Command::new("python3");
    p.args([
        "-c",
        "import os, sys; os.closerange(3, 1 << 16); os.execv(sys.argv[1], sys.argv[1:])",
    ])
    .arg(c.get_program())
    .args(c.get_args());
    for (k, v) in c.get_envs() {
        match v {
            Some(v) => p.env(k, v),
            None => p.env_remove(k),
        };
    }
    if let Some(d) = c.get_current_dir() {
        p.current_dir(d);
    }
    p
}

#[test]
fn the_child_holds_no_descriptor_of_aisecrets() {
    let w = World::with_secrets();
    for args in both_ways(LIST_FDS) {
        let out = with_only_stdio(&w.command(&args))
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "0 1 2 end\n",
            "{args:?}"
        );
    }
}

#[test]
fn a_terminal_child_under_mask_gets_its_pseudo_terminal_once() {
    // Before, the slave of the pseudo-terminal reached the child twice: as its stdout and
    // stderr, and as one more descriptor, open for the child's whole life.
    let w = World::with_secrets();
    let mut args = vec!["run", "--mask", "--"];
    args.extend(LIST_FDS);
    let c = with_only_stdio(&w.command(args));
    let mut p = rexpect::session::spawn_command(c, Some(20_000)).unwrap();
    let listed = p.exp_string("end").unwrap();
    assert_eq!(listed.trim(), "0 1 2");
}

#[test]
fn the_child_is_told_when_aisecrets_is_killed() {
    let w = World::with_secrets();
    let mark = w.path("told");
    let ready = w.path("ready");
    let script = format!(
        "trap 'echo TERM > {m}; exit 0' TERM; touch {r}; while :; do sleep 0.05; done",
        m = mark.display(),
        r = ready.display()
    );
    let mut child = w.cmd(["run", "--", "sh", "-c", &script]).spawn_stdout();
    wait_for("the child to start", || ready.exists());
    child.kill().unwrap();
    child.wait().unwrap();
    wait_for("the child to be told", || {
        std::fs::read_to_string(&mark).is_ok_and(|s| s == "TERM\n")
    });
}

/// aisecrets has its own C entry point (#14, `src/main.rs`): what std's start-up did, it
/// still does. Closed standard descriptors are opened on /dev/null before anything else is
/// opened, so no file of aisecrets' lands on 0-2 (where output would go into it) and the
/// child inherits /dev/null there, as it did.
#[test]
#[allow(unsafe_code)]
fn closed_standard_descriptors_are_opened_on_dev_null() {
    use std::os::unix::process::CommandExt;
    let w = World::with_secrets();
    let script = "readlink /proc/self/fd/0 /proc/self/fd/2";
    let mut c = w.command(["run", "--", "sh", "-c", script]);
    // SAFETY: close is async-signal-safe and touches no memory of the parent.
    unsafe {
        c.pre_exec(|| {
            nix::unistd::close(0)?;
            nix::unistd::close(2)?;
            Ok(())
        });
    }
    let out = c.output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "/dev/null\n/dev/null\n"
    );
}

/// ...and SIGPIPE is ignored: writing to a closed pipe is an error aisecrets handles, not a
/// death by signal.
#[test]
fn a_closed_pipe_is_an_error_not_a_death_by_sigpipe() {
    use std::os::unix::process::ExitStatusExt;
    let w = World::with_secrets();
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let status = w.command(["--help"]).stdout(writer).status().unwrap();
    assert_eq!(status.signal(), None, "{status:?}");
}
