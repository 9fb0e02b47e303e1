//! Team lifecycle and trust: recipients, onboarding, offboarding, forged files refused.

use std::path::Path;
use std::process::Command;

use crate::util::{HF, OPENAI, World, age_key, git_in, token_lines};

/// A teammate: an age key made by age-keygen, used through AISECRETS_IDENTITY, with a
/// user folder of their own.
struct Mate {
    secret: String,
    public: String,
    home: std::path::PathBuf,
}

fn mate(w: &World, name: &str) -> Mate {
    let (secret, public) = age_key(w, name);
    Mate {
        secret,
        public,
        home: w.path(&format!("{name}-home")),
    }
}

impl Mate {
    fn cmd(&self, w: &World, args: &[&str]) -> crate::util::Cmd {
        w.cmd(args)
            .env("AISECRETS_IDENTITY", &self.secret)
            .env("AISECRETS_HOME", &self.home)
            .env("USER", "mate")
    }
}

/// A data key a forger makes, wrapped to `public` with the reference age CLI.
fn forge_key(w: &World, public: &str, seed: u8) -> (aisecrets::keys::seal::DataKey, String) {
    let bytes: Vec<u8> = (seed..seed + 32).collect();
    let raw = w.path("forged.bin");
    std::fs::write(&raw, &bytes).unwrap();
    let out = Command::new("age")
        .args(["-e", "-a", "-r", public])
        .arg(&raw)
        .output()
        .unwrap();
    assert!(out.status.success());
    (
        aisecrets::keys::seal::DataKey::from_bytes(&bytes).unwrap(),
        String::from_utf8(out.stdout).unwrap(),
    )
}

/// A value sealed under `key`, as a forger who made that key would.
fn sealed(key: &aisecrets::keys::seal::DataKey, project: &str, name: &str, value: &str) -> String {
    let meta = aisecrets::keys::seal::Meta {
        set_at: 1,
        set_by: "tester".into(),
        exposed: vec![],
    };
    let value =
        aisecrets::base::secret::SecretValue::new(name, zeroize::Zeroizing::new(value.into()))
            .unwrap();
    key.seal(project, "dev", name, &value, &meta)
}

fn key_id(w: &World, env: &str) -> String {
    let text = std::fs::read_to_string(w.project.join(format!("secrets/{env}.toml"))).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("key_id = \""))
        .unwrap()
        .trim_end_matches('"')
        .to_owned()
}

#[test]
fn adding_a_recipient_rewraps_only_the_data_key() {
    let w = World::with_secrets();
    let bob = mate(&w, "bob");
    let before = token_lines(&w);
    let kid = key_id(&w, "dev");
    w.cmd(["recipients", "add", "bob", &bob.public])
        .ok()
        .stderr_has("added bob");
    assert_eq!(token_lines(&w), before, "a sealed value changed");
    assert_eq!(key_id(&w, "dev"), kid, "the data key changed");
    let manifest = std::fs::read_to_string(w.project.join("aisecrets.toml")).unwrap();
    assert!(manifest.contains(&format!("bob = \"{}\"", bob.public)));
    bob.cmd(&w, &["trust", "--yes"]).ok();
    assert_eq!(
        bob.cmd(&w, &["get", "HF_TOKEN"])
            .reveals()
            .ok()
            .stdout_str(),
        format!("{HF}\n")
    );
    let list: serde_json::Value =
        serde_json::from_str(&w.cmd(["recipients", "list", "--json"]).ok().stdout_str()).unwrap();
    let names: Vec<&str> = list["environments"]["dev"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["bob", "tester"]);
    assert!(
        list["environments"]["dev"][0]["fingerprint"]
            .as_str()
            .unwrap()
            .starts_with("SHA256:")
    );
    // Bad keys are refused with what was expected.
    w.cmd(["recipients", "add", "eve", "age1notakey"])
        .fails(1)
        .one_line_error()
        .stderr_has("recipient `eve`");
    w.cmd(["recipients", "add", "eve", &bob.secret])
        .fails(1)
        .stderr_has("private key");
    w.cmd(["recipients", "add", "e/ve", &bob.public])
        .fails(1)
        .stderr_has("invalid recipient name");
}

