//! import (dotenv) and export (dotenv, json, shell).

use crate::util::{OPENAI, World};

const TRICKY: &[(&str, &str)] = &[
    ("PLAIN", "plain-value"),
    ("QUOTES", "it's \"quoted\""),
    ("NEWLINES", "line1\nline2\n"),
    ("HASH", "a # not a comment"),
    ("EQUALS", "k=v=w"),
    (
        "SUBST",
        "$(touch /tmp/aisecrets-marker) `id` ${HOME} %USERPROFILE%",
    ),
    ("BACKSLASH", "C:\\path\\n"),
    ("SPACES", "  padded  "),
];

#[test]
fn import_reads_dotenv_and_refuses_duplicates() {
    let mut w = World::new();
    w.canary("imported-FAKE-1");
    let env = w.path("in.env");
    std::fs::write(
        &env,
        format!("# comment\nexport OPENAI_API_KEY={OPENAI}\nHF_TOKEN='imported-FAKE-1' # note\nMULTI=\"a\\nb\"\n"),
    )
    .unwrap();
    w.cmd(["import", env.to_str().unwrap()])
        .ok()
        .stderr_has("3 added");
    assert_eq!(w.cmd(["get", "MULTI"]).ok().stdout_str(), "a\nb\n");
    assert_eq!(
        w.cmd(["get", "HF_TOKEN"]).reveals().ok().stdout_str(),
        "imported-FAKE-1\n"
    );
    // Importing again changes nothing.
    let before = std::fs::read(w.dev_file()).unwrap();
    w.cmd(["import", env.to_str().unwrap()])
        .ok()
        .stderr_has("3 unchanged");
    assert_eq!(std::fs::read(w.dev_file()).unwrap(), before);
    // A duplicate name anywhere refuses the whole input.
    std::fs::write(&env, "NEW_A=1\nNEW_B=2\nNEW_A=3\n").unwrap();
    w.cmd(["import", env.to_str().unwrap()])
        .fails(1)
        .one_line_error()
        .stderr_has("duplicate name `NEW_A`");
    w.cmd(["get", "NEW_B"]).fails(1);
    // A bad line names the line, never its text.
    std::fs::write(&env, format!("OK=1\n{OPENAI}\n")).unwrap();
    w.cmd(["import", env.to_str().unwrap()])
        .fails(1)
        .one_line_error()
        .stderr_has("line 2");
    // A name that is really a value (a bare key with `=`) is not echoed.
    std::fs::write(
        &env,
        format!("OK=1\n{OPENAI}=\nMIIBVQIBADANBgkqhkiG9w0BAQEFAASCAT8wggE7AgEAAkEA+FAKE=\n"),
    )
    .unwrap();
    w.cmd(["import", env.to_str().unwrap()])
        .fails(1)
        .one_line_error()
        .stderr_has("line 2")
        .stderr_has("invalid name");
    // stdin works as "-".
    w.cmd(["import", "-"]).stdin("FROM_STDIN=yes\n").ok();
    assert_eq!(w.cmd(["get", "FROM_STDIN"]).ok().stdout_str(), "yes\n");
    w.cmd(["import", "missing.env"])
        .fails(1)
        .one_line_error()
        .stderr_has("missing.env");
}

fn world_with_tricky() -> World {
    let w = World::new();
    for (name, value) in TRICKY {
        w.cmd(["set", name]).stdin(format!("{value}\n")).ok();
    }
    w
}

#[test]
fn export_dotenv_round_trips_through_import() {
    let w = world_with_tricky();
    let text = w.cmd(["export", "--format", "dotenv"]).ok().stdout_str();
    let w2 = World::new();
    w2.cmd(["import", "-"]).stdin(&text).ok();
    for (name, value) in TRICKY {
        assert_eq!(
            w2.cmd(["get", name]).ok().stdout_str(),
            format!("{value}\n"),
            "{name}"
        );
    }
}

#[test]
fn export_json_parses_back() {
    let w = world_with_tricky();
    let v: serde_json::Value =
        serde_json::from_str(&w.cmd(["export", "--format", "json"]).ok().stdout_str()).unwrap();
    for (name, value) in TRICKY {
        assert_eq!(v[name], *value, "{name}");
    }
}

#[test]
fn export_shell_evaluates_to_the_same_values_without_running_them() {
    let w = world_with_tricky();
    let text = w.cmd(["export", "--format", "shell"]).ok().stdout_str();
    let _ = std::fs::remove_file("/tmp/aisecrets-marker");
    for (name, value) in TRICKY {
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("{text}\nprintf %s \"${name}\""))
            .output()
            .unwrap();
        assert_eq!(String::from_utf8(out.stdout).unwrap(), *value, "{name}");
    }
    assert!(
        !std::path::Path::new("/tmp/aisecrets-marker").exists(),
        "a value was evaluated"
    );
}
