//! The clock, in whole seconds since the Unix epoch: what the environment files' `set_at`,
//! the unlock cache's expiry and the audit log count in.

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch.
#[must_use]
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
