//! `aisecrets export --format dotenv|json|shell`.

use crate::base::error::Result;
use crate::cli::ExportArgs;
use crate::{backend::file, backend::vault, base::dotenv, base::exit, base::output};

/// Runs `export`.
pub(super) fn run(args: &ExportArgs) -> Result<u8> {
    let (project, env) = super::project_env(args.env.env.as_deref())?;
    let (text, names) = if project.vault_decl(&env)?.is_some() {
        let (client, decl) = vault::connect_env(&project, &env)?;
        let snap = vault::kv::read(&client, &decl)?;
        snap.require_written(&decl, &env)?;
        snap.note_other(&decl);
        let text = dotenv::export(
            args.format,
            snap.values.iter().map(|(n, v)| (n.as_str(), v)),
        )?;
        (text, snap.values.keys().cloned().collect::<Vec<_>>())
    } else {
        let keys = file::keys_for(&project, &env)?;
        let open = file::open(&project, &env, &keys)?;
        open.refuse_conflicts(open.values.keys().map(String::as_str))?;
        let text = dotenv::export(
            args.format,
            open.values.iter().map(|(n, o)| (n.as_str(), &o.value)),
        )?;
        (text, open.values.keys().cloned().collect())
    };
    crate::project::audit::record("export", Some((&project, &env)), &names, None, "ok");
    output::stdout(text.as_bytes())?;
    Ok(exit::OK)
}
