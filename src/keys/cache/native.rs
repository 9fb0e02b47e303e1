//! macOS Keychain and Windows Credential Manager, through keyring-core's stores: used only
//! with `[cache] allow_shared_keyring` (no kernel keyring to hold a wrapping key with an
//! expiry, so the identity is stored as it is, and outlives `--for` until a command looks).
#![cfg_attr(
    not(any(target_os = "macos", target_os = "windows")),
    allow(unused_imports)
)]

use std::time::Duration;

use anyhow::{Context as _, Result};
use zeroize::Zeroizing;

use super::KeyCache;

#[cfg(any(target_os = "macos", target_os = "windows"))]
pub(super) fn native() -> Result<Box<dyn KeyCache>> {
    #[cfg(target_os = "macos")]
    let store = apple_native_keyring_store::keychain::Store::new()
        .context("the Keychain is not available")?;
    #[cfg(target_os = "windows")]
    let store = windows_native_keyring_store::Store::new()
        .context("the Credential Manager is not available")?;
    keyring_core::set_default_store(store);
    Ok(Box::new(Native))
}

#[cfg(not(any(target_os = "macos", target_os = "windows")))]
pub(super) fn native() -> Result<Box<dyn KeyCache>> {
    Err(anyhow::anyhow!("no OS keyring support on this platform"))
}

#[cfg(any(target_os = "macos", target_os = "windows"))]
struct Native;

#[cfg(any(target_os = "macos", target_os = "windows"))]
fn entry(account: &str) -> Result<keyring_core::Entry> {
    keyring_core::Entry::new("aisecrets", account).context("making a keyring entry")
}

#[cfg(any(target_os = "macos", target_os = "windows"))]
impl KeyCache for Native {
    fn name(&self) -> &'static str {
        if cfg!(target_os = "macos") {
            "keychain"
        } else {
            "credential-manager"
        }
    }

    fn get(&self, account: &str) -> Result<Option<Zeroizing<Vec<u8>>>> {
        match entry(account)?.get_secret() {
            Ok(s) => Ok(Some(Zeroizing::new(s))),
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(e) => Err(e).context("reading the keyring entry"),
        }
    }

    fn put(&self, account: &str, payload: &[u8], _ttl: Duration) -> Result<()> {
        entry(account)?
            .set_secret(payload)
            .context("writing the keyring entry")
    }

    fn delete(&self, account: &str) -> Result<bool> {
        match entry(account)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring_core::Error::NoEntry) => Ok(false),
            Err(e) => Err(e).context("deleting the keyring entry"),
        }
    }
}
