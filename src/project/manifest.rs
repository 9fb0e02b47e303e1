//! `aisecrets.toml`: the committed project manifest. Untrusted input: everything read
//! from it is validated before use. Edits go through `toml_edit` so that a user's
//! comments and layout survive.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use serde::Deserialize;

use crate::base::error::{Error, Result};
use crate::base::files;
use crate::base::secret;

/// The manifest's file name.
pub const MANIFEST: &str = "aisecrets.toml";
const MAX_MANIFEST: u64 = 16 << 20;

/// The parsed manifest.
#[derive(Debug, Clone, Deserialize)]
pub struct Manifest {
    /// `[project]`.
    pub project: ProjectSection,
    /// `[environments.NAME]`.
    #[serde(default)]
    pub environments: BTreeMap<String, EnvDecl>,
    /// `[pending]`: access requests (name to public key) waiting for a member's approval.
    #[serde(default)]
    pub pending: BTreeMap<String, String>,
    /// `[scopes.NAME]`: named subsets of secrets for `run --scope`.
    #[serde(default)]
    pub scopes: BTreeMap<String, Scope>,
    /// `[files]`: secrets handed to `run`'s child as a file (variable = file name).
    #[serde(default)]
    pub files: BTreeMap<String, String>,
    /// `[scan]`: what `aisecrets scan` lets pass knowingly.
    #[serde(default)]
    pub scan: ScanSection,
    /// `[agents]`: narrows what the user's config lets a coding agent use (#16); it can
    /// never widen it.
    #[serde(default)]
    pub agents: Option<AgentsSection>,
    /// `[proxy.NAME]`: the hosts (and optionally paths, methods, headers) a secret may be
    /// sent to by `run --proxy` (#15). Repository input: pinned by trust.
    #[serde(default)]
    pub proxy: BTreeMap<String, ProxyRuleDecl>,
}

/// `[proxy.NAME]` of the manifest (#15).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct ProxyRuleDecl {
    /// Host names (`*.example.com` for any subdomain) the key may be sent to.
    pub hosts: Vec<String>,
    /// Path prefixes; any path when left out.
    #[serde(default)]
    pub paths: Vec<String>,
    /// Methods; any when left out.
    #[serde(default)]
    pub methods: Vec<String>,
    /// Request headers the key goes in; `Authorization`, `x-api-key`, `api-key` when left out.
    #[serde(default)]
    pub headers: Vec<String>,
}

/// `[agents]` of the manifest: when a list is given, an agent may use only names that are
/// both in it and allowed by the user's own config.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentsSection {
    /// Names an agent may use at most.
    pub allow: Option<Vec<String>>,
    /// Scopes whose names an agent may use at most.
    pub allow_scopes: Option<Vec<String>>,
}

/// `[scan]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScanSection {
    /// Path globs (`tests/fixtures/**`) and `re:` regexes over found values that are not
    /// findings.
    #[serde(default)]
    pub allow: Vec<String>,
}

/// `[scopes.NAME]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scope {
    /// The secret names in the scope.
    pub secrets: Vec<String>,
}

/// `[project]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectSection {
    /// Random id made by `init`; bound into every sealed value.
    pub id: String,
    /// The environment used when none is named.
    pub default_env: Option<String>,
    /// Secrets older than this (like `90d`) are listed as stale by `status`.
    pub max_age: Option<String>,
}

/// `[environments.NAME]`.
#[derive(Debug, Clone, Deserialize)]
pub struct EnvDecl {
    /// Path of the encrypted file, relative to the project root.
    pub file: Option<String>,
    /// Recipient name to public key.
    #[serde(default)]
    pub recipients: BTreeMap<String, String>,
    /// `vault = { ... }`: the environment lives in OpenBao/Vault (KV v2), not in a file.
    pub vault: Option<super::vault_decl::VaultDecl>,
    /// `[environments.NAME.leases]`: variables filled from leased Vault secrets by `run`.
    #[serde(default)]
    pub leases: BTreeMap<String, super::vault_decl::LeaseDecl>,
    /// `[environments.NAME.child_token]`: the token `run --vault-token` makes for its child.
    pub child_token: Option<super::vault_decl::ChildTokenDecl>,
}

