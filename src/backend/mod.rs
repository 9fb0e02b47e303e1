//! Where an environment lives, behind one seam: the [`Backend`] trait. Commands reach an
//! environment with [`of`] and read, update or describe it without knowing whether it is
//! an encrypted file in the repository ([`mod@file`]) or an OpenBao/Vault KV secret
//! ([`mod@vault`]). What only one kind has stays an optional capability: leased secrets and
//! child tokens for `run` ([`Backend::vault`]).
//!
//! A trait (objects from [`of`]) rather than an enum: a backend is then one file that
//! `impl Backend`, and nothing else matches on the kinds.
//!
//! Adding a backend (a cloud KMS, a hardware store) is one new file plus its registration:
//!
//! 1. `src/backend/kms.rs`: a struct holding the project, the environment name, its
//!    declaration and the [`Ask`], with `impl Backend` (`prepare` logs in or unlocks, `read`
//!    returns a [`Snapshot`], `update` runs the change on a [`Values`] and writes it back,
//!    `describe` says where, `trust` shows what a first use pins).
//! 2. Registration: `pub mod kms;` below, its declaration on
//!    [`crate::project::manifest::EnvDecl`] (`kms = { ... }`), and one arm in [`of`]:
//!
//! ```text
//! if let Some(k) = &decl.kms {
//!     return Ok(Box::new(kms::Env::new(project, env, k, ask)));
//! }
//! ```
//!
//! No command changes: set, get, rm, list, import, export, run, push/pull, status and trust
//! go through the trait.
//!
//! The first use of an environment on this machine asks the user to trust it; the backends
//! do not ask themselves: they take the decision from the command layer
//! ([`crate::project::trust::Ask`]).

pub mod file;
pub mod vault;

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::base::error::{Error, Result};
use crate::base::secret::SecretValue;
use crate::keys::seal::Meta;
use crate::project::Project;
use crate::project::trust::Ask;

/// What a change did to one name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// The name is new.
    Added,
    /// The value changed.
    Changed,
    /// Same value as before: nothing written for it.
    Unchanged,
}

/// Why values are read: the backends differ in what they refuse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// One value is looked up (`get`): nothing else is said.
    One,
    /// Every value is used, and an environment nothing was ever written to is just empty
    /// (a copy's target, `run` with leases).
    All,
    /// Every value is handed on (`run`, `export`, a copy's source): a Vault path nothing was
    /// ever written to is refused, so a mistyped path never passes for an empty environment.
    HandOn,
    /// Names for `list`: without an identity that opens now, names only (no prompt).
    Names,
}

/// An environment as read.
pub struct Snapshot {
    env: String,
    /// Name to value (empty when only names could be read: see [`Snapshot::names_only`]).
    pub values: BTreeMap<String, SecretValue>,
    /// One row per name for `list`, values never included.
    pub rows: Vec<Row>,
    /// The two column headings of `list` after NAME.
    pub columns: [&'static str; 2],
    /// Only names could be read (no identity that opens now).
    pub names_only: bool,
    /// When and by whom each value was set, where the backend keeps that (sealed with the
    /// value in a file); empty otherwise.
    pub meta: BTreeMap<String, Meta>,
    /// Names a git merge left with two values, and the file they are in.
    conflicts: Vec<String>,
    path: Option<PathBuf>,
    /// Names the environment supplies without storing them (Vault leases).
    leased: Vec<String>,
}

/// One line of `list`.
pub struct Row {
    /// The variable name.
    pub name: String,
    /// The two cells after the name.
    pub cells: [String; 2],
    /// The JSON object of `list --json`.
    pub json: serde_json::Value,
}

impl Snapshot {
    /// An empty snapshot of `env`: backends fill it in.
    #[must_use]
    pub fn new(env: &str, columns: [&'static str; 2]) -> Self {
        Self {
            env: env.to_owned(),
            values: BTreeMap::new(),
            rows: Vec::new(),
            columns,
            names_only: false,
            meta: BTreeMap::new(),
            conflicts: Vec::new(),
            path: None,
            leased: Vec::new(),
        }
    }

    /// Notes names a git merge left in conflict in the file at `path`.
    #[must_use]
    pub fn with_conflicts(mut self, names: Vec<String>, path: PathBuf) -> Self {
        self.conflicts = names;
        self.path = Some(path);
        self
    }

    /// Notes names the environment supplies without storing them.
    #[must_use]
    pub fn with_leased(mut self, names: Vec<String>) -> Self {
        self.leased = names;
        self
    }

    /// The value of `name`, or the one "no such secret" error.
    pub fn get(&self, name: &str) -> Result<&SecretValue> {
        self.values.get(name).ok_or_else(|| self.missing(name))
    }

    /// The "no such secret" error for `name`, with a close match among every name the
    /// environment supplies (stored and leased). `get`, `rm` and `run --only` all say it so.
    #[must_use]
    pub fn missing(&self, name: &str) -> Error {
        missing(
            name,
            &self.env,
            self.values.keys().chain(&self.leased).map(String::as_str),
        )
    }

    /// Refuses `names` that a git merge left in conflict (#13): a conflicted value is used
    /// by nobody until `aisecrets edit` resolves it.
    pub fn refuse_conflicts<'a>(&self, names: impl IntoIterator<Item = &'a str>) -> Result<()> {
        let names: Vec<String> = names
            .into_iter()
            .filter(|n| self.conflicts.iter().any(|c| c == n))
            .map(str::to_owned)
            .collect();
        if names.is_empty() {
            return Ok(());
        }
        Err(Error::Conflicted {
            env: self.env.clone(),
            path: self.path.clone().unwrap_or_default(),
            names,
        })
    }
}

/// The one "no such secret" error: `name` is not among `known` in `env`.
pub fn missing<'a>(name: &str, env: &str, known: impl IntoIterator<Item = &'a str>) -> Error {
    Error::no_such_secret(name, env, known)
}

