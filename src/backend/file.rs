//! Reading and writing encrypted environments: find the file, check it belongs to this
//! project and environment, open the data key, open every value (one bad value refuses
//! the whole file), and write back atomically under a lock, resealing only what changed.

pub mod format;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::base::atomic;
use crate::base::error::{Error, Result};
use crate::base::secret::{self, SecretValue};
use crate::keys::crypto::{self, DataKey, Meta, Opened, UnwrapError};
use crate::keys::identity::Keys;
use crate::project::{Project, owner};
pub use format::EnvFile;

/// The largest environment file aisecrets reads (and writes): refused on its size before a
/// byte is read, so a crafted file costs neither memory nor time (#12). 16 MiB holds 50,000
/// secrets of a few hundred bytes, or a dozen values at the 1 MiB limit.
pub const MAX_ENV_FILE: u64 = 16 << 20;

/// An opened environment: every value decrypted and checked.
pub struct OpenEnv {
    /// The file on disk.
    pub path: PathBuf,
    /// The file as read (sealed values included).
    pub file: EnvFile,
    /// The opened data key.
    key: DataKey,
    /// Name to opened value.
    pub values: BTreeMap<String, Opened>,
    /// The recipient name to record as the author of changes.
    pub me: String,
}

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

/// Reads and parses an environment file without opening anything. A symlink is refused.
pub fn read_env_file(path: &Path) -> Result<EnvFile> {
    let bytes = atomic::read_project_file(path, MAX_ENV_FILE)?;
    let text =
        String::from_utf8(bytes).map_err(|_| Error::corrupt(path, "it is not UTF-8 text"))?;
    EnvFile::parse(path, &text)
}

/// Opens `env` of `project` with `keys`, checking the key against this user's trust pin.
pub fn open(project: &Project, env: &str, keys: &Keys) -> Result<OpenEnv> {
    open_checked(project, env, keys, true)
}

/// Opens `env` without the trust check: for `trust` itself, which shows the key before
/// pinning it, and for `status`, which shows no value.
pub fn open_untrusted(project: &Project, env: &str, keys: &Keys) -> Result<OpenEnv> {
    open_checked(project, env, keys, false)
}

fn open_checked(project: &Project, env: &str, keys: &Keys, check_trust: bool) -> Result<OpenEnv> {
    let path = project.env_path(env)?;
    atomic::refuse_symlinks_below(&project.root, &path)?;
    owner::check(&path, &project.root)?;
    let file = match read_env_file(&path) {
        Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::corrupt(
                &path,
                "it is missing (the manifest declares it); restore it from git or run `aisecrets init --env` again after removing the declaration",
            ));
        }
        other => other?,
    };
    open_file(project, env, keys, path, file, check_trust)
}

fn open_file(
    project: &Project,
    env: &str,
    keys: &Keys,
    path: PathBuf,
    file: EnvFile,
    check_trust: bool,
) -> Result<OpenEnv> {
    if file.project != project.id() {
        return Err(Error::corrupt(&path, "it belongs to another project"));
    }
    if file.env != env {
        return Err(Error::corrupt(
            &path,
            format!(
                "it holds environment `{}`, not `{env}`",
                secret::sanitize(&file.env, 64)
            ),
        ));
    }
    let key = match crypto::unwrap_data_key(&file.data_key, keys.identities()) {
        Ok(k) => k,
        Err(UnwrapError::NoMatch) => {
            return Err(not_a_recipient(project, env, path, keys.public_key()));
        }
        Err(UnwrapError::Invalid(reason)) => return Err(Error::corrupt(&path, reason)),
    };
    // The id is computed from the opened key, never trusted from the file.
    if key.key_id() != file.key_id {
        return Err(Error::corrupt(
            &path,
            "its key_id does not match its data key",
        ));
    }
    // Every value must open (one bad value refuses the whole file), then the key must be
    // the one this user trusts.
    // And the whole file must be as someone holding the key wrote it (format 2): no line
    // removed, none put back from history, no header field edited. On a large file the MAC
    // is computed on a core of its own while the values open.
    let opener = key.opener();
    let (values, intact) = std::thread::scope(|s| {
        let mac = (file.secrets.len() >= 2048).then(|| s.spawn(|| file.verify(&key)));
        let values = open_all(&opener, &file, &path);
        let intact = match mac {
            Some(h) => h.join().unwrap_or(Err("its mac could not be checked")),
            None => file.verify(&key),
        };
        (values, intact)
    });
    let values = values?;
    for (name, token) in &file.conflicts {
        opener
            .open(&file.project, &file.env, name, token)
            .map_err(|reason| Error::corrupt(&path, format!("conflict `{name}`: {reason}")))?;
    }
    intact.map_err(|reason| Error::corrupt(&path, reason))?;
    if check_trust {
        crate::project::trust::check(project, env, &key, &file, &path, keys)?;
        crate::project::trust::check_format(project, env, &file, &path)?;
    }
    let me = whose(project, env, keys);
    Ok(OpenEnv {
        path,
        file,
        key,
        values,
        me,
    })
}

