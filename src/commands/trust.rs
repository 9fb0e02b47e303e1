//! `aisecrets trust [--env E] [--yes] [--print]`: show an environment's key id and
//! recipients and pin it; or print the `AISECRETS_TRUST` value for machines with no memory.

use crate::backend::file;
use crate::base::error::{Error, Result};
use crate::cli::TrustArgs;
use crate::project::Project;
use crate::{base::exit, base::output, base::prompt, project::trust};

/// Runs `trust`.
pub(super) fn run(args: &TrustArgs) -> Result<u8> {
    let project = Project::require(&super::cwd()?)?;
    let envs = match args.env.env.as_deref() {
        Some(e) => {
            project.env(e)?;
            vec![e.to_owned()]
        }
        None if args.print => project.env_names(),
        None => vec![project.pick_env(None)?],
    };
    if args.print {
        let value = trust::print_value(&project, &envs)?.ok_or_else(|| {
            Error::Failed("no trusted environment of this project here: run `aisecrets trust --env ENV` first".into())
        })?;
        output::stdout(format!("{value}\n").as_bytes())?;
        return Ok(exit::OK);
    }
    if let [env] = envs.as_slice()
        && project.vault_decl(env)?.is_some()
    {
        return trust_vault(&project, env, args.yes);
    }
    let keys = file::keys_for(&project, &envs[0])?;
    for env in &envs {
        let open = file::open_untrusted(&project, env, &keys)?;
        output::status(&trust::describe(&project, env, open.key()));
        if !args.yes && !prompt::confirm("Trust this key and these recipients? [y/N] ")? {
            return Err(Error::Prompt("not trusted; nothing was changed"));
        }
        let recipients = project.env(env)?.recipients.clone();
        trust::pin(&project, env, open.key(), Some(recipients))?;
        output::status(&format!("trusted `{env}` (key {})", open.key().key_id()));
    }
    Ok(exit::OK)
}

/// Shows a Vault environment's settings from aisecrets.toml and pins them: the next
/// commands send credentials only where these settings say.
fn trust_vault(project: &Project, env: &str, yes: bool) -> Result<u8> {
    let settings = crate::backend::vault::settings(project, env)?;
    let pinned = trust::vault_pin(project, env)?;
    output::status(&crate::backend::vault::pin::describe(
        env,
        &settings,
        pinned.as_ref(),
    ));
    if !yes && !prompt::confirm("Send your Vault credentials there and use these paths? [y/N] ")? {
        return Err(Error::Prompt("not trusted; nothing was changed"));
    }
    trust::pin_vault(project, env, settings)?;
    output::status(&format!("trusted the Vault settings of `{env}`"));
    Ok(exit::OK)
}
