//! The user's identity: where it lives, how it is made, and how it is opened.
//!
//! Order of precedence: `AISECRETS_IDENTITY` (an `AGE-SECRET-KEY-1...` string), then
//! `AISECRETS_IDENTITY_FILE` (an age identity file or an OpenSSH private key), then the
//! stored identity under the user folder (`AISECRETS_HOME`, else
//! `$XDG_CONFIG_HOME/aisecrets`).

use std::path::{Path, PathBuf};

use age::secrecy::ExposeSecret;
use zeroize::Zeroizing;

use crate::base::error::{Error, Result};
use crate::base::files;
use crate::base::prompt;
use crate::keys::cache;
use crate::keys::wrap::Identity;

mod cached;
mod passphrase;
mod plugin;
mod tpm;

pub use cached::{Unlocked, lock, unlock};
use cached::{from_cache, store_in_cache};

pub use passphrase::{MAX_WORK_FACTOR, PASSPHRASE_TRIES, WORK_FACTOR, decrypt_identity_with};
use passphrase::{ask_and_open, decrypt_identity, encrypt_with_passphrase};
pub use plugin::{Plugged, plugin_in_use};

const MAX_IDENTITY_FILE: u64 = 1 << 20;

/// The user's opened identities, and the public key of the first one when it is known.
pub struct Keys {
    identities: Vec<Identity>,
    public: Option<String>,
    /// How many of them, first, run no age plugin (the rest may ask for a PIN or a touch).
    native: usize,
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

    /// Whether opening something with them may run an age plugin, which may ask for a PIN
    /// or a touch each time.
    #[must_use]
    pub fn runs_plugin(&self) -> bool {
        self.native < self.identities.len()
    }

    /// The identities that run no age plugin: trying them asks nothing.
    #[must_use]
    pub fn native(&self) -> &[Identity] {
        &self.identities[..self.native]
    }
}

/// The stored identity's path.
pub fn identity_path() -> Result<PathBuf> {
    Ok(files::home()?.join("identity.age"))
}

fn pub_path() -> Result<PathBuf> {
    Ok(files::home()?.join("identity.pub"))
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
    let dir = files::home()?;
    files::create_private_dir(&dir)?;
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
    files::create_new(&path, &bytes, 0o600)?;
    files::write_atomic(&pub_path()?, format!("{public}\n").as_bytes(), 0o644)?;
    Ok(Created { public, path })
}

/// Makes a new identity sealed to this machine's TPM, with a PIN unless `no_pin` (#19).
pub fn create_tpm(no_pin: bool) -> Result<Created> {
    tpm::create(no_pin)
}

/// Where the identity comes from: resolved once, in the order of precedence the module
/// header gives, and then opened, described or unlocked from that one answer.
enum Source {
    /// `AISECRETS_IDENTITY`: the identity text itself.
    Env(Zeroizing<String>),
    /// `AISECRETS_IDENTITY_FILE`: an age identity file or an OpenSSH private key.
    File(PathBuf),
    /// The stored identity under the user folder, which may not exist yet.
    Stored(PathBuf),
}

impl Source {
    /// The source in use now.
    fn resolve() -> Result<Self> {
        if let Some(text) = env_identity() {
            return Ok(Self::Env(text));
        }
        if let Some(file) = env_identity_file() {
            return Ok(Self::File(file));
        }
        Ok(Self::Stored(identity_path()?))
    }

    /// How errors name it: `AISECRETS_IDENTITY`, or the file's path.
    fn name(&self) -> String {
        match self {
            Self::Env(_) => "AISECRETS_IDENTITY".into(),
            Self::File(path) | Self::Stored(path) => path.display().to_string(),
        }
    }

    /// Opens it, asking for a passphrase on the terminal if needed.
    fn open(&self) -> Result<Keys> {
        match self {
            Self::Env(text) => parse_text(text, "AISECRETS_IDENTITY", None),
            Self::File(path) => {
                let text = read_identity_text(path)?;
                parse_text(&text, &path.display().to_string(), Some(path))
            }
            Self::Stored(path) => load_stored(path),
        }
    }

