//! Value sealing: the environment's data key, the values sealed under it, the whole-file
//! MAC, and the rekey proofs that link an old data key to a new one.
//!
//! Construction (see `docs/FORMAT.md`): a random 32-byte data key per environment (wrapped
//! to the recipients by [`crate::keys::wrap`]). Values are sealed with XChaCha20-Poly1305 under
//! `HKDF-SHA256(data key, info = "aisecrets/v1/value-key")`, with a fresh 24-byte nonce and
//! associated data binding the project id, the environment and the name.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use rand::RngCore;
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::base::error::Result;
use crate::base::hex;
use crate::base::secret::SecretValue;

/// Length of the data key in bytes.
pub const DATA_KEY_LEN: usize = 32;
/// Prefix of a sealed value in format 1.
pub const VALUE_PREFIX: &str = "v1:";
const NONCE_LEN: usize = 24;
/// The HKDF info of the whole-file MAC key (format 2); distinct from every other use.
const FILE_MAC_INFO: &[u8] = b"aisecrets/v2/file-mac";
const TAG_LEN: usize = 16;

/// An environment's data key. Wiped on drop, never printed.
pub struct DataKey(Zeroizing<[u8; DATA_KEY_LEN]>);

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey([REDACTED])")
    }
}

/// What is sealed with each value besides the value itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meta {
    /// When the value was set, in seconds since the Unix epoch.
    pub set_at: u64,
    /// The recipient name of whoever set it.
    pub set_by: String,
    /// Recipients removed since the value was set, who could read it: the value is
    /// exposed and should be rotated. Empty for a fresh value.
    pub exposed: Vec<String>,
}

/// A value opened from the file, with its metadata.
#[derive(Debug, Clone)]
pub struct Opened {
    /// The plaintext value.
    pub value: SecretValue,
    /// When and by whom it was set.
    pub meta: Meta,
}

fn hkdf(key: &[u8], info: &[u8], out: &mut [u8]) {
    Hkdf::<Sha256>::new(None, key)
        .expand(info, out)
        .expect("HKDF output lengths used here are far below the limit");
}

impl DataKey {
    /// A fresh random data key.
    #[must_use]
    pub fn generate() -> Self {
        let mut key = Zeroizing::new([0u8; DATA_KEY_LEN]);
        rand::rngs::OsRng.fill_bytes(key.as_mut());
        Self(key)
    }

