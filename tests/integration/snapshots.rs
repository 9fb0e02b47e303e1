//! Snapshot tests (insta) of what a user reads: `--help` of every command, and the error
//! messages of the common mistakes. The snapshots live in `tests/snapshots/`; temp paths and
//! keys are redacted, so they are the same on every machine.
//!
//! After changing a help text or an error message on purpose, rewrite them with
//! `scripts/snapshots` (`INSTA_UPDATE=always INSTA_FORCE_PASS=1 cargo test --test
//! integration snapshots`), review `git diff tests/snapshots`, and commit.

use clap::CommandFactory;

use crate::util::{Out, World};

/// Snapshot settings for one world: the snapshot folder, and its temp paths and random keys
/// replaced by placeholders.
fn settings(w: &World) -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("../snapshots");
    s.set_prepend_module_to_snapshot(false);
    s.set_omit_expression(true);
    s.add_filter(&regex::escape(&w.dir.path().display().to_string()), "[TMP]");
    s.add_filter(r"age1[0-9a-z]{58}", "[AGE_PUBLIC_KEY]");
    s.add_filter(r"\b[0-9a-f]{32}\b", "[ID]");
    s
}

/// What the user sees: the exit code, stderr, and stdout.
fn shown(out: &Out) -> String {
    format!(
        "exit: {:?}\n--- stderr\n{}--- stdout\n{}",
        out.0.status.code(),
        out.stderr_str(),
        out.stdout_str()
    )
}

/// Every visible command path, `[]` for the top level: `["identity", "new"]`, ...
fn command_paths(cmd: &clap::Command, prefix: &[String], out: &mut Vec<Vec<String>>) {
    out.push(prefix.to_vec());
    for sub in cmd.get_subcommands() {
        if sub.is_hide_set() || sub.get_name() == "help" {
            continue;
        }
        let mut path = prefix.to_vec();
        path.push(sub.get_name().to_owned());
        command_paths(sub, &path, out);
    }
}

#[test]
fn help_of_every_command() {
    let w = World::empty();
    let mut paths = Vec::new();
    command_paths(&aisecrets::cli::Cli::command(), &[], &mut paths);
    assert!(paths.len() > 20, "{paths:?}");
    settings(&w).bind(|| {
        for path in paths {
            let out = w
                .cmd(path.iter().map(String::as_str).chain(["--help"]))
                .env("COLUMNS", "100")
                .ok();
            let name = if path.is_empty() {
                "help".to_owned()
            } else {
                format!("help__{}", path.join("__"))
            };
            insta::assert_snapshot!(name, out.stdout_str());
        }
    });
}

/// One error case: `name` is the snapshot, `args` the command run in `w`.
#[track_caller]
fn error_shot(w: &World, name: &str, args: &[&str]) {
    let out = w.cmd(args).run();
    assert_ne!(out.0.status.code(), Some(0), "{name}: expected a failure");
    settings(w).bind(|| insta::assert_snapshot!(name, shown(&out)));
}

#[test]
fn error_messages_of_common_mistakes() {
    // Outside any project.
    let empty = World::empty();
    error_shot(&empty, "error__no_project", &["get", "OPENAI_API_KEY"]);
    error_shot(&empty, "error__no_identity", &["init"]);
    error_shot(&empty, "error__unknown_subcommand", &["lst"]);
    error_shot(
        &empty,
        "error__unknown_flag",
        &["run", "--msak", "--", "true"],
    );
    // A no-terminal prompt: the passphrase of a protected identity.
    let locked = World::empty();
    locked
        .cmd(["identity", "new"])
        .stdin("correct horse battery staple\n")
        .ok();
    locked.cmd(["init"]).ok();
    error_shot(
        &locked,
        "error__no_terminal_for_passphrase",
        &["run", "--", "true"],
    );

    let w = World::with_secrets();
    error_shot(&w, "error__no_such_secret", &["get", "OPENAI_KY"]);
    error_shot(
        &w,
        "error__no_such_secret_suggestion",
        &["get", "OPENAI_API_KE"],
    );
    error_shot(
        &w,
        "error__run_only_unknown",
        &["run", "--only", "NOPE", "--", "true"],
    );
    error_shot(&w, "error__unknown_env", &["list", "--env", "prdo"]);
    error_shot(&w, "error__invalid_name", &["set", "1BAD"]);
    error_shot(&w, "error__empty_value", &["set", "NEW_KEY"]);
    let out = w.cmd(["import", "-"]).stdin("A=1\nB\n").run();
    settings(&w).bind(|| insta::assert_snapshot!("error__import_bad_line", shown(&out)));

    // The same project on a machine that never trusted it (no pins).
    std::fs::remove_file(w.home.join("trust.toml")).unwrap();
    error_shot(&w, "error__untrusted_env", &["get", "OPENAI_API_KEY"]);
}
