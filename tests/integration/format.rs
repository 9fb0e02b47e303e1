//! docs/FORMAT.md: its test vector holds, computed independently of the writer, and its
//! complete example file opens with the real binary (and its data key with the reference
//! `age` CLI). Format 1 files still open, are upgraded on write, and cannot be put back.

use std::collections::BTreeMap;

use aisecrets::base::secret::SecretValue;
use aisecrets::keys::seal::{DataKey, Meta};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use zeroize::Zeroizing;

use crate::util::{World, age_open_data_key, drop_token_line};

fn doc() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/FORMAT.md")).unwrap()
}

/// The body of the first fenced block whose info string is `info`.
fn block(doc: &str, info: &str) -> String {
    let start = doc
        .find(&format!("```{info}\n"))
        .unwrap_or_else(|| panic!("no ```{info} block"))
        + info.len()
        + 4;
    let end = doc[start..].find("```\n").unwrap() + start;
    doc[start..end].to_owned()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn vector() -> BTreeMap<String, String> {
    block(&doc(), "text")
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect()
}

#[test]
fn the_documented_vector_holds() {
    let v = vector();
    let key = DataKey::from_bytes(&unhex(&v["data_key"])).unwrap();
    assert_eq!(key.key_id(), v["key_id"]);
    assert_eq!(key.verifier(), v["verifier"]);
    let next = DataKey::from_bytes(&unhex(&v["next_data_key"])).unwrap();
    assert_eq!(next.key_id(), v["next_key_id"]);
    assert_eq!(next.verifier(), v["next_verifier"]);
    assert_eq!(*key.rekey_secret(), v["rekey_secret"]);
    let proof = aisecrets::keys::seal::rekey_proof(
        &v["rekey_secret"],
        &v["project"],
        &v["env"],
        &v["next_key_id"],
        &v["next_verifier"],
    );
    assert_eq!(proof, v["rekey_proof"]);
    let value = SecretValue::new("N", Zeroizing::new(v["value"].clone())).unwrap();
    let meta = Meta {
        set_at: v["set_at"].parse().unwrap(),
        set_by: v["set_by"].clone(),
        exposed: vec![],
    };
    let nonce: [u8; 24] = unhex(&v["nonce"]).try_into().unwrap();
    let token = key.seal_with_nonce(&v["project"], &v["env"], &v["name"], &value, &meta, nonce);
    assert_eq!(token, v["token"]);
    let opened = key
        .open(&v["project"], &v["env"], &v["name"], &v["token"])
        .unwrap();
    assert_eq!(opened.value.expose(), v["value"]);
    assert_eq!(opened.meta, meta);

    // The intermediate values, checked with the AEAD directly, as a foreign reader would.
    use base64::Engine;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(v["token"].strip_prefix("v1:").unwrap())
        .unwrap();
    let cipher =
        chacha20poly1305::XChaCha20Poly1305::new_from_slice(&unhex(&v["value_key"])).unwrap();
    let plain = cipher
        .decrypt(
            chacha20poly1305::XNonce::from_slice(&raw[..24]),
            Payload {
                msg: &raw[24..],
                aad: &unhex(&v["aad"]),
            },
        )
        .unwrap();
    assert_eq!(plain, unhex(&v["plaintext"]));

    // The file MAC, with HKDF and HMAC directly, over the documented file's fields.
    use hmac::Mac;
    let mut mac_key = [0u8; 32];
    hkdf::Hkdf::<sha2::Sha256>::new(None, &unhex(&v["data_key"]))
        .expand(b"aisecrets/v2/file-mac", &mut mac_key)
        .unwrap();
    assert_eq!(aisecrets::base::hex::encode(&mac_key), v["mac_key"]);
    let file = aisecrets::backend::file::EnvFile::parse(
        std::path::Path::new("x"),
        &block(&doc(), "toml vector-file"),
    )
    .unwrap();
    assert_eq!(
        aisecrets::base::hex::encode(&file.mac_input()),
        v["mac_input"]
    );
    let mut mac = <hmac::Hmac<sha2::Sha256> as Mac>::new_from_slice(&mac_key).unwrap();
    mac.update(&unhex(&v["mac_input"]));
    assert_eq!(
        aisecrets::base::hex::encode(&mac.finalize().into_bytes()),
        v["mac"]
    );
    assert_eq!(file.mac.as_deref(), Some(v["mac"].as_str()));
    assert_eq!(file.verify(&key), Ok(()));
}

#[test]
fn the_documented_file_opens() {
    let d = doc();
    let v = vector();
    let w = World::empty();
    std::fs::write(w.project.join("aisecrets.toml"), block(&d, "toml")).unwrap();
    std::fs::create_dir_all(w.project.join("secrets")).unwrap();
    std::fs::write(w.dev_file(), block(&d, "toml vector-file")).unwrap();
    // No pin and no terminal: refused, naming what to do.
    w.cmd(["get", "OPENAI_API_KEY"])
        .env("AISECRETS_IDENTITY", &v["identity"])
        .fails(1)
        .stderr_has("aisecrets trust")
        .stderr_has("AISECRETS_TRUST");
    let trust = format!(
        "{}/{}={}:{}",
        v["project"], v["env"], v["key_id"], v["verifier"]
    );
    let out = w
        .cmd(["get", "OPENAI_API_KEY"])
        .env("AISECRETS_IDENTITY", &v["identity"])
        .env("AISECRETS_TRUST", &trust)
        .ok();
    assert_eq!(out.stdout_str(), format!("{}\n", v["value"]));
    // The file as documented is exactly what the writer renders.
    let parsed =
        aisecrets::backend::file::EnvFile::parse(&w.dev_file(), &block(&d, "toml vector-file"))
            .unwrap();
    let key = DataKey::from_bytes(&unhex(&v["data_key"])).unwrap();
    assert_eq!(parsed.render(&key), block(&d, "toml vector-file"));
    // Its data key block opens with the reference age CLI to the documented data key.
    let text = block(&d, "toml vector-file");
    std::fs::write(w.path("identity.txt"), format!("{}\n", v["identity"])).unwrap();
    let data_key = age_open_data_key(&text, &w.path("identity.txt"), &w.path("data_key.age"));
    assert_eq!(aisecrets::base::hex::encode(&data_key), v["data_key"]);
}

/// The documented file as format 1: no `mac` line, `format = 1`.
fn as_format_1(text: &str) -> String {
    text.lines()
        .filter(|l| !l.starts_with("mac = "))
        .map(|l| format!("{l}\n"))
        .collect::<String>()
        .replace("format = 2\n", "format = 1\n")
}

/// Issue #12, point 6: a format 1 file keeps opening, is written back as format 2 (the
/// untouched value keeps its bytes), and once seen as format 2 a format 1 file put back in
/// its place (to drop a line unseen) is refused.
#[test]
fn format_1_opens_is_upgraded_on_write_and_cannot_be_put_back() {
    let d = doc();
    let v = vector();
    let w = World::empty();
    std::fs::write(w.project.join("aisecrets.toml"), block(&d, "toml")).unwrap();
    std::fs::create_dir_all(w.project.join("secrets")).unwrap();
    let v1 = as_format_1(&block(&d, "toml vector-file"));
    std::fs::write(w.dev_file(), &v1).unwrap();
    let id = v["identity"].as_str();
    let trust = format!(
        "{}/{}={}:{}",
        v["project"], v["env"], v["key_id"], v["verifier"]
    );
    w.cmd(["trust", "--yes"]).env("AISECRETS_IDENTITY", id).ok();
    let out = w
        .cmd(["get", "OPENAI_API_KEY"])
        .env("AISECRETS_IDENTITY", id)
        .ok();
    assert_eq!(out.stdout_str(), format!("{}\n", v["value"]));
    // Written: format 2 with a MAC; the untouched token is byte-identical.
    w.cmd(["set", "HF_TOKEN"])
        .env("AISECRETS_IDENTITY", id)
        .stdin("hf_FAKEupgrade")
        .ok();
    let v2 = std::fs::read_to_string(w.dev_file()).unwrap();
    assert!(v2.contains("format = 2\n"), "{v2}");
    assert!(v2.contains("\nmac = \""), "{v2}");
    assert!(v2.contains(&format!("OPENAI_API_KEY = \"{}\"\n", v["token"])));
    // The attack: the old format 1 file (no MAC) is put back, minus a line.
    std::fs::write(w.dev_file(), &v1).unwrap();
    w.cmd(["get", "OPENAI_API_KEY"])
        .env("AISECRETS_IDENTITY", id)
        .fails(1)
        .one_line_error()
        .stderr_has("format 1");
    // A format 2 file with a line removed is refused by its MAC, also with a CI pin.
    let dropped = drop_token_line(&v2, "HF_TOKEN");
    std::fs::write(w.dev_file(), dropped).unwrap();
    w.cmd(["get", "OPENAI_API_KEY"])
        .env("AISECRETS_IDENTITY", id)
        .env("AISECRETS_TRUST", &trust)
        .fails(1)
        .one_line_error()
        .stderr_has("mac does not match");
}

/// Review: CI has no trust.toml, only `AISECRETS_TRUST`; that pin carries the lowest format
/// (`:2`), so a format 1 file (no MAC, a line dropped) put back on a branch is refused there
/// too, not only on the machines that saw format 2.
#[test]
fn aisecrets_trust_carries_the_lowest_format_for_ci() {
    let w = crate::util::World::with_secrets();
    let pins = w
        .cmd(["trust", "--print", "--env", "dev"])
        .ok()
        .stdout_str();
    let pins = pins.trim().to_owned();
    assert!(pins.ends_with(":2"), "{pins}");
    let identity = std::fs::read_to_string(w.home.join("identity.age")).unwrap();
    let identity = identity
        .lines()
        .find(|l| l.starts_with("AGE-SECRET-KEY-1"))
        .unwrap()
        .to_owned();
    let ci = |w: &crate::util::World| {
        w.cmd(["get", "OPENAI_API_KEY"])
            .reveals()
            .env("AISECRETS_HOME", w.path("ci-home"))
            .env("AISECRETS_IDENTITY", &identity)
            .env("AISECRETS_TRUST", &pins)
    };
    ci(&w).ok();
    w.downgrade_dropping_hf_token();
    ci(&w).fails(1).stderr_has("format 1");
}
