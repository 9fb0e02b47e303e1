//! Every file in examples/ is run.

use std::path::Path;

use crate::util::{HF, OPENAI, World};

fn examples() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/examples"))
}

fn project_with_example(w: &World) {
    std::fs::create_dir_all(w.project.join("examples")).unwrap();
    std::fs::copy(
        examples().join("train.py"),
        w.project.join("examples/train.py"),
    )
    .unwrap();
}

#[test]
fn train_py_gets_its_keys_through_run_and_prints_no_value() {
    let w = World::with_secrets();
    project_with_example(&w);
    let out = w.cmd(["run", "--", "python3", "examples/train.py"]).ok();
    let text = out.stdout_str();
    assert!(
        text.contains("OPENAI_API_KEY: present")
            && text.contains("HF_TOKEN: present")
            && text.contains("training: ok"),
        "{text}"
    );
    // Without aisecrets it has nothing and says how to run it.
    let bare = std::process::Command::new("python3")
        .arg("examples/train.py")
        .current_dir(&w.project)
        .output()
        .unwrap();
    assert_eq!(bare.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bare.stderr).contains("aisecrets run"));
}

/// The `run:` lines of the workflow's steps, skipping the install step, with their `env:`.
fn workflow_steps(text: &str) -> Vec<(Vec<(String, String)>, String)> {
    let mut steps = Vec::new();
    for step in text.split("\n      - ").skip(1) {
        if step.contains("id: install") || !step.contains("run: ") {
            continue;
        }
        let mut env = Vec::new();
        let mut run = String::new();
        for line in step.lines() {
            let l = line.trim();
            if let Some(cmd) = l.strip_prefix("run: ") {
                run = cmd.to_owned();
            } else if let Some((k, v)) = l
                .split_once(": ")
                .filter(|(k, _)| k.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
            {
                env.push((k.to_owned(), v.to_owned()));
            }
        }
        steps.push((env, run));
    }
    steps
}

#[test]
fn the_github_actions_workflow_runs_with_the_identity_from_the_secret_store() {
    let text = std::fs::read_to_string(examples().join("github-actions.yml")).unwrap();
    let steps = workflow_steps(&text);
    assert_eq!(steps.len(), 1, "{steps:?}");
    // CI's key, as the workflow's setup comment says, made by age-keygen.
    let w = World::empty();
    let key = w.path("ci.key");
    assert!(
        std::process::Command::new("age-keygen")
            .arg("-o")
            .arg(&key)
            .output()
            .unwrap()
            .status
            .success()
    );
    let secret = std::fs::read_to_string(&key)
        .unwrap()
        .lines()
        .find(|l| l.starts_with("AGE-SECRET-KEY-1"))
        .unwrap()
        .to_owned();
    w.cmd(["init", "--name", "ci"])
        .env("AISECRETS_IDENTITY", &secret)
        .ok();
    w.cmd(["set", "OPENAI_API_KEY"])
        .env("AISECRETS_IDENTITY", &secret)
        .stdin(OPENAI)
        .ok();
    w.cmd(["set", "HF_TOKEN"])
        .env("AISECRETS_IDENTITY", &secret)
        .stdin(HF)
        .ok();
    project_with_example(&w);
    // The pins, as the workflow's setup says, from a machine that trusts the key.
    let pins = w
        .cmd(["trust", "--print", "--env", "dev"])
        .env("AISECRETS_IDENTITY", &secret)
        .ok()
        .stdout_str();
    let (env, run) = &steps[0];
    assert!(
        env.iter()
            .any(|(k, v)| k == "AISECRETS_TRUST" && v.contains("secrets.AISECRETS_TRUST"))
    );
    assert!(
        env.iter()
            .any(|(k, v)| k == "AISECRETS_IDENTITY" && v.contains("secrets.AISECRETS_IDENTITY"))
    );
    let bin_dir = Path::new(crate::util::bin()).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut c = std::process::Command::new("bash");
    c.arg("-eo")
        .arg("pipefail")
        .arg("-c")
        .arg(run)
        .current_dir(&w.project);
    // CI has no memory: a fresh user folder, the identity and the pins from its secret store.
    c.env("PATH", path)
        .env("AISECRETS_HOME", w.path("ci-home"))
        .env("AISECRETS_TRUST", pins.trim())
        .env("AISECRETS_IDENTITY", &secret)
        .env("CI", "true");
    crate::util::no_controlling_terminal(&mut c);
    let out = c.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("training: ok"), "{stdout}");
    assert!(!stdout.contains(OPENAI) && !stdout.contains(&secret));
}
