//! macOS Keychain and Windows Credential Manager, through keyring-core's stores: used only
//! with `[cache] allow_shared_keyring` (no kernel keyring to hold a wrapping key with an
//! expiry, so the identity is stored as it is, and outlives `--for` until a command looks).
#![cfg_attr(
    not(any(target_os = "macos", target_os = "windows")),
    allow(unused_imports)
)]

use std::time::Duration;

use zeroize::Zeroizing;

use super::KeyCache;

#[cfg(any(target_os = "macos", target_os = "windows"))]
pub(super) fn native() -> Result<Box<dyn KeyCache>, String> {
    #[cfg(target_os = "macos")]
    let store = apple_native_keyring_store::keychain::Store::new().map_err(|e| e.to_string())?;
    #[cfg(target_os = "windows")]
    let store = windows_native_keyring_store::Store::new().map_err(|e| e.to_string())?;
    keyring_core::set_default_store(store);
    Ok(Box::new(Native))
}

#[cfg(not(any(target_os = "macos", target_os = "windows")))]
pub(super) fn native() -> Result<Box<dyn KeyCache>, String> {
    Err("no OS keyring support on this platform".into())
}

#[cfg(any(target_os = "macos", target_os = "windows"))]
struct Native;

#[cfg(any(target_os = "macos", target_os = "windows"))]
fn entry(account: &str) -> Result<keyring_core::Entry, String> {
    keyring_core::Entry::new("aisecrets", account).map_err(|e| e.to_string())
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
