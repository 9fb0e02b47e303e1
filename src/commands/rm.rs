//! `aisecrets rm NAME`.

use crate::base::error::Result;
use crate::cli::NameArgs;
use crate::{backend::file, backend::vault, base::exit, base::output};

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
        let keys = file::keys_for(&project, &env)?;
        file::modify(&project, &env, &keys, |open| {
            open.remove(&args.name).map(|()| ((), true))
        })?;
    }
    crate::project::audit::record(
        "rm",
        Some((&project, &env)),
        std::slice::from_ref(&args.name),
        None,
        "ok",
    );
    output::status(&format!("{}: removed from {env}", args.name));
    Ok(exit::OK)
}
