//! The opened identity in the unlock cache: `unlock` puts it there for a while, `lock`
//! forgets it, and the openers read it back (`from_cache`) or store what they opened
//! (`store_in_cache`). The cache backends themselves are in `keys::cache`.

use std::time::Duration;

use age::secrecy::SecretString;
use zeroize::Zeroizing;

use super::{
    Keys, Source, ask_and_open, decrypt_identity_with, is_encrypted, parse_text,
    read_identity_text, read_stored, repair_pub, stored_public, tpm,
};
use crate::base::error::{Error, Result};
use crate::base::prompt;
use crate::keys::cache::{self, Cached, KeyCache};

/// A live cached identity for `public`; a dead, broken or mismatched item is deleted.
pub(super) fn from_cache(cache: &dyn KeyCache, public: &str) -> Option<Keys> {
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
            native: 1,
        }),
        None => {
            let _ = cache.delete(public);
            None
        }
    }
}

/// Caches the opened identity file text (its first X25519 key) for `ttl`.
pub(super) fn store_in_cache(
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
        expires: crate::base::time::now() + ttl.as_secs(),
        public: public.to_owned(),
        identity: Zeroizing::new(identity.to_owned()),
    };
    cache
        .put(public, &item.encode(), ttl)
        .map_err(anyhow::Error::msg)?;
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
    let source = Source::resolve()?;
    if let Source::File(path) | Source::Stored(path) = &source
        && let Ok(text) = read_identity_text(path)
        && tpm::is_tpm(&text)
    {
        return tpm::unlock(&text, path, ttl);
    }
    let Source::Stored(path) = source else {
        return Ok(None);
    };
    let text = read_stored(&path)?;
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
    let file_public = match Source::resolve()? {
        Source::File(path) => read_identity_text(&path)
            .ok()
            .and_then(|t| tpm::public_of(&t)),
        Source::Env(text) => Some(text)
            .filter(|t| tpm::is_tpm(t))
            .and_then(|t| tpm::public_of(&t)),
        Source::Stored(_) => None,
    };
    let Some(public) = file_public.or_else(stored_public) else {
        return Ok(Vec::new());
    };
    Ok(cache::forget(&public))
}
