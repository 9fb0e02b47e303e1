//! Issue 13, the newcomer's first hour: a mistyped `run` flag, a value on the command line,
//! "did you mean" everywhere, `$EDITOR` with arguments, `list` without an identity, a name
//! without `$USER`, `init` outside git, three tries at the passphrase, and a non-member told
//! about `request-access` before any passphrase prompt.
//! <https://github.com/aisecrets/aisecrets/issues/13>

use std::os::unix::fs::PermissionsExt;

use rexpect::session::spawn_command;

use crate::util::{HF, OPENAI, World, exit_code, terminal_end};

fn script(w: &World, rel: &str, body: &str) -> std::path::PathBuf {
    let path = w.path(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// #13 point 5: `run --proxy -- cmd` ran a program called `--proxy` (`--proxy` is an option
/// since #15: `--sandbox` stands in for an unknown one) (here one on PATH that
/// leaves a mark); an unknown option of `run` is now a usage error with a suggestion.
#[test]
fn issue13_an_unknown_run_option_is_a_usage_error_not_a_program() {
    let w = World::with_secrets();
    let mark = w.path("proxy-ran");
    script(&w, "bin/--sandbox", &format!("touch {}", mark.display()));
    let path = format!(
        "{}:{}",
        w.path("bin").display(),
        std::env::var("PATH").unwrap()
    );
    w.cmd(["run", "--sandbox", "--", "true"])
        .env("PATH", &path)
        .fails(2)
        .one_line_error()
        .stderr_has("`run` has no option `--sandbox`")
        .stderr_has("options go before `--`");
    assert!(!mark.exists(), "a program called --sandbox was run");
    w.cmd(["run", "--mas", "--", "true"])
        .fails(2)
        .one_line_error()
        .stderr_has("did you mean `--mask`?");
    // The command's own flags still reach it, with or without `--`.
    for args in [
        &["run", "--", "sh", "-c", "echo \"$1\"", "sh", "--flag"][..],
        &["run", "sh", "-c", "echo \"$1\"", "sh", "--flag"][..],
        &[
            "run",
            "--only",
            "HF_TOKEN",
            "sh",
            "-c",
            "echo \"$1\"",
            "sh",
            "-x",
        ][..],
    ] {
        let out = w.cmd(args).ok().stdout_str();
        assert!(out == "--flag\n" || out == "-x\n", "{args:?}: {out}");
    }
}

/// #13 point 6: `set NAME VALUE` said clap's "unexpected argument"; now it says why values
/// never go on the command line and that the value may be in shell history, never echoing it.
#[test]
fn issue13_set_with_a_value_in_argv_explains_and_never_echoes_it() {
    let w = World::new();
    let out = w
        .cmd(["set", "OPENAI_API_KEY", OPENAI])
        .fails(2)
        .one_line_error()
        .stderr_has("no value on the command line")
        .stderr_has("history")
        .stderr_has("aisecrets set OPENAI_API_KEY");
    assert!(!out.stderr_str().contains(OPENAI));
    w.cmd(["get", "OPENAI_API_KEY"]).fails(1);
}

/// #13 point 6: `get OPENAI_KEY` had no suggestion while `run --only` had one; both now
/// come from one place and say the same.
#[test]
fn issue13_get_and_run_only_suggest_the_same_way() {
    let w = World::with_secrets();
    let get = w
        .cmd(["get", "OPENAI_KEY"])
        .fails(1)
        .one_line_error()
        .stderr_has("did you mean `OPENAI_API_KEY`?")
        .stderr_str();
    let run = w
        .cmd(["run", "--only", "OPENAI_KEY", "--", "true"])
        .fails(1)
        .one_line_error()
        .stderr_str();
    assert_eq!(get, run);
    assert!(get.contains("known: HF_TOKEN, OPENAI_API_KEY"), "{get}");
}

/// #13 point 6: `$EDITOR` with arguments and quotes was split on blanks; it now runs
/// through the shell, as git runs it.
#[test]
fn issue13_editor_with_arguments_and_quotes_runs_through_the_shell() {
    let w = World::with_secrets();
    // An editor in a folder with a space, given a quoted argument with a space.
    let ed = script(
        &w,
        "my tools/ed",
        "[ \"$1\" = 'two words' ] || exit 9\n\
         sed -i 's/^HF_TOKEN=.*/HF_TOKEN=hf_FAKEedited000/' \"$2\"",
    );
    let editor = format!("'{}' 'two words'", ed.display());
    w.cmd(["edit"]).env("EDITOR", &editor).ok();
    assert_eq!(
        w.cmd(["get", "HF_TOKEN"]).reveals().ok().stdout_str(),
        "hf_FAKEedited000\n"
    );
}

/// #13 point 6: with `$USER` unset (containers) the recipient was named `me`; now the
/// login name (or git's user.name) is used, and init says which.
#[test]
fn issue13_init_without_user_names_the_recipient_after_the_login_and_says_so() {
    let w = World::empty();
    w.cmd(["identity", "new", "--no-passphrase"]).ok();
    let login = nix::unistd::User::from_uid(nix::unistd::getuid())
        .unwrap()
        .unwrap()
        .name;
    let err = w
        .cmd(["init"])
        .env_remove("USER")
        .ok()
        .stderr_has("from your login name")
        .stderr_str();
    let manifest = std::fs::read_to_string(w.project.join("aisecrets.toml")).unwrap();
    assert!(
        manifest.contains(&format!("{login} = \"age1")),
        "{manifest}"
    );
    assert!(!manifest.contains("me = \""), "{manifest}");
    // Not in a git repository: one line says the files belong in git.
    assert!(
        err.lines()
            .any(|l| l.contains("not in a git repository") && l.contains("git init")),
        "{err}"
    );
}

/// #13 point 6: `list` needed an identity though names are in the clear; without one it
/// lists the names and says that when and who are sealed.
#[test]
fn issue13_list_shows_names_without_an_identity() {
    let w = World::with_secrets();
    let other = w.path("other-home");
    let out = w
        .cmd(["list"])
        .env("AISECRETS_HOME", &other)
        .ok()
        .stderr_has("sealed");
    let text = out.stdout_str();
    assert!(
        text.contains("HF_TOKEN") && text.contains("OPENAI_API_KEY"),
        "{text}"
    );
    let json: serde_json::Value = serde_json::from_str(
        &w.cmd(["list", "--json"])
            .env("AISECRETS_HOME", &other)
            .ok()
            .stdout_str(),
    )
    .unwrap();
    assert_eq!(json[0]["name"], "HF_TOKEN");
    assert!(json[0]["set_by"].is_null());
    // With the identity, when and who as before.
    let full = w.cmd(["list"]).ok().stdout_str();
    assert!(full.contains("tester"), "{full}");
    let _ = HF;
}

const PASS: &str = "correct horse battery staple";

/// A world whose identity has a passphrase (nothing cached).
fn passphrase_world() -> World {
    let w = World::empty();
    w.cmd(["identity", "new"]).stdin(format!("{PASS}\n")).ok();
    w
}

/// Runs `args` in a pseudo-terminal, answering each passphrase prompt with the next of
/// `answers`; returns (prompts seen, everything printed, exit code).
fn typed(w: &World, args: &[&str], answers: &[&str]) -> (usize, String, i32) {
    let c = w.command(args);
    let mut p = spawn_command(c, Some(30_000)).unwrap();
    let mut text = String::new();
    let mut prompts = 0;
    loop {
        match p.exp_any(vec![
            rexpect::ReadUntil::String("Passphrase for".into()),
            rexpect::ReadUntil::EOF,
        ]) {
            Ok((before, found)) if found.contains("Passphrase for") => {
                text += &before;
                text += &found;
                let answer = answers.get(prompts).copied().unwrap_or("no more answers");
                prompts += 1;
                p.send_line(answer).unwrap();
            }
            Ok((before, found)) => {
                text += &before;
                text += &found;
                break;
            }
            Err(e) => panic!("{e}\n{text}"),
        }
    }
    let (text, code) = terminal_end(&mut p, &text, PASS);
    (prompts, text, code)
}

/// #13 point 3: one wrong passphrase failed the command; now three tries on a terminal, as
/// ssh and sudo give.
#[test]
fn issue13_three_tries_at_the_passphrase() {
    let w = passphrase_world();
    w.cmd(["init"]).ok();
    let (prompts, text, code) = typed(&w, &["rm", "NOPE"], &["wrong one", "wrong two", PASS]);
    assert_eq!(prompts, 3, "{text}");
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("no secret `NOPE`"), "{text}");
    assert_eq!(
        text.matches("wrong passphrase, try again").count(),
        2,
        "{text}"
    );
    let (prompts, text, code) = typed(&w, &["rm", "NOPE"], &["a", "b", "c"]);
    assert_eq!((prompts, code), (3, 1), "{text}");
    let errors: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("aisecrets: error"))
        .collect();
    assert_eq!(errors.len(), 1, "{text}");
    assert!(
        errors[0].contains("wrong passphrase") && errors[0].contains("3 tries"),
        "{text}"
    );
}

