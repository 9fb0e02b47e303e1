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

/// One step of the workflow: its `id`, `env:` entries and `run:` script (one line, or a
/// `run: |` block).
#[derive(Debug)]
struct Step {
    id: Option<String>,
    env: Vec<(String, String)>,
    run: String,
}

/// The steps with a `run:`, in order, as GitHub Actions reads them.
fn workflow_steps(text: &str) -> Vec<Step> {
    let mut steps = Vec::new();
    for step in text.split("\n      - ").skip(1) {
        let mut s = Step {
            id: None,
            env: Vec::new(),
            run: String::new(),
        };
        let mut block = false;
        for line in step.lines() {
            let l = line.trim();
            if block {
                // A `run: |` block: the lines indented under it.
                if line.starts_with("          ") || l.is_empty() {
                    s.run.push_str(line.get(10..).unwrap_or(""));
                    s.run.push('\n');
                    continue;
                }
                block = false;
            }
            if let Some(cmd) = l.strip_prefix("run: ") {
                if cmd == "|" {
                    block = true;
                } else {
                    s.run = cmd.to_owned();
                }
            } else if let Some(id) = l.strip_prefix("id: ") {
                s.id = Some(id.to_owned());
            } else if let Some((k, v)) = l.split_once(": ").filter(|(k, _)| {
                k.chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
            }) {
                s.env.push((k.to_owned(), v.to_owned()));
            }
        }
        if !s.run.is_empty() {
            steps.push(s);
        }
    }
    steps
}

/// PATH without the folder of the binary under test: the workflow must use what it
/// installed.
fn system_path() -> String {
    let bin_dir = Path::new(crate::util::bin()).parent().unwrap().to_owned();
    std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .filter(|p| *p != bin_dir)
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(":")
}

/// #13 point 7: the workflow installed with `cargo install --locked aisecrets` (not
/// published; minutes per job). It now downloads the release archive that
/// .github/workflows/release.yml makes and checks its pinned sha256. The test runs every
/// step's script as written, with no network: the archive is made from the binary under
/// test by the release workflow's own packaging script, and a stand-in `curl` serves it
/// for exactly the URL the step builds. A sha256 that does not match fails the job.
#[test]
fn the_github_actions_workflow_installs_the_release_and_runs_with_the_ci_identity() {
    let text = std::fs::read_to_string(examples().join("github-actions.yml")).unwrap();
    let steps = workflow_steps(&text);
    assert_eq!(steps.len(), 2, "{steps:?}");
    let (install, train) = (&steps[0], &steps[1]);
    assert_eq!(install.id.as_deref(), Some("install"));
    assert!(
        !text.contains("cargo install --locked aisecrets\n"),
        "installs from an unpublished crate"
    );
    let release = std::fs::read_to_string(Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/.github/workflows/release.yml"
    )))
    .unwrap();
    assert!(
        release.contains(
            "scripts/release-package target/release/aisecrets \"$GITHUB_REF_NAME\" x86_64-unknown-linux-gnu dist"
        ),
        "{release}"
    );
    // The README's CI section shows the same install script.
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    for line in install.run.lines().filter(|l| !l.trim().is_empty()) {
        assert!(readme.contains(line.trim()), "README lacks {line:?}");
    }
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
    // The release, as release.yml packs it, served by a stand-in for the network.
    let var = |step: &Step, k: &str| {
        step.env
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("no {k} in {step:?}"))
    };
    let version = var(install, "AISECRETS_VERSION");
    let releases = w.path("releases");
    let packed = std::process::Command::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scripts/release-package"
    ))
    .arg(crate::util::bin())
    .arg(&version)
    .arg("x86_64-unknown-linux-gnu")
    .arg(releases.join(&version))
    .output()
    .unwrap();
    assert!(packed.status.success(), "{packed:?}");
    let archive = format!("aisecrets-{version}-x86_64-unknown-linux-gnu.tar.gz");
    let sha = std::fs::read_to_string(releases.join(&version).join(format!("{archive}.sha256")))
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    let fakebin = w.path("fakebin");
    std::fs::create_dir_all(&fakebin).unwrap();
    std::fs::write(
        fakebin.join("curl"),
        "#!/bin/sh\n# Stands in for the network: serves the local release for its URL.\n\
         out=; url=\n\
         while [ $# -gt 0 ]; do case \"$1\" in -o) out=$2; shift 2;; --proto) shift 2;; -*) shift;; *) url=$1; shift;; esac; done\n\
         case \"$url\" in \"$FAKE_RELEASES_URL\"/*) ;; *) echo \"curl: unexpected URL $url\" >&2; exit 22;; esac\n\
         cp \"$FAKE_RELEASES_DIR/${url#\"$FAKE_RELEASES_URL\"/}\" \"$out\" || exit 22\n",
    )
    .unwrap();
    std::fs::set_permissions(
        fakebin.join("curl"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let runner_home = w.path("runner-home");
    let runner_temp = w.path("runner-temp");
    std::fs::create_dir_all(&runner_home).unwrap();
    std::fs::create_dir_all(&runner_temp).unwrap();
    let github_path = w.path("github-path");
    std::fs::write(&github_path, "").unwrap();
    let run_install = |sha256: &str| {
        let mut c = std::process::Command::new("bash");
        c.arg("-e")
            .arg("-c")
            .arg(&install.run)
            .current_dir(&w.project);
        for (k, v) in &install.env {
            c.env(k, v);
        }
        c.env("AISECRETS_SHA256", sha256)
            .env("PATH", format!("{}:{}", fakebin.display(), system_path()))
            .env("HOME", &runner_home)
            .env("RUNNER_TEMP", &runner_temp)
            .env("GITHUB_PATH", &github_path)
            .env(
                "FAKE_RELEASES_URL",
                format!("{}/releases/download", var(install, "AISECRETS_REPO")),
            )
            .env("FAKE_RELEASES_DIR", &releases);
        c.output().unwrap()
    };
    // As written (no sha256 filled in) the job fails closed, before anything is installed.
    let out = run_install(&var(install, "AISECRETS_SHA256"));
    assert!(!out.status.success(), "an unchecked download was installed");
    assert!(!runner_home.join(".local/bin/aisecrets").exists());
    let out = run_install(&sha);
    assert!(out.status.success(), "{out:?}");
    // The next step's PATH: what the install step added to GITHUB_PATH, then the system's.
    let added: Vec<String> = std::fs::read_to_string(&github_path)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    let path = format!("{}:{}", added.join(":"), system_path());
    let which = std::process::Command::new("bash")
        .args(["-c", "command -v aisecrets"])
        .env("PATH", &path)
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&which.stdout).trim(),
        runner_home
            .join(".local/bin/aisecrets")
            .display()
            .to_string()
    );
    assert!(
        train
            .env
            .iter()
            .any(|(k, v)| k == "AISECRETS_TRUST" && v.contains("secrets.AISECRETS_TRUST"))
    );
    assert!(
        train
            .env
            .iter()
            .any(|(k, v)| k == "AISECRETS_IDENTITY" && v.contains("secrets.AISECRETS_IDENTITY"))
    );
    let mut c = std::process::Command::new("bash");
    c.arg("-e")
        .arg("-c")
        .arg(&train.run)
        .current_dir(&w.project);
    // CI has no memory: a fresh user folder, the identity and the pins from its secret store.
    c.env("PATH", path)
        .env("HOME", &runner_home)
        .env("AISECRETS_HOME", w.path("ci-home"))
        .env("AISECRETS_TRUST", pins.trim())
        .env("AISECRETS_IDENTITY", &secret)
        .env("CI", "true");
    crate::util::no_controlling_terminal(&mut c);
    let out = crate::util::run_ok(&mut c);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("training: ok"), "{stdout}");
    assert!(!stdout.contains(OPENAI) && !stdout.contains(&secret));
}

