//! Checking an opened environment's data key against this user's pin, and the lowest file
//! format the pin accepts. The decisions that need a person (a first use) are not taken
//! here: they go to the command layer's [`super::Ask`]; the git history search for a
//! forked rekey chain is the file backend's (it reads old versions of the file).

use std::path::Path;

use crate::base::error::{Error, Result};
use crate::keys::seal::{self, DataKey};
use crate::project::Project;

use super::chain::{Link, Sealed, chain_leads};
use super::{
    Ask, FirstUse, Found, MAC_FORMAT, Pin, Source, elsewhere_note, find, fingerprint, get,
    legacy_note, pin, repo, short_key, update,
};

/// What the pin says about an opened key.
#[derive(Debug)]
pub enum Verdict {
    /// The pinned key itself; the file's format was checked against that pin too.
    Pinned,
    /// A first use the user accepted (now pinned).
    Trusted,
    /// A new key the chain proves was made by someone who knew the pinned one: the caller
    /// looks for a fork in history, then calls [`roll_forward`].
    Moved {
        /// The pin.
        pinned: Pin,
        /// Where it came from.
        source: Source,
        /// The links from the pinned key to the opened one.
        links: Vec<Link>,
    },
}

/// Checks the data key `key` of `env` (opened from the file at `path`, in file format
/// `format`, whose rekey chain is `sealed`) against the pin: the same key, or a key the
/// chain proves was made by someone who knew the pinned one. With no pin, `ask` decides
/// (and fails closed). For the pinned key itself the format is checked here, against the
/// pin already read ([`Verdict::Pinned`]); after any other verdict the caller calls
/// [`check_format`] once the pin is settled.
pub fn check(
    project: &Project,
    env: &str,
    key: &DataKey,
    (sealed, format): (Sealed<'_>, i64),
    path: &Path,
    ask: Ask,
) -> Result<Verdict> {
    match find(project, env)? {
        Found::Pin(pinned, source) if seal::same_hex(&pinned.key_id, &key.key_id()) => {
            format_against(project, env, format, path, &pinned, source)?;
            Ok(Verdict::Pinned)
        }
        Found::Pin(pinned, source) => {
            let Some(links) = chain_leads(&pinned, sealed, key) else {
                return Err(Error::Untrusted {
                    env: env.to_owned(),
                    path: path.to_owned(),
                    pinned: pinned.key_id,
                    found: key.key_id(),
                });
            };
            Ok(Verdict::Moved {
                pinned,
                source,
                links,
            })
        }
        Found::ProjectChanged(was) => Err(Error::ProjectChanged {
            env: env.to_owned(),
            path: project.manifest_path(),
            pinned: was,
            found: project.id().to_owned(),
        }),
        Found::Nothing(legacy) => {
            let mut notes: Vec<String> = legacy
                .map(|l| legacy_note(seal::same_hex(&l.key_id, &key.key_id())).to_owned())
                .into_iter()
                .collect();
            notes.extend(elsewhere_note(project, env)?);
            let note = (!notes.is_empty()).then(|| notes.join("\n"));
            ask(FirstUse {
                text: format!(
                    "first time you open this environment in this folder:\n{}{}check the key id with a teammate you know",
                    describe(project, env, key),
                    note.map(|n| format!("{n}\n")).unwrap_or_default()
                ),
                question: "Trust it? [y/N] ",
                no_terminal: Error::NoPin {
                    env: env.to_owned(),
                    path: path.to_owned(),
                },
                declined: "not trusted; nothing was used",
            })?;
            let recipients = project.env(env)?.recipients.clone();
            pin(project, env, key, Some(recipients))?;
            Ok(Verdict::Trusted)
        }
    }
}

/// Moves the pin of `env` to `key` (after [`Verdict::Moved`] and a history search that
/// found no fork) and says so.
pub fn roll_forward(project: &Project, env: &str, key: &DataKey, source: Source) -> Result<()> {
    if source == Source::Mine {
        pin(project, env, key, None)?;
    }
    crate::base::output::status(&format!(
        "aisecrets: `{env}` has a new data key {} made by a member (recipient change); trusted through the key you had",
        key.key_id()
    ));
    Ok(())
}

/// What `trust` and a first open show before pinning.
#[must_use]
pub fn describe(project: &Project, env: &str, key: &DataKey) -> String {
    let mut s = format!(
        "environment `{env}` of project {} in {}\n  key id: {}\n  recipients:\n",
        project.id(),
        project.root.display(),
        key.key_id()
    );
    if let Ok(decl) = project.env(env) {
        for (name, k) in &decl.recipients {
            s.push_str(&format!(
                "    {name}  {}  {}\n",
                short_key(k),
                fingerprint(k)
            ));
        }
    }
    s
}

/// Refuses a file in `format` 1 (which has no MAC, so lines can be dropped unseen) where
/// this user's pin says the environment was already in format 2; records format 2 the first
/// time it is seen.
pub fn check_format(project: &Project, env: &str, format: i64, path: &Path) -> Result<()> {
    let Some((pinned, source)) = get(project, env)? else {
        return Ok(());
    };
    format_against(project, env, format, path, &pinned, source)
}

/// [`check_format`] against a pin already read.
fn format_against(
    project: &Project,
    env: &str,
    format: i64,
    path: &Path,
    pinned: &Pin,
    source: Source,
) -> Result<()> {
    if format < pinned.min_format {
        return Err(Error::corrupt(
            path,
            format!(
                "it is in format {format}, without the file MAC, but `{env}` was in format {} when you last opened it (lines can be removed from a format {format} file unseen)",
                pinned.min_format
            ),
        ));
    }
    if format == MAC_FORMAT && pinned.min_format < MAC_FORMAT && matches!(source, Source::Mine) {
        raise_min_format(project, env)?;
    }
    Ok(())
}

/// Records that `env` of `project` is in the format with a MAC for this user (if pinned
/// here).
pub fn raise_min_format(project: &Project, env: &str) -> Result<()> {
    let (repo, _) = repo(project)?;
    match repo.envs.get(env) {
        Some(p) if p.min_format < MAC_FORMAT && !p.key_id.is_empty() => {}
        _ => return Ok(()),
    }
    update(project, |r| {
        if let Some(p) = r.envs.get_mut(env) {
            p.min_format = p.min_format.max(MAC_FORMAT);
        }
    })
}
