//! The Linux kernel keyring side of the cache: finding out whether this process has a
//! private session keyring, the wrapping key held there (possessor-only, kernel timeout),
//! the sealed identity kept next to it when there is no Secret Service, and leaving the
//! session keyring in a child before exec.
//!
//! Direct `linux-keyutils` calls, not `linux-keyutils-keyring-store` (#14): that store links
//! each key into the user's persistent keyring (reachable by every process of the user, so
//! the possession rule no longer separates them), and offers no kernel timeout, no key
//! permissions and no choice of keyring; this file needs all three (see [`Holder`]).

use std::time::Duration;

use anyhow::{Context as _, Result, anyhow};
use linux_keyutils::{
    Key, KeyError, KeyPermissionsBuilder, KeyRing, KeyRingIdentifier, Permission,
};
use zeroize::Zeroizing;

use super::sealed::Store;

/// Key permission bits (keyrings(7)): what a category may do.
const VIEW: u32 = 0x01;
const READ: u32 = 0x02;

/// The session keyring that holds the wrapping key (and, for `keyutils`, the sealed half).
#[derive(Clone)]
pub(super) struct Holder {
    ring: KeyRing,
    /// Not private: used because the user opted in.
    pub(super) shared: bool,
}

fn key_name(public: &str) -> String {
    format!("aisecrets-key:{public}")
}

fn blob_name(public: &str) -> String {
    format!("aisecrets:{public}")
}

/// Whether a session keyring with these permissions and owner is this user's alone: owned
/// by the user (or root), and granting the user, group and others at most view and read
/// (which list ids, never payloads). `@us` grants the user everything, a named session
/// keyring grants `link`: any process of the user could then possess what it holds.
fn is_private(perm_bits: u32, owner: u32, me: u32) -> bool {
    let others = ((perm_bits >> 16) | (perm_bits >> 8) | perm_bits) & 0xff;
    (owner == me || owner == 0) && others & !(VIEW | READ) == 0
}

impl Holder {
    /// The session keyring, if it is private, or if the user accepted a shared one.
    /// Asking for `@s` without one makes the kernel install `@us` as ours (this process
    /// only): that is exactly the shared case, and it is refused.
    pub(super) fn session(allow_shared: bool) -> Result<Self> {
        let ring = KeyRing::from_special_id(KeyRingIdentifier::Session, false)
            .map_err(keyerr)
            .context("the kernel keyring is not available")?;
        let meta = ring
            .metadata()
            .map_err(keyerr)
            .context("the kernel session keyring is not usable")?;
        let private = is_private(
            meta.get_perms().bits(),
            meta.get_uid(),
            nix::unistd::geteuid().as_raw(),
        );
        if !private && !allow_shared {
            return Err(anyhow!(super::NO_PRIVATE));
        }
        Ok(Self {
            ring,
            shared: !private,
        })
    }

    /// The session keyring whatever it is, for forgetting.
    pub(super) fn current() -> Option<Self> {
        KeyRing::from_special_id(KeyRingIdentifier::Session, false)
            .ok()
            .map(|ring| Self {
                ring,
                shared: false,
            })
    }

    fn find(&self, name: &str) -> Result<Option<Key>> {
        match self.ring.search(name) {
            Ok(key) => Ok(Some(key)),
            Err(KeyError::KeyDoesNotExist | KeyError::KeyExpired | KeyError::KeyRevoked) => {
                Ok(None)
            }
            Err(e) => Err(keyerr(e)).context("searching the session keyring"),
        }
    }

    fn read(&self, name: &str) -> Result<Option<Zeroizing<Vec<u8>>>> {
        let Some(key) = self.find(name)? else {
            return Ok(None);
        };
        match key.read_to_vec() {
            Ok(v) => Ok(Some(Zeroizing::new(v))),
            Err(KeyError::KeyExpired | KeyError::KeyRevoked | KeyError::KeyDoesNotExist) => {
                Ok(None)
            }
            Err(e) => Err(keyerr(e)).context("reading a key of the session keyring"),
        }
    }

    /// Adds `payload` as `name`: the timeout first (a key that outlives the limit is never
    /// left behind), then possessor-only permissions (the kernel's default grants the
    /// user `view` only, so there is no window in which others may read it).
    fn put(&self, name: &str, payload: &[u8], ttl: Duration) -> Result<()> {
        let _ = self.remove(name);
        let key = self
            .ring
            .add_key(name, payload)
            .map_err(keyerr)
            .context("adding a key to the session keyring")?;
        let secs = usize::try_from(ttl.as_secs().max(1)).unwrap_or(usize::MAX);
        let done = key.set_timeout(secs).and_then(|()| {
            key.set_perms(
                KeyPermissionsBuilder::builder()
                    .posessor(Permission::ALL)
                    .build(),
            )
        });
        if let Err(e) = done {
            let _ = key.invalidate();
            return Err(keyerr(e)).context("setting the key's timeout and permissions");
        }
        Ok(())
    }

