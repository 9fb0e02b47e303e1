//! Editing and git, in real git repositories: edit with scripted editors, git setup, the
//! diff and merge drivers, the pre-commit hook, scan.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::{HF, OPENAI, World, drop_token_line, git_command};

fn editor(w: &World, name: &str, body: &str) -> String {
    let path = w.path(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path.display().to_string()
}

fn leftover_edit_dirs() -> usize {
    std::fs::read_dir("/dev/shm")
        .map(|d| {
            d.flatten()
                .filter(|e| {
                    e.file_name()
                        .to_string_lossy()
                        .starts_with("aisecrets-edit-")
                })
                .count()
        })
        .unwrap_or(0)
}

#[test]
fn setup_is_idempotent_and_keeps_plaintext_out_of_git() {
    let w = World::repo();
    let attrs = std::fs::read_to_string(w.project.join(".gitattributes")).unwrap();
    assert!(
        attrs.contains("secrets/*.toml diff=aisecrets merge=aisecrets"),
        "{attrs}"
    );
    let before: Vec<Vec<u8>> = [
        ".gitattributes",
        ".gitignore",
        ".git/config",
        ".git/hooks/pre-commit",
    ]
    .iter()
    .map(|f| std::fs::read(w.project.join(f)).unwrap())
    .collect();
    w.cmd(["git", "setup"]).ok().stderr_has("nothing changed");
    let after: Vec<Vec<u8>> = [
        ".gitattributes",
        ".gitignore",
        ".git/config",
        ".git/hooks/pre-commit",
    ]
    .iter()
    .map(|f| std::fs::read(w.project.join(f)).unwrap())
    .collect();
    assert_eq!(before, after);
    std::fs::write(w.project.join(".env"), format!("OPENAI_API_KEY={OPENAI}\n")).unwrap();
    std::fs::write(w.project.join(".env.local"), "X=1\n").unwrap();
    w.git_ok(&["add", "."]);
    let staged = w.git_ok(&["diff", "--cached", "--name-only"]);
    assert!(!staged.contains(".env"), "{staged}");
}

#[test]
fn setup_keeps_an_existing_hook_and_runs_it() {
    let w = World::with_secrets();
    w.git_ok(&["init", "-q", "-b", "main"]);
    let hook = w.project.join(".git/hooks/pre-commit");
    let marker = w.path("old-hook-ran");
    std::fs::write(&hook, format!("#!/bin/sh\ntouch {}\n", marker.display())).unwrap();
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    w.cmd(["git", "setup"]).ok();
    std::fs::write(w.project.join("ok.py"), "print('clean')\n").unwrap();
    w.git_ok(&["add", "-A"]);
    w.git_ok(&["commit", "-qm", "clean"]);
    assert!(marker.exists(), "the hook that was there did not run");
}

#[test]
fn the_hook_refuses_commits_that_add_secrets() {
    let w = World::repo();
    for (file, text) in [
        ("config.py", format!("KEY = '{OPENAI}'\n")),
        (
            "fake_openai.py",
            "k = 'sk-proj-FAKEFAKEFAKEFAKEFAKEFAKE1234'\n".to_owned(),
        ),
        (
            "fake_anthropic.txt",
            "sk-ant-api03-FAKEFAKEFAKEFAKEFAKEFAKEFAKE\n".to_owned(),
        ),
    ] {
        std::fs::write(w.project.join(file), &text).unwrap();
        w.git_ok(&["add", file]);
        let out = w.git(&["commit", "-qm", "leak"]);
        assert!(!out.status.success(), "{file} was committed");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(file), "{err}");
        assert!(!err.contains(OPENAI), "the hook printed the value");
        w.git_ok(&["rm", "-q", "--cached", file]);
        std::fs::remove_file(w.project.join(file)).unwrap();
    }
    std::fs::write(
        w.project.join("clean.py"),
        "import os\nkey = os.environ['OPENAI_API_KEY']\n",
    )
    .unwrap();
    w.git_ok(&["add", "clean.py"]);
    w.git_ok(&["commit", "-qm", "clean"]);
}

