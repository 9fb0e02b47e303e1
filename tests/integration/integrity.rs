//! Broken, edited, forged or foreign files are refused whole: a one-line error that
//! names the file, exit 1, nothing injected, nothing written.

use crate::util::{HF, OPENAI, World};

/// Asserts that every reading command refuses the dev file, injects nothing and writes
/// nothing, and that the error names the file.
#[track_caller]
fn refused(w: &World, needle: &str) {
    let before = std::fs::read(w.dev_file()).unwrap();
    let out = w
        .cmd(["run", "--", "env"])
        .fails(1)
        .one_line_error()
        .stderr_has("secrets/dev.toml")
        .stderr_has(needle);
    assert!(out.stdout_str().is_empty(), "something reached the child");
    assert!(!out.stdout_str().contains("OPENAI_API_KEY"));
    w.cmd(["get", "HF_TOKEN"]).fails(1).one_line_error();
    w.cmd(["list"]).fails(1);
    w.cmd(["export"]).fails(1);
    w.cmd(["set", "NEW"]).stdin("x").fails(1);
    assert_eq!(
        std::fs::read(w.dev_file()).unwrap(),
        before,
        "a refused file was rewritten"
    );
}

fn edit(w: &World, f: impl FnOnce(String) -> String) {
    let text = std::fs::read_to_string(w.dev_file()).unwrap();
    std::fs::write(w.dev_file(), f(text)).unwrap();
}

fn token_of(text: &str, name: &str) -> String {
    let line = text
        .lines()
        .find(|l| l.starts_with(&format!("{name} = ")))
        .unwrap();
    line.split('"').nth(1).unwrap().to_owned()
}

#[test]
fn truncated_file() {
    let w = World::with_secrets();
    edit(&w, |t| t[..t.len() - 40].to_owned());
    refused(&w, "");
}

#[test]
fn truncated_inside_the_data_key() {
    let w = World::with_secrets();
    edit(&w, |t| {
        let cut = t.find("-----END").unwrap() - 30;
        t[..cut].to_owned()
    });
    refused(&w, "");
}

#[test]
fn edited_value() {
    let w = World::with_secrets();
    edit(&w, |t| {
        let tok = token_of(&t, "HF_TOKEN");
        let mut b = tok.clone().into_bytes();
        let i = b.len() - 6;
        b[i] = if b[i] == b'A' { b'B' } else { b'A' };
        t.replace(&tok, std::str::from_utf8(&b).unwrap())
    });
    refused(&w, "fails authentication");
}

#[test]
fn value_moved_to_another_name() {
    let w = World::with_secrets();
    edit(&w, |t| {
        let a = token_of(&t, "HF_TOKEN");
        let b = token_of(&t, "OPENAI_API_KEY");
        t.replace(&a, "@@").replace(&b, &a).replace("@@", &b)
    });
    refused(&w, "fails authentication");
}

#[test]
fn value_copied_from_another_environment() {
    let w = World::with_secrets();
    w.cmd(["init", "--env", "prod"]).ok();
    w.cmd(["set", "HF_TOKEN", "--env", "prod"])
        .stdin("hf_FAKE_prod")
        .ok();
    let prod = std::fs::read_to_string(w.project.join("secrets/prod.toml")).unwrap();
    edit(&w, |t| {
        let ours = token_of(&t, "HF_TOKEN");
        t.replace(&ours, &token_of(&prod, "HF_TOKEN"))
    });
    refused(&w, "fails authentication");
}

#[test]
fn wrongly_keyed_file() {
    // A data key block from elsewhere (as a forger holding only public keys could make).
    let w = World::with_secrets();
    w.cmd(["init", "--env", "prod"]).ok();
    let prod = std::fs::read_to_string(w.project.join("secrets/prod.toml")).unwrap();
    let block = |t: &str| {
        let s = t.find("data_key = ").unwrap();
        let e = t[s..].find("\"\"\"\n\n").unwrap() + s;
        t[s..e].to_owned()
    };
    edit(&w, |t| t.replace(&block(&t), &block(&prod)));
    refused(&w, "key_id does not match");
}

#[test]
fn armor_error() {
    let w = World::with_secrets();
    edit(&w, |t| {
        t.replacen(
            "-----BEGIN AGE ENCRYPTED FILE-----\n",
            "-----BEGIN AGE ENCRYPTED FILE-----\n!!!!\n",
            1,
        )
    });
    refused(&w, "");
}

#[test]
fn unknown_format() {
    let w = World::with_secrets();
    edit(&w, |t| t.replace("format = 1", "format = 9"));
    refused(&w, "format 9");
}

