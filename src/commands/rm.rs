//! `aisecrets rm NAME`.

use crate::cli::NameArgs;
use crate::error::Result;
use crate::{exit, output, store, vault};

/// Runs `rm`.
pub(super) fn run(args: &NameArgs) -> Result<u8> {
    let (project, env) = super::project_env(args.env.env.as_deref())?;
    if project.vault_decl(&env)?.is_some() {
        let (client, decl) = vault::connect_env(&project, &env)?;
        vault::kv::update(&client, &decl, |values| {
            if values.remove(&args.name).is_none() {
                return Err(vault::kv::missing(&args.name, &env, values));
            }
            Ok(((), true))
        })?;
    } else {
        let keys = store::keys_for(&project, &env)?;
        store::modify(&project, &env, &keys, |open| {
            open.remove(&args.name).map(|()| ((), true))
        })?;
    }
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
