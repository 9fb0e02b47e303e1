//! The user's identity: where it lives, how it is made, and how it is opened.
//!
//! Order of precedence: `AISECRETS_IDENTITY` (an `AGE-SECRET-KEY-1...` string), then
//! `AISECRETS_IDENTITY_FILE` (an age identity file or an OpenSSH private key), then the
//! stored identity under the user folder (`AISECRETS_HOME`, else
//! `$XDG_CONFIG_HOME/aisecrets`).

use std::io::Write as _;
use std::path::{Path, PathBuf};

use age::armor::{ArmoredReader, ArmoredWriter, Format};
use age::secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

use std::time::Duration;

use crate::base::atomic;
use crate::base::error::{Error, Result};
use crate::base::prompt;
use crate::keys::cache::{self, Cached, KeyCache};
use crate::keys::crypto::Identity;

/// The scrypt work factor (log2 N) of new identities: pinned, because the age crate
/// calibrates per build and a debug build would write weak files.
pub const WORK_FACTOR: u8 = 18;
/// The highest work factor aisecrets will spend time on when opening an identity.
pub const MAX_WORK_FACTOR: u8 = 22;
const MAX_IDENTITY_FILE: u64 = 1 << 20;

/// The user's opened identities, and the public key of the first one when it is known.
pub struct Keys {
    identities: Vec<Identity>,
    public: Option<String>,
}

impl Keys {
    /// The identities, to try in order.
    #[must_use]
    pub fn identities(&self) -> &[Identity] {
        &self.identities
    }

    /// The public key (`age1...` or `ssh-...`), when known.
    #[must_use]
    pub fn public_key(&self) -> Option<&str> {
        self.public.as_deref()
    }
}

/// The folder of the user's own files.
pub fn home() -> Result<PathBuf> {
    if let Some(h) = std::env::var_os("AISECRETS_HOME").filter(|h| !h.is_empty()) {
        return Ok(PathBuf::from(h));
    }
    dirs::config_dir()
        .map(|d| d.join("aisecrets"))
        .ok_or_else(|| {
            Error::Failed("cannot find a config folder: set HOME or AISECRETS_HOME".into())
        })
}

/// The stored identity's path.
pub fn identity_path() -> Result<PathBuf> {
    Ok(home()?.join("identity.age"))
}

fn pub_path() -> Result<PathBuf> {
    Ok(home()?.join("identity.pub"))
}

/// The scrypt work factor for new identities: [`WORK_FACTOR`], or
/// `AISECRETS_SCRYPT_WORK_FACTOR` (1 to 22), which the test suite sets low.
fn work_factor() -> u8 {
    std::env::var("AISECRETS_SCRYPT_WORK_FACTOR")
        .ok()
        .and_then(|v| v.parse::<u8>().ok())
        .filter(|n| (1..=MAX_WORK_FACTOR).contains(n))
        .unwrap_or(WORK_FACTOR)
}

/// What `identity new` made.
pub struct Created {
    /// The public key.
    pub public: String,
    /// Where the identity was written.
    pub path: PathBuf,
}

/// Makes a new X25519 identity, passphrase-protected unless `no_passphrase`.
pub fn create(no_passphrase: bool) -> Result<Created> {
    let path = identity_path()?;
    if std::fs::symlink_metadata(&path).is_ok() {
        return Err(Error::IdentityExists { path });
    }
    let dir = home()?;
    create_private_dir(&dir)?;
    let passphrase = if no_passphrase {
        None
    } else {
        Some(prompt::new_passphrase()?)
    };
    let id = age::x25519::Identity::generate();
    let public = id.to_public().to_string();
    let created = humantime::format_rfc3339_seconds(std::time::SystemTime::now());
    let text = Zeroizing::new(format!(
        "# created: {created}\n# public key: {public}\n{}\n",
        id.to_string().expose_secret()
    ));
    let bytes = match passphrase {
        None => Zeroizing::new(text.as_bytes().to_vec()),
        Some(pass) => Zeroizing::new(encrypt_with_passphrase(pass, text.as_bytes())?),
    };
    atomic::create_new(&path, &bytes, 0o600)?;
    atomic::write_atomic(&pub_path()?, format!("{public}\n").as_bytes(), 0o644)?;
    Ok(Created { public, path })
}

/// Creates the user folder with mode 0700 (parents as needed).
pub fn create_private_dir(dir: &Path) -> Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| Error::io("create", dir, e))
}