#[test]
fn ssh_keys_are_recipients_too() {
    let w = World::with_secrets();
    let key = w.path("id_ed25519");
    assert!(
        Command::new("ssh-keygen")
            .args(["-t", "ed25519", "-N", "", "-q", "-f"])
            .arg(&key)
            .status()
            .unwrap()
            .success()
    );
    let public = std::fs::read_to_string(key.with_extension("pub")).unwrap();
    w.cmd(["recipients", "add", "sshbob", public.trim()]).ok();
    let home = w.path("sshbob-home");
    let as_bob = |args: &[&str]| {
        w.cmd(args)
            .env("AISECRETS_IDENTITY_FILE", &key)
            .env("AISECRETS_HOME", &home)
    };
    as_bob(&["trust", "--yes"]).ok();
    assert_eq!(
        as_bob(&["get", "OPENAI_API_KEY"])
            .reveals()
            .ok()
            .stdout_str(),
        format!("{OPENAI}\n")
    );
}

#[test]
fn removing_a_recipient_rekeys_reseals_and_marks_exposed() {
    let w = World::with_secrets();
    let bob = mate(&w, "bob");
    w.cmd(["recipients", "add", "bob", &bob.public]).ok();
    bob.cmd(&w, &["trust", "--yes"]).ok();
    let before = token_lines(&w);
    let kid = key_id(&w, "dev");
    let old_file = std::fs::read(w.dev_file()).unwrap();
    w.cmd(["recipients", "rm", "bob"])
        .ok()
        .stderr_has("2 secret(s)");
    assert_ne!(key_id(&w, "dev"), kid);
    let after = token_lines(&w);
    assert_eq!(after.len(), before.len());
    assert!(
        after.iter().all(|l| !before.contains(l)),
        "a value was not resealed"
    );
    // Bob can no longer open the current file (he still has the old one: history).
    bob.cmd(&w, &["get", "HF_TOKEN"])
        .fails(1)
        .stderr_has("no identity of yours can open");
    std::fs::write(w.path("old.toml"), &old_file).unwrap();
    // Status lists both as exposed to bob, with where to rotate them.
    let status: serde_json::Value =
        serde_json::from_str(&w.cmd(["status", "--json"]).ok().stdout_str()).unwrap();
    let exposed = status["secrets"]["exposed"].as_array().unwrap();
    assert_eq!(exposed.len(), 2, "{status:#}");
    assert_eq!(exposed[0]["exposed_to"][0], "bob");
    assert!(exposed.iter().any(|e| e["name"] == "OPENAI_API_KEY"
        && e["rotate_at"].as_str().unwrap().contains("openai.com")));
    assert!(
        exposed.iter().any(|e| e["name"] == "HF_TOKEN"
            && e["rotate_at"].as_str().unwrap().contains("huggingface.co"))
    );
    let text = w.cmd(["status"]).ok().stdout_str();
    assert!(
        text.contains("exposed")
            && text.contains("OPENAI_API_KEY")
            && text.contains("readable by bob"),
        "{text}"
    );
    // Rotating clears the mark; the same value is refused.
    w.cmd(["rotate", "OPENAI_API_KEY"])
        .stdin(OPENAI)
        .fails(1)
        .stderr_has("same value");
    w.cmd(["rotate", "OPENAI_API_KEY"])
        .stdin("sk-proj-FAKE-rotated")
        .ok()
        .stderr_has("platform.openai.com");
    let status: serde_json::Value =
        serde_json::from_str(&w.cmd(["status", "--json"]).ok().stdout_str()).unwrap();
    let names: Vec<&str> = status["secrets"]["exposed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["HF_TOKEN"]);
    w.cmd(["rotate", "NOPE"])
        .stdin("x")
        .fails(1)
        .stderr_has("no secret `NOPE`");
    // The last recipient cannot be removed.
    w.cmd(["recipients", "rm", "tester"])
        .fails(1)
        .stderr_has("no recipient left");
    w.cmd(["recipients", "rm", "bobb"])
        .fails(1)
        .stderr_has("not a recipient");
}

#[test]
fn stale_secrets_follow_max_age() {
    let w = World::with_secrets();
    let manifest = w.project.join("aisecrets.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        text.replace("[project]\n", "[project]\nmax_age = \"1s\"\n"),
    )
    .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let status: serde_json::Value =
        serde_json::from_str(&w.cmd(["status", "--json"]).ok().stdout_str()).unwrap();
    assert_eq!(
        status["secrets"]["stale"].as_array().unwrap().len(),
        2,
        "{status}"
    );
}