/// The user's keys for opening `env`, after checking, without any passphrase, that the
/// manifest lists this user's public key among `env`'s recipients (#13): a non-member hears
/// about `aisecrets request-access` before being asked to unlock anything. Only identities
/// whose one public key is known without opening them are checked (the stored identity,
/// `AISECRETS_IDENTITY`); an identity file may hold several keys and is just tried.
pub fn keys_for(project: &Project, env: &str) -> Result<Keys> {
    if let Some(d) = crate::keys::identity::describe()?
        && !d.source.starts_with("AISECRETS_IDENTITY_FILE")
        && let Some(mine) = d.public.as_deref()
        && let Ok(decl) = project.env(env)
        && decl.vault.is_none()
        && !decl.recipients.values().any(|k| k.trim() == mine)
    {
        return Err(not_a_recipient(
            project,
            env,
            project.env_path(env)?,
            Some(mine),
        ));
    }
    crate::keys::identity::load()
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
        .unwrap_or_else(crate::base::error::whoami);
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

/// Opens every value (one bad value refuses the file), on all cores for large files.
fn open_all(
    opener: &crypto::Opener,
    file: &EnvFile,
    path: &Path,
) -> Result<BTreeMap<String, Opened>> {
    let entries: Vec<(&String, &String)> = file.secrets.iter().collect();
    let open_chunk = |chunk: &[(&String, &String)]| -> Result<Vec<(String, Opened)>> {
        chunk
            .iter()
            .map(|(name, token)| {
                opener
                    .open(&file.project, &file.env, name, token)
                    .map(|o| ((*name).clone(), o))
                    .map_err(|reason| Error::corrupt(path, format!("`{name}`: {reason}")))
            })
            .collect()
    };
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(8);
    if entries.len() < 2048 || threads < 2 {
        return Ok(open_chunk(&entries)?.into_iter().collect());
    }
    let size = entries.len().div_ceil(threads);
    let parts: Vec<Result<Vec<(String, Opened)>>> = std::thread::scope(|s| {
        let handles: Vec<_> = entries
            .chunks(size)
            .map(|c| s.spawn(move || open_chunk(c)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(Error::corrupt(path, "a value could not be opened")))
            })
            .collect()
    });
    let mut all = Vec::with_capacity(entries.len());
    for p in parts {
        all.extend(p?);
    }
    // The chunks are in order, so this is a sorted bulk build.
    Ok(all.into_iter().collect())
}

/// The recipient name of this user in `env`: the one whose key matches, else `$USER`.
fn whose(project: &Project, env: &str, keys: &Keys) -> String {
    let mine = keys.public_key();
    project
        .env(env)
        .ok()
        .and_then(|decl| {
            decl.recipients
                .iter()
                .find(|(_, k)| Some(k.trim()) == mine)
                .map(|(n, _)| n.clone())
        })
        .unwrap_or_else(crate::base::error::whoami)
}

