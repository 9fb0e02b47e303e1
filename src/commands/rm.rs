//! `aisecrets rm NAME`.

use crate::cli::NameArgs;
use crate::error::Result;
use crate::{exit, identity, output, store};

/// Runs `rm`.
pub(super) fn run(args: &NameArgs) -> Result<u8> {
    let (project, env) = super::project_env(args.env.env.as_deref())?;
    let keys = identity::load()?;
    store::modify(&project, &env, &keys, |open| {
        open.remove(&args.name).map(|()| ((), true))
    })?;
    crate::audit::record(
        "rm",
        Some((&project, &env)),
        std::slice::from_ref(&args.name),
        None,
        "ok",
    );
    output::status(&format!("{}: removed from {env}", args.name));
    Ok(exit::OK)
}