#[test]
fn access_is_per_environment_and_the_error_says_whom_to_ask() {
    let w = World::with_secrets();
    w.cmd(["init", "--env", "prod", "--name", "alice"]).ok();
    w.cmd(["set", "K", "--env", "prod"]).stdin("prod-FAKE").ok();
    let bob = mate(&w, "bob");
    w.cmd(["recipients", "add", "bob", &bob.public, "--env", "dev"])
        .ok();
    bob.cmd(&w, &["trust", "--yes", "--env", "dev"]).ok();
    bob.cmd(&w, &["get", "HF_TOKEN", "--env", "dev"])
        .reveals()
        .ok();
    bob.cmd(&w, &["get", "K", "--env", "prod"])
        .fails(1)
        .one_line_error()
        .stderr_has("its recipients are: alice")
        .stderr_has(&format!(
            "ask alice to run `aisecrets recipients add bob {} --env prod`",
            bob.public
        ));
}

#[test]
fn a_forged_data_key_is_refused_by_whoever_pinned_the_old_one() {
    let w = World::with_secrets();
    let public = w.public_key();
    // The forger knows only public keys: a fresh key wrapped with the reference age CLI,
    // values sealed under it, a correct key_id.
    let (key, armored) = forge_key(&w, &public, 100);
    let text = std::fs::read_to_string(w.dev_file()).unwrap();
    let project = text
        .lines()
        .find_map(|l| l.strip_prefix("project = \""))
        .unwrap()
        .trim_end_matches('"')
        .to_owned();
    let mut file = aisecrets::backend::file::EnvFile::parse(Path::new("x"), &text).unwrap();
    file.secrets.insert(
        "OPENAI_API_BASE_X".into(),
        sealed(
            &key,
            &project,
            "OPENAI_API_BASE_X",
            "https://evil.invalid/v1",
        ),
    );
    file.secrets.remove("OPENAI_API_KEY");
    file.secrets.remove("HF_TOKEN");
    file.data_key = armored;
    file.key_id = key.key_id();
    std::fs::write(w.dev_file(), file.render(&key)).unwrap();
    let out = w
        .cmd(["run", "--", "env"])
        .fails(1)
        .one_line_error()
        .stderr_has("not the key")
        .stderr_has("you trusted");
    assert!(!out.stdout_str().contains("evil.invalid"));
}

#[test]
fn a_hand_added_recipient_is_never_encrypted_to_until_acknowledged() {
    let w = World::with_secrets();
    let mallory = mate(&w, "mallory");
    let carol = mate(&w, "carol");
    let manifest = w.project.join("aisecrets.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        text.replace(
            "[environments.dev.recipients]\n",
            &format!(
                "[environments.dev.recipients]\nmallory = \"{}\"\n",
                mallory.public
            ),
        ),
    )
    .unwrap();
    let before = std::fs::read(w.dev_file()).unwrap();
    w.cmd(["recipients", "add", "carol", &carol.public])
        .fails(1)
        .one_line_error()
        .stderr_has("without your approval")
        .stderr_has("+ mallory")
        .stderr_has("aisecrets recipients ack");
    assert_eq!(std::fs::read(w.dev_file()).unwrap(), before);
    w.cmd(["set", "NEW"]).stdin("x").ok();
    mallory
        .cmd(&w, &["trust", "--yes"])
        .fails(1)
        .stderr_has("no identity of yours");
    let status = w.cmd(["status"]).ok().stdout_str();
    assert!(
        status.contains("unapproved recipient change") && status.contains("mallory"),
        "{status}"
    );
    // No terminal and no --yes: nothing approved.
    w.cmd(["recipients", "ack"]).fails(1).stderr_has("--yes");
    let shown = w.cmd(["recipients", "ack", "--yes"]).ok().stdout_str();
    assert!(
        shown.contains("+ mallory") && shown.contains("SHA256:"),
        "{shown}"
    );
    mallory.cmd(&w, &["trust", "--yes"]).ok();
    mallory.cmd(&w, &["get", "NEW"]).ok();
    w.cmd(["recipients", "add", "carol", &carol.public]).ok();
}

