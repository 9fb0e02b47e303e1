//! `aisecrets export --format dotenv|json|shell`.

use crate::backend::{self, Purpose};
use crate::base::error::Result;
use crate::cli::ExportArgs;
use crate::{base::dotenv, base::exit, base::output};

/// Runs `export`.
pub(super) fn run(args: &ExportArgs) -> Result<u8> {
    super::agent_guard("export", false)?;
    let (project, env) = super::project_env(args.env.env.as_deref())?;
    let snap = backend::of(&project, &env, super::ask)?.read(Purpose::HandOn)?;
    snap.refuse_conflicts(snap.values.keys().map(String::as_str))?;
    let text = dotenv::export(
        args.format,
        snap.values.iter().map(|(n, v)| (n.as_str(), v)),
    )?;
    let names: Vec<String> = snap.values.keys().cloned().collect();
    crate::project::audit::record("export", Some((&project, &env)), &names, None, "ok");
    output::stdout(text.as_bytes())?;
    Ok(exit::OK)
}
