//! Notebooks in git (#18): the clean filter `git setup` installs for `*.ipynb` stages a
//! notebook with secret values and key shapes in its outputs redacted, and leaves the
//! working file as it is. Real git, notebooks written as Jupyter writes them (Python's
//! `json.dump(indent=1, ensure_ascii=False)`).

use std::process::Command;

use sha2::Digest;

use crate::util::{OPENAI, World, run_ok};

/// A notebook as Jupyter saves it: `print(os.environ[...])` with the key in a stream
/// output, an HTML display of it, and a `KeyError` whose traceback (ANSI colours) holds it.
/// The source names the variable only. `key` empty: outputs with no secret.
fn notebook(key: &str) -> Vec<u8> {
    let script = r#"
import json, os, sys
k = os.environ["NB_KEY"]
nb = {
 "cells": [
  {"cell_type": "code", "execution_count": 1, "id": "c1", "metadata": {},
   "outputs": [{"name": "stdout", "output_type": "stream", "text": ["key: " + k + "\n", "done\n"]}],
   "source": ["import os\n", "print('key:', os.environ['OPENAI_API_KEY'])"]},
  {"cell_type": "code", "execution_count": 2, "id": "c2", "metadata": {},
   "outputs": [{"data": {"text/html": ["<pre>" + k + "</pre>"], "text/plain": ["<IPython.core.display.HTML object>"]},
                "metadata": {}, "output_type": "display_data"}],
   "source": ["from IPython.display import HTML\n", "HTML('<pre>' + os.environ['OPENAI_API_KEY'] + '</pre>')"]},
  {"cell_type": "code", "execution_count": 3, "id": "c3", "metadata": {},
   "outputs": [{"ename": "KeyError", "evalue": "'" + k + "'", "output_type": "error",
                "traceback": ["\u001b[0;31mKeyError\u001b[0m: '" + k + "' \u2014 caf\u00e9"]}],
   "source": ["{}[os.environ['OPENAI_API_KEY']]"]}
 ],
 "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
 "nbformat": 4, "nbformat_minor": 5
}
sys.stdout.write(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
"#;
    let out = run_ok(
        Command::new("python3")
            .args(["-c", script])
            .env("NB_KEY", key),
    );
    out.stdout
}

/// An Anthropic-shaped key that is no project value (made up, not a placeholder).
fn anthropic_shaped() -> String {
    let body: String = (0..3u8)
        .flat_map(|i| sha2::Sha256::digest([i, 7]))
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sk-ant-api03-{}AA", &body[..93])
}

#[test]
fn a_notebook_is_staged_with_its_outputs_redacted_and_the_working_file_kept() {
    let w = World::repo();
    let attrs = std::fs::read_to_string(w.project.join(".gitattributes")).unwrap();
    assert!(
        attrs
            .lines()
            .any(|l| l == "*.ipynb filter=aisecrets-notebook"),
        "{attrs}"
    );
    // The command is in this clone's config, as an absolute path: never from a committed file.
    let clean = w.git_ok(&["config", "--get", "filter.aisecrets-notebook.clean"]);
    assert!(
        clean.starts_with("test -x '/") && clean.contains("' git clean-notebook %f;"),
        "{clean}"
    );
    let nb = notebook(OPENAI);
    std::fs::write(w.project.join("nb.ipynb"), &nb).unwrap();

    // The attack, as without the filter (the code before #18): git stages the outputs as
    // they are, and the pre-commit scan has to refuse the commit.
    std::fs::write(w.project.join(".git/info/attributes"), "*.ipynb -filter\n").unwrap();
    w.git_ok(&["add", "nb.ipynb"]);
    assert!(w.git_ok(&["show", ":nb.ipynb"]).contains(OPENAI));
    let found = w.cmd(["scan", "--staged"]).fails(1).stdout_str();
    assert!(
        found.contains("nb.ipynb") && found.contains("OPENAI_API_KEY"),
        "{found}"
    );
    w.git_ok(&["rm", "-q", "--cached", "nb.ipynb"]);
    std::fs::remove_file(w.project.join(".git/info/attributes")).unwrap();

    // With the filter.
    let added = w.git(&["add", "nb.ipynb"]);
    assert!(added.status.success(), "{added:?}");
    let said = String::from_utf8_lossy(&added.stderr);
    assert!(
        said.contains("nb.ipynb: 4 place(s) redacted in the staged copy"),
        "{said}"
    );
    let staged = w.git_ok(&["show", ":nb.ipynb"]);
    assert!(
        !staged.contains(OPENAI) && !staged.contains("canary"),
        "{staged}"
    );
    assert_eq!(
        staged.matches("[REDACTED:OPENAI_API_KEY]").count(),
        4,
        "{staged}"
    );
    assert!(
        staged.contains("\"key: [REDACTED:OPENAI_API_KEY]\\n\""),
        "{staged}"
    );
    assert!(
        staged.contains("<pre>[REDACTED:OPENAI_API_KEY]</pre>"),
        "{staged}"
    );
    // Re-encoded as Jupyter writes it: the escape and the non-ASCII text as they were.
    assert!(
        staged.contains(
            "\"\\u001b[0;31mKeyError\\u001b[0m: '[REDACTED:OPENAI_API_KEY]' \u{2014} caf\u{e9}\""
        ),
        "{staged}"
    );
    // Exactly the value changed, nothing else: sources, layout, everything.
    let expected = String::from_utf8(nb.clone())
        .unwrap()
        .replace(OPENAI, "[REDACTED:OPENAI_API_KEY]");
    assert_eq!(staged, expected);
    // The working file keeps its outputs, and git sees no change from the filter alone.
    assert_eq!(std::fs::read(w.project.join("nb.ipynb")).unwrap(), nb);
    let diff = w.git(&["diff", "--exit-code", "--", "nb.ipynb"]);
    assert!(diff.status.success() && diff.stdout.is_empty(), "{diff:?}");
    assert_eq!(w.git_ok(&["status", "--porcelain"]), "A  nb.ipynb\n");
    // The pre-commit scan finds nothing; the commit goes through its hook.
    w.cmd(["scan", "--staged"]).ok();
    w.git_ok(&["commit", "-qm", "notebook"]);
    // The filter again on what it staged: the same bytes (idempotent), and silent.
    let again = w
        .cmd(["git", "clean-notebook", "nb.ipynb"])
        .stdin(&staged)
        .ok();
    assert_eq!(again.stdout_str(), staged);
    assert_eq!(again.stderr_str(), "");

    // A notebook with nothing secret is staged byte for byte.
    let plain = notebook("no secret here");
    std::fs::write(w.project.join("plain.ipynb"), &plain).unwrap();
    w.git_ok(&["add", "plain.ipynb"]);
    assert_eq!(w.git(&["show", ":plain.ipynb"]).stdout, plain);

    // git setup again: nothing changes, nothing is duplicated.
    let config = std::fs::read(w.project.join(".git/config")).unwrap();
    w.cmd(["git", "setup"]).ok().stderr_has("nothing changed");
    let attrs = std::fs::read_to_string(w.project.join(".gitattributes")).unwrap();
    assert_eq!(
        attrs.matches("*.ipynb filter=aisecrets-notebook").count(),
        1
    );
    assert_eq!(
        std::fs::read(w.project.join(".git/config")).unwrap(),
        config
    );
    let cleans = w.git_ok(&["config", "--get-all", "filter.aisecrets-notebook.clean"]);
    assert_eq!(cleans.lines().count(), 1);
}

#[test]
fn without_an_open_identity_key_shapes_are_still_redacted_and_one_line_says_so() {
    let w = World::repo();
    let other = anthropic_shaped();
    std::fs::write(w.project.join("nb.ipynb"), notebook(&other)).unwrap();
    // Git run with a user folder that has no identity: values cannot be opened.
    let added = w
        .git_command()
        .args(["add", "nb.ipynb"])
        .env("AISECRETS_HOME", w.path("nobody"))
        .output()
        .unwrap();
    assert!(added.status.success(), "{added:?}");
    let said = String::from_utf8_lossy(&added.stderr);
    assert_eq!(
        said.lines()
            .filter(|l| l.contains("values were not checked"))
            .count(),
        1,
        "{said}"
    );
    assert!(said.contains("aisecrets unlock"), "{said}");
    let staged = w.git_ok(&["show", ":nb.ipynb"]);
    assert!(!staged.contains(&other), "{staged}");
    assert_eq!(staged.matches("[REDACTED:ANTHROPIC_API_KEY]").count(), 4);
}

/// A clone set up before #18 has the drivers but no notebook filter: once the committed
/// .gitattributes routes notebooks to it, the next project command configures it (as it
/// does the drivers, #13), and the notebook is staged redacted.
#[test]
fn a_clone_set_up_before_the_filter_gets_it_from_the_next_command() {
    let w = World::repo();
    w.git_ok(&["config", "--remove-section", "filter.aisecrets-notebook"]);
    w.cmd(["list"]).ok();
    let clean = w.git_ok(&["config", "--get", "filter.aisecrets-notebook.clean"]);
    assert!(clean.contains("git clean-notebook %f"), "{clean}");
    std::fs::write(w.project.join("nb.ipynb"), notebook(OPENAI)).unwrap();
    w.git_ok(&["add", "nb.ipynb"]);
    assert!(!w.git_ok(&["show", ":nb.ipynb"]).contains(OPENAI));
}

/// A PEM-shaped fake key: made-up base64 lines between the header and footer.
fn pem_shaped() -> String {
    let body: String = (0..6u8)
        .map(|i| {
            use base64::Engine as _;
            base64::engine::general_purpose::STANDARD.encode(sha2::Sha512::digest([i, 9]))
        })
        .collect::<Vec<_>>()
        .join("\n");
    format!("-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----")
}

/// A notebook whose one output printed `text` with `print`: Jupyter stores it as a list
/// of lines, one JSON string per line.
fn printed(text: &str) -> Vec<u8> {
    let script = r#"
import json, os, sys
t = os.environ["NB_TEXT"] + "\n"
nb = {"cells": [{"cell_type": "code", "execution_count": 1, "id": "c1", "metadata": {},
  "outputs": [{"name": "stdout", "output_type": "stream", "text": t.splitlines(True)}],
  "source": ["print(creds)"]}],
 "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
sys.stdout.write(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
"#;
    run_ok(
        Command::new("python3")
            .args(["-c", script])
            .env("NB_TEXT", text),
    )
    .stdout
}

/// A multi-line value printed in an output is one JSON string per line: it is searched
/// whole (the strings joined as Jupyter joins them), by the filter and by the pre-commit
/// scan. Before, neither matched: each line alone is no value and no key shape.
#[test]
fn a_value_printed_over_several_lines_is_redacted_whole_and_the_scan_joins_the_lines() {
    let mut w = World::repo();
    let sa = "{\n  \"type\": \"service_account\",\n  \"project_id\": \"fake-canary-project\",\n  \"client_id\": \"000000FAKE0canary\"\n}";
    w.cmd(["set", "SA_JSON"]).stdin(sa).ok();
    w.canary(sa);
    let pem = pem_shaped();
    w.canary(pem.lines().nth(1).unwrap());

    // The pre-commit scan of the lines as Jupyter stores them (no filter): the PEM shape
    // is found only in the joined text.
    std::fs::write(w.project.join(".git/info/attributes"), "*.ipynb -filter\n").unwrap();
    std::fs::write(
        w.project.join("pem.ipynb"),
        printed(&format!("key:\n{pem}")),
    )
    .unwrap();
    w.git_ok(&["add", "pem.ipynb"]);
    let found = w.cmd(["scan", "--staged"]).fails(1).stdout_str();
    assert!(
        found.contains("pem.ipynb") && found.contains("private key"),
        "{found}"
    );
    std::fs::write(w.project.join("sa.ipynb"), printed(&format!("creds: {sa}"))).unwrap();
    w.git_ok(&["rm", "-q", "--cached", "pem.ipynb"]);
    w.git_ok(&["add", "sa.ipynb"]);
    let found = w.cmd(["scan", "--staged"]).fails(1).stdout_str();
    assert!(
        found.contains("sa.ipynb") && found.contains("SA_JSON"),
        "{found}"
    );
    w.git_ok(&["rm", "-q", "--cached", "sa.ipynb"]);
    std::fs::remove_file(w.project.join(".git/info/attributes")).unwrap();

    // The filter: each redacted whole, the lines written back as Jupyter splits them.
    w.git_ok(&["add", "pem.ipynb", "sa.ipynb"]);
    let staged = w.git_ok(&["show", ":pem.ipynb"]);
    for line in pem.lines() {
        assert!(!staged.contains(line), "{line} in {staged}");
    }
    assert!(
        staged.contains("\"key:\\n\",\n      \"[REDACTED:PRIVATE_KEY]\\n\"\n"),
        "{staged}"
    );
    let staged_sa = w.git_ok(&["show", ":sa.ipynb"]);
    assert!(
        !staged_sa.contains("fake-canary-project") && !staged_sa.contains("FAKE0canary"),
        "{staged_sa}"
    );
    assert!(
        staged_sa.contains("\"creds: [REDACTED:SA_JSON]\\n\""),
        "{staged_sa}"
    );
    w.cmd(["scan", "--staged"]).ok();
    // Idempotent, and the working files keep their outputs.
    let again = w
        .cmd(["git", "clean-notebook", "pem.ipynb"])
        .stdin(&staged)
        .ok();
    assert_eq!(again.stdout_str(), staged);
    assert!(
        std::fs::read_to_string(w.project.join("pem.ipynb"))
            .unwrap()
            .contains("-----BEGIN PRIVATE KEY-----")
    );
}

/// The filter's output depends on whether the identity opens: locked, a project value in an
/// output is staged as it is (only key shapes are redacted), and the hook, locked too,
/// checks shapes only. So what the filter cleaned unchecked is recorded, and the hook
/// refuses to commit it, in one line, until it is staged again with the identity open.
/// Before, `git commit` (or `commit -a` after the cache expired) committed the raw value.
#[test]
fn a_notebook_staged_while_the_identity_is_locked_is_not_committed_until_staged_again() {
    let mut w = World::repo();
    let value = "correct-horse-FAKE-canary-battery-staple";
    w.cmd(["set", "DB_PASSWORD"]).stdin(value).ok();
    w.canary(value);
    w.git_ok(&["add", "-A"]);
    w.git_ok(&["commit", "-qm", "password"]);
    std::fs::write(w.project.join("nb.ipynb"), notebook(value)).unwrap();
    let locked = |args: &[&str]| {
        w.git_command()
            .args(args)
            .env("AISECRETS_HOME", w.path("nobody"))
            .output()
            .unwrap()
    };
    let added = locked(&["add", "nb.ipynb"]);
    assert!(added.status.success(), "{added:?}");
    assert!(w.git_ok(&["show", ":nb.ipynb"]).contains(value));
    let commit = locked(&["commit", "-qm", "notebook"]);
    assert!(!commit.status.success(), "committed: {commit:?}");
    let said = String::from_utf8_lossy(&commit.stderr);
    let line: Vec<&str> = said
        .lines()
        .filter(|l| l.contains("could not be checked"))
        .collect();
    assert_eq!(line.len(), 1, "{said}");
    assert!(
        line[0].contains("nb.ipynb")
            && line[0].contains("aisecrets unlock")
            && line[0].contains("git add"),
        "{said}"
    );
    assert!(!said.contains(value));
    // Staged again with the identity open (as the line says): redacted, and the locked
    // hook lets it through.
    w.git_ok(&["add", "--renormalize", "--", "nb.ipynb"]);
    let staged = w.git_ok(&["show", ":nb.ipynb"]);
    assert!(!staged.contains(value), "{staged}");
    let commit = locked(&["commit", "-qm", "notebook"]);
    assert!(commit.status.success(), "{commit:?}");
}

/// The filter when the aisecrets it was set up with is gone (a deleted venv, a moved
/// install): checkout never needs it (the smudge is `cat`), so `git checkout` restores
/// notebooks and `git status` works; staging a notebook fails with one line saying to run
/// `aisecrets git setup` (never staged unfiltered); the next aisecrets command sets it up
/// again. Before, the smudge was aisecrets itself: checkout failed and left notebooks
/// deleted.
#[test]
fn when_the_filters_program_is_gone_checkout_works_and_staging_says_what_to_do() {
    let w = World::repo();
    let copy = w.path("venv/bin/aisecrets");
    std::fs::create_dir_all(copy.parent().unwrap()).unwrap();
    std::fs::copy(crate::util::bin(), &copy).unwrap();
    let with_copy = |args: &[&str]| {
        let template = w.command(args);
        let mut c = Command::new(&copy);
        c.args(template.get_args()).current_dir(&w.project);
        for (k, v) in template.get_envs() {
            match v {
                Some(v) => c.env(k, v),
                None => c.env_remove(k),
            };
        }
        run_ok(&mut c)
    };
    with_copy(&["git", "setup"]);
    let clean = w.git_ok(&["config", "--get", "filter.aisecrets-notebook.clean"]);
    assert!(clean.contains(&copy.display().to_string()), "{clean}");
    let nb = notebook(OPENAI);
    std::fs::write(w.project.join("nb.ipynb"), &nb).unwrap();
    w.git_ok(&["add", "nb.ipynb"]);
    w.git_ok(&["commit", "-qm", "notebook"]);
    let staged = w.git(&["show", ":nb.ipynb"]).stdout;

    std::fs::remove_dir_all(w.path("venv")).unwrap();
    // Checkout: the notebook comes back (as committed), and status works.
    std::fs::remove_file(w.project.join("nb.ipynb")).unwrap();
    let out = w.git(&["checkout", "--", "nb.ipynb"]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(std::fs::read(w.project.join("nb.ipynb")).unwrap(), staged);
    w.git_ok(&["checkout", "-q", "-b", "other"]);
    w.git_ok(&["checkout", "-q", "main"]);
    assert!(w.project.join("nb.ipynb").exists());
    assert_eq!(w.git_ok(&["status", "--porcelain"]), "");
    // Staging: refused, in one line that says what to do; nothing staged unfiltered.
    std::fs::write(w.project.join("nb.ipynb"), &nb).unwrap();
    let out = w.git(&["add", "nb.ipynb"]);
    assert!(!out.status.success(), "{out:?}");
    let said = String::from_utf8_lossy(&out.stderr);
    // (git adds its own lines: `error: external filter '...' failed`.)
    let ours: Vec<&str> = said
        .lines()
        .filter(|l| l.starts_with("aisecrets"))
        .collect();
    assert_eq!(
        ours,
        ["aisecrets: the aisecrets notebook filter's program is gone: run `aisecrets git setup`"],
        "{said}"
    );
    assert_eq!(w.git(&["show", ":nb.ipynb"]).stdout, staged);
    // Any aisecrets command sets the filter up again, with its own path.
    w.cmd(["list"])
        .ok()
        .stderr_has("the merge and diff drivers and the notebook filter");
    w.git_ok(&["add", "nb.ipynb"]);
    assert!(!w.git_ok(&["show", ":nb.ipynb"]).contains(OPENAI));
}

/// Another filter for notebooks (`filter=lfs`, nbstripout) is not silently overridden by
/// ours (the last .gitattributes line wins): `git setup` leaves it and says, in one line, how
/// to choose. And a later `*.ipynb -filter` that switches ours off is named by `git setup`,
/// which before said only "nothing changed".
#[test]
fn another_filter_for_notebooks_is_not_overridden_and_one_that_wins_is_named() {
    let w = World::with_secrets();
    w.git_ok(&["init", "-q", "-b", "main"]);
    std::fs::write(
        w.project.join(".gitattributes"),
        "*.ipynb filter=lfs diff=lfs merge=lfs -text\n",
    )
    .unwrap();
    let out = w.cmd(["git", "setup"]).ok();
    let said = out.stderr_str();
    let lines: Vec<&str> = said.lines().filter(|l| l.contains("filter=lfs")).collect();
    assert_eq!(lines.len(), 1, "{said}");
    assert!(
        lines[0].contains("*.ipynb filter=aisecrets-notebook"),
        "{said}"
    );
    let attr = w.git_ok(&["check-attr", "filter", "--", "nb.ipynb"]);
    assert_eq!(attr, "nb.ipynb: filter: lfs\n");
    let attrs = std::fs::read_to_string(w.project.join(".gitattributes")).unwrap();
    assert!(!attrs.contains("aisecrets-notebook"), "{attrs}");

    // Ours, then a later line that switches it off.
    let w = World::repo();
    let mut attrs = std::fs::read_to_string(w.project.join(".gitattributes")).unwrap();
    attrs.push_str("*.ipynb -filter\n");
    std::fs::write(w.project.join(".gitattributes"), attrs).unwrap();
    let said = w.cmd(["git", "setup"]).ok().stderr_str();
    assert!(
        said.contains("notebooks are not routed to the aisecrets filter")
            && said.contains("`*.ipynb -filter`"),
        "{said}"
    );
}

/// A repository writer's `aisecrets.toml` in a notebook's folder does not switch the value
/// check off: the filter checks the project the pre-commit hook checks (found from the top
/// of the work tree), not the nearest one to the notebook. Before, the nested empty project
/// had no environments, so the value was staged as it is, silently.
#[test]
fn a_nested_manifest_does_not_switch_the_value_check_off() {
    let mut w = World::repo();
    let value = "correct-horse-FAKE-canary-battery-nested";
    w.cmd(["set", "DB_PASSWORD"]).stdin(value).ok();
    w.canary(value);
    let sub = w.project.join("analysis");
    std::fs::create_dir_all(&sub).unwrap();
    std::fs::write(
        sub.join("aisecrets.toml"),
        "[project]\nid = \"0123456789abcdef0123456789abcdef\"\n",
    )
    .unwrap();
    std::fs::write(sub.join("nb.ipynb"), notebook(value)).unwrap();
    let added = w.git(&["add", "analysis/nb.ipynb"]);
    assert!(added.status.success(), "{added:?}");
    let staged = w.git_ok(&["show", ":analysis/nb.ipynb"]);
    assert!(!staged.contains(value), "{staged}");
    assert_eq!(staged.matches("[REDACTED:DB_PASSWORD]").count(), 4);
}

/// A nested .gitattributes can route any file to the notebook filter: what is not a
/// notebook passes through unchanged, with one line saying so. Before, a Python file was
/// redacted as "not valid JSON" text, changing the staged source.
#[test]
fn a_file_that_is_not_a_notebook_passes_through_the_filter_unchanged() {
    let w = World::repo();
    std::fs::create_dir_all(w.project.join("src")).unwrap();
    std::fs::write(
        w.project.join("src/.gitattributes"),
        "*.py filter=aisecrets-notebook\n",
    )
    .unwrap();
    let code = format!("KEY = \"{OPENAI}\"  # aisecrets: allow\nprint(KEY)\n");
    std::fs::write(w.project.join("src/app.py"), &code).unwrap();
    let added = w.git(&["add", "src/app.py"]);
    assert!(added.status.success(), "{added:?}");
    let said = String::from_utf8_lossy(&added.stderr);
    assert_eq!(
        said.lines()
            .filter(|l| l.contains("src/app.py: not a notebook (.ipynb), staged unchanged"))
            .count(),
        1,
        "{said}"
    );
    assert_eq!(w.git_ok(&["show", ":src/app.py"]), code);
}

/// With the project in a subfolder of the repository, the notebook attribute is written at
/// the repository's root, so a notebook anywhere in it is filtered, and the filter checks
/// that project's values (recorded in this clone's config by `git setup`). Before, the line
/// went into the project's .gitattributes: a notebook elsewhere was staged as it is.
#[test]
fn with_the_project_in_a_subfolder_notebooks_anywhere_in_the_repository_are_filtered() {
    let mut w = World::with_secrets();
    let value = "correct-horse-FAKE-canary-battery-subfolder";
    w.cmd(["set", "DB_PASSWORD"]).stdin(value).ok();
    w.canary(value);
    let top = w.path("");
    run_ok(
        w.git_command()
            .current_dir(&top)
            .args(["init", "-q", "-b", "main"]),
    );
    w.cmd(["git", "setup"]).ok();
    let attrs = std::fs::read_to_string(top.join(".gitattributes")).unwrap();
    assert!(
        attrs.contains("*.ipynb filter=aisecrets-notebook"),
        "{attrs}"
    );
    std::fs::create_dir_all(top.join("analysis")).unwrap();
    std::fs::write(top.join("analysis/nb.ipynb"), notebook(value)).unwrap();
    run_ok(
        w.git_command()
            .current_dir(&top)
            .args(["add", "analysis/nb.ipynb"]),
    );
    let staged = run_ok(
        w.git_command()
            .current_dir(&top)
            .args(["show", ":analysis/nb.ipynb"]),
    );
    let staged = String::from_utf8_lossy(&staged.stdout);
    assert!(!staged.contains(value), "{staged}");
    assert_eq!(staged.matches("[REDACTED:DB_PASSWORD]").count(), 4);
}

/// git runs the filter for `git status` and `git diff` too: the "redacted" line is said once
/// per content, and the line about a locked identity once per git command, not per notebook.
/// Before, every `git status` after a touch said it again, and `git add` of three locked
/// notebooks said the identity line three times.
#[test]
fn the_filter_says_each_thing_once() {
    let w = World::repo();
    std::fs::write(w.project.join("nb.ipynb"), notebook(OPENAI)).unwrap();
    let said = |out: std::process::Output| String::from_utf8_lossy(&out.stderr).into_owned();
    let first = said(w.git(&["add", "nb.ipynb"]));
    assert_eq!(first.matches("place(s) redacted").count(), 1, "{first}");
    // The working file touched: git status and git diff clean it again, silently.
    let nb = std::fs::read(w.project.join("nb.ipynb")).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    std::fs::write(w.project.join("nb.ipynb"), &nb).unwrap();
    let status = w.git(&["status", "--porcelain"]);
    assert_eq!(String::from_utf8_lossy(&status.stdout), "A  nb.ipynb\n");
    let diff = w.git(&["diff"]);
    let again = said(status) + &said(diff);
    assert!(!again.contains("redacted"), "{again}");

    for n in 1..=3 {
        std::fs::write(
            w.project.join(format!("locked{n}.ipynb")),
            notebook(&anthropic_shaped()),
        )
        .unwrap();
    }
    let added = w
        .git_command()
        .args(["add", "locked1.ipynb", "locked2.ipynb", "locked3.ipynb"])
        .env("AISECRETS_HOME", w.path("nobody"))
        .output()
        .unwrap();
    let text = said(added);
    assert_eq!(text.matches("values were not checked").count(), 1, "{text}");
}