#[test]
fn diff_shows_which_names_changed() {
    let w = World::repo();
    w.cmd(["set", "HF_TOKEN"])
        .stdin("hf_FAKEchangedchangedchanged00")
        .ok();
    let diff = w.git_ok(&["diff"]);
    let changed: Vec<&str> = diff
        .lines()
        .filter(|l| {
            (l.starts_with('+') || l.starts_with('-'))
                && !l.starts_with("+++")
                && !l.starts_with("---")
        })
        .collect();
    assert_eq!(changed.len(), 2, "{diff}");
    assert!(
        changed.iter().all(|l| l[1..].starts_with("HF_TOKEN = fp:")),
        "{diff}"
    );
    assert!(!diff.contains(HF) && !diff.contains("hf_FAKEchanged"));
    w.git_ok(&["commit", "-qam", "hf"]);
    // After recipients add: only the data key and the recipients line.
    let out = Command::new("age-keygen").output().unwrap();
    let bob = String::from_utf8(out.stderr)
        .unwrap()
        .trim()
        .trim_start_matches("Public key: ")
        .to_owned();
    w.cmd(["recipients", "add", "bob", &bob]).ok();
    let diff = w.git_ok(&["diff", "--", "secrets/dev.toml"]);
    let changed: Vec<&str> = diff
        .lines()
        .filter(|l| {
            (l.starts_with('+') || l.starts_with('-'))
                && !l.starts_with("+++")
                && !l.starts_with("---")
        })
        .collect();
    assert!(
        changed
            .iter()
            .all(|l| l[1..].starts_with("recipients:") || l[1..].starts_with("data_key:")),
        "{diff}"
    );
    assert_eq!(changed.len(), 4, "{diff}");
    // The raw file diff agrees: no sealed value changed.
    let raw = w.git_ok(&["diff", "--no-textconv", "--", "secrets/dev.toml"]);
    assert!(
        !raw.lines()
            .any(|l| l.starts_with("+HF_TOKEN") || l.starts_with("+OPENAI")),
        "{raw}"
    );
    // reveal=true shows values, to this user only.
    w.git_ok(&["config", "aisecrets.reveal", "true"]);
    assert!(
        w.git_ok(&["log", "-p", "-1", "HEAD", "--", "secrets/dev.toml"])
            .contains("hf_FAKEchangedchangedchanged00")
    );
    w.git_ok(&["config", "aisecrets.reveal", "false"]);
    // Someone who cannot open sees names and "cannot open", without an error.
    let key = Command::new("age-keygen").output().unwrap();
    let other = String::from_utf8(key.stdout)
        .unwrap()
        .lines()
        .find(|l| l.starts_with("AGE-SECRET-KEY-1"))
        .unwrap()
        .to_owned();
    let out = git_command(&w.project, "t", &w.path("userhome"), &w.path("other-home"))
        .args(["log", "-p", "-1", "--", "secrets/dev.toml"])
        .env("AISECRETS_IDENTITY", other)
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("-HF_TOKEN = (cannot open") && text.contains("+HF_TOKEN = (cannot open"),
        "{text}"
    );
    assert!(
        !text.contains("+OPENAI_API_KEY") && !text.contains("-OPENAI_API_KEY"),
        "an unchanged name shows as changed:\n{text}"
    );
}