    /// Its public key, without unlocking anything when that can be avoided.
    fn public_key(&self) -> Result<String> {
        if let Some(plugged) = self.plugged() {
            return plugin::recipient(&plugged, &self.name());
        }
        if let Self::Stored(_) = self
            && let Some(key) = stored_public()
        {
            return Ok(key);
        }
        let text = match self {
            Self::File(path) => read_identity_text(path).ok(),
            Self::Env(text) => Some(text.clone()),
            Self::Stored(_) => None,
        };
        // A TPM identity with a PIN is known by its comment (checked when it is unsealed);
        // one without is unsealed, which asks nothing.
        if let Some(key) = text
            .filter(|t| tpm::is_tpm(t) && tpm::has_pin(t))
            .and_then(|t| tpm::public_of(&t))
        {
            return Ok(key);
        }
        self.open()?.public.ok_or_else(|| Error::BadIdentity {
            source_desc: self.name(),
            reason: "its public key cannot be derived (plugin identity)".into(),
        })
    }
}

/// The user's public key, without unlocking anything when that can be avoided.
pub fn public_key() -> Result<String> {
    Source::resolve()?.public_key()
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
    Source::resolve()?.open()
}

/// Like [`load`], but `check` first sees the public key when it is known without asking
/// anything (`AISECRETS_IDENTITY`'s, or the stored identity's `identity.pub`), and its error
/// stops before any passphrase is asked. An identity file may hold several keys and is not
/// checked. The source is resolved, read and parsed once (start-up, #14).
pub fn load_checked(check: impl FnOnce(&str) -> Result<()>) -> Result<Keys> {
    match Source::resolve()? {
        Source::Env(text) => {
            let keys = parse_text(&text, "AISECRETS_IDENTITY", None)?;
            if let Some(public) = keys.public.as_deref() {
                check(public)?;
            }
            Ok(keys)
        }
        source @ Source::File(_) => source.open(),
        Source::Stored(path) => {
            let public = if std::fs::symlink_metadata(&path).is_ok() {
                stored_public()
            } else {
                None
            };
            if let Some(public) = public.as_deref() {
                check(public)?;
            }
            open_stored(&path, public)
        }
    }
}

/// The stored identity's text, or [`Error::NoIdentity`] when there is none.
fn read_stored(path: &Path) -> Result<Zeroizing<String>> {
    if std::fs::symlink_metadata(path).is_err() {
        return Err(Error::NoIdentity {
            path: path.to_owned(),
        });
    }
    read_identity_text(path)
}

fn load_stored(path: &Path) -> Result<Keys> {
    open_stored(path, stored_public())
}