#[test]
fn run_refuses_names_that_hand_over_execution_or_traffic() {
    let w = World::with_secrets();
    let marker = w.path("ran");
    for (name, value) in [
        ("LD_PRELOAD", "/tmp/evil.so"),
        ("HTTPS_PROXY", "http://evil.invalid:3128"),
        ("PYTHONPATH", "/tmp/evil"),
    ] {
        w.cmd(["set", name]).stdin(value).ok();
    }
    let out = w
        .cmd(["run", "--", "touch", marker.to_str().unwrap()])
        .fails(1)
        .one_line_error()
        .stderr_has("LD_PRELOAD")
        .stderr_has("HTTPS_PROXY")
        .stderr_has("PYTHONPATH")
        .stderr_has("allow_names");
    assert!(out.stdout_str().is_empty());
    assert!(!marker.exists(), "the command ran");
    // The repository cannot allow them.
    let manifest = w.project.join("aisecrets.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        format!("allow_names = [\"LD_PRELOAD\", \"HTTPS_PROXY\", \"PYTHONPATH\"]\n{text}"),
    )
    .unwrap();
    w.cmd(["run", "--", "true"])
        .fails(1)
        .stderr_has("LD_PRELOAD");
    // The user's own config can, by exact name.
    std::fs::write(
        w.home.join("config.toml"),
        "allow_names = [\"HTTPS_PROXY\"]\n",
    )
    .unwrap();
    w.cmd(["run", "--", "true"])
        .fails(1)
        .stderr_has("LD_PRELOAD");
    w.cmd(["rm", "LD_PRELOAD"]).ok();
    w.cmd(["rm", "PYTHONPATH"]).ok();
    let env = w
        .cmd(["run", "--", "printenv", "HTTPS_PROXY"])
        .ok()
        .stdout_str();
    assert_eq!(env, "http://evil.invalid:3128\n");
}

fn person<'a>(w: &'a World, name: &'a str) -> impl Fn(&[&str]) -> crate::util::Cmd + 'a {
    let dir = w.dir.path().join(name);
    let home = w.dir.path().join(format!("{name}-home"));
    move |args: &[&str]| {
        w.cmd(args)
            .dir(&dir)
            .env("AISECRETS_HOME", &home)
            .env("USER", name)
    }
}

