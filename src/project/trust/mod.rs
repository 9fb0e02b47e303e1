//! Trust: the user's own memory, per repository and environment, of the data key they
//! accepted (a pin: its id and verifier), of the recipients they approved, and of the Vault
//! settings their credentials may be sent with. Kept in `trust.toml` in the user folder;
//! never in the repository, which anyone with write access can change.
//!
//! A pin belongs to one repository: it is keyed by the canonical path of the folder that
//! holds `aisecrets.toml` on this machine, and it records the project id the manifest
//! claimed. Nothing in the repository can make it apply elsewhere: another project's files
//! copied into this one, a moved or second clone, or an edited `project.id` is either new
//! (and asks, like a first use) or a change (and is refused). Pins written by older
//! versions were keyed by the project id alone; they are kept but never trusted on their
//! own, because nothing says which folder they were made in (see [`legacy_note`]).
//!
//! A forged file (a new data key wrapped to the team's public keys) opens, but its key id
//! does not match the pin; a key made by a member's `recipients rm` carries a chain of
//! proofs, each an HMAC under the previous key's verifier, so pins roll forward without
//! asking, unless git history shows the chain forks (the file backend searches it:
//! `backend::file::history`). `AISECRETS_TRUST` passes pins to machines with no memory
//! (CI): it is the user's own explicit input, keyed by `PROJECT/ENV`, and holds both
//! data-key and Vault pins.
//!
//! Trust sits below the backends: what it needs from an environment file or a Vault
//! declaration (a data key, the sealed chain, the format, the settings) is passed in, and a
//! first use is decided by the command layer through [`Ask`] (it asks on the terminal).
//! Parts: [`mod@chain`] (the rekey chain), [`mod@check`] (a data key against its pin),
//! [`mod@vault`] (Vault settings against theirs); this file holds the pins themselves.

pub mod chain;
pub mod check;
pub mod proxy;
pub mod vault;

pub use chain::{Link, REKEY_PURPOSE, Sealed, chain, extend_chain, link_holds};
pub use check::{Verdict, check, check_format, describe, raise_min_format, roll_forward};
pub use proxy::{check_proxy, describe_proxy, pin_proxy, proxy_digest, proxy_trusted};
pub use vault::{
    env_vault_digest, legacy_vault_pin, pin_vault, vault_digest, vault_pin, vault_pins,
};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::base::error::{Error, Result};
use crate::base::files;
use crate::keys::seal::DataKey;
use crate::project::Project;

/// The first environment file format with a MAC over the whole file: a pin that saw it
/// refuses the format before it (`AISECRETS_TRUST`'s `:2`). The file backend checks that
/// its format number agrees.
pub const MAC_FORMAT: i64 = 2;

/// A first use of an environment on this machine, for someone to decide: shown, then
/// asked. Trust builds it; the command layer asks ([`Ask`]).
pub struct FirstUse {
    /// What to show before the question (settings, key id, recipients, notes).
    pub text: String,
    /// The yes/no question.
    pub question: &'static str,
    /// The error when nobody can be asked (no terminal): it names the way to pin.
    pub no_terminal: Error,
    /// The error message when the answer is no.
    pub declined: &'static str,
}

/// The decision on a [`FirstUse`]: `Ok` trusts it (and it is pinned), an error refuses it.
/// Commands pass theirs (it asks on the terminal) down to the backends.
pub type Ask = fn(FirstUse) -> Result<()>;

/// One pinned environment.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Pin {
    /// The project id the manifest claimed when this was pinned (empty in old pins).
    #[serde(default)]
    pub project: String,
    /// The accepted data key's id.
    pub key_id: String,
    /// Its verifier (derived from the key; not the key).
    pub verifier: String,
    /// The recipients this user approved: name to public key.
    #[serde(default)]
    pub recipients: BTreeMap<String, String>,
    /// The lowest file format accepted from now on: 2 once this user saw or wrote the
    /// environment in format 2, so a format 1 file (no MAC) put back cannot drop lines (#12).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub min_format: i64,
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
fn is_zero(n: &i64) -> bool {
    *n == 0
}