/// Opens the stored identity at `path`; `public` is what `identity.pub` says (read once).
fn open_stored(path: &Path, public: Option<String>) -> Result<Keys> {
    let text = read_stored(path)?;
    if !is_encrypted(&text) {
        return parse_text(&text, &path.display().to_string(), Some(path));
    }
    // Passphrase-protected: a live cache item opens it without scrypt.
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
    let plain = ask_and_open(&text, path, hint)?;
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
    let source = Source::resolve()?;
    // A plugin identity opens by running its plugin, which may want a PIN or a touch.
    if source.plugged().is_some() {
        return Ok(None);
    }
    match source {
        // Identity text in the variable is opened as a file of it would be, never asking.
        Source::Env(text) if tpm::is_tpm(&text) => tpm::open_if_open(&text, "AISECRETS_IDENTITY"),
        Source::Env(text) if is_encrypted(&text) => Ok(None),
        source @ Source::Env(_) => source.open().map(Some),
        Source::File(file) => {
            // An encrypted file (age or SSH) would need a passphrase: not without asking.
            let text = read_identity_text(&file)?;
            if tpm::is_tpm(&text) {
                return tpm::open_if_open(&text, &file.display().to_string());
            }
            let ssh_encrypted = age::ssh::Identity::from_buffer(text.as_bytes(), None)
                .is_ok_and(|i| matches!(i, age::ssh::Identity::Encrypted(_)));
            if is_encrypted(&text) || ssh_encrypted {
                return Ok(None);
            }
            parse_text(&text, &file.display().to_string(), Some(&file)).map(Some)
        }
        Source::Stored(path) => {
            if std::fs::symlink_metadata(&path).is_err() {
                return Ok(None);
            }
            let text = read_identity_text(&path)?;
            if tpm::is_tpm(&text) {
                return tpm::open_if_open(&text, &path.display().to_string());
            }
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
    }
}

fn read_identity_text(path: &Path) -> Result<Zeroizing<String>> {
    let bytes = Zeroizing::new(files::read_regular(path, MAX_IDENTITY_FILE)?);
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
        let _ = files::write_atomic(&path, format!("{public}\n").as_bytes(), 0o644);
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

/// Where the identity comes from, for `status`.
pub struct Described {
    /// `AISECRETS_IDENTITY`, `AISECRETS_IDENTITY_FILE`, or the stored file's path.
    pub source: String,
    /// The public key, when known without unlocking.
    pub public: Option<String>,
    /// Whether opening it needs a passphrase or PIN (and so the cache matters).
    pub passphrase: bool,
    /// For an identity sealed to this machine's TPM: what `status` says of it (#19).
    pub tpm: Option<String>,
}

/// Describes the identity in use without opening it.
pub fn describe() -> Result<Option<Described>> {
    let source = Source::resolve()?;
    Ok(Some(match &source {
        Source::Env(text) => {
            let tpm = Some(text).filter(|t| tpm::is_tpm(t));
            Described {
                source: "AISECRETS_IDENTITY".into(),
                public: (!is_encrypted(text))
                    .then(|| source.public_key().ok())
                    .flatten(),
                passphrase: is_encrypted(text) || tpm.is_some_and(|t| tpm::has_pin(t)),
                tpm: tpm.map(|t| tpm::describe(t)),
            }
        }
        Source::File(file) => {
            let text = read_identity_text(file).ok();
            let encrypted = text.as_ref().is_some_and(|t| is_encrypted(t));
            let tpm = text.as_ref().filter(|t| tpm::is_tpm(t));
            Described {
                source: format!("AISECRETS_IDENTITY_FILE ({})", file.display()),
                public: if encrypted {
                    None
                } else {
                    source.public_key().ok()
                },
                passphrase: encrypted || tpm.is_some_and(|t| tpm::has_pin(t)),
                tpm: tpm.map(|t| tpm::describe(t)),
            }
        }
        Source::Stored(path) => {
            if std::fs::symlink_metadata(path).is_err() {
                return Ok(None);
            }
            let text = read_identity_text(path).ok();
            let encrypted = text.as_ref().is_some_and(|t| is_encrypted(t));
            let tpm = text.as_ref().filter(|t| tpm::is_tpm(t));
            Described {
                source: path.display().to_string(),
                public: stored_public(),
                passphrase: encrypted || tpm.is_some_and(|t| tpm::has_pin(t)),
                tpm: tpm.map(|t| tpm::describe(t)),
            }
        }
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
    if tpm::is_tpm(text) {
        return tpm::open(text, source_desc);
    }
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
            native: 1,
        });
    }
    let file = age::IdentityFile::from_buffer(text.as_bytes())
        .map_err(|_| bad("it is not an age identity (AGE-SECRET-KEY-1...), an age identity file, or an SSH private key"))?;
    if let Some(keys) = plugin::open(text, source_desc)? {
        return Ok(keys);
    }
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
    Ok(Keys {
        native: identities.len(),
        identities,
        public,
    })
}