#[test]
fn three_people_in_a_real_git_repository() {
    let w = World::empty();
    let root = w.dir.path();
    git_in(root, &["init", "-q", "--bare", "-b", "main", "origin.git"]);
    for name in ["alice", "bob", "carol"] {
        git_in(root, &["clone", "-q", "origin.git", name]);
    }
    let (alice_dir, bob_dir, carol_dir) =
        (root.join("alice"), root.join("bob"), root.join("carol"));
    let alice = person(&w, "alice");
    alice(&["identity", "new", "--no-passphrase"]).ok();
    alice(&["init"]).ok();
    alice(&["set", "OPENAI_API_KEY"]).stdin(OPENAI).ok();
    // carol is on the team from the start.
    let carol = person(&w, "carol");
    carol(&["identity", "new", "--no-passphrase"]).ok();
    let carol_key = carol(&["identity", "show"])
        .ok()
        .stdout_str()
        .trim()
        .to_owned();
    alice(&["recipients", "add", "carol", &carol_key]).ok();
    git_in(&alice_dir, &["add", "-A"]);
    git_in(&alice_dir, &["commit", "-qm", "secrets"]);
    git_in(&alice_dir, &["push", "-q", "origin", "HEAD:main"]);
    git_in(&carol_dir, &["pull", "-q", "origin", "main"]);
    carol(&["trust", "--yes"]).ok();
    assert_eq!(
        carol(&["run", "--", "printenv", "OPENAI_API_KEY"])
            .reveals()
            .ok()
            .stdout_str(),
        format!("{OPENAI}\n")
    );
    // bob asks for access.
    let bob = person(&w, "bob");
    git_in(&bob_dir, &["pull", "-q", "origin", "main"]);
    bob(&["identity", "new", "--no-passphrase"]).ok();
    bob(&["request-access"])
        .ok()
        .stderr_has("aisecrets recipients approve bob");
    git_in(&bob_dir, &["commit", "-qam", "bob asks"]);
    git_in(&bob_dir, &["push", "-q", "origin", "HEAD:main"]);
    // alice approves.
    git_in(&alice_dir, &["pull", "-q", "origin", "main"]);
    alice(&["recipients", "list"])
        .ok()
        .stdout_str()
        .contains("pending");
    alice(&["recipients", "approve", "bob"]).ok();
    git_in(&alice_dir, &["commit", "-qam", "approve bob"]);
    git_in(&alice_dir, &["push", "-q", "origin", "HEAD:main"]);
    // bob pulls, trusts and runs.
    git_in(&bob_dir, &["pull", "-q", "origin", "main"]);
    bob(&["run", "--", "true"])
        .fails(1)
        .stderr_has("aisecrets trust")
        .stderr_has("AISECRETS_TRUST");
    bob(&["trust", "--yes"]).ok();
    assert_eq!(
        bob(&["run", "--", "printenv", "OPENAI_API_KEY"])
            .reveals()
            .ok()
            .stdout_str(),
        format!("{OPENAI}\n")
    );
    // CI pins through AISECRETS_TRUST.
    let pins = alice(&["trust", "--print"])
        .ok()
        .stdout_str()
        .trim()
        .to_owned();
    // alice removes bob.
    alice(&["recipients", "rm", "bob"]).ok();
    git_in(&alice_dir, &["commit", "-qam", "remove bob"]);
    git_in(&alice_dir, &["push", "-q", "origin", "HEAD:main"]);
    git_in(&bob_dir, &["pull", "-q", "origin", "main"]);
    bob(&["run", "--", "printenv", "OPENAI_API_KEY"])
        .fails(1)
        .stderr_has("no identity of yours can open");
    // carol pinned the old key: the new one is accepted without asking.
    git_in(&carol_dir, &["pull", "-q", "origin", "main"]);
    assert_eq!(
        carol(&["run", "--", "printenv", "OPENAI_API_KEY"])
            .reveals()
            .ok()
            .stdout_str(),
        format!("{OPENAI}\n")
    );
    // So is a CI machine with only the old pin in AISECRETS_TRUST.
    let ci_home = root.join("ci-home");
    let alice_home = root.join("alice-home");
    let id = std::fs::read_to_string(alice_home.join("identity.age")).unwrap();
    let secret = id
        .lines()
        .find(|l| l.starts_with("AGE-SECRET-KEY-1"))
        .unwrap();
    let ci = w
        .cmd(["run", "--", "printenv", "OPENAI_API_KEY"])
        .dir(&carol_dir)
        .env("AISECRETS_HOME", &ci_home)
        .env("AISECRETS_IDENTITY", secret);
    assert_eq!(
        ci.env("AISECRETS_TRUST", &pins).reveals().ok().stdout_str(),
        format!("{OPENAI}\n")
    );
    // And status lists what to rotate.
    let status = alice(&["status"]).ok().stdout_str();
    assert!(
        status.contains("OPENAI_API_KEY")
            && status.contains("readable by bob")
            && status.contains("platform.openai.com"),
        "{status}"
    );
}

/// Regression (review of #4): the verifier is public (AISECRETS_TRUST carries it), so a
/// chain link keyed by it, or by any secret that does not hash to it, must not roll a pin.
#[test]
fn a_rekey_chain_forged_from_the_public_verifier_is_refused() {
    let w = World::with_secrets();
    let pins = w.cmd(["trust", "--print"]).ok().stdout_str();
    let (slot, value) = pins.trim().split_once('=').unwrap();
    let (old_kid, old_verifier) = value.split_once(':').unwrap();
    let project = slot.split('/').next().unwrap();
    let text = std::fs::read_to_string(w.dev_file()).unwrap();
    let public = w.public_key();
    for fake_secret in [old_verifier.to_owned(), "ab".repeat(32)] {
        let (key, armored) = forge_key(&w, &public, 7);
        let mut file = aisecrets::backend::file::EnvFile::parse(Path::new("x"), &text).unwrap();
        let (to, to_verifier) = (key.key_id(), key.verifier());
        let proof =
            aisecrets::keys::seal::rekey_proof(&fake_secret, project, "dev", &to, &to_verifier);
        let line = format!("{old_kid} {to} {to_verifier} {fake_secret} {proof}\n");
        file.rekeys = Some(key.seal_blob(
            aisecrets::project::trust::REKEY_PURPOSE,
            project,
            "dev",
            line.as_bytes(),
        ));
        file.secrets = [(
            "OPENAI_API_KEY".to_owned(),
            sealed(&key, project, "OPENAI_API_KEY", "sk-ATTACKER-FAKE"),
        )]
        .into();
        file.data_key = armored;
        file.key_id = to;
        std::fs::write(w.dev_file(), file.render(&key)).unwrap();
        let out = w
            .cmd(["get", "OPENAI_API_KEY"])
            .fails(1)
            .stderr_has("you trusted");
        assert!(!out.stdout_str().contains("ATTACKER"));
        // And with the pin passed as AISECRETS_TRUST on a machine with no memory.
        w.cmd(["get", "OPENAI_API_KEY"])
            .env("AISECRETS_HOME", w.path("fresh"))
            .env(
                "AISECRETS_IDENTITY",
                std::fs::read_to_string(w.home.join("identity.age"))
                    .unwrap()
                    .lines()
                    .find(|l| l.starts_with("AGE-SECRET"))
                    .unwrap(),
            )
            .env("AISECRETS_TRUST", pins.trim())
            .fails(1)
            .stderr_has("you trusted");
    }
}

