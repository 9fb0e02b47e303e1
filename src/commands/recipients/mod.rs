//! `aisecrets recipients list|add|rm|approve|ack`: who can open which environment.

mod ack;
mod add;
mod list;
mod rm;

use std::collections::BTreeMap;

use crate::cli::RecipientsCommand;
use crate::error::{Error, Result};
use crate::identity::Keys;
use crate::store::{self, Project, manifest};
use crate::{secret, trust};

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
        None => Ok(project.env_names()),
    }
}

/// Brings `env` to exactly `target` recipients: a new data key (and exposure marks) when
/// anyone who could read it loses access, else a rewrap of the same key. Pins and
/// approvals follow. Returns how many secrets were marked exposed.
fn apply(
    project: &Project,
    env: &str,
    keys: &Keys,
    target: &BTreeMap<String, String>,
    removed: &[String],
) -> Result<usize> {
    if target.is_empty() {
        return Err(Error::Usage(format!(
            "`{env}` would have no recipient left; remove the environment from aisecrets.toml instead"
        )));
    }
    let outcome = store::modify(project, env, keys, |open| {
        if removed.is_empty() {
            open.rewrap(target)?;
            Ok((None, true))
        } else {
            let exposed = open.values.len();
            let key = open.rekey(removed, target)?;
            Ok((Some((key.key_id(), key.verifier(), exposed)), true))
        }
    })?;
    let names: Vec<String> = target.keys().cloned().collect();
    let action = if removed.is_empty() {
        "recipients-rewrap"
    } else {
        "recipients-rekey"
    };
    crate::audit::record(action, Some((project, env)), &names, None, "ok");
    match outcome {
        Some((key_id, verifier, exposed)) => {
            trust::pin_ids(project.id(), env, key_id, verifier, Some(target.clone()))?;
            Ok(exposed)
        }
        None => {
            trust::approve(project.id(), env, target.clone())?;
            Ok(0)
        }
    }
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
