//! The unlock cache: the opened identity kept in an OS keyring until an expiry that
//! aisecrets enforces itself (Secret Service and Keychain have no per-item expiry).
//!
//! Backends, best first: the Secret Service (a desktop session with an unlocked default
//! collection), the Linux kernel keyring (keyutils, whose keys also carry a kernel
//! timeout), and none. `AISECRETS_KEYRING=secret-service|keyutils|none` forces one. The
//! item is named `aisecrets` / the identity's public key.

use std::time::Duration;

use zeroize::Zeroizing;

use crate::store::now;

/// The longest an unlock may last.
pub const MAX_UNLOCK: Duration = Duration::from_secs(30 * 24 * 3600);
/// The unlock duration when neither `--for` nor the config says one.
pub const DEFAULT_UNLOCK: Duration = Duration::from_secs(8 * 3600);
const MAGIC: &str = "aisecrets-unlock v1";

/// A keyring that can hold the unlocked identity.
pub trait KeyCache {
    /// The backend's name, as `AISECRETS_KEYRING` spells it.
    fn name(&self) -> &'static str;
    /// The stored payload for `account`, if any.
    fn get(&self, account: &str) -> Result<Option<Zeroizing<Vec<u8>>>, String>;
    /// Stores `payload` for `account`, replacing any; `ttl` is a hint for backends with
    /// native expiry.
    fn put(&self, account: &str, payload: &[u8], ttl: Duration) -> Result<(), String>;
    /// Deletes the item for `account`; `Ok(false)` if there was none.
    fn delete(&self, account: &str) -> Result<bool, String>;
}

/// The backend in use, or why there is none.
pub struct Selection {
    /// The backend, when one works.
    pub cache: Option<Box<dyn KeyCache>>,
    /// Why the best backend was not used (a fallback) or why there is none.
    pub note: Option<String>,
    /// Whether the user chose "none" on purpose.
    pub chosen_none: bool,
}

/// What a cached item holds.
pub struct Cached {
    /// Unix time after which the item is dead.
    pub expires: u64,
    /// The identity's public key.
    pub public: String,
    /// The identity (`AGE-SECRET-KEY-1...`).
    pub identity: Zeroizing<String>,
}

impl Cached {
    /// Serialises the item.
    #[must_use]
    pub fn encode(&self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(
            format!(
                "{MAGIC}\nexpires={}\npublic={}\n{}\n",
                self.expires, self.public, &*self.identity
            )
            .into_bytes(),
        )
    }

    /// Parses an item; `None` for anything malformed.
    #[must_use]
    pub fn decode(bytes: &[u8]) -> Option<Self> {
        let text = std::str::from_utf8(bytes).ok()?;
        let mut lines = text.lines();
        if lines.next()? != MAGIC {
            return None;
        }
        let expires = lines.next()?.strip_prefix("expires=")?.parse().ok()?;
        let public = lines.next()?.strip_prefix("public=")?.to_owned();
        let identity = Zeroizing::new(lines.next()?.to_owned());
        identity.starts_with("AGE-SECRET-KEY-1").then_some(Self {
            expires,
            public,
            identity,
        })
    }

    /// Whether the item is live now: not expired, and not implausibly far in the future
    /// (a clock that jumped back, or a planted item).
    #[must_use]
    pub fn is_live(&self) -> bool {
        let now = now();
        self.expires > now && self.expires <= now + MAX_UNLOCK.as_secs() + 60
    }
}

/// What the user asked for: `AISECRETS_KEYRING`, else the config's `keyring`, else auto.
pub fn select(config_choice: Option<&str>) -> Result<Selection, String> {
    let choice = std::env::var("AISECRETS_KEYRING")
        .ok()
        .filter(|s| !s.is_empty())
        .or_else(|| config_choice.map(str::to_owned))
        .unwrap_or_else(|| "auto".to_owned());
    Ok(match choice.as_str() {
        "none" => Selection {
            cache: None,
            note: Some(
                "caching is turned off (AISECRETS_KEYRING or the keyring setting is none)".into(),
            ),
            chosen_none: true,
        },
        "auto" => auto(),
        "secret-service" => match platform::secret_service() {
            Ok(c) => found(c, None),
            Err(why) => none(format!("the Secret Service was asked for, but {why}")),
        },
        "keyutils" => match platform::keyutils() {
            Ok(c) => found(c, None),
            Err(why) => none(format!("the kernel keyring was asked for, but {why}")),
        },
        "keychain" | "credential-manager" => match platform::native() {
            Ok(c) => found(c, None),
            Err(why) => none(why),
        },
        other => {
            return Err(format!(
                "unknown keyring `{}`: use secret-service, keyutils, keychain, credential-manager or none",
                crate::secret::sanitize(other, 40)
            ));
        }
    })
}