#[test]
fn different_names_merge_cleanly_and_the_same_name_is_a_named_conflict_that_edit_resolves() {
    let w = World::repo();
    w.git_ok(&["checkout", "-qb", "other"]);
    w.cmd(["set", "ONLY_OTHER"]).stdin("other-FAKE-1").ok();
    w.cmd(["set", "BOTH"]).stdin("theirs-FAKE").ok();
    w.cmd(["set", "SAME"]).stdin("same-FAKE").ok();
    w.git_ok(&["commit", "-qam", "other"]);
    w.git_ok(&["checkout", "-q", "main"]);
    w.cmd(["set", "ONLY_MAIN"]).stdin("main-FAKE-1").ok();
    w.cmd(["set", "SAME"]).stdin("same-FAKE").ok();
    w.git_ok(&["commit", "-qam", "main"]);
    // First a merge with only different names and the same value: clean.
    w.git_ok(&["checkout", "-qb", "clean", "other"]);
    w.git_ok(&["reset", "-q", "--hard", "HEAD~1"]);
    w.cmd(["set", "ONLY_CLEAN"]).stdin("clean-FAKE").ok();
    w.cmd(["set", "SAME"]).stdin("same-FAKE").ok();
    w.git_ok(&["commit", "-qam", "clean"]);
    w.git_ok(&["checkout", "-q", "main"]);
    w.git_ok(&["merge", "-q", "clean", "-m", "merge clean"]);
    for (name, value) in [
        ("ONLY_MAIN", "main-FAKE-1"),
        ("ONLY_CLEAN", "clean-FAKE"),
        ("SAME", "same-FAKE"),
    ] {
        assert_eq!(w.cmd(["get", name]).ok().stdout_str(), format!("{value}\n"));
    }
    // Now BOTH differs: the merge stops and names it; the file still opens (ours).
    w.cmd(["set", "BOTH"]).stdin("ours-FAKE").ok();
    w.git_ok(&["commit", "-qam", "ours"]);
    let out = w.git(&["merge", "other", "-m", "merge other"]);
    assert!(!out.status.success());
    let text = both(&out);
    assert!(
        text.contains("BOTH") && text.contains("aisecrets edit"),
        "{text}"
    );
    assert!(
        !std::fs::read_to_string(w.dev_file())
            .unwrap()
            .contains("<<<<<<<")
    );
    // Neither side is used until edit resolves it (#13); the other names are.
    w.cmd(["get", "BOTH"]).fails(1).stderr_has("aisecrets edit");
    assert_eq!(
        w.cmd(["get", "ONLY_OTHER"]).ok().stdout_str(),
        "other-FAKE-1\n"
    );
    // edit shows both; the scripted editor keeps theirs.
    let ed = editor(
        &w,
        "keep-theirs",
        "grep -v \"^BOTH='ours-FAKE'\" \"$1\" > \"$1.n\" && cat \"$1.n\" > \"$1\" && rm \"$1.n\"",
    );
    w.cmd(["edit"])
        .env("EDITOR", &ed)
        .ok()
        .stderr_has("1 conflict(s) resolved");
    assert_eq!(w.cmd(["get", "BOTH"]).ok().stdout_str(), "theirs-FAKE\n");
    assert!(
        !std::fs::read_to_string(w.dev_file())
            .unwrap()
            .contains("[conflicts]")
    );
    w.git_ok(&["add", "secrets/dev.toml"]);
    w.git_ok(&["commit", "-qm", "resolved"]);
}

#[test]
fn concurrent_recipient_additions_merge() {
    let w = World::repo();
    let key = |n: &str| {
        let out = Command::new("age-keygen").output().unwrap();
        let secret = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .find(|l| l.starts_with("AGE-SECRET-KEY-1"))
            .unwrap()
            .to_owned();
        let public = String::from_utf8(out.stderr)
            .unwrap()
            .trim()
            .trim_start_matches("Public key: ")
            .to_owned();
        (n.to_owned(), secret, public)
    };
    let (bob, carol) = (key("bob"), key("carol"));
    w.git_ok(&["checkout", "-qb", "add-bob"]);
    w.cmd(["recipients", "add", "bob", &bob.2]).ok();
    w.git_ok(&["commit", "-qam", "bob"]);
    w.git_ok(&["checkout", "-q", "main"]);
    w.cmd(["recipients", "add", "carol", &carol.2]).ok();
    w.git_ok(&["commit", "-qam", "carol"]);
    w.git_ok(&["merge", "-q", "add-bob", "-m", "both"]);
    let manifest = std::fs::read_to_string(w.project.join("aisecrets.toml")).unwrap();
    assert!(
        manifest.contains("bob = ") && manifest.contains("carol = ") && !manifest.contains("<<<<"),
        "{manifest}"
    );
    for (name, secret, _) in [&bob, &carol] {
        let home = w.path(&format!("{name}-home"));
        w.cmd(["trust", "--yes"])
            .env("AISECRETS_IDENTITY", secret)
            .env("AISECRETS_HOME", &home)
            .ok();
        let got = w
            .cmd(["get", "HF_TOKEN"])
            .env("AISECRETS_IDENTITY", secret)
            .env("AISECRETS_HOME", &home)
            .reveals()
            .ok();
        assert_eq!(got.stdout_str(), format!("{HF}\n"), "{name}");
    }
}