/// A project found on disk.
#[derive(Debug, Clone)]
pub struct Project {
    /// The folder holding `aisecrets.toml`.
    pub root: PathBuf,
    /// The manifest's contents.
    pub manifest: Manifest,
}

impl Project {
    /// Walks up from `start` to the first folder with an `aisecrets.toml`, like git; one
    /// that another user owns is refused (see [`super::owner`]).
    pub fn find(start: &Path) -> Result<Option<Self>> {
        for dir in start.ancestors() {
            let path = dir.join(MANIFEST);
            if path.is_file() {
                return Self::load(dir).map(Some);
            }
        }
        Ok(None)
    }

    /// Like [`Project::find`], but a missing project is an error.
    pub fn require(start: &Path) -> Result<Self> {
        Self::find(start)?.ok_or_else(|| Error::NoProject {
            cwd: start.to_owned(),
        })
    }

    /// Loads the manifest in `root`.
    pub fn load(root: &Path) -> Result<Self> {
        let path = root.join(MANIFEST);
        super::owner::check(&path, root)?;
        let bytes = files::read_project_file(&path, MAX_MANIFEST)?;
        let text = String::from_utf8(bytes).map_err(|_| manifest_err(&path, "is not UTF-8"))?;
        let manifest = parse(&path, &text)?;
        Ok(Self {
            root: root.to_owned(),
            manifest,
        })
    }

    /// The manifest's path.
    #[must_use]
    pub fn manifest_path(&self) -> PathBuf {
        self.root.join(MANIFEST)
    }

    /// The project id.
    #[must_use]
    pub fn id(&self) -> &str {
        &self.manifest.project.id
    }

    /// Names of the declared environments, sorted.
    #[must_use]
    pub fn env_names(&self) -> Vec<String> {
        self.manifest.environments.keys().cloned().collect()
    }

    /// The declaration of `env`, or an error listing the known ones.
    pub fn env(&self, env: &str) -> Result<&EnvDecl> {
        self.manifest.environments.get(env).ok_or_else(|| {
            let known = self.env_names();
            Error::UnknownEnv {
                env: crate::base::output::sanitize(env, 64),
                known,
            }
        })
    }

    /// Picks the environment: `--env`, else `AISECRETS_ENV`, else the manifest's
    /// `default_env`, else the only one, else `dev`.
    pub fn pick_env(&self, flag: Option<&str>) -> Result<String> {
        let env_var = std::env::var("AISECRETS_ENV")
            .ok()
            .filter(|s| !s.is_empty());
        let name = match (flag, env_var, &self.manifest.project.default_env) {
            (Some(f), _, _) => f.to_owned(),
            (None, Some(v), _) => v,
            (None, None, Some(d)) => d.clone(),
            (None, None, None) if self.manifest.environments.len() == 1 => {
                self.env_names().remove(0)
            }
            (None, None, None) => "dev".to_owned(),
        };
        self.env(&name)?;
        Ok(name)
    }

    /// Names of the environments kept in encrypted files (not in Vault), sorted.
    #[must_use]
    pub fn file_env_names(&self) -> Vec<String> {
        self.manifest
            .environments
            .iter()
            .filter(|(_, d)| d.vault.is_none())
            .map(|(n, _)| n.clone())
            .collect()
    }

    /// The encrypted file of `env`, checked to stay inside the project.
    pub fn env_path(&self, env: &str) -> Result<PathBuf> {
        let decl = self.env(env)?;
        if let Some(v) = &decl.vault {
            return Err(Error::Failed(format!(
                "environment `{env}` is kept in Vault ({}), not in an encrypted file, and this command works on encrypted-file environments only; manage it with set, get, rm, list, import, export, run, push and pull",
                v.location()
            )));
        }
        let rel = decl.file.clone().unwrap_or_else(|| default_env_file(env));
        Ok(self.root.join(rel))
    }
}

/// Parses and checks a manifest's text; `path` is for errors only.
pub fn parse(path: &Path, text: &str) -> Result<Manifest> {
    let manifest: Manifest = toml::from_str(text).map_err(|e| Error::Manifest {
        path: path.to_owned(),
        reason: one_line(e.message()),
    })?;
    validate(path, &manifest)?;
    Ok(manifest)
}

