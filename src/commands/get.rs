//! `aisecrets get NAME`: the value and a newline on stdout.

use zeroize::Zeroizing;

use crate::backend::{self, Purpose};
use crate::base::error::Result;
use crate::cli::NameArgs;
use crate::{base::exit, base::output};

/// Runs `get`.
pub(super) fn run(args: &NameArgs) -> Result<u8> {
    super::agent_guard("get", false)?;
    let (project, env) = super::project_env(args.env.env.as_deref())?;
    if let Some(l) = project.env(&env)?.leases.get(&args.name) {
        return Err(crate::base::error::Error::Failed(format!(
            "{} is leased from {} for each run, not stored: `aisecrets run` issues it and revokes it when the command exits",
            args.name, l.path
        )));
    }
    let snap = backend::of(&project, &env, super::ask)?.read(Purpose::One)?;
    snap.refuse_conflicts([args.name.as_str()])?;
    let value = snap.get(&args.name)?;
    let mut line = Zeroizing::new(String::with_capacity(value.expose().len() + 1));
    line.push_str(value.expose());
    line.push('\n');
    crate::project::audit::record(
        "get",
        Some((&project, &env)),
        std::slice::from_ref(&args.name),
        None,
        "ok",
    );
    output::stdout(line.as_bytes())?;
    Ok(exit::OK)
}