fn encrypt_with_passphrase(pass: SecretString, plain: &[u8]) -> Result<Vec<u8>> {
    let mut r = age::scrypt::Recipient::new(pass);
    r.set_work_factor(work_factor());
    let enc = age::Encryptor::with_recipients(std::iter::once(&r as &dyn age::Recipient)).map_err(
        |e| Error::BadIdentity {
            source_desc: "new identity".into(),
            reason: e.to_string(),
        },
    )?;
    let mut out = Vec::new();
    let io = |e: std::io::Error| Error::io("encrypt", "the new identity", e);
    let armor = ArmoredWriter::wrap_output(&mut out, Format::AsciiArmor).map_err(io)?;
    let mut w = enc.wrap_output(armor).map_err(io)?;
    w.write_all(plain).map_err(io)?;
    w.finish().and_then(ArmoredWriter::finish).map_err(io)?;
    Ok(out)
}

/// The user's public key, without unlocking anything when that can be avoided.
pub fn public_key() -> Result<String> {
    let derived = |keys: Keys, source_desc: String| {
        keys.public.ok_or(Error::BadIdentity {
            source_desc,
            reason: "its public key cannot be derived (plugin identity)".into(),
        })
    };
    if let Some(text) = env_identity() {
        return derived(
            parse_text(&text, "AISECRETS_IDENTITY", None)?,
            "AISECRETS_IDENTITY".into(),
        );
    }
    if let Some(file) = env_identity_file() {
        return derived(load_file(&file)?, file.display().to_string());
    }
    let pubp = pub_path()?;
    if let Ok(text) = std::fs::read_to_string(&pubp) {
        let key = text.trim();
        if key.parse::<age::x25519::Recipient>().is_ok() {
            return Ok(key.to_owned());
        }
    }
    let path = identity_path()?;
    if std::fs::symlink_metadata(&path).is_err() {
        return Err(Error::NoIdentity { path });
    }
    derived(load_stored()?, path.display().to_string())
}

/// `AISECRETS_IDENTITY`, from where start-up put it (it is no longer in the environment).
fn env_identity() -> Option<Zeroizing<String>> {
    crate::base::hardening::var("AISECRETS_IDENTITY").filter(|s| !s.trim().is_empty())
}

fn env_identity_file() -> Option<PathBuf> {
    std::env::var_os("AISECRETS_IDENTITY_FILE")
        .filter(|s| !s.is_empty())
        .map(PathBuf::from)
}

/// Opens the user's identities, asking for a passphrase on the terminal if needed.
pub fn load() -> Result<Keys> {
    if let Some(text) = env_identity() {
        return parse_text(&text, "AISECRETS_IDENTITY", None);
    }
    if let Some(file) = env_identity_file() {
        return load_file(&file);
    }
    load_stored()
}

fn load_file(path: &Path) -> Result<Keys> {
    let text = read_identity_text(path)?;
    parse_text(&text, &path.display().to_string(), Some(path))
}

fn load_stored() -> Result<Keys> {
    let path = identity_path()?;
    if std::fs::symlink_metadata(&path).is_err() {
        return Err(Error::NoIdentity { path });
    }
    let text = read_identity_text(&path)?;
    if !is_encrypted(&text) {
        return parse_text(&text, &path.display().to_string(), Some(&path));
    }
    // Passphrase-protected: a live cache item opens it without scrypt.
    let public = stored_public();
    let config = crate::base::config::load()?;
    let selection = cache::select(&config)?;
    if let (Some(cache), Some(public)) = (&selection.cache, &public)
        && let Some(keys) = from_cache(cache.as_ref(), public)
    {
        return Ok(keys);
    }
    let hint = "run `aisecrets unlock` in a terminal first, or set AISECRETS_IDENTITY (CI)";
    if !prompt::has_terminal() {
        return Err(Error::NoTerminal {
            what: "the identity's passphrase".into(),
            hint: hint.into(),
        });
    }
    if let (None, Some(note), false) = (&selection.cache, &selection.note, selection.chosen_none) {
        crate::base::output::status(&format!(
            "aisecrets: {note}; the passphrase will be asked each time"
        ));
    }
    if let (None, Some(public), false) = (&selection.cache, &public, selection.chosen_none) {
        cache::drop_stale(public);
    }
    let plain = ask_and_open(&text, &path, hint)?;
    let keys = parse_text(&plain, &path.display().to_string(), None)?;
    repair_pub(keys.public.as_deref());
    if let (Some(cache), Some(public)) = (&selection.cache, &keys.public) {
        let ttl = config.unlock_for();
        if let Err(why) = store_in_cache(cache.as_ref(), public, &plain, ttl) {
            crate::base::output::status(&format!(
                "aisecrets: could not cache the unlocked identity ({why:#})"
            ));
        }
    }
    Ok(keys)
}