    /// Wraps raw key bytes (from an opened `data_key` block or a test vector).
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        let arr: [u8; DATA_KEY_LEN] = bytes.try_into().ok()?;
        Some(Self(Zeroizing::new(arr)))
    }

    /// The key's public id: 16 bytes of `HKDF-SHA256(key, info = "aisecrets/v1/key-id")`, hex.
    #[must_use]
    pub fn key_id(&self) -> String {
        let mut id = [0u8; 16];
        hkdf(self.0.as_ref(), b"aisecrets/v1/key-id", &mut id);
        hex::encode(&id)
    }

    fn value_cipher(&self) -> XChaCha20Poly1305 {
        let mut k = Zeroizing::new([0u8; 32]);
        hkdf(self.0.as_ref(), b"aisecrets/v1/value-key", k.as_mut());
        XChaCha20Poly1305::new(chacha20poly1305::Key::from_slice(k.as_ref()))
    }

    /// Seals `value` for `name` in `project`/`env`, with a fresh random nonce.
    #[must_use]
    pub fn seal(
        &self,
        project: &str,
        env: &str,
        name: &str,
        value: &SecretValue,
        meta: &Meta,
    ) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        self.seal_with_nonce(project, env, name, value, meta, nonce)
    }

    /// [`Self::seal`] with a given nonce: for test vectors only.
    #[must_use]
    pub fn seal_with_nonce(
        &self,
        project: &str,
        env: &str,
        name: &str,
        value: &SecretValue,
        meta: &Meta,
        nonce: [u8; NONCE_LEN],
    ) -> String {
        let mut plain = Zeroizing::new(Vec::with_capacity(64 + value.expose().len()));
        // Layout 1 without exposure, layout 2 with the list of removed readers.
        plain.push(if meta.exposed.is_empty() { 1u8 } else { 2u8 });
        plain.extend_from_slice(&meta.set_at.to_be_bytes());
        push_short(&mut plain, &meta.set_by);
        if !meta.exposed.is_empty() {
            let n = meta.exposed.len().min(255);
            plain.push(u8::try_from(n).unwrap_or(u8::MAX));
            for name in &meta.exposed[..n] {
                push_short(&mut plain, name);
            }
        }
        plain.extend_from_slice(value.expose().as_bytes());
        self.seal_raw(&aad(project, env, name), &plain, nonce)
    }

    /// `v1:` + base64(nonce || XChaCha20-Poly1305(value key, nonce, plain, aad)).
    fn seal_raw(&self, aad: &[u8], plain: &[u8], nonce: [u8; NONCE_LEN]) -> String {
        let ct = self
            .value_cipher()
            .encrypt(XNonce::from_slice(&nonce), Payload { msg: plain, aad })
            .expect("XChaCha20-Poly1305 encryption of under 4 GiB cannot fail");
        let mut out = Vec::with_capacity(NONCE_LEN + ct.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        format!("{VALUE_PREFIX}{}", B64.encode(out))
    }

    /// Opens a sealed value; `Err` carries the reason (never any plaintext).
    pub fn open(
        &self,
        project: &str,
        env: &str,
        name: &str,
        token: &str,
    ) -> Result<Opened, &'static str> {
        let cipher = self.value_cipher();
        open_with(&cipher, project, env, name, token)
    }

    /// Opens many values with one derived key.
    pub fn opener(&self) -> Opener {
        Opener(self.value_cipher())
    }

    /// The key's verifier, `HKDF-SHA256(key, info = "aisecrets/v1/verifier")`, hex: kept
    /// in a trust pin to check a later key's rekey proof, without keeping the key.
    #[must_use]
    pub fn verifier(&self) -> String {
        use sha2::Digest;
        let secret = self.rekey_secret_bytes();
        hex::encode(&Sha256::digest(&secret[..]))
    }

    /// A short fingerprint of `value` for `name`, keyed by this data key (so a low-entropy
    /// value cannot be guessed offline from a diff): 8 hex digits of `HMAC-SHA256(HKDF(key,
    /// "aisecrets/v1/fingerprint"), name 0 value)`.
    #[must_use]
    pub fn fingerprint(&self, name: &str, value: &SecretValue) -> String {
        use hmac::Mac;
        let mut k = Zeroizing::new([0u8; 32]);
        hkdf(self.0.as_ref(), b"aisecrets/v1/fingerprint", k.as_mut());
        let mut mac =
            <hmac::Hmac<Sha256> as Mac>::new_from_slice(k.as_ref()).expect("any key length");
        mac.update(name.as_bytes());
        mac.update(&[0]);
        mac.update(value.expose().as_bytes());
        hex::encode(&mac.finalize().into_bytes()[..4])
    }

    /// A MAC of a whole environment file (format 2), to feed with the file's canonical
    /// encoding ([`crate::backend::file::EnvFile::mac_input`]): `HMAC-SHA256(HKDF-SHA256(key, info =
    /// "aisecrets/v2/file-mac"), input)`.
    #[must_use]
    pub fn file_mac(&self) -> FileMac {
        use hmac::Mac;
        let mut k = Zeroizing::new([0u8; 32]);
        hkdf(self.0.as_ref(), FILE_MAC_INFO, k.as_mut());
        FileMac(<hmac::Hmac<Sha256> as Mac>::new_from_slice(k.as_ref()).expect("any key length"))
    }

    /// The key's rekey secret, `HKDF-SHA256(key, info = "aisecrets/v1/rekey-secret")`:
    /// revealed (sealed under the next key) only when this key is replaced, to prove that
    /// whoever replaced it knew it. Its SHA-256 is the public verifier.
    #[must_use]
    pub fn rekey_secret(&self) -> Zeroizing<String> {
        Zeroizing::new(hex::encode(self.rekey_secret_bytes().as_ref()))
    }

    fn rekey_secret_bytes(&self) -> Zeroizing<[u8; 32]> {
        let mut r = Zeroizing::new([0u8; 32]);
        hkdf(self.0.as_ref(), b"aisecrets/v1/rekey-secret", r.as_mut());
        r
    }

    /// Seals an auxiliary blob (the rekey chain) bound to `purpose`, project and env.
    #[must_use]
    pub fn seal_blob(&self, purpose: &str, project: &str, env: &str, plain: &[u8]) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        self.seal_raw(&aad(project, env, purpose), plain, nonce)
    }

    /// Opens a blob sealed by [`Self::seal_blob`].
    pub fn open_blob(
        &self,
        purpose: &str,
        project: &str,
        env: &str,
        token: &str,
    ) -> Option<Zeroizing<Vec<u8>>> {
        let raw = B64.decode(token.strip_prefix(VALUE_PREFIX)?).ok()?;
        if raw.len() < NONCE_LEN + TAG_LEN {
            return None;
        }
        let (nonce, ct) = raw.split_at(NONCE_LEN);
        let aad = aad(project, env, purpose);
        self.value_cipher()
            .decrypt(XNonce::from_slice(nonce), Payload { msg: ct, aad: &aad })
            .ok()
            .map(Zeroizing::new)
    }

    /// The raw key, for wrapping to recipients.
    pub(super) fn bytes(&self) -> &[u8] {
        self.0.as_ref()
    }
}

