//! The unlock cache: the opened identity kept for `--for` (or `unlock_for`) so commands do
//! not ask for the passphrase each time, readable only by the login session that unlocked it.
//!
//! # Why it is built this way (issue #12, point 2)
//!
//! Every process of the user can ask the Secret Service for any item (the Secret Service's
//! boundary is the user, not the application), and the Secret Service has no per-item
//! expiry. The only place on Linux that tells two processes of the same user apart is the
//! kernel keyring's *possession* rule: a key is possessed by the processes whose session
//! keyring leads to it, and a key whose permissions grant everything to the possessor and
//! nothing to the user, group or others can be read by its possessors only (root included:
//! key permissions have no capability bypass; root can of course become any process).
//!
//! So the cache is two halves:
//!
//! - a random 32-byte **wrapping key**, `aisecrets-key:<public key>`, in the session
//!   keyring, possessor-only, with the kernel's own timeout set to the unlock limit: past it
//!   the kernel refuses every read and later collects the key, whether or not aisecrets runs;
//! - the identity **sealed** under it (XChaCha20-Poly1305, [`crate::keys::seal::DataKey`]'s
//!   blob sealing, bound to the public key), stored in the Secret Service (an item that
//!   carries the wrapping key's id as `slot`) or, without one, next to the wrapping key in
//!   the kernel keyring (`aisecrets:<public key>`, possessor-only, same timeout). The Secret
//!   Service item alone is useless, and useless for good once the wrapping key expires.
//!
//! That only helps where the session keyring is private. A process that has no session
//! keyring of its own (containers, cron, `setpriv`/`su -c`, many SSH and HPC logins) uses the
//! user-session keyring `@us`, which every process of the user possesses or can link
//! (`keyctl link @us @s`). A named session keyring grants the user `link`. So a session
//! keyring counts as private only if it is owned by the user (or root) and grants the user,
//! group and others at most `view` and `read` (reading a keyring lists ids, not payloads);
//! an anonymous one (`keyctl session`, pam_keyinit) does. Elsewhere aisecrets does not cache
//! and says so in one line, unless the user's own config accepts the risk in words that
//! name it: `[cache] allow_shared_keyring = "readable-by-all-my-processes"`. Without a
//! kernel keyring at all (seccomp-filtered containers) nothing is cached, opted in or not:
//! there would be no expiry.
//!
//! The child of `run` and the editor of `edit` join a fresh anonymous session keyring
//! before exec ([`leave_session_keyring`]), so they do not possess the one that holds the
//! wrapping key, and cannot link it back (no `link` or `search` for the user).
//!
//! What remains: any process in the *same* login session (started from the same shell, not
//! through `run`) possesses the session keyring and can read both halves while the unlock
//! lasts; and a process that can ptrace one that possesses it (same user, where Yama's
//! `ptrace_scope` is 0) can act as it. macOS and Windows have no such keyring: their stores
//! are used only with the opt-in, as before (unsealed, no kernel expiry).
//!
//! `AISECRETS_KEYRING=secret-service|keyutils|none` (or the config's `keyring`) picks where
//! the sealed half goes; the wrapping key is always in the kernel keyring.
//!
//! # Which crates talk to the keyrings (#14)
//!
//! The keyring crate family (keyring-core 1.x and its stores) is used where it gives what
//! the cache needs, and direct calls are kept where it cannot:
//!
//! - **macOS Keychain, Windows Credential Manager:** keyring-core with
//!   `apple-native-keyring-store` / `windows-native-keyring-store` (`native.rs`). There the
//!   cache is one opaque item per account, which is exactly an `Entry`.
//! - **Linux kernel keyring: `linux-keyutils` directly** (`kernel.rs`).
//!   `linux-keyutils-keyring-store` links every key it writes into the user's *persistent*
//!   keyring, which any process of the user can link to itself (`keyctl_get_persistent`):
//!   that undoes the possession rule this design rests on. It sets neither the kernel
//!   timeout nor possessor-only permissions, and always uses the session keyring whatever
//!   it is (no private-or-refuse check, no anonymous one for the child).
//! - **Secret Service: `dbus-secret-service` directly** (`secret_service.rs`).
//!   `dbus-secret-service-keyring-store` keys an entry by `service`/`username` only, so it
//!   cannot hold one item per session (`slot`) with its `expires` set at creation, and it
//!   unlocks locked items by prompting; it also always opens an encrypted (DH) session, which
//!   alone costs more than the start-up budget of a cached `run` (see that file's header).