/// The pins of one repository (one folder holding `aisecrets.toml`).
#[derive(Debug, Default, Serialize, Deserialize)]
struct Repo {
    /// Encrypted-file environments, by name.
    #[serde(default)]
    envs: BTreeMap<String, Pin>,
    /// Vault environments: the settings this user's credentials were first sent with, one
    /// `field = value` line each (project, address, namespace, mount, path, auth, leases...).
    #[serde(default)]
    vault: BTreeMap<String, BTreeMap<String, String>>,
    /// The SHA-256 of the manifest's `[proxy.NAME]` rules this user accepted (#15).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    proxy: Option<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct TrustFile {
    /// Pins by repository path (see the module header).
    #[serde(default)]
    repos: BTreeMap<String, Repo>,
    /// Pins written before #12, keyed by `PROJECT/ENV` only: shown, never trusted.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pins: BTreeMap<String, Pin>,
    /// Vault pins written before #12, keyed by `PROJECT/ENV` only: shown, never trusted.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    vault: BTreeMap<String, BTreeMap<String, String>>,
}

/// Where a pin came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// This user's `trust.toml`, for this repository.
    Mine,
    /// `AISECRETS_TRUST`.
    EnvVar,
}

/// The key of `project`'s repository in `trust.toml`: the canonical path of its root on
/// this machine (a path that is not UTF-8 is written as `hex:` and its bytes).
fn repo_key(project: &Project) -> Result<String> {
    use std::os::unix::ffi::OsStrExt;
    let root =
        std::fs::canonicalize(&project.root).map_err(|e| Error::io("resolve", &project.root, e))?;
    Ok(match root.to_str() {
        Some(s) => s.to_owned(),
        None => format!(
            "hex:{}",
            crate::base::hex::encode(root.as_os_str().as_bytes())
        ),
    })
}

fn slot(project: &str, env: &str) -> String {
    format!("{project}/{env}")
}

fn path() -> Result<PathBuf> {
    Ok(crate::base::files::home()?.join("trust.toml"))
}

fn load() -> Result<TrustFile> {
    let path = path()?;
    match files::read_regular(&path, 16 << 20) {
        Ok(bytes) => {
            let text = String::from_utf8(bytes).map_err(|_| Error::Config {
                path: path.clone(),
                reason: "it is not UTF-8".into(),
            })?;
            toml::from_str(&text).map_err(|e| Error::Config {
                path,
                reason: e.message().split_whitespace().collect::<Vec<_>>().join(" "),
            })
        }
        Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            Ok(TrustFile::default())
        }
        Err(e) => Err(e),
    }
}

/// Changes the pins of `project`'s repository under a lock on the user folder.
fn update(project: &Project, f: impl FnOnce(&mut Repo)) -> Result<()> {
    let key = repo_key(project)?;
    let home = crate::base::files::home()?;
    crate::base::files::create_private_dir(&home)?;
    let _lock = files::lock_dir(&home)?;
    let mut file = load()?;
    f(file.repos.entry(key).or_default());
    let path = path()?;
    let text = toml::to_string(&file).map_err(|e| Error::Config {
        path: path.clone(),
        reason: e.to_string(),
    })?;
    files::write_atomic(&path, text.as_bytes(), 0o600)
}

/// The pins of `project`'s repository, and the legacy (pre-#12) file.
fn repo(project: &Project) -> Result<(Repo, TrustFile)> {
    let key = repo_key(project)?;
    let mut file = load()?;
    let repo = file.repos.remove(&key).unwrap_or_default();
    Ok((repo, file))
}

/// One entry of `AISECRETS_TRUST`.
enum EnvPin {
    Key(Pin),
    /// The SHA-256 of a Vault environment's settings ([`vault_digest`]).
    Vault(String),
}

