//! Identities: making, showing, overriding, and the errors around them.

use std::os::unix::fs::PermissionsExt;

use crate::util::{OPENAI, World};

#[test]
fn identity_new_prints_key_and_command_and_refuses_to_overwrite() {
    let w = World::empty();
    let out = w
        .cmd(["identity", "new", "--no-passphrase"])
        .ok()
        .stdout_str();
    let key = out.lines().next().unwrap();
    assert!(key.starts_with("age1") && key.len() == 62, "{out}");
    assert!(
        out.contains(&format!("aisecrets recipients add tester {key}")),
        "{out}"
    );
    let file = w.home.join("identity.age");
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let before = std::fs::read(&file).unwrap();
    w.cmd(["identity", "new", "--no-passphrase"])
        .fails(1)
        .one_line_error()
        .stderr_has("refusing to overwrite");
    assert_eq!(std::fs::read(&file).unwrap(), before);
    assert_eq!(
        w.cmd(["identity", "show"]).ok().stdout_str(),
        format!("{key}\n")
    );
}

#[test]
fn aisecrets_home_holds_every_user_file() {
    let w = World::new();
    assert!(w.home.join("identity.age").is_file());
    assert!(w.home.join("identity.pub").is_file());
    assert!(!w.path("userhome/.config/aisecrets").exists());
}

#[test]
fn without_aisecrets_home_the_identity_goes_to_xdg_config() {
    let w = World::empty();
    w.cmd(["identity", "new", "--no-passphrase"])
        .env_remove("AISECRETS_HOME")
        .ok();
    assert!(w.path("userhome/.config/aisecrets/identity.age").is_file());
}

#[test]
fn passphrase_identity_is_scrypt_armored_and_needs_a_terminal() {
    let w = World::empty();
    w.cmd(["identity", "new"])
        .stdin("correct horse battery staple\n")
        .ok();
    let text = std::fs::read_to_string(w.home.join("identity.age")).unwrap();
    assert!(
        text.starts_with("-----BEGIN AGE ENCRYPTED FILE-----"),
        "{text}"
    );
    assert!(!text.contains("AGE-SECRET-KEY"));
    // The key is known without the passphrase.
    let key = w.cmd(["identity", "show"]).ok().stdout_str();
    assert!(key.starts_with("age1"));
    w.cmd(["init"]).ok();
    // No terminal: a clear one-line error, never a hang, never reading stdin.
    w.cmd(["run", "--", "true"])
        .stdin("correct horse battery staple\n")
        .fails(1)
        .one_line_error()
        .stderr_has("needs a terminal")
        .stderr_has("AISECRETS_IDENTITY");
}

#[test]
fn empty_passphrase_is_refused() {
    let w = World::empty();
    w.cmd(["identity", "new"])
        .stdin("\n")
        .fails(1)
        .stderr_has("--no-passphrase");
    assert!(!w.home.join("identity.age").exists());
}

fn age_keygen(w: &World, name: &str) -> (std::path::PathBuf, String) {
    let path = w.path(name);
    let out = std::process::Command::new("age-keygen")
        .arg("-o")
        .arg(&path)
        .output()
        .expect("age-keygen (Debian package age)");
    assert!(out.status.success());
    let public = String::from_utf8(out.stderr)
        .unwrap()
        .trim()
        .trim_start_matches("Public key: ")
        .to_owned();
    (path, public)
}

