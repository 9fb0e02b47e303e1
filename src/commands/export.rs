//! `aisecrets export --format dotenv|json|shell`.

use crate::cli::ExportArgs;
use crate::error::Result;
use crate::{dotenv, exit, identity, output, store};

/// Runs `export`.
pub(super) fn run(args: &ExportArgs) -> Result<u8> {
    let (project, env) = super::project_env(args.env.env.as_deref())?;
    let keys = identity::load()?;
    let open = store::open(&project, &env, &keys)?;
    let text = dotenv::export(
        args.format,
        open.values.iter().map(|(n, o)| (n.as_str(), &o.value)),
    )?;
    let names: Vec<String> = open.values.keys().cloned().collect();
    crate::audit::record("export", Some((&project, &env)), &names, None, "ok");
    output::stdout(text.as_bytes())?;
    Ok(exit::OK)
}