/// #13 point 4: a non-member was asked for his passphrase before being told he has no
/// access, and then told the direct-add route; now the manifest is checked first, and the
/// first step named is `aisecrets request-access`.
#[test]
fn issue13_a_non_member_is_told_request_access_before_any_prompt() {
    let alice = World::with_secrets();
    let bob = passphrase_world();
    // bob works in alice's project folder with his own home.
    let (prompts, text, code) = typed_in(&bob, &alice.project, &["get", "HF_TOKEN"]);
    assert_eq!(prompts, 0, "asked for a passphrase first:\n{text}");
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("aisecrets request-access"), "{text}");
    let first = text.find("request-access").unwrap();
    assert!(
        text.find("recipients add").is_none_or(|i| i > first),
        "request-access is not the first step:\n{text}"
    );
    // After requesting, the message says the request is pending and who approves it.
    bob.cmd(["request-access", "--name", "bob"])
        .dir(&alice.project)
        .ok();
    let (prompts, text, _) = typed_in(&bob, &alice.project, &["run", "--", "true"]);
    assert_eq!(prompts, 0, "{text}");
    assert!(
        text.contains("pending") && text.contains("aisecrets recipients approve bob"),
        "{text}"
    );
}

fn typed_in(w: &World, dir: &std::path::Path, args: &[&str]) -> (usize, String, i32) {
    let mut c = w.command(args);
    c.current_dir(dir);
    let mut p = spawn_command(c, Some(30_000)).unwrap();
    let (prompted, text) = match p.exp_any(vec![
        rexpect::ReadUntil::String("Passphrase for".into()),
        rexpect::ReadUntil::EOF,
    ]) {
        Ok((before, found)) if found.contains("Passphrase for") => {
            p.send_line(PASS).unwrap();
            (1, before + &found + &p.exp_eof().unwrap())
        }
        Ok((before, found)) => (0, before + &found),
        Err(e) => panic!("{e}"),
    };
    let code = exit_code(&mut p);
    (prompted, text.replace('\r', ""), code)
}
