//! Reading and altering the files aisecrets writes, as an attacker or a reviewer would:
//! sealed-value lines, the data key block, age keys made by the reference tools.

use std::path::Path;

use super::World;

/// Opens the data key block (the armored age block) of an environment file's `text` with
/// the reference age CLI and `identity`, by way of the file `block`: the data key's bytes.
#[track_caller]
pub fn age_open_data_key(text: &str, identity: &Path, block: &Path) -> Vec<u8> {
    let s = text.find("-----BEGIN").unwrap();
    let e = text.find("-----END AGE ENCRYPTED FILE-----").unwrap() + 32;
    std::fs::write(block, format!("{}\n", &text[s..e])).unwrap();
    let out = std::process::Command::new("age")
        .arg("-d")
        .arg("-i")
        .arg(identity)
        .arg(block)
        .output()
        .expect("age (Debian package age)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// An age key made by age-keygen into `<name>.key`: (secret, public).
pub fn age_key(w: &World, name: &str) -> (String, String) {
    let path = w.path(&format!("{name}.key"));
    let out = std::process::Command::new("age-keygen")
        .arg("-o")
        .arg(&path)
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = std::fs::read_to_string(&path).unwrap();
    (
        text.lines()
            .find(|l| l.starts_with("AGE-SECRET-KEY-1"))
            .unwrap()
            .to_owned(),
        String::from_utf8(out.stderr)
            .unwrap()
            .trim()
            .trim_start_matches("Public key: ")
            .to_owned(),
    )
}

/// The line of secret `name` in an environment file's `text` (`NAME = "v1:..."`).
#[track_caller]
pub fn token_line<'a>(text: &'a str, name: &str) -> &'a str {
    text.lines()
        .find(|l| l.starts_with(&format!("{name} = ")))
        .unwrap()
}

/// The sealed token of secret `name` in an environment file's `text`.
#[track_caller]
pub fn token_of(text: &str, name: &str) -> String {
    token_line(text, name).split('"').nth(1).unwrap().to_owned()
}

/// `text` without secret `name`'s line: what a writer without the key does to drop a
/// secret unseen.
pub fn drop_token_line(text: &str, name: &str) -> String {
    let prefix = format!("{name} = ");
    text.lines()
        .filter(|l| !l.starts_with(&prefix))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// Every sealed-value line (secrets and conflicts, not `rekeys`) of `dev`.
pub fn token_lines(w: &World) -> Vec<String> {
    std::fs::read_to_string(w.dev_file())
        .unwrap()
        .lines()
        .filter(|l| l.contains(" = \"v1:") && !l.starts_with("rekeys"))
        .map(str::to_owned)
        .collect()
}