#[test]
fn unknown_field_and_invalid_names() {
    let w = World::with_secrets();
    edit(&w, |t| {
        t.replace("[secrets]\n", "[secrets]\nLD_PRELOAD-x = \"v1:AAAA\"\n")
    });
    refused(&w, "");
    let w = World::with_secrets();
    edit(&w, |t| {
        t.replace("format = 1\n", "format = 1\nsigned = true\n")
    });
    refused(&w, "");
}

#[test]
fn git_conflict_markers() {
    let w = World::with_secrets();
    edit(&w, |t| {
        t.replace(
            "[secrets]\n",
            "[secrets]\n<<<<<<< HEAD\n=======\n>>>>>>> other\n",
        )
    });
    refused(&w, "conflict markers");
}

#[test]
fn another_projects_file() {
    let w = World::with_secrets();
    let other = World::with_secrets();
    std::fs::copy(other.dev_file(), w.dev_file()).unwrap();
    refused(&w, "another project");
}

#[test]
fn not_a_regular_file() {
    let w = World::with_secrets();
    std::fs::remove_file(w.dev_file()).unwrap();
    nix::unistd::mkfifo(
        &w.dev_file(),
        nix::sys::stat::Mode::from_bits_truncate(0o600),
    )
    .unwrap();
    let start = std::time::Instant::now();
    w.cmd(["run", "--", "env"])
        .fails(1)
        .one_line_error()
        .stderr_has("not a regular file");
    assert!(start.elapsed().as_secs() < 5, "a FIFO must not hang");
    std::fs::remove_file(w.dev_file()).unwrap();
    std::os::unix::fs::symlink("/dev/zero", w.dev_file()).unwrap();
    w.cmd(["get", "X"])
        .fails(1)
        .stderr_has("not a regular file");
}

#[test]
fn too_many_recipient_stanzas_are_refused_cheaply() {
    use base64::Engine;
    let w = World::with_secrets();
    // A header with 5000 X25519 stanzas: refused before any public-key work.
    let mut header = String::from("age-encryption.org/v1\n");
    for _ in 0..5000 {
        header.push_str("-> X25519 ");
        header.push_str(&"A".repeat(43));
        header.push('\n');
        header.push_str(&"B".repeat(43));
        header.push('\n');
    }
    header.push_str("--- ");
    header.push_str(&"C".repeat(43));
    header.push('\n');
    let b64 = base64::engine::general_purpose::STANDARD.encode(header.as_bytes());
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    let armored = format!(
        "-----BEGIN AGE ENCRYPTED FILE-----\n{}\n-----END AGE ENCRYPTED FILE-----\n",
        lines.join("\n")
    );
    edit(&w, |t| {
        let s = t.find("-----BEGIN").unwrap();
        let e = t.find("-----END AGE ENCRYPTED FILE-----\n").unwrap() + 33;
        format!("{}{}{}", &t[..s], armored, &t[e..])
    });
    let start = std::time::Instant::now();
    refused(&w, "too many recipient stanzas");
    assert!(start.elapsed().as_secs() < 10);
}

#[test]
fn the_reference_age_cli_opens_the_data_key() {
    let w = World::with_secrets();
    let text = std::fs::read_to_string(w.dev_file()).unwrap();
    let s = text.find("-----BEGIN").unwrap();
    let e = text.find("-----END AGE ENCRYPTED FILE-----").unwrap() + 32;
    let block = w.path("data_key.age");
    std::fs::write(&block, format!("{}\n", &text[s..e])).unwrap();
    let out = std::process::Command::new("age")
        .arg("-d")
        .arg("-i")
        .arg(w.home.join("identity.age"))
        .arg(&block)
        .output()
        .expect("age (Debian package age)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout.len(), 32);
    let key_id = aisecrets::crypto::DataKey::from_bytes(&out.stdout)
        .unwrap()
        .key_id();
    assert!(text.contains(&format!("key_id = \"{key_id}\"")));
    // And the values open with that key alone, as docs/FORMAT.md describes.
    let project = text
        .lines()
        .find_map(|l| l.strip_prefix("project = \""))
        .unwrap()
        .trim_end_matches('"');
    let key = aisecrets::crypto::DataKey::from_bytes(&out.stdout).unwrap();
    let tok = token_of(&text, "OPENAI_API_KEY");
    assert_eq!(
        key.open(project, "dev", "OPENAI_API_KEY", &tok)
            .unwrap()
            .value
            .expose(),
        OPENAI
    );
    let tok = token_of(&text, "HF_TOKEN");
    assert_eq!(
        key.open(project, "dev", "HF_TOKEN", &tok)
            .unwrap()
            .value
            .expose(),
        HF
    );
}