#[test]
fn edit_changes_only_what_changed_and_writes_nothing_otherwise() {
    let w = World::with_secrets();
    let before = std::fs::read_to_string(w.dev_file()).unwrap();
    let token = |t: &str, n: &str| t.lines().find(|l| l.starts_with(n)).unwrap().to_owned();
    // Modify one value: only that line changes.
    let ed = editor(
        &w,
        "set-hf",
        "sed -i \"s/^HF_TOKEN=.*/HF_TOKEN='hf_FAKEedited000000000000'/\" \"$1\"",
    );
    w.cmd(["edit"])
        .env("EDITOR", &ed)
        .ok()
        .stderr_has("1 changed");
    let after = std::fs::read_to_string(w.dev_file()).unwrap();
    assert_eq!(
        token(&before, "OPENAI_API_KEY"),
        token(&after, "OPENAI_API_KEY")
    );
    assert_ne!(token(&before, "HF_TOKEN"), token(&after, "HF_TOKEN"));
    assert_eq!(
        w.cmd(["get", "HF_TOKEN"]).ok().stdout_str(),
        "hf_FAKEedited000000000000\n"
    );
    // Exit without change: nothing written.
    let ed = editor(&w, "noop", "true");
    w.cmd(["edit"])
        .env("EDITOR", &ed)
        .ok()
        .stderr_has("nothing was written");
    assert_eq!(std::fs::read_to_string(w.dev_file()).unwrap(), after);
    // Invalid text, no terminal to offer a reopen: nothing written.
    let ed = editor(&w, "break", "echo 'NOT A VALID LINE' >> \"$1\"");
    w.cmd(["edit"])
        .env("EDITOR", &ed)
        .fails(1)
        .stderr_has("line")
        .stderr_has("nothing was written");
    assert_eq!(std::fs::read_to_string(w.dev_file()).unwrap(), after);
    // Add and remove names.
    let ed = editor(
        &w,
        "addrm",
        "sed -i '/^OPENAI_API_KEY=/d' \"$1\" && echo \"NEW_ONE='new-FAKE'\" >> \"$1\"",
    );
    w.cmd(["edit"])
        .env("EDITOR", &ed)
        .ok()
        .stderr_has("1 added")
        .stderr_has("1 removed");
    w.cmd(["get", "OPENAI_API_KEY"]).fails(1);
    // A GUI editor that returns at once is explained.
    let code = w.path("bin/code");
    std::fs::create_dir_all(code.parent().unwrap()).unwrap();
    std::fs::write(&code, "#!/bin/sh\nexit 0\n").unwrap();
    std::fs::set_permissions(&code, std::fs::Permissions::from_mode(0o755)).unwrap();
    w.cmd(["edit"])
        .env("EDITOR", code.display().to_string())
        .fails(1)
        .stderr_has("--wait");
    // The plaintext copy was on a RAM filesystem and is gone.
    let ed = editor(
        &w,
        "where",
        &format!(
            "stat -f -c %T \"$1\" > {0}; stat -c %a \"$(dirname \"$1\")\" >> {0}; echo \"$1\" >> {0}",
            w.path("where.txt").display()
        ),
    );
    w.cmd(["edit"]).env("EDITOR", &ed).ok();
    let info = std::fs::read_to_string(w.path("where.txt")).unwrap();
    let lines: Vec<&str> = info.lines().collect();
    assert!(lines[0] == "tmpfs" || lines[0] == "ramfs", "{info}");
    assert_eq!(lines[1], "700");
    assert!(!Path::new(lines[2]).exists());
}