/// Every backend that works here, for `lock`, which forgets in all of them.
#[must_use]
pub fn all_available() -> Vec<Box<dyn KeyCache>> {
    [
        platform::native(),
        platform::secret_service(),
        platform::keyutils(),
    ]
    .into_iter()
    .filter_map(Result::ok)
    .collect()
}

fn found(cache: Box<dyn KeyCache>, note: Option<String>) -> Selection {
    Selection {
        cache: Some(cache),
        note,
        chosen_none: false,
    }
}

fn none(note: String) -> Selection {
    Selection {
        cache: None,
        note: Some(note),
        chosen_none: false,
    }
}

fn auto() -> Selection {
    if let Ok(c) = platform::native() {
        return found(c, None);
    }
    let ss = match platform::secret_service() {
        Ok(c) => return found(c, None),
        Err(why) => why,
    };
    match platform::keyutils() {
        Ok(c) => found(c, Some(format!("using the kernel keyring: {ss}"))),
        Err(ku) => none(format!(
            "no keyring to cache the unlocked identity in ({ss}; {ku})"
        )),
    }
}

#[cfg(target_os = "linux")]
mod platform {
    use std::collections::HashMap;
    use std::time::Duration;

    use dbus_secret_service::{EncryptionType, SecretService};
    use linux_keyutils::{KeyError, KeyPermissionsBuilder, KeyRing, KeyRingIdentifier, Permission};
    use zeroize::Zeroizing;

    use super::KeyCache;

    pub(super) fn native() -> Result<Box<dyn KeyCache>, String> {
        Err("no Keychain or Credential Manager on Linux".into())
    }

    /// Connects only when a session bus is advertised: libdbus would otherwise try to
    /// autolaunch one, which can hang or spawn daemons.
    pub(super) fn secret_service() -> Result<Box<dyn KeyCache>, String> {
        let advertised =
            std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some_and(|a| !a.is_empty());
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
        Ok(Box::new(SecretServiceCache(ss)))
    }

    struct SecretServiceCache(SecretService);

    fn attrs(account: &str) -> HashMap<&str, &str> {
        HashMap::from([("service", "aisecrets"), ("username", account)])
    }

    impl KeyCache for SecretServiceCache {
        fn name(&self) -> &'static str {
            "secret-service"
        }

        fn get(&self, account: &str) -> Result<Option<Zeroizing<Vec<u8>>>, String> {
            let found = self
                .0
                .search_items(attrs(account))
                .map_err(|e| e.to_string())?;
            match found.unlocked.first() {
                Some(item) => item
                    .get_secret()
                    .map(|s| Some(Zeroizing::new(s)))
                    .map_err(|e| e.to_string()),
                None => Ok(None),
            }
        }

        fn put(&self, account: &str, payload: &[u8], _ttl: Duration) -> Result<(), String> {
            let coll = self.0.get_default_collection().map_err(|e| e.to_string())?;
            coll.create_item(
                &format!("aisecrets unlocked identity {account}"),
                attrs(account),
                payload,
                true,
                "text/plain",
            )
            .map(|_| ())
            .map_err(|e| e.to_string())
        }

        fn delete(&self, account: &str) -> Result<bool, String> {
            let found = self
                .0
                .search_items(attrs(account))
                .map_err(|e| e.to_string())?;
            let mut any = false;
            for item in found.unlocked.iter().chain(&found.locked) {
                item.delete().map_err(|e| e.to_string())?;
                any = true;
            }
            Ok(any)
        }
    }

    /// The session keyring: shared by the processes of this login session, and not
    /// possessed by `run`'s child, which gets a session keyring of its own.
    pub(super) fn keyutils() -> Result<Box<dyn KeyCache>, String> {
        let ring = KeyRing::from_special_id(KeyRingIdentifier::Session, false)
            .map_err(|e| format!("the kernel keyring is not available ({e:?})"))?;
        ring.metadata()
            .map_err(|e| format!("the kernel session keyring is not usable ({e:?})"))?;
        Ok(Box::new(KeyutilsCache(ring)))
    }

    struct KeyutilsCache(KeyRing);

    fn description(account: &str) -> String {
        format!("aisecrets:{account}")
    }

    impl KeyCache for KeyutilsCache {
        fn name(&self) -> &'static str {
            "keyutils"
        }

        fn get(&self, account: &str) -> Result<Option<Zeroizing<Vec<u8>>>, String> {
            match self.0.search(&description(account)) {
                Ok(key) => key
                    .read_to_vec()
                    .map(|v| Some(Zeroizing::new(v)))
                    .map_err(|e| format!("{e:?}")),
                Err(KeyError::KeyDoesNotExist | KeyError::KeyExpired | KeyError::KeyRevoked) => {
                    Ok(None)
                }
                Err(e) => Err(format!("{e:?}")),
            }
        }

        fn put(&self, account: &str, payload: &[u8], ttl: Duration) -> Result<(), String> {
            let key = self
                .0
                .add_key(&description(account), payload)
                .map_err(|e| format!("{e:?}"))?;
            // Only a possessor may read it; other processes of the user may only see it.
            let perms = KeyPermissionsBuilder::builder()
                .posessor(Permission::ALL)
                .user(Permission::VIEW)
                .build();
            key.set_perms(perms).map_err(|e| format!("{e:?}"))?;
            let secs = usize::try_from(ttl.as_secs().max(1)).unwrap_or(usize::MAX);
            key.set_timeout(secs).map_err(|e| format!("{e:?}"))
        }

        fn delete(&self, account: &str) -> Result<bool, String> {
            match self.0.search(&description(account)) {
                Ok(key) => key
                    .invalidate()
                    .map(|()| true)
                    .map_err(|e| format!("{e:?}")),
                Err(KeyError::KeyDoesNotExist | KeyError::KeyExpired | KeyError::KeyRevoked) => {
                    Ok(false)
                }
                Err(e) => Err(format!("{e:?}")),
            }
        }
    }
}

