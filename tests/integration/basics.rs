//! The everyday flow: init, set, get, list, rm, environments, project discovery.

use crate::util::{HF, OPENAI, World};

#[test]
fn set_get_list_rm_round_trip() {
    let w = World::with_secrets();
    let out = w.cmd(["get", "OPENAI_API_KEY"]).reveals().ok();
    assert_eq!(out.stdout_str(), format!("{OPENAI}\n"));
    let list = w.cmd(["list"]).ok().stdout_str();
    assert!(
        list.contains("OPENAI_API_KEY") && list.contains("HF_TOKEN") && list.contains("tester"),
        "{list}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&w.cmd(["list", "--json"]).ok().stdout_str()).unwrap();
    let names: Vec<&str> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["HF_TOKEN", "OPENAI_API_KEY"]);
    assert!(json[0]["set_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(json[0]["set_by"], "tester");
    w.cmd(["rm", "HF_TOKEN"]).ok();
    w.cmd(["get", "HF_TOKEN"])
        .fails(1)
        .one_line_error()
        .stderr_has("no secret `HF_TOKEN`");
    // No plaintext anywhere in the project.
    for entry in walk(&w.project) {
        let text = std::fs::read_to_string(&entry).unwrap_or_default();
        assert!(
            !text.contains(OPENAI) && !text.contains(HF),
            "plaintext in {}",
            entry.display()
        );
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn set_strips_one_trailing_newline_and_refuses_empty() {
    let w = World::new();
    w.cmd(["set", "A"]).stdin("value\n").ok();
    assert_eq!(w.cmd(["get", "A"]).reveals().ok().stdout_str(), "value\n");
    w.cmd(["set", "A"]).stdin("").fails(1).stderr_has("empty");
    assert_eq!(
        w.cmd(["get", "A"]).reveals().ok().stdout_str(),
        "value\n",
        "an empty pipe must not wipe a value"
    );
}

#[test]
fn unknown_names_suggest_close_ones() {
    let w = World::with_secrets();
    w.cmd(["get", "OPENAI_API_KY"])
        .fails(1)
        .one_line_error()
        .stderr_has("did you mean `OPENAI_API_KEY`");
    w.cmd(["rm", "NOPE"])
        .fails(1)
        .stderr_has("no secret `NOPE`");
}

#[test]
fn names_follow_the_rule() {
    let w = World::new();
    for bad in ["1ABC", "A-B", "A.B", "ÄBC", "A B", "AISECRETS_IDENTITY"] {
        w.cmd(["set", bad])
            .stdin("x")
            .fails(1)
            .one_line_error()
            .stderr_has("invalid secret name");
    }
    w.cmd(["set", "1ABC"])
        .stdin("x")
        .fails(1)
        .stderr_has("[A-Za-z_][A-Za-z0-9_]*");
    w.cmd(["set", "_ok_9"]).stdin("x").ok();
}

#[test]
fn values_with_nul_or_over_1mib_are_refused() {
    let w = World::new();
    w.cmd(["set", "A"])
        .stdin(b"a\0b")
        .fails(1)
        .stderr_has("NUL");
    w.cmd(["set", "A"])
        .stdin(vec![b'x'; (1 << 20) + 1])
        .fails(1)
        .stderr_has("1 MiB");
    w.cmd(["set", "A"]).stdin(vec![b'x'; 1 << 20]).ok();
    w.cmd(["set", "B"])
        .stdin(vec![0xff, 0xfe])
        .fails(1)
        .stderr_has("UTF-8");
}

#[test]
fn environments_are_separate_and_picked_by_flag_or_variable() {
    let w = World::new();
    w.cmd(["init", "--env", "prod", "--name", "alice"])
        .ok()
        .stderr_has("updated");
    assert!(w.project.join("secrets/prod.toml").is_file());
    let manifest = std::fs::read_to_string(w.project.join("aisecrets.toml")).unwrap();
    assert!(
        manifest.contains("[environments.prod.recipients]") && manifest.contains("alice = \"age1"),
        "{manifest}"
    );
    w.cmd(["set", "K", "--env", "prod"])
        .stdin("prod-value")
        .ok();
    w.cmd(["set", "K"]).stdin("dev-value").ok();
    assert_eq!(
        w.cmd(["get", "K", "--env", "prod"])
            .reveals()
            .ok()
            .stdout_str(),
        "prod-value\n"
    );
    assert_eq!(
        w.cmd(["get", "K"])
            .env("AISECRETS_ENV", "prod")
            .reveals()
            .ok()
            .stdout_str(),
        "prod-value\n"
    );
    assert_eq!(
        w.cmd(["get", "K"]).reveals().ok().stdout_str(),
        "dev-value\n"
    );
    w.cmd(["get", "K", "--env", "prdo"])
        .fails(1)
        .one_line_error()
        .stderr_has("no environment `prdo`")
        .stderr_has("dev, prod");
    w.cmd(["init", "--env", "prod"])
        .fails(1)
        .stderr_has("already exists");
    w.cmd(["init", "--env", "../x"])
        .fails(1)
        .stderr_has("invalid environment name");
}

#[test]
fn the_project_is_found_from_a_subfolder() {
    let w = World::with_secrets();
    let sub = w.project.join("src/deep");
    std::fs::create_dir_all(&sub).unwrap();
    assert_eq!(
        w.cmd(["get", "HF_TOKEN"])
            .dir(&sub)
            .reveals()
            .ok()
            .stdout_str(),
        format!("{HF}\n")
    );
    // init from a subfolder adds to the project above, not a new one.
    w.cmd(["init", "--env", "staging"]).dir(&sub).ok();
    assert!(w.project.join("secrets/staging.toml").is_file());
    assert!(!sub.join("aisecrets.toml").exists());
}

#[test]
fn outside_a_project_says_to_init() {
    let w = World::empty();
    w.cmd(["identity", "new", "--no-passphrase"]).ok();
    w.cmd(["get", "X"])
        .fails(1)
        .one_line_error()
        .stderr_has("no aisecrets project")
        .stderr_has("aisecrets init");
}

#[test]
fn init_without_identity_says_how_to_make_one() {
    let w = World::empty();
    w.cmd(["init"])
        .fails(1)
        .one_line_error()
        .stderr_has("no identity")
        .stderr_has("aisecrets identity new");
    assert!(
        !w.project.join("aisecrets.toml").exists(),
        "nothing written on failure"
    );
}

#[test]
fn usage_errors_exit_2() {
    let w = World::new();
    w.cmd(["frobnicate"]).fails(2);
    w.cmd(["set"]).fails(2);
    w.cmd(["run"]).fails(2);
    w.cmd(["export", "--format", "yaml"]).fails(2);
}

#[test]
fn broken_stdout_pipe_is_not_an_error() {
    use std::process::Stdio;
    let w = World::with_secrets();
    let mut c = w.cmd(["export"]).cmd;
    let mut child = c
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stderr.is_empty());
}