/// `secrets/<env>.toml`.
#[must_use]
pub fn default_env_file(env: &str) -> String {
    format!("secrets/{env}.toml")
}

fn manifest_err(path: &Path, reason: &str) -> Error {
    Error::Manifest {
        path: path.to_owned(),
        reason: reason.to_owned(),
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn validate(path: &Path, m: &Manifest) -> Result<()> {
    for (name, rule) in &m.proxy {
        secret::check_name(name)?;
        let host_ok = |h: &String| {
            let bare = h.strip_prefix("*.").unwrap_or(h);
            !bare.is_empty()
                && bare
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        };
        if rule.hosts.is_empty() || !rule.hosts.iter().all(host_ok) {
            return Err(manifest_err(
                path,
                &format!(
                    "proxy.{name}.hosts must list host names (like \"api.example.com\" or \"*.example.com\")"
                ),
            ));
        }
        if !rule.paths.iter().all(|p| p.starts_with('/')) {
            return Err(manifest_err(
                path,
                &format!("proxy.{name}.paths must start with /"),
            ));
        }
        let token = |t: &String| {
            !t.is_empty()
                && t.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        };
        if !rule.methods.iter().all(token) || !rule.headers.iter().all(token) {
            return Err(manifest_err(
                path,
                &format!("proxy.{name}: methods and headers are names like POST or x-api-key"),
            ));
        }
    }
    let id = &m.project.id;
    if id.len() != 32 || !id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return Err(manifest_err(
            path,
            "project.id must be 32 lowercase hex digits",
        ));
    }
    for (env, decl) in &m.environments {
        secret::check_env_name(env)?;
        if let Some(file) = &decl.file {
            let p = Path::new(file);
            let ok = !file.is_empty()
                && p.components().all(|c| matches!(c, Component::Normal(_)))
                && !file.contains('\\');
            if !ok {
                return Err(manifest_err(
                    path,
                    &format!("environments.{env}.file must be a relative path inside the project"),
                ));
            }
        }
        for name in decl.recipients.keys() {
            secret::check_recipient_name(name)?;
        }
        if let Some(v) = &decl.vault {
            if decl.file.is_some() || !decl.recipients.is_empty() {
                return Err(manifest_err(
                    path,
                    &format!(
                        "environments.{env} declares both `vault` and a file or recipients: an environment lives in one place"
                    ),
                ));
            }
            v.validate().map_err(|reason| {
                manifest_err(path, &format!("environments.{env}.vault: {reason:#}"))
            })?;
        }
        if !decl.leases.is_empty() && decl.vault.is_none() {
            return Err(manifest_err(
                path,
                &format!(
                    "environments.{env}.leases needs a Vault environment: declare `vault = {{ address = ..., path = ... }}`"
                ),
            ));
        }
        for (name, lease) in &decl.leases {
            secret::check_name(name)?;
            lease.validate().map_err(|reason| {
                manifest_err(path, &format!("environments.{env}.leases.{name}: {reason}"))
            })?;
        }
        if let Some(t) = &decl.child_token {
            t.validate().map_err(|reason| {
                manifest_err(path, &format!("environments.{env}.child_token: {reason}"))
            })?;
        }
    }
    for (scope, decl) in &m.scopes {
        if !secret::valid_recipient_name(scope) {
            return Err(manifest_err(
                path,
                &format!(
                    "scope name `{}` is invalid",
                    crate::base::output::sanitize(scope, 64)
                ),
            ));
        }
        for name in &decl.secrets {
            secret::check_name(name)?;
        }
    }
    for (name, file) in &m.files {
        secret::check_name(name)?;
        let ok = !file.is_empty()
            && file.len() <= 128
            && file != "."
            && file != ".."
            && file
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        if !ok {
            return Err(manifest_err(
                path,
                &format!("files.{name} must be a plain file name like gcp-sa.json"),
            ));
        }
    }
    for name in m.pending.keys() {
        secret::check_recipient_name(name)?;
    }
    if let Some(age) = &m.project.max_age {
        humantime::parse_duration(age).map_err(|_| {
            manifest_err(path, "project.max_age must be a duration like 90d or 12w")
        })?;
    }
    if let Some(d) = m
        .project
        .default_env
        .as_ref()
        .filter(|d| !m.environments.contains_key(*d))
    {
        return Err(manifest_err(
            path,
            &format!(
                "project.default_env names `{}`, which is not declared",
                crate::base::output::sanitize(d, 64)
            ),
        ));
    }
    Ok(())
}

/// A fresh manifest text for a new project.
#[must_use]
pub fn new_manifest_text(id: &str) -> String {
    format!(
        "# aisecrets project manifest: commit this file.\n\
         # Each environment's secrets live encrypted in the file it names.\n\
         [project]\nid = \"{id}\"\n"
    )
}

/// Adds `[environments.ENV]` with one recipient to the manifest in `root`, keeping the
/// rest of the file as it is.
pub fn add_env(root: &Path, text: &str, env: &str, recipient: &str, key: &str) -> Result<String> {
    let path = root.join(MANIFEST);
    let mut doc: toml_edit::DocumentMut = text
        .parse()
        .map_err(|e: toml_edit::TomlError| manifest_err(&path, &one_line(e.message())))?;
    let envs = doc
        .entry("environments")
        .or_insert_with(|| {
            let mut t = toml_edit::Table::new();
            t.set_implicit(true);
            toml_edit::Item::Table(t)
        })
        .as_table_mut()
        .ok_or_else(|| manifest_err(&path, "`environments` must be a table"))?;
    let mut decl = toml_edit::Table::new();
    decl["file"] = toml_edit::value(default_env_file(env));
    let mut recips = toml_edit::Table::new();
    recips[recipient] = toml_edit::value(key);
    decl["recipients"] = toml_edit::Item::Table(recips);
    envs[env] = toml_edit::Item::Table(decl);
    Ok(doc.to_string())
}

/// Edits the manifest in `root` under a lock: `f` changes the document, the result must
/// still be a valid manifest, and it is written atomically. Returns the new project.
pub fn edit(
    root: &Path,
    f: impl FnOnce(&mut toml_edit::DocumentMut) -> Result<()>,
) -> Result<Project> {
    let path = root.join(MANIFEST);
    let _lock = files::lock_dir(root)?;
    let bytes = files::read_project_file(&path, MAX_MANIFEST)?;
    let text = String::from_utf8(bytes).map_err(|_| manifest_err(&path, "is not UTF-8"))?;
    let mut doc: toml_edit::DocumentMut = text
        .parse()
        .map_err(|e: toml_edit::TomlError| manifest_err(&path, &one_line(e.message())))?;
    f(&mut doc)?;
    let new_text = doc.to_string();
    let manifest: Manifest =
        toml::from_str(&new_text).map_err(|e| manifest_err(&path, &one_line(e.message())))?;
    validate(&path, &manifest)?;
    files::write_atomic(&path, new_text.as_bytes(), 0o644)?;
    Ok(Project {
        root: root.to_owned(),
        manifest,
    })
}

/// Replaces `[environments.ENV.recipients]` with `recipients`.
pub fn set_recipients(
    doc: &mut toml_edit::DocumentMut,
    env: &str,
    recipients: &BTreeMap<String, String>,
) {
    let mut table = toml_edit::Table::new();
    for (name, key) in recipients {
        table[name.as_str()] = toml_edit::value(key.as_str());
    }
    doc["environments"][env]["recipients"] = toml_edit::Item::Table(table);
}

/// Sets (or, with `None`, removes) a pending access request.
pub fn set_pending(doc: &mut toml_edit::DocumentMut, name: &str, key: Option<&str>) {
    match key {
        Some(k) => {
            if !doc.contains_table("pending") {
                doc["pending"] = toml_edit::Item::Table(toml_edit::Table::new());
            }
            doc["pending"][name] = toml_edit::value(k);
        }
        None => {
            if let Some(t) = doc
                .get_mut("pending")
                .and_then(toml_edit::Item::as_table_mut)
            {
                t.remove(name);
                if t.is_empty() {
                    doc.remove("pending");
                }
            }
        }
    }
}
