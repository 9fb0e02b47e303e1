//! Reading and writing encrypted environments: find the file, check it belongs to this
//! project and environment, open the data key, open every value (one bad value refuses
//! the whole file), and write back atomically under a lock, resealing only what changed.
//!
//! Parts: [`mod@format`] (the file's text), [`history`] (git history of a rekey chain),
//! `access` (who may open it), `env` (this store behind [`crate::backend::Backend`]).

mod access;
mod env;
pub mod format;
pub mod history;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use super::Change;
use crate::base::error::{Error, Result};
use crate::base::files;
use crate::base::secret::{self, SecretValue};
use crate::keys::identity::Keys;
use crate::keys::seal::{self, DataKey, Meta, Opened};
use crate::keys::wrap::{self, UnwrapError};
use crate::project::trust::{self, Ask};
use crate::project::{Project, owner};
pub use access::{keys_for, not_a_recipient, wrapped_to};
pub use env::Env;
pub use format::EnvFile;

/// The largest environment file aisecrets reads (and writes): refused on its size before a
/// byte is read, so a crafted file costs neither memory nor time (#12). 16 MiB holds 50,000
/// secrets of a few hundred bytes, or a dozen values at the 1 MiB limit.
pub const MAX_ENV_FILE: u64 = 16 << 20;

// Trust refuses a format older than the one with a MAC once it saw that one.
const _: () = assert!(format::FORMAT == trust::MAC_FORMAT);

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

/// Reads and parses an environment file without opening anything. A symlink is refused.
pub fn read_env_file(path: &Path) -> Result<EnvFile> {
    let bytes = files::read_project_file(path, MAX_ENV_FILE)?;
    let text =
        String::from_utf8(bytes).map_err(|_| Error::corrupt(path, "it is not UTF-8 text"))?;
    EnvFile::parse(path, &text)
}

/// The file of `env` with the checks of every open (#12): no symlink on the way below the
/// project root, not a file another user owns; parsed, nothing opened.
pub fn read_env(project: &Project, env: &str) -> Result<(PathBuf, EnvFile)> {
    let path = project.env_path(env)?;
    files::refuse_symlinks_below(&project.root, &path)?;
    owner::check(&path, &project.root)?;
    let file = read_env_file(&path)?;
    Ok((path, file))
}

/// Opens `env` of `project` with `keys`, checking the key against this user's trust pin;
/// `ask` decides a first use.
pub fn open(project: &Project, env: &str, keys: &Keys, ask: Ask) -> Result<OpenEnv> {
    open_checked(project, env, keys, Some(ask))
}

/// Opens `env` without the trust check: for `trust` itself, which shows the key before
/// pinning it, and for `status`, which shows no value.
pub fn open_untrusted(project: &Project, env: &str, keys: &Keys) -> Result<OpenEnv> {
    open_checked(project, env, keys, None)
}

fn open_checked(project: &Project, env: &str, keys: &Keys, trust: Option<Ask>) -> Result<OpenEnv> {
    let path = project.env_path(env)?;
    files::refuse_symlinks_below(&project.root, &path)?;
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
    open_file(project, env, keys, path, file, trust)
}