/// The values of an environment being changed, as the change sees them.
pub trait Values {
    /// The value of `name`, if set.
    fn value(&self, name: &str) -> Option<&SecretValue>;
    /// Sets `name` to `value`; an equal value changes nothing.
    fn set(&mut self, name: &str, value: SecretValue) -> Result<Change>;
    /// Removes `name`, or fails with the "no such secret" error.
    fn remove(&mut self, name: &str) -> Result<()>;
}

/// Where an environment is, for messages and `status`.
pub struct Description {
    /// `secret/ml/prod at https://vault.example.com:8200` for a remote store; `None` for a
    /// file in the repository.
    pub remote: Option<String>,
    /// `secret/ml/prod` (the place inside a remote store), for messages.
    pub location: Option<String>,
    /// The `environment` object of `status --json` (name included).
    pub json: serde_json::Value,
    /// The `environment:` line of `status` (after the label).
    pub line: String,
}

/// Where an environment lives. Made by [`of`]; nothing is read, unlocked or logged in to
/// until [`Backend::prepare`], [`Backend::read`] or [`Backend::update`].
pub trait Backend {
    /// The environment's name.
    fn env(&self) -> &str;

    /// Gets ready to read and write: unlocks the keys, or logs in. Called early by commands
    /// that then ask for something (a wrong token or a locked key is found before anyone
    /// types a secret); `read` and `update` call it themselves.
    fn prepare(&mut self) -> Result<()>;

    /// Whether [`Backend::prepare`] goes over the network (logins come first, so a wrong
    /// token is found before a passphrase is asked for).
    fn remote(&self) -> bool;

    /// Reads every value.
    fn read(&mut self, purpose: Purpose) -> Result<Snapshot>;

    /// Lets `change` edit the values and writes them back atomically when it returns
    /// `true`. `change` may run more than once (a remote store retries when another writer
    /// got in between). Returns the version written, for stores that keep versions.
    fn update(
        &mut self,
        change: &mut dyn FnMut(&mut dyn Values) -> Result<bool>,
    ) -> Result<Option<u64>>;

    /// Where the environment is.
    fn describe(&self) -> Result<Description>;

    /// `aisecrets trust`: shows what this user is asked to trust for the environment (its
    /// data key and recipients, or its Vault settings) through `ask`, and pins it once `ask`
    /// agrees. Returns what was trusted, for the message.
    fn trust(&mut self, ask: Ask) -> Result<String>;

    /// The Vault capabilities (leases, child tokens) for `run`, when the environment has them.
    fn vault(&self) -> Option<&vault::Env<'_>> {
        None
    }
}

/// Runs `change` through [`Backend::update`] and hands back its result and the version.
pub fn update<T>(
    backend: &mut dyn Backend,
    mut change: impl FnMut(&mut dyn Values) -> Result<(T, bool)>,
) -> Result<(T, Option<u64>)> {
    let mut out = None;
    let version = backend.update(&mut |values| {
        let (t, changed) = change(values)?;
        out = Some(t);
        Ok(changed)
    })?;
    let out = out.ok_or_else(|| Error::Failed("the change did not run".into()))?;
    Ok((out, version))
}

/// The backend of `env` in `project`: the registration of every kind (see the header).
/// `ask` decides a first use of the environment on this machine.
pub fn of<'a>(project: &'a Project, env: &str, ask: Ask) -> Result<Box<dyn Backend + 'a>> {
    let decl = project.env(env)?;
    if let Some(v) = &decl.vault {
        return Ok(Box::new(vault::Env::new(project, env, v, ask)));
    }
    Ok(Box::new(file::Env::new(project, env, ask)))
}

#[cfg(test)]
mod tests {
    use zeroize::Zeroizing;

    use super::Snapshot;
    use crate::base::error::Error;
    use crate::base::secret::SecretValue;

    /// #14: `get` and `run --only` build "no such secret" in one place, and both suggest
    /// leased names as well as stored ones.
    #[test]
    fn no_such_secret_names_stored_and_leased_names() {
        let mut snap = Snapshot::new("prod", ["VERSION", "UPDATED"])
            .with_leased(vec!["DATABASE_URL".to_owned()]);
        let value = SecretValue::new("OPENAI_API_KEY", Zeroizing::new("sk-FAKE-0000".into()));
        snap.values
            .insert("OPENAI_API_KEY".to_owned(), value.expect("a valid value"));
        match snap.get("DATABASE_URI") {
            Err(Error::NoSuchSecret { similar, known, .. }) => {
                assert_eq!(similar.as_deref(), Some("DATABASE_URL"));
                assert_eq!(known, ["DATABASE_URL", "OPENAI_API_KEY"]);
            }
            _ => panic!("expected no such secret"),
        }
    }
}