/// A file MAC being computed (see [`DataKey::file_mac`]).
pub struct FileMac(hmac::Hmac<Sha256>);

impl FileMac {
    /// Feeds more of the input.
    pub fn update(&mut self, bytes: &[u8]) {
        hmac::Mac::update(&mut self.0, bytes);
    }

    /// The MAC, lowercase hex.
    #[must_use]
    pub fn hex(self) -> String {
        hex::encode(&hmac::Mac::finalize(self.0).into_bytes())
    }

    /// Whether the MAC equals `mac` (hex); constant time.
    #[must_use]
    pub fn verify(self, mac: &str) -> bool {
        hex::decode(mac).is_some_and(|got| hmac::Mac::verify_slice(self.0, &got).is_ok())
    }
}

/// A derived value key, reused across many [`Opener::open`] calls.
pub struct Opener(XChaCha20Poly1305);

impl Opener {
    /// Opens a sealed value; see [`DataKey::open`].
    pub fn open(
        &self,
        project: &str,
        env: &str,
        name: &str,
        token: &str,
    ) -> Result<Opened, &'static str> {
        open_with(&self.0, project, env, name, token)
    }
}

fn open_with(
    cipher: &XChaCha20Poly1305,
    project: &str,
    env: &str,
    name: &str,
    token: &str,
) -> Result<Opened, &'static str> {
    let body = token
        .strip_prefix(VALUE_PREFIX)
        .ok_or("a value is not in the v1 format")?;
    let raw = B64
        .decode(body)
        .map_err(|_| "a value is not valid base64")?;
    if raw.len() < NONCE_LEN + TAG_LEN {
        return Err("a value is truncated");
    }
    let (nonce, ct) = raw.split_at(NONCE_LEN);
    let aad = aad(project, env, name);
    let plain = Zeroizing::new(
        cipher
            .decrypt(XNonce::from_slice(nonce), Payload { msg: ct, aad: &aad })
            .map_err(|_| "a value fails authentication (edited, moved or forged)")?,
    );
    parse_plain(name, &plain)
}

/// Appends a string of at most 255 bytes with its length byte (longer is cut at a
/// character boundary).
fn push_short(out: &mut Vec<u8>, text: &str) {
    let mut end = text.len().min(255);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    out.push(u8::try_from(end).unwrap_or(u8::MAX));
    out.extend_from_slice(&text.as_bytes()[..end]);
}

fn take_short<'a>(rest: &mut &'a [u8]) -> Option<&'a str> {
    let (&len, tail) = rest.split_first()?;
    let len = usize::from(len);
    if tail.len() < len {
        return None;
    }
    let (s, tail) = tail.split_at(len);
    *rest = tail;
    std::str::from_utf8(s).ok()
}