/// The identities, only if they open without asking anything (environment variables, an
/// unprotected file, or a live cache item); `None` when a passphrase would be needed.
pub fn load_if_open() -> Result<Option<Keys>> {
    if env_identity().is_some() {
        return load().map(Some);
    }
    if let Some(file) = env_identity_file() {
        // An encrypted file (age or SSH) would need a passphrase: not without asking.
        let text = read_identity_text(&file)?;
        let ssh_encrypted = age::ssh::Identity::from_buffer(text.as_bytes(), None)
            .is_ok_and(|i| matches!(i, age::ssh::Identity::Encrypted(_)));
        if is_encrypted(&text) || ssh_encrypted {
            return Ok(None);
        }
        return load().map(Some);
    }
    let path = identity_path()?;
    if std::fs::symlink_metadata(&path).is_err() {
        return Ok(None);
    }
    let text = read_identity_text(&path)?;
    if !is_encrypted(&text) {
        return parse_text(&text, &path.display().to_string(), Some(&path)).map(Some);
    }
    let config = crate::base::config::load()?;
    let selection = cache::select(&config)?;
    Ok(match (&selection.cache, stored_public()) {
        (Some(cache), Some(public)) => from_cache(cache.as_ref(), &public),
        _ => None,
    })
}

fn read_identity_text(path: &Path) -> Result<Zeroizing<String>> {
    let bytes = Zeroizing::new(atomic::read_regular(path, MAX_IDENTITY_FILE)?);
    Ok(Zeroizing::new(String::from_utf8(bytes.to_vec()).map_err(
        |_| Error::BadIdentity {
            source_desc: path.display().to_string(),
            reason: "it is not a text identity file".into(),
        },
    )?))
}

/// Rewrites `identity.pub` when it is missing or does not match the opened identity (a copied
/// or stale file), so the cache is named, found and locked by the right key.
fn repair_pub(public: Option<&str>) {
    if let (Some(public), Ok(path)) = (public, pub_path())
        && stored_public().as_deref() != Some(public)
    {
        let _ = atomic::write_atomic(&path, format!("{public}\n").as_bytes(), 0o644);
    }
}

/// The stored identity's public key from `identity.pub`, when it is there and valid.
fn stored_public() -> Option<String> {
    let text = std::fs::read_to_string(pub_path().ok()?).ok()?;
    let key = text.trim();
    key.parse::<age::x25519::Recipient>()
        .is_ok()
        .then(|| key.to_owned())
}

/// A live cached identity for `public`; a dead, broken or mismatched item is deleted.
fn from_cache(cache: &dyn KeyCache, public: &str) -> Option<Keys> {
    let payload = cache.get(public).ok()??;
    let item = Cached::decode(&payload);
    let id = item
        .as_ref()
        .filter(|c| c.is_live() && c.public == public)
        .and_then(|c| c.identity.parse::<age::x25519::Identity>().ok())
        .filter(|id| id.to_public().to_string() == public);
    match id {
        Some(id) => Some(Keys {
            identities: vec![Box::new(id)],
            public: Some(public.to_owned()),
        }),
        None => {
            let _ = cache.delete(public);
            None
        }
    }
}

/// Caches the opened identity file text (its first X25519 key) for `ttl`.
fn store_in_cache(
    cache: &dyn KeyCache,
    public: &str,
    plain: &str,
    ttl: Duration,
) -> anyhow::Result<u64> {
    use anyhow::Context as _;
    let identity = plain
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("AGE-SECRET-KEY-1"))
        .context("the identity holds no X25519 key")?;
    let item = Cached {
        expires: crate::backend::file::now() + ttl.as_secs(),
        public: public.to_owned(),
        identity: Zeroizing::new(identity.to_owned()),
    };
    cache.put(public, &item.encode(), ttl)?;
    Ok(item.expires)
}

/// What `unlock` did.
pub struct Unlocked {
    /// The backend that holds it.
    pub backend: &'static str,
    /// When it expires (Unix seconds).
    pub expires: u64,
    /// Readable by every process of the user (the `allow_shared_keyring` opt-in).
    pub shared: bool,
}

