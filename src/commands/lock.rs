//! `aisecrets lock`: forget the unlocked identity in every backend.

use crate::base::error::Result;
use crate::{base::exit, base::output, keys::identity};

/// Runs `lock`.
pub(super) fn run() -> Result<u8> {
    let forgot = identity::lock()?;
    if forgot.is_empty() {
        output::status("locked (nothing was cached)");
    } else {
        output::status(&format!(
            "locked: forgot the unlocked identity ({})",
            forgot.join(", ")
        ));
    }
    Ok(exit::OK)
}