/// Regression (review of #4): a recipient change over several environments writes none of
/// them when one cannot be done.
#[test]
fn a_recipient_change_that_fails_in_one_environment_changes_none() {
    let w = World::with_secrets();
    w.cmd(["init", "--env", "prod"]).ok();
    let bob = mate(&w, "bob");
    w.cmd(["recipients", "add", "bob", &bob.public]).ok();
    let prod = w.project.join("secrets/prod.toml");
    let text = std::fs::read_to_string(&prod).unwrap();
    std::fs::write(
        &prod,
        text.replace("[secrets]\n", "[secrets]\n<<<<<<< HEAD\n"),
    )
    .unwrap();
    let dev_before = std::fs::read(w.dev_file()).unwrap();
    let manifest_before = std::fs::read(w.project.join("aisecrets.toml")).unwrap();
    w.cmd(["recipients", "rm", "bob"])
        .fails(1)
        .stderr_has("prod.toml");
    assert_eq!(
        std::fs::read(w.dev_file()).unwrap(),
        dev_before,
        "dev was rekeyed although prod failed"
    );
    assert_eq!(
        std::fs::read(w.project.join("aisecrets.toml")).unwrap(),
        manifest_before
    );
    bob.cmd(&w, &["trust", "--yes", "--env", "dev"]).ok();
    bob.cmd(&w, &["get", "HF_TOKEN"]).reveals().ok();
}

/// Threat model T4: a plugin recipient planted in aisecrets.toml, with an `age-plugin-evil`
/// waiting in PATH and in the project, never runs through set, get, run or recipients add;
/// a plugin found through a relative PATH entry is refused even when asked for.
#[test]
fn a_planted_plugin_recipient_never_runs_the_plugin() {
    const EVIL: &str = "age1evil1qqqsyqcyq5rqwzqfpg9scrgwpugpzysnzs23v9ccrydpk8qarc0scfcyv3";
    let w = World::with_secrets();
    let marker = w.path("marker");
    let bin = w.path("bin");
    std::fs::create_dir_all(&bin).unwrap();
    for dir in [bin.clone(), w.project.clone()] {
        let plugin = dir.join("age-plugin-evil");
        std::fs::write(&plugin, format!("#!/bin/sh\ntouch {}\n", marker.display())).unwrap();
        std::fs::set_permissions(&plugin, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
    }
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let manifest = w.project.join("aisecrets.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        text.replace(
            "[environments.dev.recipients]\n",
            &format!("[environments.dev.recipients]\nevil = \"{EVIL}\"\n"),
        ),
    )
    .unwrap();
    w.cmd(["set", "X"]).env("PATH", &path).stdin("x-FAKE").ok();
    w.cmd(["get", "X"]).env("PATH", &path).ok();
    w.cmd(["run", "--", "true"]).env("PATH", &path).ok();
    let carol = mate(&w, "carol");
    w.cmd(["recipients", "add", "carol", &carol.public])
        .env("PATH", &path)
        .fails(1)
        .stderr_has("+ evil");
    assert!(!marker.exists(), "the planted plugin ran");
    // Asked for explicitly, but found through a relative PATH entry: refused.
    let relative = format!(".:{}", std::env::var("PATH").unwrap());
    w.cmd(["recipients", "add", "evil2", EVIL, "--env", "dev"])
        .env("PATH", &relative)
        .fails(1);
    assert!(!marker.exists(), "a plugin ran from the current folder");
}