/// Seconds since the Unix epoch.
#[must_use]
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl OpenEnv {
    /// The value of `name`, or an error with a suggestion.
    pub fn get(&self, name: &str) -> Result<&SecretValue> {
        self.values
            .get(name)
            .map(|o| &o.value)
            .ok_or_else(|| self.missing(name))
    }

    fn missing(&self, name: &str) -> Error {
        Error::no_such_secret(name, &self.file.env, self.values.keys().map(String::as_str))
    }

    /// Sets `name` to `value`; an equal value keeps its sealed bytes untouched.
    pub fn set(&mut self, name: &str, value: SecretValue) -> Result<Change> {
        secret::check_name(name)?;
        let change = match self.values.get(name) {
            Some(old) if old.value.ct_eq(&value) => return Ok(Change::Unchanged),
            Some(_) => Change::Changed,
            None => Change::Added,
        };
        let meta = Meta {
            set_at: now(),
            set_by: self.me.clone(),
            exposed: Vec::new(),
        };
        let token = self
            .key
            .seal(&self.file.project, &self.file.env, name, &value, &meta);
        self.file.secrets.insert(name.to_owned(), token);
        self.file.conflicts.remove(name);
        self.values.insert(name.to_owned(), Opened { value, meta });
        Ok(change)
    }

    /// Wraps the same data key to `recipients` (name, public key): values stay
    /// byte-identical.
    pub fn rewrap(&mut self, recipients: &BTreeMap<String, String>) -> Result<()> {
        self.file.data_key = wrap_to(&self.key, recipients)?;
        self.file.recipients = recipients.keys().cloned().collect();
        Ok(())
    }

    /// Makes a new data key wrapped to `recipients`, reseals every value marked as exposed
    /// to `removed`, and extends the rekey chain so pins roll forward. Returns the new key.
    pub fn rekey(
        &mut self,
        removed: &[String],
        recipients: &BTreeMap<String, String>,
    ) -> Result<&DataKey> {
        let new = DataKey::generate();
        let data_key = wrap_to(&new, recipients)?;
        let rekeys = crate::project::trust::extend_chain(&self.file, &self.key, &new);
        let mut secrets = BTreeMap::new();
        for (name, opened) in &mut self.values {
            for r in removed {
                if !opened.meta.exposed.contains(r) {
                    opened.meta.exposed.push(r.clone());
                }
            }
            let token = new.seal(
                &self.file.project,
                &self.file.env,
                name,
                &opened.value,
                &opened.meta,
            );
            secrets.insert(name.clone(), token);
        }
        let mut conflicts = BTreeMap::new();
        for (name, token) in &self.file.conflicts {
            if let Ok(o) = self
                .key
                .open(&self.file.project, &self.file.env, name, token)
            {
                conflicts.insert(
                    name.clone(),
                    new.seal(&self.file.project, &self.file.env, name, &o.value, &o.meta),
                );
            }
        }
        self.file.secrets = secrets;
        self.file.conflicts = conflicts;
        self.file.data_key = data_key;
        self.file.key_id = new.key_id();
        self.file.rekeys = Some(rekeys);
        self.file.recipients = recipients.keys().cloned().collect();
        self.key = new;
        Ok(&self.key)
    }

    /// Refuses `names` that a git merge left in conflict (#13): a conflicted value is used
    /// by nobody until `aisecrets edit` resolves it.
    pub fn refuse_conflicts<'a>(&self, names: impl IntoIterator<Item = &'a str>) -> Result<()> {
        let names: Vec<String> = names
            .into_iter()
            .filter(|n| self.file.conflicts.contains_key(*n))
            .map(str::to_owned)
            .collect();
        if names.is_empty() {
            return Ok(());
        }
        Err(Error::Conflicted {
            env: self.file.env.clone(),
            path: self.path.clone(),
            names,
        })
    }

    /// Drops a merge conflict on `name`, keeping the current value.
    pub fn resolve(&mut self, name: &str) -> bool {
        self.file.conflicts.remove(name).is_some()
    }

    /// The other branch's value for each name a merge left in conflict.
    #[must_use]
    pub fn conflicts(&self) -> Vec<(String, Opened)> {
        self.file
            .conflicts
            .iter()
            .filter_map(|(n, t)| {
                Some((
                    n.clone(),
                    self.key
                        .open(&self.file.project, &self.file.env, n, t)
                        .ok()?,
                ))
            })
            .collect()
    }

    /// The opened data key.
    #[must_use]
    pub fn key(&self) -> &DataKey {
        &self.key
    }

    /// Removes `name`.
    pub fn remove(&mut self, name: &str) -> Result<()> {
        if self.values.remove(name).is_none() {
            return Err(self.missing(name));
        }
        self.file.secrets.remove(name);
        self.file.conflicts.remove(name);
        Ok(())
    }
}

/// Opens `env` under the folder lock, lets `f` change it, and writes it back atomically
/// if `f` returns `true` (something changed).
pub fn modify<T>(
    project: &Project,
    env: &str,
    keys: &Keys,
    f: impl FnOnce(&mut OpenEnv) -> Result<(T, bool)>,
) -> Result<T> {
    let path = project.env_path(env)?;
    let dir = path
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let _lock = atomic::lock_dir(&dir)?;
    let mut open_env = open(project, env, keys)?;
    let before = open_env.file.clone();
    let (out, changed) = f(&mut open_env)?;
    if changed && open_env.file != before {
        let text = render_checked(&open_env.file, &open_env.key, &path)?;
        write(project, &open_env, &text)?;
    }
    Ok(out)
}