#[test]
fn edit_leaves_no_plaintext_when_killed() {
    let w = World::with_secrets();
    let started = w.path("editor-started");
    let ed = editor(
        &w,
        "slow",
        &format!("echo \"$1\" > {}; sleep 30", started.display()),
    );
    for sig in [
        nix::sys::signal::Signal::SIGTERM,
        nix::sys::signal::Signal::SIGKILL,
    ] {
        let _ = std::fs::remove_file(&started);
        let mut c = w.cmd(["edit"]).env("EDITOR", &ed).cmd;
        let mut child = c
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let t = Instant::now();
        while !started.exists() {
            assert!(t.elapsed() < Duration::from_secs(20));
            std::thread::sleep(Duration::from_millis(20));
        }
        let copy = std::fs::read_to_string(&started).unwrap().trim().to_owned();
        assert!(Path::new(&copy).exists());
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(child.id() as i32), sig).unwrap();
        let status = child.wait().unwrap();
        assert!(!status.success());
        if sig == nix::sys::signal::Signal::SIGKILL {
            // The next command sweeps what a killed aisecrets left.
            w.cmd(["list"]).ok();
        }
        let t = Instant::now();
        while Path::new(&copy).exists() && t.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(!Path::new(&copy).exists(), "plaintext left after {sig:?}");
    }
    let _ = leftover_edit_dirs();
}

#[test]
fn scan_finds_values_and_shapes_and_never_prints_them() {
    let w = World::with_secrets();
    let dir = w.path("tree");
    std::fs::create_dir_all(&dir).unwrap();
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(OPENAI);
    std::fs::write(dir.join("a.py"), format!("x = 1\nKEY = \"{OPENAI}\"\n")).unwrap();
    std::fs::write(dir.join("b.txt"), format!("encoded {b64}\n")).unwrap();
    std::fs::write(dir.join("c.json"), format!("{{\"tok\": \"{HF}\"}}\n")).unwrap();
    std::fs::write(
        dir.join("nb.ipynb"),
        "{\"cells\": [{\"outputs\": [{\"text\": [\"AKIAFAKEFAKEFAKEFAKE\\n\"]}]}]}\n",
    )
    .unwrap();
    std::fs::write(dir.join("clean.py"), "import os\n").unwrap();
    let out = w.cmd(["scan", dir.to_str().unwrap()]).fails(1);
    let text = out.stdout_str();
    assert!(
        text.contains("a.py:2:8: project secret (OPENAI_API_KEY)"),
        "{text}"
    );
    assert!(
        text.contains("b.txt:1:9: project secret (OPENAI_API_KEY)"),
        "{text}"
    );
    assert!(
        text.contains("c.json:1:10: project secret (HF_TOKEN)"),
        "{text}"
    );
    assert!(
        text.contains("nb.ipynb:1:36: AWS access key (AWS)"),
        "{text}"
    );
    assert!(!text.contains("clean.py"));
    w.cmd(["scan", dir.join("clean.py").to_str().unwrap()]).ok();
    w.cmd(["scan", "no/such/path"]).fails(2);
    w.cmd(["scan", "--staged"]).fails(2).stderr_has("git");
    // Without an identity that opens: shapes only, and it says so.
    let locked = World::empty();
    locked
        .cmd(["scan", dir.to_str().unwrap()])
        .fails(1)
        .stderr_has("shapes only");
}

/// Regression (review of #5): a value changed on disk while the editor was open (a
/// rotation, a git pull) is not put back by the save.
#[test]
fn edit_does_not_undo_a_change_made_while_it_was_open() {
    let w = World::with_secrets();
    // The editor gets no AISECRETS_* variable (#12): the teammate's command names its own.
    let ed = editor(
        &w,
        "rotate-meanwhile",
        &format!(
            "echo hf_FAKErotatedmeanwhile0000 | AISECRETS_HOME='{}' AISECRETS_KEYRING=none {} set HF_TOKEN 2>/dev/null\nsed -i \"s/^OPENAI_API_KEY=.*/OPENAI_API_KEY='sk-FAKE-edited-0000'/\" \"$1\"",
            w.home.display(),
            crate::util::bin()
        ),
    );
    w.cmd(["edit"])
        .env("EDITOR", &ed)
        .ok()
        .stderr_has("1 changed");
    assert_eq!(
        w.cmd(["get", "HF_TOKEN"]).ok().stdout_str(),
        "hf_FAKErotatedmeanwhile0000\n"
    );
    assert_eq!(
        w.cmd(["get", "OPENAI_API_KEY"]).ok().stdout_str(),
        "sk-FAKE-edited-0000\n"
    );
}