#[test]
fn aisecrets_identity_overrides_the_stored_one() {
    let w = World::empty();
    let (path, public) = age_keygen(&w, "ci.key");
    let text = std::fs::read_to_string(&path).unwrap();
    let secret = text
        .lines()
        .find(|l| l.starts_with("AGE-SECRET-KEY-1"))
        .unwrap()
        .to_owned();
    let shown = w
        .cmd(["identity", "show"])
        .env("AISECRETS_IDENTITY", &secret)
        .ok()
        .stdout_str();
    assert_eq!(shown.trim(), public);
    w.cmd(["init"]).env("AISECRETS_IDENTITY", &secret).ok();
    w.cmd(["set", "OPENAI_API_KEY"])
        .env("AISECRETS_IDENTITY", &secret)
        .stdin(OPENAI)
        .ok();
    let got = w
        .cmd(["get", "OPENAI_API_KEY"])
        .env("AISECRETS_IDENTITY", &secret)
        .reveals()
        .ok();
    assert_eq!(got.stdout_str().trim(), OPENAI);
    // The file made by age-keygen works the same through AISECRETS_IDENTITY_FILE.
    let got = w
        .cmd(["get", "OPENAI_API_KEY"])
        .env("AISECRETS_IDENTITY_FILE", &path)
        .reveals()
        .ok();
    assert_eq!(got.stdout_str().trim(), OPENAI);
    // A broken AISECRETS_IDENTITY is named, never echoed.
    let bogus = "AGE-SECRET-KEY-1FAKEFAKEFAKEFAKE";
    let out = w
        .cmd(["get", "OPENAI_API_KEY"])
        .env("AISECRETS_IDENTITY", bogus)
        .fails(1)
        .one_line_error();
    assert!(out.stderr_str().contains("AISECRETS_IDENTITY") && !out.stderr_str().contains(bogus));
}

#[test]
fn openssh_keys_work_as_identity_files() {
    for kind in [["-t", "ed25519"], ["-t", "rsa"]] {
        let w = World::empty();
        let key = w.path("id_test");
        let st = std::process::Command::new("ssh-keygen")
            .args(kind)
            .args(["-N", "", "-q", "-C", "test", "-f"])
            .arg(&key)
            .status()
            .expect("ssh-keygen");
        assert!(st.success());
        let pubkey = std::fs::read_to_string(key.with_extension("pub")).unwrap();
        let shown = w
            .cmd(["identity", "show"])
            .env("AISECRETS_IDENTITY_FILE", &key)
            .ok()
            .stdout_str();
        let want: Vec<&str> = pubkey.split_whitespace().take(2).collect();
        assert_eq!(shown.split_whitespace().take(2).collect::<Vec<_>>(), want);
        w.cmd(["init"]).env("AISECRETS_IDENTITY_FILE", &key).ok();
        w.cmd(["set", "K"])
            .env("AISECRETS_IDENTITY_FILE", &key)
            .stdin("ssh-fake-value")
            .ok();
        let got = w
            .cmd(["get", "K"])
            .env("AISECRETS_IDENTITY_FILE", &key)
            .ok()
            .stdout_str();
        assert_eq!(got, "ssh-fake-value\n");
    }
}

#[test]
fn someone_else_gets_told_who_can_grant_access() {
    let alice = World::with_secrets();
    let bob = World::empty();
    bob.cmd(["identity", "new", "--no-passphrase"]).ok();
    let bob_key = bob.public_key();
    let out = bob
        .cmd(["run", "--", "env"])
        .dir(&alice.project)
        .fails(1)
        .one_line_error()
        .stderr_has("no identity of yours can open environment `dev`")
        .stderr_has("recipients are: tester")
        .stderr_has(&format!(
            "aisecrets recipients add tester {bob_key} --env dev"
        ));
    assert!(out.stdout_str().is_empty());
}

/// README's variables table says which identity wins when both variables are set (a CI job
/// with a mounted file and a leftover AISECRETS_IDENTITY): AISECRETS_IDENTITY, and `status`
/// names it.
#[test]
fn aisecrets_identity_wins_over_aisecrets_identity_file() {
    let w = World::empty();
    let (env_key, env_public) = age_keygen(&w, "env.key");
    let (file_key, file_public) = age_keygen(&w, "file.key");
    assert_ne!(env_public, file_public);
    let secret = std::fs::read_to_string(&env_key)
        .unwrap()
        .lines()
        .find(|l| l.starts_with("AGE-SECRET-KEY-1"))
        .unwrap()
        .to_owned();
    let shown = w
        .cmd(["identity", "show"])
        .env("AISECRETS_IDENTITY", &secret)
        .env("AISECRETS_IDENTITY_FILE", &file_key)
        .ok()
        .stdout_str();
    assert_eq!(shown.trim(), env_public);
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    assert!(
        readme.contains("wins over `AISECRETS_IDENTITY_FILE`"),
        "README's variables table says which identity wins"
    );
}