/// Pins from `AISECRETS_TRUST`, comma-separated: `PROJECT/ENV=KEY_ID:VERIFIER[:2]` for an
/// encrypted file, `PROJECT/ENV=vault:SHA256` for a Vault environment.
fn env_pins() -> Result<BTreeMap<String, EnvPin>> {
    let Ok(text) = std::env::var("AISECRETS_TRUST") else {
        return Ok(BTreeMap::new());
    };
    let bad = || {
        Error::Failed("AISECRETS_TRUST is malformed: expected PROJECT/ENV=KEY_ID:VERIFIER[:2] or PROJECT/ENV=vault:SHA256 [,...] as `aisecrets trust --print` prints".into())
    };
    let hex_of = |s: &str, len: usize| s.len() == len && crate::base::hex::decode(s).is_some();
    let mut pins = BTreeMap::new();
    for entry in text.split([',', ' ', '\n']).filter(|e| !e.is_empty()) {
        let (slot, value) = entry.split_once('=').ok_or_else(bad)?;
        let (a, b) = value.split_once(':').ok_or_else(bad)?;
        // An optional third field carries the pin's lowest format (`:2`), so CI refuses a
        // format 1 file (no MAC) put back where the environment is in format 2.
        let (b, min_format) = match b.split_once(':') {
            Some((b, "2")) => (b, MAC_FORMAT),
            Some(_) => return Err(bad()),
            None => (b, 0),
        };
        let pin = if a == "vault" && hex_of(b, 64) && min_format == 0 {
            EnvPin::Vault(b.to_ascii_lowercase())
        } else if hex_of(a, 32) && hex_of(b, 64) {
            EnvPin::Key(Pin {
                project: slot.split('/').next().unwrap_or("").to_owned(),
                key_id: a.to_owned(),
                verifier: b.to_owned(),
                recipients: BTreeMap::new(),
                min_format,
            })
        } else {
            return Err(bad());
        };
        pins.insert(slot.to_owned(), pin);
    }
    Ok(pins)
}

/// What this machine knows about `env` of `project`.
enum Found {
    /// A pin, and where it came from.
    Pin(Pin, Source),
    /// This repository's pin was made for another project id: the manifest changed.
    ProjectChanged(String),
    /// Nothing; perhaps a pin an older aisecrets made for the same project id, somewhere.
    Nothing(Option<Pin>),
}

fn find(project: &Project, env: &str) -> Result<Found> {
    let (mut repo, mut legacy) = repo(project)?;
    // An entry with no key holds approvals only (`recipients ack` before a first open).
    if let Some(p) = repo.envs.remove(env).filter(|p| !p.key_id.is_empty()) {
        if p.project != project.id() {
            return Ok(Found::ProjectChanged(p.project));
        }
        return Ok(Found::Pin(p, Source::Mine));
    }
    if let Some(EnvPin::Key(p)) = env_pins()?.remove(&slot(project.id(), env)) {
        return Ok(Found::Pin(p, Source::EnvVar));
    }
    Ok(Found::Nothing(legacy.pins.remove(&slot(project.id(), env))))
}

/// The pin for `env` of `project` (this user's own for this repository first, then
/// `AISECRETS_TRUST`), and where it came from.
pub fn get(project: &Project, env: &str) -> Result<Option<(Pin, Source)>> {
    Ok(match find(project, env)? {
        Found::Pin(p, s) => Some((p, s)),
        _ => None,
    })
}

/// The recipients this user approved for `env` in this repository.
pub fn approved(project: &Project, env: &str) -> Result<BTreeMap<String, String>> {
    let (mut repo, _) = repo(project)?;
    Ok(repo
        .envs
        .remove(env)
        .filter(|p| p.project == project.id())
        .map(|p| p.recipients)
        .unwrap_or_default())
}

