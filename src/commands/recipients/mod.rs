//! `aisecrets recipients list|add|rm|approve|ack`: who can open which environment.

mod ack;
mod add;
mod list;
mod rm;

use std::collections::BTreeMap;

use crate::backend::file;
use crate::base::error::{Error, Result};
use crate::cli::RecipientsCommand;
use crate::keys::identity::Keys;
use crate::project::Project;
use crate::project::manifest;
use crate::{base::secret, project::trust};

/// Runs a recipients subcommand.
pub(crate) fn run(cmd: RecipientsCommand) -> Result<u8> {
    match cmd {
        RecipientsCommand::List(a) => list::run(&a),
        RecipientsCommand::Add(a) => add::run(&a),
        RecipientsCommand::Rm(a) => rm::run(&a),
        RecipientsCommand::Approve(a) => add::approve(&a),
        RecipientsCommand::Ack(a) => ack::run(&a),
    }
}

/// The environments a command acts on: `--env`, else all of them.
fn target_envs(project: &Project, env: Option<&str>) -> Result<Vec<String>> {
    match env {
        Some(e) => {
            project.env(e)?;
            Ok(vec![e.to_owned()])
        }
        None => Ok(project.file_env_names()),
    }
}

/// One environment's change: its new recipients, and who loses access.
struct Plan {
    env: String,
    target: BTreeMap<String, String>,
    removed: Vec<String>,
}

/// Brings each planned environment to exactly its `target` recipients: a new data key (and
/// exposure marks) where anyone who could read it loses access, else a rewrap of the same
/// key. All files are prepared before any is written; then pins, approvals and the
/// manifest follow. Returns how many secrets were marked exposed.
fn apply_all(
    project: &Project,
    keys: &Keys,
    plans: &[Plan],
    drop_pending: Option<&str>,
) -> Result<usize> {
    for p in plans {
        if p.target.is_empty() {
            return Err(Error::Failed(format!(
                "`{}` would have no recipient left; remove the environment from aisecrets.toml instead",
                p.env
            )));
        }
    }
    let envs: Vec<String> = plans.iter().map(|p| p.env.clone()).collect();
    let outcomes = file::modify_many(project, &envs, keys, super::ask, |env, open| {
        let plan = plans.iter().find(|p| p.env == env).expect("planned");
        if plan.removed.is_empty() {
            open.rewrap(&plan.target)?;
            Ok(None)
        } else {
            let exposed = open.values.len();
            let key = open.rekey(&plan.removed, &plan.target)?;
            Ok(Some((key.key_id(), key.verifier(), exposed)))
        }
    })?;
    let mut exposed_total = 0;
    for (plan, outcome) in plans.iter().zip(outcomes) {
        let names: Vec<String> = plan.target.keys().cloned().collect();
        let action = if plan.removed.is_empty() {
            "recipients-rewrap"
        } else {
            "recipients-rekey"
        };
        crate::project::audit::record(action, Some((project, &plan.env)), &names, None, "ok");
        match outcome {
            Some((key_id, verifier, exposed)) => {
                trust::pin_ids(project, &plan.env, key_id, verifier, None)?;
                trust::unapprove(project, &plan.env, &plan.removed)?;
                trust::approve(project, &plan.env, plan.target.clone())?;
                exposed_total += exposed;
            }
            None => trust::approve(project, &plan.env, plan.target.clone())?,
        }
    }
    let tables = plans
        .iter()
        .map(|p| (p.env.clone(), p.target.clone()))
        .collect();
    write_manifest(project, &tables, drop_pending)?;
    Ok(exposed_total)
}

/// Writes the new recipient tables (and pending changes) into the manifest.
fn write_manifest(
    project: &Project,
    tables: &BTreeMap<String, BTreeMap<String, String>>,
    drop_pending: Option<&str>,
) -> Result<()> {
    manifest::edit(&project.root, |doc| {
        for (env, recipients) in tables {
            manifest::set_recipients(doc, env, recipients);
        }
        if let Some(name) = drop_pending {
            manifest::set_pending(doc, name, None);
        }
        Ok(())
    })?;
    Ok(())
}

fn check_name(name: &str) -> Result<()> {
    secret::check_recipient_name(name)
}
