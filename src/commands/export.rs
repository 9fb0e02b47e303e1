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
    output::stdout(text.as_bytes())?;
    Ok(exit::OK)
}
