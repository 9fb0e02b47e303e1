//! docs/FORMAT.md: its test vector holds, computed independently of the writer, and its
//! complete example file opens with the real binary.

use std::collections::BTreeMap;

use aisecrets::crypto::{DataKey, Meta};
use aisecrets::secret::SecretValue;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use zeroize::Zeroizing;

use crate::util::World;

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
    let proof = aisecrets::crypto::rekey_proof(
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
        aisecrets::store::EnvFile::parse(&w.dev_file(), &block(&d, "toml vector-file")).unwrap();
    assert_eq!(parsed.render(), block(&d, "toml vector-file"));
}
