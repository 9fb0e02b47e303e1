//! `aisecrets rotate NAME`: a new value for a secret (from the provider), clearing its
//! exposed mark.

use crate::backend::file::{self, Change};
use crate::base::error::{Error, Result};
use crate::cli::NameArgs;
use crate::{base::exit, base::output, scan::rotation};

/// Runs `rotate`.
pub(super) fn run(args: &NameArgs) -> Result<u8> {
    let (project, env) = super::project_env(args.env.env.as_deref())?;
    let keys = file::keys_for(&project, &env)?;
    let current = file::open(&project, &env, &keys, super::ask)?;
    let old = current.get(&args.name)?;
    if let Some(url) = rotation::where_to_rotate(&args.name, old.expose()) {
        output::status(&format!(
            "make a new {} at {url}, revoke the old one there, then enter the new value",
            args.name
        ));
    }
    drop(current);
    let value = super::set::read_value(&args.name)?;
    let change = file::modify(&project, &env, &keys, super::ask, |open| {
        open.get(&args.name)?;
        let c = open.set(&args.name, value)?;
        Ok((c, c != Change::Unchanged))
    })?;
    if change == Change::Unchanged {
        return Err(Error::BadValue {
            name: args.name.clone(),
            reason: "it is the same value as before: rotating means a new key from the provider"
                .into(),
        });
    }
    crate::project::audit::record(
        "rotate",
        Some((&project, &env)),
        std::slice::from_ref(&args.name),
        None,
        "ok",
    );
    output::status(&format!(
        "{}: rotated in {env}; commit the secrets file",
        args.name
    ));
    Ok(exit::OK)
}
