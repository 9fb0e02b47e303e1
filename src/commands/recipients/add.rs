//! `recipients add NAME KEY` and `recipients approve NAME`: give someone access. Only the
//! data key is rewrapped; every sealed value stays byte for byte.

use crate::base::error::{Error, Result};
use crate::cli::{RecipientsAddArgs, RecipientsApproveArgs};
use crate::project::Project;
use crate::{base::exit, base::output, keys::identity, keys::wrap, project::trust};

/// Runs `recipients add`.
pub(super) fn run(args: &RecipientsAddArgs) -> Result<u8> {
    let project = Project::require(&super::super::cwd()?)?;
    add(
        &project,
        &args.name,
        &args.key,
        args.env.env.as_deref(),
        None,
    )
}

/// Runs `recipients approve`: adds a pending request from the manifest.
pub(super) fn approve(args: &RecipientsApproveArgs) -> Result<u8> {
    let project = Project::require(&super::super::cwd()?)?;
    let Some(key) = project.manifest.pending.get(&args.name).cloned() else {
        let pending: Vec<&str> = project
            .manifest
            .pending
            .keys()
            .map(String::as_str)
            .collect();
        return Err(Error::Failed(format!(
            "no pending request from `{}` in aisecrets.toml (pending: {}); pull first, or ask them to run `aisecrets request-access`",
            output::sanitize(&args.name, 64),
            if pending.is_empty() {
                "none".to_owned()
            } else {
                pending.join(", ")
            }
        )));
    };
    add(
        &project,
        &args.name,
        &key,
        args.env.env.as_deref(),
        Some(&args.name),
    )
}

fn add(
    project: &Project,
    name: &str,
    key: &str,
    env: Option<&str>,
    pending: Option<&str>,
) -> Result<u8> {
    super::check_name(name)?;
    let key = key.trim();
    wrap::parse_recipient(key).map_err(|reason| Error::BadRecipient {
        name: name.to_owned(),
        reason: reason.to_string(),
    })?;
    let envs = super::target_envs(project, env)?;
    for env in &envs {
        trust::require_approved(project, env)?;
    }
    let keys = identity::load()?;
    let mut plans = Vec::new();
    let mut added = Vec::new();
    for env in &envs {
        let mut target = project.env(env)?.recipients.clone();
        match target.get(name) {
            Some(k) if k.trim() == key => continue,
            Some(_) => {
                return Err(Error::Failed(format!(
                    "`{name}` is already a recipient of `{env}` with another key; `aisecrets recipients rm {name} --env {env}` first"
                )));
            }
            None => {}
        }
        target.insert(name.to_owned(), key.to_owned());
        plans.push(super::Plan {
            env: env.clone(),
            target,
            removed: Vec::new(),
        });
        added.push(env.clone());
    }
    if plans.is_empty() && pending.is_none() {
        output::status(&format!(
            "`{name}` is already a recipient of {}",
            envs.join(", ")
        ));
        return Ok(exit::OK);
    }
    super::apply_all(project, &keys, &plans, pending)?;
    output::status(&format!(
        "added {name} ({}) to {}: commit aisecrets.toml and the secrets files; they can open them after their next pull",
        trust::fingerprint(key),
        if added.is_empty() {
            "no new environment".to_owned()
        } else {
            added.join(", ")
        }
    ));
    Ok(exit::OK)
}