#[test]
fn scan_follows_a_symlink_named_on_the_command_line() {
    let w = World::new();
    let real = w.path("real.txt");
    std::fs::write(&real, "k = 'sk-ant-api03-FAKEFAKEFAKEFAKEFAKEFAKEFAKE'\n").unwrap();
    let link = w.path("link.txt");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let out = w.cmd(["scan", link.to_str().unwrap()]).fails(1);
    assert!(
        out.stdout_str().contains("Anthropic API key") && !out.stdout_str().contains("FAKEFAKE")
    );
}

/// `git` with extra environment variables (set, or removed with `None`).
fn git_with(w: &World, args: &[&str], env: &[(&str, Option<&Path>)]) -> std::process::Output {
    let mut c = w.git_command();
    c.args(args);
    for (k, v) in env {
        match v {
            Some(v) => c.env(k, v),
            None => c.env_remove(k),
        };
    }
    crate::util::no_controlling_terminal(&mut c);
    c.output().expect("git")
}

/// Back on main, a commit there too (`ON_MAIN`), so merging the other branch is three-way.
fn main_moves_on(w: &World) {
    w.git_ok(&["checkout", "-q", "main"]);
    w.cmd(["set", "ON_MAIN"]).stdin("main-FAKE").ok();
    w.git_ok(&["commit", "-qam", "main"]);
}

/// Merging `other` fails, saying `needle`, and leaves our file intact (`HF_TOKEN` opens).
#[track_caller]
fn merge_is_refused(w: &World, what: &str, needle: &str) {
    let out = w.git(&["merge", "other", "-m", "merge other"]);
    let text = both(&out);
    assert!(!out.status.success(), "{what} merged: {text}");
    assert!(text.contains(needle), "{text}");
    assert_eq!(
        w.cmd(["get", "HF_TOKEN"]).reveals().ok().stdout_str(),
        format!("{HF}\n")
    );
}