#[cfg(any(target_os = "macos", target_os = "windows"))]
mod platform {
    use std::time::Duration;

    use zeroize::Zeroizing;

    use super::KeyCache;

    pub(super) fn secret_service() -> Result<Box<dyn KeyCache>, String> {
        Err("the Secret Service is Linux-only".into())
    }

    pub(super) fn keyutils() -> Result<Box<dyn KeyCache>, String> {
        Err("the kernel keyring is Linux-only".into())
    }

    /// Keychain (macOS) or Credential Manager (Windows), through keyring-core's stores.
    pub(super) fn native() -> Result<Box<dyn KeyCache>, String> {
        #[cfg(target_os = "macos")]
        let store =
            apple_native_keyring_store::keychain::Store::new().map_err(|e| e.to_string())?;
        #[cfg(target_os = "windows")]
        let store = windows_native_keyring_store::Store::new().map_err(|e| e.to_string())?;
        keyring_core::set_default_store(store);
        Ok(Box::new(Native))
    }

    struct Native;

    fn entry(account: &str) -> Result<keyring_core::Entry, String> {
        keyring_core::Entry::new("aisecrets", account).map_err(|e| e.to_string())
    }

    impl KeyCache for Native {
        fn name(&self) -> &'static str {
            if cfg!(target_os = "macos") {
                "keychain"
            } else {
                "credential-manager"
            }
        }

        fn get(&self, account: &str) -> Result<Option<Zeroizing<Vec<u8>>>, String> {
            match entry(account)?.get_secret() {
                Ok(s) => Ok(Some(Zeroizing::new(s))),
                Err(keyring_core::Error::NoEntry) => Ok(None),
                Err(e) => Err(e.to_string()),
            }
        }

        fn put(&self, account: &str, payload: &[u8], _ttl: Duration) -> Result<(), String> {
            entry(account)?
                .set_secret(payload)
                .map_err(|e| e.to_string())
        }

        fn delete(&self, account: &str) -> Result<bool, String> {
            match entry(account)?.delete_credential() {
                Ok(()) => Ok(true),
                Err(keyring_core::Error::NoEntry) => Ok(false),
                Err(e) => Err(e.to_string()),
            }
        }
    }
}

#[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "windows")))]
mod platform {
    use super::KeyCache;

    pub(super) fn secret_service() -> Result<Box<dyn KeyCache>, String> {
        Err("no Secret Service support on this platform".into())
    }

    pub(super) fn keyutils() -> Result<Box<dyn KeyCache>, String> {
        Err("no kernel keyring on this platform".into())
    }

    pub(super) fn native() -> Result<Box<dyn KeyCache>, String> {
        Err("no OS keyring support on this platform".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_round_trip_and_liveness() {
        let c = Cached {
            expires: now() + 60,
            public: "age1pub".into(),
            identity: Zeroizing::new("AGE-SECRET-KEY-1FAKE".into()),
        };
        let back = Cached::decode(&c.encode()).unwrap();
        assert_eq!(
            (back.expires, back.public.as_str(), back.identity.as_str()),
            (c.expires, "age1pub", "AGE-SECRET-KEY-1FAKE")
        );
        assert!(back.is_live());
        assert!(
            !Cached {
                expires: now() - 1,
                ..back
            }
            .is_live()
        );
        let far = Cached::decode(
            &Cached {
                expires: now() + 400 * 24 * 3600,
                public: "p".into(),
                identity: Zeroizing::new("AGE-SECRET-KEY-1X".into()),
            }
            .encode(),
        )
        .unwrap();
        assert!(
            !far.is_live(),
            "an expiry beyond the maximum is not trusted"
        );
        assert!(Cached::decode(b"garbage").is_none());
        assert!(
            Cached::decode(b"aisecrets-unlock v1\nexpires=x\npublic=p\nAGE-SECRET-KEY-1\n")
                .is_none()
        );
    }
}