use std::time::Duration;

use zeroize::Zeroizing;

use crate::base::config::Config;
use crate::base::error::{Error, Result};
use crate::base::time::now;

#[cfg(target_os = "linux")]
mod kernel;
#[cfg(not(target_os = "linux"))]
mod native;
#[cfg(target_os = "linux")]
mod sealed;
#[cfg(target_os = "linux")]
mod secret_service;

#[cfg(target_os = "linux")]
pub use kernel::leave_session_keyring;

pub use crate::base::config::{DEFAULT_UNLOCK, MAX_UNLOCK, SHARED_OPT_IN};
const MAGIC: &str = "aisecrets-unlock v1";

/// A keyring that can hold the unlocked identity.
pub trait KeyCache {
    /// The backend's name, as `AISECRETS_KEYRING` spells it.
    fn name(&self) -> &'static str;
    /// The stored payload for `account`, if any.
    ///
    /// # Errors
    /// The keyring refused or failed (internal plumbing: callers report it or fall back).
    fn get(&self, account: &str) -> anyhow::Result<Option<Zeroizing<Vec<u8>>>>;
    /// Stores `payload` for `account`, replacing any, for `ttl`.
    ///
    /// # Errors
    /// The keyring refused or failed; nothing is left half-stored.
    fn put(&self, account: &str, payload: &[u8], ttl: Duration) -> anyhow::Result<()>;
    /// Deletes the item for `account`; `Ok(false)` if there was none.
    ///
    /// # Errors
    /// The keyring refused or failed.
    fn delete(&self, account: &str) -> anyhow::Result<bool>;
}

/// The backend in use, or why there is none.
pub struct Selection {
    /// The backend, when one works.
    pub cache: Option<Box<dyn KeyCache>>,
    /// Why the best backend was not used (a fallback) or why there is none.
    pub note: Option<String>,
    /// Whether the user chose "none" on purpose.
    pub chosen_none: bool,
    /// Whether the cache is readable by every process of the user (the
    /// `allow_shared_keyring` opt-in, used because no private place exists).
    pub shared: bool,
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

/// The one line said where no private place exists (the how-to included).
#[cfg(target_os = "linux")]
pub(crate) const NO_PRIVATE: &str = "no private session keyring here, so every process of yours could read the unlocked identity; start a shell with one (`keyctl session`, or pam_keyinit at login), or accept that with [cache] allow_shared_keyring = \"readable-by-all-my-processes\" in config.toml";

/// What the user asked for: `AISECRETS_KEYRING`, else the config's `keyring`, else auto.
///
/// # Errors
/// [`Error::Usage`] for a backend name aisecrets does not know.
pub fn select(config: &Config) -> Result<Selection> {
    let choice = std::env::var("AISECRETS_KEYRING")
        .ok()
        .filter(|s| !s.is_empty())
        .or_else(|| config.keyring.clone())
        .unwrap_or_else(|| "auto".to_owned());
    match choice.as_str() {
        "none" => Ok(Selection {
            cache: None,
            note: Some(
                "caching is turned off (AISECRETS_KEYRING or the keyring setting is none)".into(),
            ),
            chosen_none: true,
            shared: false,
        }),
        "auto" | "secret-service" | "keyutils" | "keychain" | "credential-manager" => {
            Ok(platform_select(&choice, config.shared_keyring_allowed()))
        }
        other => Err(Error::Usage(format!(
            "unknown keyring `{}`: use secret-service, keyutils, keychain, credential-manager or none",
            crate::base::output::sanitize(other, 40)
        ))),
    }
}

/// Forgets `account` in every backend that works here (also items of other sessions and of
/// older versions); returns the names of those that held something.
#[must_use]
pub fn forget(account: &str) -> Vec<&'static str> {
    platform_forget(account)
}

