//! The user's trust in a Vault environment's settings (#12). The manifest is committed and
//! anyone with write access can change it: a changed address would receive the user's
//! token, a changed path would receive the next push or hand another team's secrets to
//! this repository's code. So nothing is sent until this user has accepted the settings in
//! this repository, and a later change is refused until accepted again.

use std::collections::BTreeMap;

use crate::base::error::{Error, Result};
use crate::project::Project;

/// Checks the settings of `env` before anything is sent: the pinned ones, else the digest
/// in `AISECRETS_TRUST` (CI), else a first use that asks exactly like a first open of an
/// encrypted file (no terminal: an error naming `aisecrets trust` and `AISECRETS_TRUST`).
/// Pins are kept under the repository's path and include the project id, so no edit of
/// the manifest makes a trusted repository look new.
pub fn check(project: &Project, env: &str) -> Result<()> {
    let current = super::settings(project, env)?;
    match crate::project::trust::vault_pin(project, env)? {
        Some(pinned) if pinned == current => Ok(()),
        Some(pinned) => Err(changed(env, &pinned, &current)),
        None => {
            if let Some(digest) = crate::project::trust::env_vault_digest(project, env)? {
                if crate::keys::seal::same_hex(
                    &digest,
                    &crate::project::trust::vault_digest(&current),
                ) {
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
            if !crate::base::prompt::has_terminal() {
                return Err(Error::NoVaultPin {
                    env: env.to_owned(),
                    address: current
                        .get("address")
                        .filter(|a| !a.is_empty())
                        .map_or_else(
                            || "from VAULT_ADDR".to_owned(),
                            |a| crate::base::output::sanitize(a, 120),
                        ),
                });
            }
            let legacy = crate::project::trust::legacy_vault_pin(project, env)?.map(|old| {
                let mut now: BTreeMap<String, String> = current.clone();
                now.remove("project");
                crate::project::trust::legacy_note(old == now)
            });
            // A renamed environment is new too: show what this folder already trusts.
            let others: Vec<String> = crate::project::trust::vault_pins(project)?
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
            crate::base::output::status(&format!(
                "first time you use this Vault environment in this folder ({}):\n{}{}{}",
                project.root.display(),
                describe(env, &current, None),
                legacy.map(|n| format!("\n{n}")).unwrap_or_default(),
                others
            ));
            if crate::base::prompt::confirm(
                "Send your Vault credentials there and use these paths? [y/N] ",
            )? {
                crate::project::trust::pin_vault(project, env, current)
            } else {
                Err(Error::Prompt("not trusted; nothing was sent"))
            }
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
