//! The committed completions and man page match the clap definition. Run with
//! `UPDATE_GENERATED=1` to rewrite them.

use std::path::Path;

use clap_complete::Shell;

fn check(path: &Path, want: &[u8]) {
    if std::env::var_os("UPDATE_GENERATED").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, want).unwrap();
        return;
    }
    let have = std::fs::read(path).unwrap_or_default();
    assert!(
        have == want,
        "{} is stale: run `UPDATE_GENERATED=1 cargo test --test integration generated` and commit it",
        path.display()
    );
}

#[test]
fn completions_are_current() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for shell in [
        Shell::Bash,
        Shell::Zsh,
        Shell::Fish,
        Shell::PowerShell,
        Shell::Elvish,
    ] {
        let want = aisecrets::cli::docs::completion(shell);
        check(
            &root
                .join("completions")
                .join(aisecrets::cli::docs::completion_file(shell)),
            &want,
        );
        // The command prints the same script.
        let out = std::process::Command::new(crate::util::bin())
            .args(["completions", &shell.to_string()])
            .output()
            .unwrap();
        assert!(out.status.success());
        assert_eq!(out.stdout, want);
    }
}

#[test]
fn man_page_is_current_and_has_its_sections() {
    let want = aisecrets::cli::docs::man_page();
    let text = String::from_utf8(want.clone()).unwrap();
    for section in [
        "EXIT STATUS",
        "ENVIRONMENT",
        "FILES",
        "EXAMPLES",
        "AISECRETS_IDENTITY",
    ] {
        assert!(text.contains(section), "man page lacks {section}");
    }
    check(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("man/aisecrets.1"),
        &want,
    );
}

/// Every page a SUBCOMMANDS or SEE ALSO list names is generated and committed, and `man/`
/// holds no page of a command that is gone.
#[test]
fn every_subcommand_has_its_man_page() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("man");
    let pages = aisecrets::cli::docs::man_pages();
    let names: Vec<&str> = pages.iter().map(|(n, _)| n.as_str()).collect();
    let refs = regex::Regex::new(r"\b(aisecrets(?:-[a-z-]+)?)\(1\)").unwrap();
    for (name, page) in &pages {
        check(&dir.join(name), page);
        // Names as roff writes them: `aisecrets\-run(1)`, `\fBaisecrets\fR(1)`.
        let text = String::from_utf8(page.clone())
            .unwrap()
            .replace("\\-", "-")
            .replace("\\fB", "")
            .replace("\\fR", "");
        for r in refs.captures_iter(&text) {
            let target = format!("{}.1", &r[1]);
            assert!(
                names.contains(&target.as_str()),
                "{name} refers to {}(1), which is not generated",
                &r[1]
            );
        }
    }
    for sub in [
        "aisecrets-run.1",
        "aisecrets-scan.1",
        "aisecrets-recipients-add.1",
    ] {
        assert!(names.contains(&sub), "no page {sub}");
    }
    assert!(
        !names.iter().any(|n| n.contains("help")),
        "a page for `help`"
    );
    let stale: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|f| !names.contains(&f.as_str()))
        .collect();
    if std::env::var_os("UPDATE_GENERATED").is_some() {
        for f in &stale {
            std::fs::remove_file(dir.join(f)).unwrap();
        }
    } else {
        assert!(
            stale.is_empty(),
            "man/ holds pages no command makes: {stale:?}"
        );
    }
}

/// The man page's ENVIRONMENT names every `AISECRETS_*`, `VAULT_*` and `BAO_*` variable
/// that the source reads (a `BAO_*` name through its `VAULT_*` twin and "BAO_*").
#[test]
fn man_page_lists_every_variable_the_code_reads() {
    let page = String::from_utf8(aisecrets::cli::docs::man_page()).unwrap();
    let env = &page[page.find(".SH ENVIRONMENT").unwrap()..];
    // Without roff's font escapes, which would glue `B` to a name (`\fBAISECRETS_ENV\fR`).
    let env = env[..env[1..].find(".SH ").unwrap()]
        .replace("\\fB", " ")
        .replace("\\fR", " ");
    // String literals that name one of our variables; `AISECRETS_X` is a unit test's
    // example of a reserved secret name, not a variable.
    let literal = regex::Regex::new(r#""((?:AISECRETS|VAULT|BAO)_[A-Z0-9_]+)""#).unwrap();
    let mut names = std::collections::BTreeSet::new();
    let mut stack = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                for c in literal.captures_iter(&text) {
                    names.insert(c[1].to_owned());
                }
            }
        }
    }
    names.remove("AISECRETS_X");
    assert!(
        names.contains("AISECRETS_KEYRING"),
        "the scan found {names:?}"
    );
    for name in &names {
        let listed = match name.strip_prefix("BAO_") {
            Some(rest) => env.contains("BAO_") && has_word(&env, &format!("VAULT_{rest}")),
            None => has_word(&env, name),
        };
        assert!(listed, "the man page's ENVIRONMENT lacks {name}");
    }
}

fn has_word(text: &str, word: &str) -> bool {
    regex::Regex::new(&format!(r"\b{word}\b"))
        .unwrap()
        .is_match(text)
}