    fn remove(&self, name: &str) -> Result<bool> {
        match self.find(name)? {
            Some(key) => key
                .invalidate()
                .map(|()| true)
                .map_err(keyerr)
                .context("invalidating a key of the session keyring"),
            None => Ok(false),
        }
    }

    pub(super) fn read_key(&self, public: &str) -> Result<Option<Zeroizing<Vec<u8>>>> {
        self.read(&key_name(public))
    }

    pub(super) fn put_key(&self, public: &str, key: &[u8], ttl: Duration) -> Result<()> {
        self.put(&key_name(public), key, ttl)
    }

    pub(super) fn remove_key(&self, public: &str) -> Result<bool> {
        self.remove(&key_name(public))
    }
}

/// The sealed half in the kernel keyring, next to its wrapping key (one per session).
pub(super) struct KernelStore(pub(super) Holder);

impl Store for KernelStore {
    fn name(&self) -> &'static str {
        "keyutils"
    }

    fn get(&self, public: &str, _slot: &str) -> Result<Option<Zeroizing<Vec<u8>>>> {
        self.0.read(&blob_name(public))
    }

    fn put(
        &self,
        public: &str,
        _slot: &str,
        sealed: &[u8],
        _expires: u64,
        ttl: Duration,
    ) -> Result<()> {
        self.0.put(&blob_name(public), sealed, ttl)
    }

    fn delete(&self, public: &str, _slot: Option<&str>) -> Result<bool> {
        self.0.remove(&blob_name(public))
    }

    /// A sealed half without its wrapping key in the same keyring is dead.
    fn prune(&self, public: &str) {
        if matches!(self.0.read_key(public), Ok(None)) {
            let _ = self.0.remove(&blob_name(public));
        }
    }
}

/// A `KeyError` as an error: it has `Debug` only (its names are the errno's meaning).
fn keyerr(e: KeyError) -> anyhow::Error {
    anyhow!("{e:?}")
}

/// Makes the calling process join a fresh anonymous session keyring, so it no longer
/// possesses the one that may hold the wrapping key. For `pre_exec` (the child of `run`,
/// the editor of `edit`): one raw system call, async-signal-safe, no allocation.
///
/// Where keyctl is refused outright (`ENOSYS`: no keyring support; `EPERM`: a seccomp
/// filter, as Docker's default profile sets) the child is fine as it is: the filter is
/// inherited, so it cannot read a keyring either. Any other failure stops the child.
///
/// # Errors
/// The `errno` of the failed call.
#[allow(unsafe_code)]
pub fn leave_session_keyring() -> std::io::Result<()> {
    const KEYCTL_JOIN_SESSION_KEYRING: libc::c_long = 1;
    // SAFETY: keyctl(KEYCTL_JOIN_SESSION_KEYRING, NULL) reads no memory (a null name asks
    // for an anonymous keyring) and changes only this process's credentials.
    let r = unsafe {
        libc::syscall(
            libc::SYS_keyctl,
            KEYCTL_JOIN_SESSION_KEYRING,
            std::ptr::null::<libc::c_char>(),
        )
    };
    if r >= 0 {
        return Ok(());
    }
    let e = std::io::Error::last_os_error();
    match e.raw_os_error() {
        Some(libc::ENOSYS | libc::EPERM) => Ok(()),
        _ => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::is_private;

    #[test]
    fn which_session_keyrings_are_private() {
        // An anonymous session keyring (`keyctl session`, pam_keyinit): alswrv----rv----.
        assert!(is_private(0x3f03_0000, 1000, 1000));
        assert!(is_private(0x3f03_0000, 0, 1000), "root's, kept by setpriv");
        // The user-session keyring: the user may do everything.
        assert!(!is_private(0x1f3f_0000, 1000, 1000));
        // A named session keyring grants the user link.
        assert!(!is_private(0x3f13_0000, 1000, 1000));
        // Group or other access, or another user's keyring.
        assert!(!is_private(0x3f03_0800, 1000, 1000));
        assert!(!is_private(0x3f03_0008, 1000, 1000));
        assert!(!is_private(0x3f03_0000, 1001, 1000));
    }
}
