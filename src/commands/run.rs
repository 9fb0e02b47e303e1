//! `aisecrets run -- CMD ARGS...`: the secrets as environment variables of one child.

use std::ffi::OsString;

use crate::cli::RunArgs;
use crate::error::Result;
use crate::{child, identity, store};

/// Runs `run`; the exit code is the child's.
pub(super) fn run(args: RunArgs) -> Result<u8> {
    let (project, env) = super::project_env(args.env.env.as_deref())?;
    let keys = identity::load()?;
    let open = store::open(&project, &env, &keys)?;
    drop(keys);
    let allowed = crate::config::load()?.allow_names;
    let refused = crate::policy::refused(open.values.keys().map(String::as_str), &allowed);
    if !refused.is_empty() {
        return Err(crate::error::Error::DangerousNames { names: refused });
    }
    let extra: Vec<(String, OsString)> = open
        .values
        .iter()
        .map(|(n, o)| (n.clone(), OsString::from(o.value.expose())))
        .collect();
    drop(open);
    let (program, rest) = args
        .command
        .split_first()
        .expect("clap requires at least one command word");
    child::run(program, rest, child::child_env(extra))
}
