//! `recipients ack [--yes]`: review recipient changes made to aisecrets.toml by hand (or
//! by a teammate's commit) and approve them. Until then aisecrets encrypts to none of them.

use crate::backend::file;
use crate::base::error::{Error, Result};
use crate::cli::RecipientsAckArgs;
use crate::project::Project;
use crate::{base::exit, base::output, base::prompt, keys::identity, project::trust};

/// Runs `recipients ack`.
pub(super) fn run(args: &RecipientsAckArgs) -> Result<u8> {
    let project = Project::require(&super::super::cwd()?)?;
    let envs = super::target_envs(&project, args.env.env.as_deref())?;
    let mut pending = Vec::new();
    for env in &envs {
        let changes = trust::unapproved(
            &project,
            env,
            &crate::backend::file::wrapped_to(&project, env),
        )?;
        if !changes.is_empty() {
            pending.push((env.clone(), changes));
        }
    }
    if pending.is_empty() {
        output::status("nothing to approve: the recipients are as you approved them");
        return Ok(exit::OK);
    }
    let mut text = String::from("recipient changes you have not approved:\n");
    for (env, changes) in &pending {
        for c in changes {
            text.push_str(&format!("  {env}: {c}\n"));
        }
    }
    output::stdout(text.as_bytes())?;
    if !args.yes && !prompt::confirm("Approve these changes? [y/N] ")? {
        return Err(Error::Prompt("not approved; nothing was changed"));
    }
    let keys = identity::load()?;
    let mut plans = Vec::new();
    for (env, _) in &pending {
        let target = project.env(env)?.recipients.clone();
        let approved = trust::approved(&project, env)?;
        let (_, file) = file::read_env(&project, env)?;
        // Anyone the file is still wrapped to who is gone from the manifest, or whose key
        // changed, loses access through a new data key. Someone a teammate already removed
        // (a rekey we followed) is not in the file any more: no second rekey.
        let removed: Vec<String> = approved
            .iter()
            .filter(|(n, k)| target.get(*n).is_none_or(|t| t.trim() != k.trim()))
            .filter(|(n, _)| file.recipients.contains(n))
            .map(|(n, _)| n.clone())
            .collect();
        let names: Vec<&String> = target.keys().collect();
        let file_names: Vec<&String> = file.recipients.iter().collect();
        if removed.is_empty() && names == file_names && !approved.is_empty() {
            trust::approve(&project, env, target)?;
        } else {
            plans.push(super::Plan {
                env: env.clone(),
                target,
                removed,
            });
        }
    }
    if !plans.is_empty() {
        super::apply_all(&project, &keys, &plans, None)?;
    }
    output::status("approved; the secrets files now follow aisecrets.toml: commit them");
    Ok(exit::OK)
}