fn parse_plain(name: &str, plain: &[u8]) -> Result<Opened, &'static str> {
    const BAD: &str = "a sealed value has a malformed body";
    let (&version, rest) = plain.split_first().ok_or(BAD)?;
    if version != 1 && version != 2 {
        return Err("a sealed value has an unknown version");
    }
    if rest.len() < 8 {
        return Err(BAD);
    }
    let (at, mut rest) = rest.split_at(8);
    let set_at = u64::from_be_bytes(at.try_into().map_err(|_| BAD)?);
    let set_by = take_short(&mut rest).ok_or(BAD)?.to_owned();
    let mut exposed = Vec::new();
    if version == 2 {
        let (&n, tail) = rest.split_first().ok_or(BAD)?;
        rest = tail;
        for _ in 0..n {
            exposed.push(take_short(&mut rest).ok_or(BAD)?.to_owned());
        }
    }
    let value = std::str::from_utf8(rest).map_err(|_| BAD)?;
    let value = SecretValue::new(name, Zeroizing::new(value.to_owned()))
        .map_err(|_| "a sealed value breaks the value rules")?;
    Ok(Opened {
        value,
        meta: Meta {
            set_at,
            set_by,
            exposed,
        },
    })
}

fn aad(project: &str, env: &str, name: &str) -> Vec<u8> {
    let mut aad = Vec::with_capacity(32 + project.len() + env.len() + name.len());
    aad.extend_from_slice(b"aisecrets/v1/value\0");
    aad.extend_from_slice(project.as_bytes());
    aad.push(0);
    aad.extend_from_slice(env.as_bytes());
    aad.push(0);
    aad.extend_from_slice(name.as_bytes());
    aad
}

/// The link from an old key to a new one: `HMAC-SHA256(old rekey secret,
/// "aisecrets/v1/rekey" 0 project 0 env 0 to_key_id 0 to_verifier)`, hex. Only someone who
/// knew the old key knows its rekey secret, whose SHA-256 is the old key's (pinned) verifier.
#[must_use]
pub fn rekey_proof(
    from_secret: &str,
    project: &str,
    env: &str,
    to_key_id: &str,
    to_verifier: &str,
) -> String {
    use hmac::Mac;
    let key = Zeroizing::new(hex::decode(from_secret).unwrap_or_default());
    let mut mac =
        <hmac::Hmac<Sha256> as Mac>::new_from_slice(&key).expect("HMAC takes any key length");
    for (i, part) in ["aisecrets/v1/rekey", project, env, to_key_id, to_verifier]
        .iter()
        .enumerate()
    {
        if i > 0 {
            mac.update(&[0]);
        }
        mac.update(part.as_bytes());
    }
    hex::encode(&mac.finalize().into_bytes())
}

/// `hex::encode(SHA-256(hex::decode(secret_hex)))`: the verifier of a rekey secret.
#[must_use]
pub fn verifier_of(secret_hex: &str) -> Option<String> {
    use sha2::Digest;
    let raw = Zeroizing::new(hex::decode(secret_hex)?);
    Some(hex::encode(&Sha256::digest(raw.as_slice())))
}

/// Constant-time comparison of two hex strings.
#[must_use]
pub fn same_hex(a: &str, b: &str) -> bool {
    subtle::ConstantTimeEq::ct_eq(a.as_bytes(), b.as_bytes()).into()
}

/// A random id of `n` bytes, hex.
#[must_use]
pub fn random_id(n: usize) -> String {
    let mut b = vec![0u8; n];
    rand::rngs::OsRng.fill_bytes(&mut b);
    hex::encode(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(v: &str) -> SecretValue {
        SecretValue::new("N", Zeroizing::new(v.to_owned())).unwrap()
    }

    #[test]
    fn seal_open_round_trip_and_binding() {
        let k = DataKey::generate();
        let meta = Meta {
            set_at: 7,
            set_by: "alice".into(),
            exposed: vec![],
        };
        let t = k.seal("p", "dev", "N", &value("sk-FAKE"), &meta);
        let o = k.open("p", "dev", "N", &t).unwrap();
        assert_eq!(o.value.expose(), "sk-FAKE");
        assert_eq!(o.meta, meta);
        assert!(
            k.open("p", "dev", "M", &t).is_err(),
            "moved to another name"
        );
        assert!(
            k.open("p", "prod", "N", &t).is_err(),
            "moved to another env"
        );
        assert!(
            k.open("q", "dev", "N", &t).is_err(),
            "moved to another project"
        );
        assert!(
            DataKey::generate().open("p", "dev", "N", &t).is_err(),
            "another key"
        );
        let exposed = Meta {
            exposed: vec!["bob".into(), "carol".into()],
            ..meta
        };
        let t = k.seal("p", "dev", "N", &value("sk-FAKE"), &exposed);
        assert_eq!(k.open("p", "dev", "N", &t).unwrap().meta, exposed);
    }
}