/// Opens the stored identity with a passphrase (terminal, or piped stdin) and caches it
/// for `ttl`.
pub fn unlock(ttl: Option<Duration>) -> Result<Option<Unlocked>> {
    if env_identity().is_some() || env_identity_file().is_some() {
        return Ok(None);
    }
    let path = identity_path()?;
    if std::fs::symlink_metadata(&path).is_err() {
        return Err(Error::NoIdentity { path });
    }
    let text = read_identity_text(&path)?;
    if !is_encrypted(&text) {
        return Ok(None);
    }
    let config = crate::base::config::load()?;
    let selection = cache::select(&config)?;
    let shared = selection.shared;
    let Some(cache) = selection.cache else {
        if let (Some(public), false) = (stored_public(), selection.chosen_none) {
            cache::drop_stale(&public);
        }
        return Err(Error::NoCache(selection.note.unwrap_or_default()));
    };
    let plain = if prompt::stdin_is_terminal() {
        ask_and_open(
            &text,
            &path,
            "pipe the passphrase on standard input, or run this in a terminal",
        )?
    } else {
        let bytes = prompt::read_stdin_value()?;
        let line = std::str::from_utf8(&bytes)
            .map_err(|_| Error::Prompt("the passphrase on standard input is not UTF-8"))?;
        let pass = SecretString::from(line.lines().next().unwrap_or("").to_owned());
        decrypt_identity_with(&text, &path, pass)?
    };
    let keys = parse_text(&plain, &path.display().to_string(), None)?;
    let public = keys.public.clone().ok_or_else(|| Error::BadIdentity {
        source_desc: path.display().to_string(),
        reason: "it holds no X25519 key".into(),
    })?;
    repair_pub(Some(&public));
    let ttl = ttl.unwrap_or_else(|| config.unlock_for());
    let expires = store_in_cache(cache.as_ref(), &public, &plain, ttl)
        .map_err(|e| Error::NoCache(format!("{e:#}")))?;
    Ok(Some(Unlocked {
        backend: cache.name(),
        expires,
        shared,
    }))
}

/// Forgets the cached identity in every backend that works here; returns the names of
/// the backends that held it.
pub fn lock() -> Result<Vec<&'static str>> {
    let Some(public) = stored_public() else {
        return Ok(Vec::new());
    };
    Ok(cache::forget(&public))
}

/// Where the identity comes from, for `status`.
pub struct Described {
    /// `AISECRETS_IDENTITY`, `AISECRETS_IDENTITY_FILE`, or the stored file's path.
    pub source: String,
    /// The public key, when known without unlocking.
    pub public: Option<String>,
    /// Whether opening it needs a passphrase (and so the cache matters).
    pub passphrase: bool,
}

/// Describes the identity in use without opening it.
pub fn describe() -> Result<Option<Described>> {
    if env_identity().is_some() {
        return Ok(Some(Described {
            source: "AISECRETS_IDENTITY".into(),
            public: public_key().ok(),
            passphrase: false,
        }));
    }
    if let Some(file) = env_identity_file() {
        let encrypted = read_identity_text(&file).is_ok_and(|t| is_encrypted(&t));
        return Ok(Some(Described {
            source: format!("AISECRETS_IDENTITY_FILE ({})", file.display()),
            public: if encrypted { None } else { public_key().ok() },
            passphrase: encrypted,
        }));
    }
    let path = identity_path()?;
    if std::fs::symlink_metadata(&path).is_err() {
        return Ok(None);
    }
    let encrypted = read_identity_text(&path).is_ok_and(|t| is_encrypted(&t));
    Ok(Some(Described {
        source: path.display().to_string(),
        public: stored_public(),
        passphrase: encrypted,
    }))
}

fn is_encrypted(text: &str) -> bool {
    let t = text.trim_start();
    t.starts_with("-----BEGIN AGE ENCRYPTED FILE-----") || t.starts_with("age-encryption.org/")
}