fn open_file(
    project: &Project,
    env: &str,
    keys: &Keys,
    path: PathBuf,
    file: EnvFile,
    trust: Option<Ask>,
) -> Result<OpenEnv> {
    if file.project != project.id() {
        return Err(Error::corrupt(&path, "it belongs to another project"));
    }
    if file.env != env {
        return Err(Error::corrupt(
            &path,
            format!(
                "it holds environment `{}`, not `{env}`",
                crate::base::output::sanitize(&file.env, 64)
            ),
        ));
    }
    let key = match wrap::unwrap_data_key(&file.data_key, keys.identities()) {
        Ok(k) => k,
        Err(UnwrapError::NoMatch) => {
            return Err(not_a_recipient(project, env, path, keys.public_key()));
        }
        Err(UnwrapError::Invalid(reason)) => return Err(Error::corrupt(&path, reason)),
        // A wrong PIN, no key plugged in, no terminal: the plugin's word, not a damaged file.
        Err(UnwrapError::Plugin(reason)) => {
            return Err(Error::BadIdentity {
                source_desc: path.display().to_string(),
                reason: format!("your identity's age plugin did not open it: {reason}"),
            });
        }
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
    if let Some(ask) = trust {
        check_trust(project, env, &key, &file, &path, keys, ask)?;
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

/// Checks the opened key of `env` against this user's pin (`ask` decides a first use); a
/// key the rekey chain leads to is trusted only if git history shows no fork of the chain.
fn check_trust(
    project: &Project,
    env: &str,
    key: &DataKey,
    file: &EnvFile,
    path: &Path,
    keys: &Keys,
    ask: Ask,
) -> Result<()> {
    let sealed = (history::sealed(file), file.format);
    match trust::check(project, env, key, sealed, path, ask)? {
        // The format was checked against the pin just read.
        trust::Verdict::Pinned => return Ok(()),
        trust::Verdict::Trusted => {}
        trust::Verdict::Moved {
            pinned,
            source,
            links,
        } => {
            let found = history::find_fork(path, file, keys, &pinned, &links).map_err(|_| {
                Error::Failed(format!(
                    "{}: `{env}` has a new data key, and git history holds more other data keys than your plugin identity is asked to open ({}, each a PIN or touch), so it was not searched for a fork: check the key and its recipients with `aisecrets trust --env {env}`",
                    path.display(),
                    history::MAX_PLUGIN_OPENS
                ))
            })?;
            if let Some(fork) = found {
                return Err(Error::Forked {
                    env: env.to_owned(),
                    path: path.to_owned(),
                    fork: format!(
                        "has data key {}, made from key {}, which git history (commit {}) shows was already replaced by key {}",
                        fork.ours,
                        fork.from,
                        fork.commit.chars().take(12).collect::<String>(),
                        fork.theirs
                    ),
                });
            }
            trust::roll_forward(project, env, key, source)?;
        }
    }
    trust::check_format(project, env, file.format, path)
}

/// Opens every value (one bad value refuses the file), on all cores for large files.
fn open_all(
    opener: &seal::Opener,
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
    // Small files open on this thread without asking how many cores there are (that reads
    // /proc/self/cgroup and the cgroup's CPU quota: start-up, #14).
    if entries.len() < 2048 {
        return Ok(open_chunk(&entries)?.into_iter().collect());
    }
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(8);
    if threads < 2 {
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
        .unwrap_or_else(crate::base::user::name)
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
        super::missing(name, &self.file.env, self.values.keys().map(String::as_str))
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
            set_at: crate::base::time::now(),
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
        let rekeys = trust::extend_chain(history::sealed(&self.file), &self.key, &new);
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
    ask: Ask,
    f: impl FnOnce(&mut OpenEnv) -> Result<(T, bool)>,
) -> Result<T> {
    let path = project.env_path(env)?;
    let dir = path
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let _lock = files::lock_dir(&dir)?;
    let mut open_env = open(project, env, keys, ask)?;
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
    ask: Ask,
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
        .map(|d| files::lock_dir(d))
        .collect::<Result<Vec<_>>>()?;
    let mut opened = envs
        .iter()
        .map(|e| open(project, e, keys, ask))
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
    files::write_atomic(&open_env.path, text.as_bytes(), 0o644)?;
    if open_env.file.format < format::FORMAT {
        // Upgraded: from now on this user refuses a format 1 file here.
        trust::raise_min_format(project, &open_env.file.env)?;
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
            wrap::parse_recipient(k).map_err(|reason| Error::BadRecipient {
                name: name.clone(),
                reason: reason.to_string(),
            })?,
        );
    }
    wrap::wrap_data_key(key, &parsed).map_err(|reason| Error::BadRecipient {
        name: recipients.keys().cloned().collect::<Vec<_>>().join(", "),
        reason: reason.to_string(),
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
    files::refuse_symlinks_below(&project.root, &path)?;
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
    let _lock = files::lock_dir(&dir)?;
    if std::fs::symlink_metadata(&path).is_ok() {
        return Err(Error::UnsafePath {
            path,
            reason: "already exists; refusing to overwrite an environment file",
        });
    }
    files::write_atomic(&path, file.render(&key).as_bytes(), 0o644)?;
    trust::pin(project, env, &key, Some(recipients.clone()))?;
    trust::raise_min_format(project, env)?;
    Ok(path)
}
