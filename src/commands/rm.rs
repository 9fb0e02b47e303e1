//! `aisecrets rm NAME`.

use crate::base::error::Result;
use crate::cli::NameArgs;
use crate::{backend, base::exit, base::output};

/// Runs `rm`.
pub(super) fn run(args: &NameArgs) -> Result<u8> {
    let (project, env) = super::project_env(args.env.env.as_deref())?;
    let mut backend = backend::of(&project, &env, super::ask)?;
    backend::update(backend.as_mut(), |values| {
        values.remove(&args.name).map(|()| ((), true))
    })?;
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