/// bash with the world's hermetic environment, the binary under test on PATH.
fn bash_in(w: &World, script: &str) -> std::process::Output {
    let base = w.command(["--version"]);
    let mut c = std::process::Command::new("bash");
    for (k, v) in base.get_envs() {
        match v {
            Some(v) => c.env(k, v),
            None => c.env_remove(k),
        };
    }
    let bin_dir = Path::new(crate::util::bin()).parent().unwrap();
    c.env(
        "PATH",
        format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap()),
    )
    .env("EXAMPLES", examples())
    .arg("-c")
    .arg(script)
    .current_dir(&w.project);
    crate::util::no_controlling_terminal(&mut c);
    c.output().unwrap()
}

/// #13 point 8: `eval "$(aisecrets export --format shell)"` (direnv's usual pattern) puts
/// every value into the interactive shell and everything it starts. The documented
/// pattern: examples/envrc (settings only, as direnv exports them) and the `with_secrets`
/// function from examples/with-secrets.sh, which runs one command through `aisecrets run`.
#[test]
fn the_direnv_and_shell_snippets_keep_values_out_of_the_shell() {
    let w = World::with_secrets();
    let manifest = w.project.join("aisecrets.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        format!("{text}\n[scopes.train]\nsecrets = [\"HF_TOKEN\"]\n"),
    )
    .unwrap();
    // direnv runs the .envrc in bash and exports what it exports: `set -a` and `.` do that.
    let out = bash_in(
        &w,
        "set -e\n\
         set -a; . \"$EXAMPLES/envrc\"; set +a\n\
         . \"$EXAMPLES/with-secrets.sh\"\n\
         with_secrets sh -c 'echo \"child: HF=${HF_TOKEN:+set} OPENAI=${OPENAI_API_KEY:+set}\"'\n\
         echo \"shell: HF=${HF_TOKEN:+set} in-env=$(env | grep -c -e HF_TOKEN -e OPENAI_API_KEY || true)\"\n",
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The child got its scope's secret only; the shell holds none.
    assert!(stdout.contains("child: HF=set OPENAI=\n"), "{stdout}");
    assert!(stdout.contains("shell: HF= in-env=0\n"), "{stdout}");
    // The trade-off the README names: eval'd exports sit in the shell's environment.
    let out = bash_in(
        &w,
        "eval \"$(aisecrets export --format shell)\"\n\
         echo \"shell: in-env=$(env | grep -c -e HF_TOKEN -e OPENAI_API_KEY)\"\n",
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("shell: in-env=2"),
        "{out:?}"
    );
}

/// README's tables stay whole: a blank line inside one (as after `JUPYTER_DATA_DIR` in
/// "Environment variables", #18) ends it, and the rows after it render as a paragraph.
#[test]
fn readme_tables_have_no_blank_line_inside() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let lines: Vec<&str> = readme.lines().collect();
    // A table that follows another one starts with its header and a `|---|` row.
    let separator = |l: &str| l.starts_with("|-") || l.starts_with("|:");
    for (i, w) in lines.windows(4).enumerate() {
        assert!(
            !(w[0].starts_with('|')
                && w[1].trim().is_empty()
                && w[2].starts_with('|')
                && !separator(w[3])),
            "README.md line {}: a blank line inside a table",
            i + 2
        );
    }
}
