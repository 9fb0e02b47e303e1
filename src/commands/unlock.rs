//! `aisecrets unlock [--for DURATION]`.

use crate::base::error::Result;
use crate::cli::UnlockArgs;
use crate::{base::exit, base::output, keys::identity};

/// Runs `unlock`.
pub(super) fn run(args: &UnlockArgs) -> Result<u8> {
    // A plugin identity's key never leaves its device: there is nothing to cache, and the
    // plugin asks for its PIN or touch itself (#19).
    if let Some(plugged) = identity::plugin_in_use()? {
        output::status(&format!(
            "nothing to unlock: your identity's key stays in the device of {}, which asks for its PIN or touch each time it is used; aisecrets cannot cache it",
            plugged.binaries()
        ));
        return Ok(exit::OK);
    }
    match identity::unlock(args.duration)? {
        Some(u) => output::status(&format!(
            "unlocked until {} ({}{}); `aisecrets lock` forgets it sooner",
            output::timestamp(u.expires),
            u.backend,
            if u.shared {
                ", shared: every process of yours can read it"
            } else {
                ""
            }
        )),
        None => output::status(
            "nothing to unlock: your identity has no passphrase or comes from AISECRETS_IDENTITY[_FILE]",
        ),
    }
    Ok(exit::OK)
}