/// Deletes what can no longer be opened for `account` (expired items, and the unsealed
/// items of older versions), where no cache is in use; for the slow paths (a passphrase is
/// about to be asked), as it may ask the Secret Service.
pub fn drop_stale(account: &str) {
    #[cfg(target_os = "linux")]
    if let Ok(ss) = secret_service::connect() {
        sealed::Store::prune(&ss, account);
    }
    #[cfg(not(target_os = "linux"))]
    let _ = account;
}

fn found(cache: Box<dyn KeyCache>, note: Option<String>) -> Selection {
    Selection {
        cache: Some(cache),
        note,
        chosen_none: false,
        shared: false,
    }
}

fn none(note: String) -> Selection {
    Selection {
        cache: None,
        note: Some(note),
        chosen_none: false,
        shared: false,
    }
}

#[cfg(target_os = "linux")]
fn platform_select(choice: &str, allow_shared: bool) -> Selection {
    use kernel::{Holder, KernelStore};
    use sealed::Sealed;
    let holder = match Holder::session(allow_shared) {
        Ok(h) => h,
        Err(why) => return none(format!("{why:#}")),
    };
    let shared = holder.shared;
    let in_kernel = |holder: Holder| -> Box<dyn KeyCache> {
        let store = KernelStore(holder.clone());
        Box::new(Sealed::new(holder, Box::new(store)))
    };
    let selection = match choice {
        "auto" => match secret_service::connect() {
            Ok(ss) => found(Box::new(Sealed::new(holder, Box::new(ss))), None),
            Err(why) => found(
                in_kernel(holder),
                Some(format!("using the kernel keyring: {why:#}")),
            ),
        },
        "secret-service" => match secret_service::connect() {
            Ok(ss) => found(Box::new(Sealed::new(holder, Box::new(ss))), None),
            Err(why) => none(format!("the Secret Service was asked for, but {why:#}")),
        },
        "keyutils" => found(in_kernel(holder), None),
        _ => none("no Keychain or Credential Manager on Linux".into()),
    };
    Selection {
        shared: shared && selection.cache.is_some(),
        ..selection
    }
}

#[cfg(target_os = "linux")]
fn platform_forget(account: &str) -> Vec<&'static str> {
    use kernel::{Holder, KernelStore};
    use sealed::Store;
    let holder = Holder::current();
    let key = holder
        .as_ref()
        .is_some_and(|h| h.remove_key(account).unwrap_or(false));
    let ss = secret_service::connect().is_ok_and(|ss| ss.delete(account, None).unwrap_or(false));
    let blob = holder.is_some_and(|h| KernelStore(h).delete(account, None).unwrap_or(false));
    let mut forgot = Vec::new();
    if ss {
        forgot.push("secret-service");
    }
    if blob || (key && !ss) {
        forgot.push("keyutils");
    }
    forgot
}

#[cfg(not(target_os = "linux"))]
fn platform_select(choice: &str, allow_shared: bool) -> Selection {
    match choice {
        "secret-service" => none("the Secret Service is Linux-only".into()),
        "keyutils" => none("the kernel keyring is Linux-only".into()),
        _ if !allow_shared => none(format!(
            "the OS keyring here lets every process of yours read the unlocked identity and has no expiry; accept that with [cache] allow_shared_keyring = \"{SHARED_OPT_IN}\" in config.toml"
        )),
        _ => match native::native() {
            Ok(c) => Selection {
                shared: true,
                ..found(c, None)
            },
            Err(why) => none(format!("{why:#}")),
        },
    }
}

#[cfg(not(target_os = "linux"))]
fn platform_forget(account: &str) -> Vec<&'static str> {
    native::native()
        .ok()
        .filter(|c| c.delete(account).unwrap_or(false))
        .map(|c| vec![c.name()])
        .unwrap_or_default()
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