fn both(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Issue #12, point 6: a writer without the data key drops a line on a branch; the three-way
/// merge used to carry the deletion into the merged file. Now their side's MAC fails, and
/// the merge stops with our file intact.
#[test]
fn a_line_dropped_on_a_branch_by_someone_without_the_key_is_not_merged_in() {
    let w = World::repo();
    w.git_ok(&["checkout", "-qb", "other"]);
    let text = std::fs::read_to_string(w.dev_file()).unwrap();
    let dropped = drop_token_line(&text, "HF_TOKEN");
    std::fs::write(w.dev_file(), dropped).unwrap();
    w.git_ok(&["commit", "-qam", "innocent-looking"]);
    main_moves_on(&w);
    merge_is_refused(&w, "the deletion", "integrity");
}

/// Issue #12, point 6 (a): the merged file needs a MAC, so the driver needs the identity.
/// Without one it writes nothing unauthenticated: a conflict whose one line says how to redo
/// the merge, and the redone merge (with the identity) succeeds.
#[test]
fn a_merge_without_an_identity_is_a_conflict_that_says_how_to_redo_it() {
    let w = World::repo();
    w.git_ok(&["checkout", "-qb", "other"]);
    w.cmd(["set", "ON_OTHER"]).stdin("other-FAKE").ok();
    w.git_ok(&["commit", "-qam", "other"]);
    main_moves_on(&w);
    let ours = std::fs::read(w.dev_file()).unwrap();
    let no_identity = w.path("home-without-identity");
    std::fs::create_dir_all(&no_identity).unwrap();
    let out = git_with(
        &w,
        &["merge", "other", "-m", "merge other"],
        &[("AISECRETS_HOME", Some(&no_identity))],
    );
    let text = both(&out);
    assert!(!out.status.success(), "merged without an identity: {text}");
    let line = text
        .lines()
        .find(|l| l.starts_with("aisecrets: "))
        .unwrap_or_else(|| panic!("{text}"));
    for needle in ["git merge --abort", "aisecrets unlock", "`git merge` again"] {
        assert!(line.contains(needle), "{line}");
    }
    assert_eq!(
        std::fs::read(w.dev_file()).unwrap(),
        ours,
        "a file was written"
    );
    w.git_ok(&["merge", "--abort"]);
    w.git_ok(&["merge", "-q", "other", "-m", "merge other"]);
    for (name, value) in [("ON_OTHER", "other-FAKE"), ("ON_MAIN", "main-FAKE")] {
        assert_eq!(w.cmd(["get", name]).ok().stdout_str(), format!("{value}\n"));
    }
    let merged = std::fs::read_to_string(w.dev_file()).unwrap();
    assert!(merged.contains("format = 2\n") && merged.contains("\nmac = \""));
}

/// Issue #12, point 6 (b): the diff driver needs no identity; it says whether the file's MAC
/// held, or that it could not check it.
#[test]
fn the_diff_driver_says_whether_the_file_is_intact() {
    let w = World::repo();
    let textconv = |identity: Option<&str>| {
        let mut c = w.cmd(["git", "textconv", "secrets/dev.toml"]);
        if let Some(id) = identity {
            c = c
                .env("AISECRETS_IDENTITY", id)
                .env("AISECRETS_HOME", w.path("other-home"));
        }
        c.ok().stdout_str()
    };
    assert!(textconv(None).contains("integrity: ok\n"));
    let key = Command::new("age-keygen").output().unwrap();
    let other = String::from_utf8(key.stdout)
        .unwrap()
        .lines()
        .find(|l| l.starts_with("AGE-SECRET-KEY-1"))
        .unwrap()
        .to_owned();
    let out = textconv(Some(&other));
    assert!(out.contains("integrity: unchecked"), "{out}");
    assert!(out.contains("HF_TOKEN = (cannot open"), "{out}");
    let text = std::fs::read_to_string(w.dev_file()).unwrap();
    let dropped = drop_token_line(&text, "HF_TOKEN");
    std::fs::write(w.dev_file(), dropped).unwrap();
    let out = textconv(None);
    assert!(out.contains("integrity: FAILED"), "{out}");
}

/// Issue #12, point 6 (d): a branch that replaces the file with a format 1 file (no MAC) to
/// drop a line unseen is refused by the merge driver once this user saw format 2.
#[test]
fn a_format_1_file_on_a_branch_does_not_downgrade_the_merge() {
    let w = World::repo();
    w.git_ok(&["checkout", "-qb", "other"]);
    w.downgrade_dropping_hf_token();
    w.git_ok(&["commit", "-qam", "old format"]);
    main_moves_on(&w);
    merge_is_refused(&w, "the downgrade", "format 1");
}

/// Review: a copy of `aisecrets.toml` planted next to the environment file (same project id)
/// makes the merge driver find a "project" rooted at `secrets/`, which has no pin, so the
/// format check passes and a format 1 side that drops a line is laundered into a fresh MAC.
#[test]
fn a_manifest_planted_next_to_the_file_does_not_steer_the_merge_driver() {
    let w = World::repo();
    std::fs::copy(
        w.project.join("aisecrets.toml"),
        w.project.join("secrets/aisecrets.toml"),
    )
    .unwrap();
    w.git_ok(&["add", "-A"]);
    w.git_ok(&["commit", "-qm", "docs"]);
    w.git_ok(&["checkout", "-qb", "other"]);
    w.downgrade_dropping_hf_token();
    w.git_ok(&["commit", "-qam", "old format"]);
    main_moves_on(&w);
    merge_is_refused(&w, "the downgrade", "second aisecrets.toml");
}

/// Review: the same plant made on the branch that downgrades the file (git writes the
/// branch's files only after the driver ran, so the format check still sees the pin).
#[test]
fn a_manifest_planted_on_the_same_branch_does_not_steer_the_merge_driver() {
    let w = World::repo();
    w.git_ok(&["checkout", "-qb", "other"]);
    std::fs::copy(
        w.project.join("aisecrets.toml"),
        w.project.join("secrets/aisecrets.toml"),
    )
    .unwrap();
    w.git_ok(&["add", "-A"]);
    w.downgrade_dropping_hf_token();
    w.git_ok(&["commit", "-qam", "old format"]);
    main_moves_on(&w);
    merge_is_refused(&w, "the downgrade", "format 1");
}