/// Like [`modify`] for several environments at once: every one is opened (and checked)
/// and changed in memory before any is written, so a failure in one writes none.
pub fn modify_many<T>(
    project: &Project,
    envs: &[String],
    keys: &Keys,
    mut f: impl FnMut(&str, &mut OpenEnv) -> Result<T>,
) -> Result<Vec<T>> {
    let mut dirs: Vec<PathBuf> = envs
        .iter()
        .map(|e| {
            project.env_path(e).map(|p| {
                p.parent()
                    .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
            })
        })
        .collect::<Result<_>>()?;
    dirs.sort();
    dirs.dedup();
    let _locks = dirs
        .iter()
        .map(|d| atomic::lock_dir(d))
        .collect::<Result<Vec<_>>>()?;
    let mut opened = envs
        .iter()
        .map(|e| open(project, e, keys))
        .collect::<Result<Vec<_>>>()?;
    let mut outs = Vec::with_capacity(envs.len());
    for (env, o) in envs.iter().zip(opened.iter_mut()) {
        outs.push(f(env, o)?);
    }
    // Every file is rendered (and checked against the limits) before any is written.
    let texts = opened
        .iter()
        .map(|o| render_checked(&o.file, &o.key, &o.path))
        .collect::<Result<Vec<_>>>()?;
    for (o, text) in opened.iter().zip(texts) {
        write(project, o, &text)?;
    }
    Ok(outs)
}

/// Writes an opened environment back as `text` (rendered by [`render_checked`]: the current
/// format with a fresh MAC), and remembers the upgrade.
fn write(project: &Project, open_env: &OpenEnv, text: &str) -> Result<()> {
    atomic::write_atomic(&open_env.path, text.as_bytes(), 0o644)?;
    if open_env.file.format < format::FORMAT {
        // Upgraded: from now on this user refuses a format 1 file here.
        crate::project::trust::raise_min_format(project, &open_env.file.env)?;
    }
    Ok(())
}

/// Renders `file` (MAC under `key`), refusing a result aisecrets would refuse to read back.
pub fn render_checked(file: &EnvFile, key: &DataKey, path: &Path) -> Result<String> {
    let text = file.render(key);
    // Lines need no check: a token of a value within the 1 MiB limit is under MAX_LINE.
    if text.len() as u64 > MAX_ENV_FILE || file.secrets.len() > format::MAX_SECRETS {
        return Err(Error::Failed(format!(
            "{}: not written: it would exceed what aisecrets reads ({} MiB, {} secrets); keep large files out of environments",
            path.display(),
            MAX_ENV_FILE >> 20,
            format::MAX_SECRETS
        )));
    }
    Ok(text)
}

/// Wraps `key` to `recipients` (name, public key).
pub fn wrap_to(key: &DataKey, recipients: &BTreeMap<String, String>) -> Result<String> {
    if recipients.is_empty() {
        return Err(Error::Failed(
            "an environment needs at least one recipient".into(),
        ));
    }
    let mut parsed = Vec::new();
    for (name, k) in recipients {
        parsed.push(
            crypto::parse_recipient(k).map_err(|reason| Error::BadRecipient {
                name: name.clone(),
                reason,
            })?,
        );
    }
    crypto::wrap_data_key(key, &parsed).map_err(|reason| Error::BadRecipient {
        name: recipients.keys().cloned().collect::<Vec<_>>().join(", "),
        reason,
    })
}

/// Writes a brand-new environment file holding no secrets, wrapped to `recipients`, and
/// pins its key for this user (who approves those recipients).
pub fn create_env(
    project: &Project,
    env: &str,
    recipients: &BTreeMap<String, String>,
) -> Result<PathBuf> {
    let path = project.env_path(env)?;
    let dir = path
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    std::fs::create_dir_all(&dir).map_err(|e| Error::io("create", &dir, e))?;
    atomic::refuse_symlinks_below(&project.root, &path)?;
    let key = DataKey::generate();
    let file = EnvFile {
        format: format::FORMAT,
        mac: None,
        project: project.id().to_owned(),
        env: env.to_owned(),
        key_id: key.key_id(),
        recipients: recipients.keys().cloned().collect(),
        data_key: wrap_to(&key, recipients)?,
        rekeys: None,
        secrets: BTreeMap::new(),
        conflicts: BTreeMap::new(),
    };
    let _lock = atomic::lock_dir(&dir)?;
    if std::fs::symlink_metadata(&path).is_ok() {
        return Err(Error::UnsafePath {
            path,
            reason: "already exists; refusing to overwrite an environment file",
        });
    }
    atomic::write_atomic(&path, file.render(&key).as_bytes(), 0o644)?;
    crate::project::trust::pin(project, env, &key, Some(recipients.clone()))?;
    crate::project::trust::raise_min_format(project, env)?;
    Ok(path)
}