/// Parses identity text: an age identity file, a passphrase-encrypted one, or an OpenSSH
/// private key. Errors never quote the text.
fn parse_text(text: &str, source_desc: &str, path: Option<&Path>) -> Result<Keys> {
    let bad = |reason: &str| Error::BadIdentity {
        source_desc: source_desc.to_owned(),
        reason: reason.to_owned(),
    };
    if is_encrypted(text) {
        let path = path.map_or_else(|| PathBuf::from(source_desc), Path::to_path_buf);
        let plain = decrypt_identity(text, &path)?;
        return parse_text(&plain, source_desc, None);
    }
    if text.contains("-----BEGIN OPENSSH PRIVATE KEY-----")
        || text.contains("-----BEGIN RSA PRIVATE KEY-----")
    {
        let id = age::ssh::Identity::from_buffer(text.as_bytes(), Some(source_desc.to_owned()))
            .map_err(|_| bad("it is not a readable SSH private key"))?;
        if let age::ssh::Identity::Unsupported(_) = id {
            return Err(bad("unsupported SSH key type (use ssh-ed25519 or ssh-rsa)"));
        }
        let public = age::ssh::Recipient::try_from(id.clone())
            .ok()
            .map(|r| r.to_string());
        return Ok(Keys {
            identities: vec![Box::new(id.with_callbacks(prompt::TtyCallbacks))],
            public,
        });
    }
    let file = age::IdentityFile::from_buffer(text.as_bytes())
        .map_err(|_| bad("it is not an age identity (AGE-SECRET-KEY-1...), an age identity file, or an SSH private key"))?;
    let public = text
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("AGE-SECRET-KEY-1"))
        .and_then(|l| l.parse::<age::x25519::Identity>().ok())
        .map(|i| i.to_public().to_string());
    let identities = file
        .with_callbacks(prompt::TtyCallbacks)
        .into_identities()
        .map_err(|_| bad("a plugin identity's plugin could not be found on PATH"))?;
    if identities.is_empty() {
        return Err(bad("it holds no identity"));
    }
    Ok(Keys { identities, public })
}

/// Opens a passphrase-protected identity file, asking on the terminal.
fn decrypt_identity(text: &str, path: &Path) -> Result<Zeroizing<String>> {
    ask_and_open(
        text,
        path,
        "set AISECRETS_IDENTITY (CI) or AISECRETS_IDENTITY_FILE, or run this in a terminal",
    )
}

/// How many times a passphrase is asked on the terminal before giving up, as ssh and sudo.
pub const PASSPHRASE_TRIES: u8 = 3;

/// Asks for the passphrase on the terminal and opens the identity, up to
/// [`PASSPHRASE_TRIES`] times (#13): a typo costs a retype, not the whole command.
fn ask_and_open(text: &str, path: &Path, hint: &str) -> Result<Zeroizing<String>> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let pass = prompt::hidden(
            &format!("Passphrase for {}: ", path.display()),
            "the identity's passphrase",
            hint,
        )?;
        match decrypt_identity_with(text, path, pass) {
            Err(Error::WrongPassphrase { .. }) if attempt < PASSPHRASE_TRIES => {
                crate::base::output::status("wrong passphrase, try again");
            }
            Err(Error::WrongPassphrase { path }) => {
                return Err(Error::PassphraseTries {
                    path,
                    tries: PASSPHRASE_TRIES,
                });
            }
            other => return other,
        }
    }
}

/// Opens a passphrase-protected identity with `pass`.
pub fn decrypt_identity_with(
    text: &str,
    path: &Path,
    pass: SecretString,
) -> Result<Zeroizing<String>> {
    let bad = |reason: String| Error::BadIdentity {
        source_desc: path.display().to_string(),
        reason,
    };
    let dec = age::Decryptor::new(ArmoredReader::new(text.as_bytes()))
        .map_err(|e| bad(format!("it is not a valid encrypted identity ({e})")))?;
    let mut id = age::scrypt::Identity::new(pass);
    id.set_max_work_factor(MAX_WORK_FACTOR);
    let mut r = match dec.decrypt(std::iter::once(&id as &dyn age::Identity)) {
        Ok(r) => r,
        Err(age::DecryptError::DecryptionFailed | age::DecryptError::NoMatchingKeys) => {
            return Err(Error::WrongPassphrase {
                path: path.to_owned(),
            });
        }
        Err(age::DecryptError::ExcessiveWork { required, .. }) => {
            return Err(bad(format!(
                "its scrypt work factor {required} is over the limit of {MAX_WORK_FACTOR}"
            )));
        }
        Err(e) => return Err(bad(format!("it does not open ({e})"))),
    };
    let mut plain = Zeroizing::new(String::new());
    std::io::Read::read_to_string(&mut r, &mut plain).map_err(|_| bad("it is damaged".into()))?;
    Ok(plain)
}
