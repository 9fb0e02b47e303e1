//! The user's trust in a Vault environment's settings (#12). The manifest is committed and
//! anyone with write access can change it: a changed address would receive the user's
//! token, a changed path would receive the next push or hand another team's secrets to
//! this repository's code. So nothing is sent until this user has accepted the settings in
//! this repository, and a later change is refused until accepted again.
//!
//! The Vault backend reports its settings (`backend::vault::settings`); the pins, the
//! check and the first-use question are trust's.

use std::collections::BTreeMap;

use crate::base::error::{Error, Result};
use crate::project::Project;

use super::{Ask, EnvPin, FirstUse, env_pins, load, repo, slot, update};

/// Checks the settings of `env` (`current`, as the Vault backend reports them) before
/// anything is sent: the pinned ones, else the digest in `AISECRETS_TRUST` (CI), else a
/// first use that `ask` decides exactly like a first open of an encrypted file (no
/// terminal: an error naming `aisecrets trust` and `AISECRETS_TRUST`).
/// Pins are kept under the repository's path and include the project id, so no edit of
/// the manifest makes a trusted repository look new.
pub fn check(
    project: &Project,
    env: &str,
    current: BTreeMap<String, String>,
    ask: Ask,
) -> Result<()> {
    match vault_pin(project, env)? {
        Some(pinned) if pinned == current => Ok(()),
        Some(pinned) => Err(changed(env, &pinned, &current)),
        None => {
            if let Some(digest) = env_vault_digest(project, env)? {
                if crate::keys::seal::same_hex(&digest, &vault_digest(&current)) {
                    return Ok(());
                }
                return Err(Error::Vault {
                    what: format!(
                        "the Vault settings of `{env}` in aisecrets.toml are not the ones AISECRETS_TRUST names; nothing was sent"
                    ),
                    hint: format!(
                        "check who changed them and why (`git log -p aisecrets.toml`), then print the new value with `aisecrets trust --print --env {env}` on a machine that trusts them"
                    ),
                });
            }
            let legacy = legacy_vault_pin(project, env)?.map(|old| {
                let mut now: BTreeMap<String, String> = current.clone();
                now.remove("project");
                super::legacy_note(old == now)
            });
            // A renamed environment is new too: show what this folder already trusts.
            let others: Vec<String> = vault_pins(project)?
                .into_iter()
                .map(|(name, s)| {
                    format!(
                        "`{name}` at {}",
                        crate::base::output::sanitize(
                            s.get("address").map_or("", String::as_str),
                            120
                        )
                    )
                })
                .collect();
            let others = if others.is_empty() {
                String::new()
            } else {
                format!(
                    "\nin this folder you already trust the Vault environment(s) {}: is this one really new?",
                    others.join(", ")
                )
            };
            let no_terminal = Error::NoVaultPin {
                env: env.to_owned(),
                address: current
                    .get("address")
                    .filter(|a| !a.is_empty())
                    .map_or_else(
                        || "from VAULT_ADDR".to_owned(),
                        |a| crate::base::output::sanitize(a, 120),
                    ),
            };
            ask(FirstUse {
                text: format!(
                    "first time you use this Vault environment in this folder ({}):\n{}{}{}",
                    project.root.display(),
                    describe(env, &current, None),
                    legacy.map(|n| format!("\n{n}")).unwrap_or_default(),
                    others
                ),
                question: "Send your Vault credentials there and use these paths? [y/N] ",
                no_terminal,
                declined: "not trusted; nothing was sent",
            })?;
            pin_vault(project, env, current)
        }
    }
}

/// The settings of `env` as the manifest declares them, one per line, with what changed
/// since `pinned`.
#[must_use]
pub fn describe(
    env: &str,
    settings: &BTreeMap<String, String>,
    pinned: Option<&BTreeMap<String, String>>,
) -> String {
    let mut text = format!("Vault environment `{env}` as aisecrets.toml declares it:");
    for (k, v) in settings {
        let was = pinned
            .and_then(|p| p.get(k))
            .filter(|old| *old != v)
            .map(|old| format!("   (was: {})", crate::base::output::sanitize(old, 80)))
            .unwrap_or_default();
        text.push_str(&format!(
            "\n  {k} = {}{was}",
            if v.is_empty() {
                "(none)".to_owned()
            } else {
                crate::base::output::sanitize(v, 120)
            }
        ));
    }
    text
}

/// The error for settings that changed since they were pinned, naming each change.
fn changed(
    env: &str,
    pinned: &BTreeMap<String, String>,
    current: &BTreeMap<String, String>,
) -> Error {
    let mut changes = Vec::new();
    for k in pinned.keys().chain(current.keys()) {
        let (a, b) = (pinned.get(k), current.get(k));
        if a != b && !changes.iter().any(|(c, _): &(String, String)| c == k) {
            // Long values (templates) are shown from a little before where they start to
            // differ, so the change itself is visible.
            let common = match (a, b) {
                (Some(a), Some(b)) => a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count(),
                _ => 0,
            };
            let skip = common.saturating_sub(20);
            let show = |v: Option<&String>| {
                v.filter(|v| !v.is_empty())
                    .map_or("(none)".to_owned(), |v| {
                        let tail: String = v.chars().skip(skip).collect();
                        let prefix = if skip > 0 { "..." } else { "" };
                        format!("{prefix}{}", crate::base::output::sanitize(&tail, 80))
                    })
            };
            changes.push((k.clone(), format!("{k}: {} -> {}", show(a), show(b))));
        }
    }
    Error::Vault {
        what: format!(
            "the Vault settings of `{env}` in aisecrets.toml changed since this machine last used them ({}); nothing was sent",
            changes
                .into_iter()
                .map(|(_, c)| c)
                .collect::<Vec<_>>()
                .join("; ")
        ),
        hint: format!(
            "check who changed them and why (`git log -p aisecrets.toml`), then accept them with `aisecrets trust --env {env}`"
        ),
    }
}

/// The pinned Vault settings of `env` in `project`'s repository, if any.
pub fn vault_pin(project: &Project, env: &str) -> Result<Option<BTreeMap<String, String>>> {
    Ok(repo(project)?.0.vault.remove(env))
}

/// Every pinned Vault environment of `project`'s repository: name to settings.
pub fn vault_pins(project: &Project) -> Result<BTreeMap<String, BTreeMap<String, String>>> {
    Ok(repo(project)?.0.vault)
}

/// Pins the Vault settings of `env` in `project`'s repository.
pub fn pin_vault(project: &Project, env: &str, settings: BTreeMap<String, String>) -> Result<()> {
    update(project, |r| {
        r.vault.insert(env.to_owned(), settings);
    })
}

/// The SHA-256 (hex) of a Vault environment's settings, as `AISECRETS_TRUST` carries it.
#[must_use]
pub fn vault_digest(settings: &BTreeMap<String, String>) -> String {
    use sha2::Digest;
    let text = serde_json::to_vec(settings).unwrap_or_default();
    crate::base::hex::encode(&sha2::Sha256::digest(&text))
}

/// The Vault settings digest `AISECRETS_TRUST` names for `env` of `project`, if any.
pub fn env_vault_digest(project: &Project, env: &str) -> Result<Option<String>> {
    Ok(match env_pins()?.remove(&slot(project.id(), env)) {
        Some(EnvPin::Vault(d)) => Some(d),
        _ => None,
    })
}

/// The Vault settings an older aisecrets pinned for this project id (somewhere).
pub fn legacy_vault_pin(project: &Project, env: &str) -> Result<Option<BTreeMap<String, String>>> {
    Ok(load()?.vault.remove(&slot(project.id(), env)))
}
