//! Who may open an environment file: the recipient check made before any passphrase is
//! asked, and the error that names the next step for someone who is not a recipient.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::base::error::{Error, Result};
use crate::keys::identity::Keys;
use crate::project::Project;

/// The user's keys for opening `env`, after checking, without any passphrase, that the
/// manifest lists this user's public key among `env`'s recipients (#13): a non-member hears
/// about `aisecrets request-access` before being asked to unlock anything. Only identities
/// whose one public key is known without opening them are checked (the stored identity,
/// `AISECRETS_IDENTITY`); an identity file may hold several keys and is just tried.
pub fn keys_for(project: &Project, env: &str) -> Result<Keys> {
    crate::keys::identity::load_checked(|mine| match project.env(env) {
        Ok(decl) if decl.vault.is_none() && !decl.recipients.values().any(|k| k.trim() == mine) => {
            Err(not_a_recipient(
                project,
                env,
                project.env_path(env)?,
                Some(mine),
            ))
        }
        _ => Ok(()),
    })
}

/// The error for a user whose key cannot open `env`, naming the next step: the pending
/// request's approval when there is one, else `aisecrets request-access` (the README's
/// route), and the direct add as the alternative.
#[must_use]
pub fn not_a_recipient(project: &Project, env: &str, path: PathBuf, mine: Option<&str>) -> Error {
    let recipients: Vec<String> = project
        .env(env)
        .map(|d| d.recipients.keys().cloned().collect())
        .unwrap_or_default();
    let who = recipients.first().map_or("a member", String::as_str);
    let listed_as = |table: &BTreeMap<String, String>| {
        mine.and_then(|m| table.iter().find(|(_, k)| k.trim() == m))
            .map(|(n, _)| n.clone())
    };
    let pending = listed_as(&project.manifest.pending);
    let known_as = project
        .manifest
        .environments
        .values()
        .find_map(|d| listed_as(&d.recipients));
    let listed_here = project
        .env(env)
        .is_ok_and(|d| listed_as(&d.recipients).is_some());
    let name = pending
        .clone()
        .or_else(|| known_as.clone())
        .unwrap_or_else(crate::base::user::name);
    let key = mine.unwrap_or("<your public key>");
    let next = if listed_here {
        format!(
            "aisecrets.toml lists you, but the file is not encrypted to you yet: ask {who} to run \
             `aisecrets recipients add {name} {key} --env {env}`, commit and push it, then `git pull`"
        )
    } else if known_as.is_some() {
        // Already a teammate (a recipient of another environment): the member adds the
        // key they already have.
        format!(
            "ask {who} to run `aisecrets recipients add {name} {key} --env {env}`, commit and push it, then `git pull`"
        )
    } else if let Some(p) = pending {
        format!(
            "your access request as `{p}` is pending: once it is committed and pushed, ask {who} to run \
             `aisecrets recipients approve {p}` and push, then `git pull`"
        )
    } else {
        format!(
            "run `aisecrets request-access` (it records your public key in aisecrets.toml), commit and \
             push it, and ask {who} to run `aisecrets recipients approve {name}`; or send {who} your key \
             (`aisecrets identity show`) for `aisecrets recipients add {name} {key} --env {env}`"
        )
    };
    Error::NotARecipient {
        env: env.to_owned(),
        path,
        recipients,
        next,
    }
}

/// The recipients the data key of `env` is wrapped to now, as its file says (empty when
/// the file cannot be read): a removed recipient matters to trust only while it still is.
#[must_use]
pub fn wrapped_to(project: &Project, env: &str) -> Vec<String> {
    super::read_env(project, env)
        .ok()
        .map(|(_, f)| f.recipients)
        .unwrap_or_default()
}
