//! The sealed half of the cache in the Secret Service (gnome-keyring, KeePassXC...): an
//! item `service=aisecrets username=<public key> slot=<wrapping key id> expires=<unix time>`
//! in the default collection. Any process of the user can read it, which is why it only
//! ever holds the sealed identity: without its wrapping key (kernel keyring) it is noise.

use std::collections::HashMap;
use std::time::Duration;

use dbus_secret_service::{EncryptionType, SecretService};
use zeroize::Zeroizing;

use super::sealed::Store;

/// Connects only when a session bus is advertised: libdbus would otherwise try to
/// autolaunch one, which can hang or spawn daemons.
pub(super) fn connect() -> Result<SecretServiceStore, String> {
    let advertised = std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some_and(|a| !a.is_empty());
    if !advertised {
        return Err("no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is unset)".into());
    }
    // A prompt timeout of 0: a locked collection is never unlocked interactively.
    let ss = SecretService::connect_with_max_prompt_timeout(EncryptionType::Dh, 0)
        .map_err(|e| format!("the Secret Service is not reachable ({e})"))?;
    let coll = ss
        .get_default_collection()
        .map_err(|e| format!("the Secret Service has no default collection ({e})"))?;
    match coll.is_locked() {
        Ok(false) => {}
        Ok(true) => return Err("the Secret Service's default collection is locked".into()),
        Err(e) => {
            return Err(format!(
                "the Secret Service's default collection is unusable ({e})"
            ));
        }
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

    fn get(&self, public: &str, slot: &str) -> Result<Option<Zeroizing<Vec<u8>>>, String> {
        let found = self
            .0
            .search_items(attrs(public, Some(slot)))
            .map_err(|e| e.to_string())?;
        match found.unlocked.first() {
            Some(item) => item
                .get_secret()
                .map(|s| Some(Zeroizing::new(s)))
                .map_err(|e| e.to_string()),
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
    ) -> Result<(), String> {
        let coll = self.0.get_default_collection().map_err(|e| e.to_string())?;
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
        .map_err(|e| e.to_string())
    }

    fn delete(&self, public: &str, slot: Option<&str>) -> Result<bool, String> {
        let found = self
            .0
            .search_items(attrs(public, slot))
            .map_err(|e| e.to_string())?;
        let mut any = false;
        for item in found.unlocked.iter().chain(&found.locked) {
            item.delete().map_err(|e| e.to_string())?;
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
