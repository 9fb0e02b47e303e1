//! The sealed half of the cache in the Secret Service (gnome-keyring, KeePassXC...): an
//! item `service=aisecrets username=<public key> slot=<wrapping key id> expires=<unix time>`
//! in the default collection. Any process of the user can read it, which is why it only
//! ever holds the sealed identity: without its wrapping key (kernel keyring) it is noise.
//!
//! # Direct `dbus-secret-service` calls, not `dbus-secret-service-keyring-store` (#14)
//!
//! keyring-core's Secret Service store (1.x) maps one entry to one `service`/`username`
//! item and controls only those attributes plus `target` (a collection) and `label`. The
//! cache needs what it cannot give: one item per login session, told apart by `slot` and
//! carrying `expires` (set at creation, so no item ever exists without them; the store
//! could only add them afterwards with `update_attributes`), searched by those attributes
//! and pruned by them; no prompt ever (the store unlocks locked items and collections,
//! which prompts; here a locked collection is refused with a prompt timeout of 0); and a
//! plain session (below), where the store always opens a Diffie-Hellman one.
//!
//! # A plain session
//!
//! The Secret Service can encrypt what crosses the bus with a per-session DH key
//! (`dh-ietf1024-sha256-aes128-cbc-pkcs7`); setting that up costs two 1024-bit modular
//! exponentiations here and one in the daemon, about 5 ms of the 11 ms a cached `run`
//! took (#14). What crosses the bus here is only ever the sealed identity, which any
//! process of the user can fetch from the Secret Service anyway, and which is noise
//! without the wrapping key in the kernel keyring: the transport encryption protects
//! nothing, so the session is plain.

use std::collections::HashMap;
use std::time::Duration;

use anyhow::{Context as _, Result, anyhow, bail};
use dbus_secret_service::{EncryptionType, SecretService};
use zeroize::Zeroizing;

use super::sealed::Store;

/// Connects only when a session bus is advertised: libdbus would otherwise try to
/// autolaunch one, which can hang or spawn daemons.
pub(super) fn connect() -> Result<SecretServiceStore> {
    let advertised = std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some_and(|a| !a.is_empty());
    if !advertised {
        bail!("no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is unset)");
    }
    // A prompt timeout of 0: a locked collection is never unlocked interactively. Plain:
    // see the module header.
    let ss = SecretService::connect_with_max_prompt_timeout(EncryptionType::Plain, 0)
        .context("the Secret Service is not reachable")?;
    let coll = ss
        .get_default_collection()
        .context("the Secret Service has no default collection")?;
    if coll
        .is_locked()
        .context("the Secret Service's default collection is unusable")?
    {
        return Err(anyhow!("the Secret Service's default collection is locked"));
    }
    drop(coll);
    Ok(SecretServiceStore(ss))
}

pub(super) struct SecretServiceStore(SecretService);

fn attrs<'a>(public: &'a str, slot: Option<&'a str>) -> HashMap<&'a str, &'a str> {
    let mut a = HashMap::from([("service", "aisecrets"), ("username", public)]);
    if let Some(slot) = slot {
        a.insert("slot", slot);
    }
    a
}

impl Store for SecretServiceStore {
    fn name(&self) -> &'static str {
        "secret-service"
    }

    fn get(&self, public: &str, slot: &str) -> Result<Option<Zeroizing<Vec<u8>>>> {
        let found = self
            .0
            .search_items(attrs(public, Some(slot)))
            .context("searching the Secret Service")?;
        match found.unlocked.first() {
            Some(item) => item
                .get_secret()
                .map(|s| Some(Zeroizing::new(s)))
                .context("reading the Secret Service item"),
            None => Ok(None),
        }
    }

    fn put(
        &self,
        public: &str,
        slot: &str,
        sealed: &[u8],
        expires: u64,
        _ttl: Duration,
    ) -> Result<()> {
        let coll = self
            .0
            .get_default_collection()
            .context("opening the default collection")?;
        let expires = expires.to_string();
        let mut a = attrs(public, Some(slot));
        a.insert("expires", &expires);
        coll.create_item(
            &format!("aisecrets unlock cache {public} (sealed; its key is in the kernel keyring)"),
            a,
            sealed,
            true,
            "text/plain",
        )
        .map(|_| ())
        .context("creating the Secret Service item")
    }

    fn delete(&self, public: &str, slot: Option<&str>) -> Result<bool> {
        let found = self
            .0
            .search_items(attrs(public, slot))
            .context("searching the Secret Service")?;
        let mut any = false;
        for item in found.unlocked.iter().chain(&found.locked) {
            item.delete().context("deleting a Secret Service item")?;
            any = true;
        }
        Ok(any)
    }

    /// Expired items go, and so do items without a slot: older versions stored the
    /// identity itself there, unsealed.
    fn prune(&self, public: &str) {
        let Ok(found) = self.0.search_items(attrs(public, None)) else {
            return;
        };
        let now = crate::base::time::now();
        for item in &found.unlocked {
            let dead = item.get_attributes().is_ok_and(|a| {
                !a.contains_key("slot")
                    || a.get("expires")
                        .and_then(|e| e.parse::<u64>().ok())
                        .is_none_or(|e| e <= now)
            });
            if dead {
                let _ = item.delete();
            }
        }
    }
}