/// Pins `key` for `env` of `project`; `recipients`, when given, become the approved set.
pub fn pin(
    project: &Project,
    env: &str,
    key: &DataKey,
    recipients: Option<BTreeMap<String, String>>,
) -> Result<()> {
    pin_ids(project, env, key.key_id(), key.verifier(), recipients)
}

/// [`pin`] by id and verifier.
pub fn pin_ids(
    project: &Project,
    env: &str,
    key_id: String,
    verifier: String,
    recipients: Option<BTreeMap<String, String>>,
) -> Result<()> {
    let id = project.id().to_owned();
    update(project, |r| {
        let p = r.envs.entry(env.to_owned()).or_default();
        if p.project != id {
            // A pin made for another project id approves nothing here.
            p.recipients.clear();
        }
        p.project = id;
        p.key_id = key_id;
        p.verifier = verifier;
        if let Some(r) = recipients {
            p.recipients.extend(r);
        }
    })
}

/// Records `recipients` as approved for `env` of `project`.
/// Approvals accumulate (per machine, whatever the git branch): a name keeps its approved
/// key until it is removed with [`unapprove`] or approved with another key.
pub fn approve(project: &Project, env: &str, recipients: BTreeMap<String, String>) -> Result<()> {
    let id = project.id().to_owned();
    update(project, |r| {
        let p = r.envs.entry(env.to_owned()).or_default();
        if p.project != id {
            p.recipients.clear();
            p.key_id.clear();
            p.verifier.clear();
            p.project = id;
        }
        p.recipients.extend(recipients);
    })
}

/// Forgets the approval of `names` (they were removed).
pub fn unapprove(project: &Project, env: &str, names: &[String]) -> Result<()> {
    update(project, |r| {
        let approved = &mut r.envs.entry(env.to_owned()).or_default().recipients;
        for n in names {
            approved.remove(n);
        }
    })
}

/// A line for a first-use question when an older aisecrets pinned the same project id and
/// environment: those pins did not record in which folder they were made, so they cannot
/// tell this repository from a copy of it, and are shown, not trusted.
#[must_use]
pub fn legacy_note(matches: bool) -> &'static str {
    if matches {
        "an older aisecrets trusted this same key for this project id, without recording in which folder: check that this is that repository, not a copy of it"
    } else {
        "WARNING: an older aisecrets trusted a DIFFERENT key for this project id: this may be a copy of another project or a forged file"
    }
}

/// A warning for a first open when this user already trusts the same project id and
/// environment in another folder: fine for a second clone, but an `aisecrets.toml` planted in
/// a subfolder of a trusted repository (with an older environment file beside it) looks
/// exactly like that, so a folder inside a trusted one is named loudly.
fn elsewhere_note(project: &Project, env: &str) -> Result<Option<String>> {
    let here = repo_key(project)?;
    let file = load()?;
    let mut inside = Vec::new();
    let mut other = Vec::new();
    for (folder, repo) in &file.repos {
        let trusted = repo
            .envs
            .get(env)
            .is_some_and(|p| p.project == project.id() && !p.key_id.is_empty());
        if !trusted || folder == &here {
            continue;
        }
        let shown = crate::base::output::sanitize(folder, 200);
        if Path::new(&here).starts_with(folder) {
            inside.push(shown);
        } else {
            other.push(shown);
        }
    }
    Ok(if let Some(parent) = inside.first() {
        Some(format!(
            "WARNING: this folder is inside {parent}, where you already trust `{env}` of this project: an aisecrets.toml planted in a subfolder can bring back an older environment file; open it from {parent} instead"
        ))
    } else if !other.is_empty() {
        Some(format!(
            "you already trust `{env}` of this project in {}: say yes only if this folder is a clone you made",
            other.join(", ")
        ))
    } else {
        None
    })
}

