//! The two halves of a cached identity put together: a wrapping key in the kernel session
//! keyring (with the kernel's timeout) and the identity sealed under it in a [`Store`]
//! (the Secret Service, or the kernel keyring again). See the module header of
//! [`crate::keys::cache`] for why.

use std::time::Duration;

use anyhow::{Context as _, Result};
use rand::RngCore;
use zeroize::Zeroizing;

use super::KeyCache;
use super::kernel::Holder;
use crate::keys::seal::DataKey;

/// What the seal is bound to, besides the public key.
const PURPOSE: &str = "unlock-cache";

/// Where the sealed identity goes.
pub(super) trait Store {
    /// The backend's name, as `AISECRETS_KEYRING` spells it.
    fn name(&self) -> &'static str;
    /// The sealed identity for `public` stored under `slot` (the wrapping key's id).
    fn get(&self, public: &str, slot: &str) -> Result<Option<Zeroizing<Vec<u8>>>>;
    /// Stores `sealed` for `public` under `slot`, dead after `expires` (Unix seconds).
    fn put(
        &self,
        public: &str,
        slot: &str,
        sealed: &[u8],
        expires: u64,
        ttl: Duration,
    ) -> Result<()>;
    /// Deletes `slot`'s item, or with `None` every item for `public`; `Ok(true)` if any.
    fn delete(&self, public: &str, slot: Option<&str>) -> Result<bool>;
    /// Deletes items for `public` that can no longer be opened: expired, or left unsealed
    /// by an older version. Best effort.
    fn prune(&self, public: &str);
}

/// A cache whose wrapping key lives in `holder` and whose sealed half lives in `store`.
pub(super) struct Sealed {
    holder: Holder,
    store: Box<dyn Store>,
}

impl Sealed {
    pub(super) fn new(holder: Holder, store: Box<dyn Store>) -> Self {
        Self { holder, store }
    }

    /// This session's wrapping key for `public`, when it is there and live.
    fn key(&self, public: &str) -> Result<Option<DataKey>> {
        Ok(self
            .holder
            .read_key(public)?
            .and_then(|bytes| DataKey::from_bytes(&bytes)))
    }
}

impl KeyCache for Sealed {
    fn name(&self) -> &'static str {
        self.store.name()
    }

    fn get(&self, public: &str) -> Result<Option<Zeroizing<Vec<u8>>>> {
        let Some(key) = self.key(public)? else {
            // Nothing unlocked in this session (or it expired): dead items go.
            self.store.prune(public);
            return Ok(None);
        };
        let slot = key.key_id();
        let Some(sealed) = self.store.get(public, &slot)? else {
            self.store.prune(public);
            return Ok(None);
        };
        let opened = std::str::from_utf8(&sealed)
            .ok()
            .and_then(|token| key.open_blob(PURPOSE, public, "", token));
        if opened.is_none() {
            let _ = self.delete(public);
        }
        Ok(opened)
    }

    fn put(&self, public: &str, payload: &[u8], ttl: Duration) -> Result<()> {
        let _ = self.delete(public);
        self.store.prune(public);
        let mut raw = Zeroizing::new([0u8; 32]);
        rand::rngs::OsRng.fill_bytes(raw.as_mut());
        let key = DataKey::from_bytes(raw.as_ref()).context("could not make a wrapping key")?;
        // The key first, with its timeout: a blob is never stored without a key that dies.
        self.holder
            .put_key(public, raw.as_ref(), ttl)
            .context("storing the wrapping key")?;
        let sealed = key.seal_blob(PURPOSE, public, "", payload);
        let expires = crate::base::time::now() + ttl.as_secs();
        let stored = self
            .store
            .put(public, &key.key_id(), sealed.as_bytes(), expires, ttl)
            .with_context(|| format!("storing the sealed identity in {}", self.store.name()));
        if stored.is_err() {
            let _ = self.holder.remove_key(public);
        }
        stored
    }

    /// Forgets this session's unlock: its wrapping key and its sealed item.
    fn delete(&self, public: &str) -> Result<bool> {
        let slot = self.key(public).ok().flatten().map(|k| k.key_id());
        let item = match &slot {
            Some(slot) => self.store.delete(public, Some(slot))?,
            None => false,
        };
        let key = self.holder.remove_key(public)?;
        Ok(key || item)
    }
}
