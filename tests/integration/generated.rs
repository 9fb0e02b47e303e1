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