/// How the manifest's recipients of `env` differ from what this user approved, one line
/// each (`+ name key`, `- name`, `~ name key`), with fingerprints. `wrapped` names whom
/// the environment's data key is wrapped to now (a removal matters only while it still is).
pub fn unapproved(project: &Project, env: &str, wrapped: &[String]) -> Result<Vec<String>> {
    let declared = &project.env(env)?.recipients;
    let approved = approved(project, env)?;
    let mut changes = Vec::new();
    for (name, key) in declared {
        match approved.get(name) {
            None => changes.push(format!(
                "+ {name} {} ({})",
                short_key(key),
                fingerprint(key)
            )),
            Some(k) if k.trim() != key.trim() => {
                changes.push(format!(
                    "~ {name} now {} ({})",
                    short_key(key),
                    fingerprint(key)
                ));
            }
            Some(_) => {}
        }
    }
    for name in approved
        .keys()
        .filter(|n| !declared.contains_key(*n) && wrapped.contains(n))
    {
        changes.push(format!("- {name}"));
    }
    Ok(changes)
}

/// Refuses to go on while `env` has recipients (or keys) this user has not approved.
/// Recipients gone from the manifest do not block: nobody is encrypted to because of them
/// (and approvals are per machine, not per git branch).
pub fn require_approved(project: &Project, env: &str) -> Result<()> {
    let changes: Vec<String> = unapproved(project, env, &[])?
        .into_iter()
        .filter(|c| !c.starts_with("- "))
        .collect();
    if changes.is_empty() {
        Ok(())
    } else {
        Err(Error::NotApproved {
            env: env.to_owned(),
            changes,
        })
    }
}

/// A key's fingerprint: `SHA256:` and 16 hex digits of the SHA-256 of the key text.
#[must_use]
pub fn fingerprint(key: &str) -> String {
    use sha2::Digest;
    let d = sha2::Sha256::digest(key.trim().as_bytes());
    format!("SHA256:{}", &crate::base::hex::encode(&d)[..16])
}

/// A key shortened for display.
#[must_use]
pub fn short_key(key: &str) -> String {
    // By characters: the key is the repository's text and may hold any (no byte slicing).
    let key = crate::base::output::sanitize(key.trim(), 200);
    let chars: Vec<char> = key.chars().collect();
    if chars.len() > 40 {
        let head: String = chars[..20].iter().collect();
        let tail: String = chars[chars.len() - 8..].iter().collect();
        format!("{head}…{tail}")
    } else {
        key
    }
}

/// The `AISECRETS_TRUST` value for the given environments' pins in this repository (and
/// those `AISECRETS_TRUST` already holds): `PROJECT/ENV=KEY_ID:VERIFIER` for an encrypted
/// file, `PROJECT/ENV=vault:SHA256` for a Vault environment. `vault_settings` holds the
/// current settings of the Vault environments among `envs`.
pub fn print_value(
    project: &Project,
    envs: &[String],
    vault_settings: &BTreeMap<String, BTreeMap<String, String>>,
) -> Result<Option<String>> {
    let mut parts = Vec::new();
    for env in envs {
        let name = slot(project.id(), env);
        if let Some(current) = vault_settings.get(env) {
            if vault_pin(project, env)?.is_some_and(|p| &p == current) {
                parts.push(format!("{name}=vault:{}", vault_digest(current)));
            }
        } else if let Some((p, _)) = get(project, env)? {
            let format = if p.min_format >= MAC_FORMAT { ":2" } else { "" };
            parts.push(format!("{name}={}:{}{format}", p.key_id, p.verifier));
        }
    }
    Ok((!parts.is_empty()).then(|| parts.join(",")))
}

#[cfg(test)]
mod tests {
    #[test]
    fn short_key_cuts_by_characters() {
        let key = format!("age1{}é{}", "q".repeat(15), "q".repeat(40));
        let short = super::short_key(&key);
        assert!(short.starts_with("age1qqqqqqqqqqqqqqqé"), "{short}");
        assert!(short.ends_with("…qqqqqqqq"), "{short}");
    }
}
