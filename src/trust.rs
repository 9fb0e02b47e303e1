//! Trust: the user's own memory, per project and environment, of the data key they accepted
//! (a pin: its id and verifier) and of the recipients they approved. Kept in `trust.toml`
//! in the user folder; never in the repository, which anyone with write access can change.
//!
//! A forged file (a new data key wrapped to the team's public keys) opens, but its key id
//! does not match the pin; a key made by a member's `recipients rm` carries a chain of
//! proofs, each an HMAC under the previous key's verifier, so pins roll forward without
//! asking. `AISECRETS_TRUST` passes pins to machines with no memory (CI).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::crypto::{self, DataKey};
use crate::error::{Error, Result};
use crate::store::{EnvFile, Project, atomic};
use crate::{output, prompt, secret};

/// What the chain blob is bound to.
pub const REKEY_PURPOSE: &str = "rekeys";
const MAX_CHAIN: usize = 64;

/// One pinned environment.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Pin {
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

#[derive(Debug, Default, Serialize, Deserialize)]
struct TrustFile {
    #[serde(default)]
    pins: BTreeMap<String, Pin>,
    /// Vault environments: the settings this user's credentials were first sent with, one
    /// `field = value` line each (address, namespace, mount, path, auth, leases...).
    #[serde(default)]
    vault: BTreeMap<String, BTreeMap<String, String>>,
}

/// The pinned Vault settings of `project`/`env`, if any.
pub fn vault_pin(project: &str, env: &str) -> Result<Option<BTreeMap<String, String>>> {
    Ok(load()?.vault.remove(&slot(project, env)))
}

/// Pins the Vault settings of `project`/`env`.
pub fn pin_vault(project: &str, env: &str, settings: BTreeMap<String, String>) -> Result<()> {
    update(|f| {
        f.vault.insert(slot(project, env), settings);
    })
}

fn slot(project: &str, env: &str) -> String {
    format!("{project}/{env}")
}

fn path() -> Result<PathBuf> {
    Ok(crate::identity::home()?.join("trust.toml"))
}

fn load() -> Result<TrustFile> {
    let path = path()?;
    match atomic::read_regular(&path, 16 << 20) {
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

/// Changes the trust file under a lock on the user folder.
fn update(f: impl FnOnce(&mut TrustFile)) -> Result<()> {
    let home = crate::identity::home()?;
    crate::identity::create_private_dir(&home)?;
    let _lock = atomic::lock_dir(&home)?;
    let mut file = load()?;
    f(&mut file);
    let path = path()?;
    let text = toml::to_string(&file).map_err(|e| Error::Config {
        path: path.clone(),
        reason: e.to_string(),
    })?;
    atomic::write_atomic(&path, text.as_bytes(), 0o600)
}

/// Pins from `AISECRETS_TRUST`: `PROJECT/ENV=KEY_ID:VERIFIER`, comma-separated.
fn env_pins() -> Result<BTreeMap<String, Pin>> {
    let Ok(text) = std::env::var("AISECRETS_TRUST") else {
        return Ok(BTreeMap::new());
    };
    let bad = || {
        Error::Failed("AISECRETS_TRUST is malformed: expected PROJECT/ENV=KEY_ID:VERIFIER[,...] as `aisecrets trust --print` prints".into())
    };
    let mut pins = BTreeMap::new();
    for entry in text.split([',', ' ', '\n']).filter(|e| !e.is_empty()) {
        let (slot, value) = entry.split_once('=').ok_or_else(bad)?;
        let (key_id, verifier) = value.split_once(':').ok_or_else(bad)?;
        if key_id.len() != 32
            || verifier.len() != 64
            || crypto::unhex(key_id).is_none()
            || crypto::unhex(verifier).is_none()
        {
            return Err(bad());
        }
        pins.insert(
            slot.to_owned(),
            Pin {
                key_id: key_id.to_owned(),
                verifier: verifier.to_owned(),
                ..Pin::default()
            },
        );
    }
    Ok(pins)
}

/// The pin for `project`/`env` (the user's own first, then `AISECRETS_TRUST`), and whether
/// it came from the environment variable.
pub fn get(project: &str, env: &str) -> Result<Option<(Pin, bool)>> {
    let key = slot(project, env);
    if let Some(p) = load()?.pins.remove(&key) {
        return Ok(Some((p, false)));
    }
    Ok(env_pins()?.remove(&key).map(|p| (p, true)))
}

/// Pins `key` for `project`/`env`; `recipients`, when given, become the approved set.
pub fn pin(
    project: &str,
    env: &str,
    key: &DataKey,
    recipients: Option<BTreeMap<String, String>>,
) -> Result<()> {
    pin_ids(project, env, key.key_id(), key.verifier(), recipients)
}

/// [`pin`] by id and verifier.
pub fn pin_ids(
    project: &str,
    env: &str,
    key_id: String,
    verifier: String,
    recipients: Option<BTreeMap<String, String>>,
) -> Result<()> {
    update(|f| {
        let p = f.pins.entry(slot(project, env)).or_default();
        p.key_id = key_id;
        p.verifier = verifier;
        if let Some(r) = recipients {
            p.recipients.extend(r);
        }
    })
}

/// Records `recipients` as approved for `project`/`env`.
/// Approvals accumulate (per machine, whatever the git branch): a name keeps its approved
/// key until it is removed with [`unapprove`] or approved with another key.
pub fn approve(project: &str, env: &str, recipients: BTreeMap<String, String>) -> Result<()> {
    update(|f| {
        f.pins
            .entry(slot(project, env))
            .or_default()
            .recipients
            .extend(recipients);
    })
}

/// Forgets the approval of `names` (they were removed).
pub fn unapprove(project: &str, env: &str, names: &[String]) -> Result<()> {
    update(|f| {
        let approved = &mut f.pins.entry(slot(project, env)).or_default().recipients;
        for n in names {
            approved.remove(n);
        }
    })
}

/// How the manifest's recipients of `env` differ from what this user approved, one line
/// each (`+ name key`, `- name`, `~ name key`), with fingerprints.
pub fn unapproved(project: &Project, env: &str) -> Result<Vec<String>> {
    let declared = &project.env(env)?.recipients;
    let approved = get(project.id(), env)?
        .map(|(p, _)| p.recipients)
        .unwrap_or_default();
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
    // A removal matters only while the file is still wrapped to them.
    let wrapped = project
        .env_path(env)
        .ok()
        .and_then(|p| crate::store::read_env_file(&p).ok())
        .map(|f| f.recipients)
        .unwrap_or_default();
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
    let changes: Vec<String> = unapproved(project, env)?
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
    format!("SHA256:{}", &crypto::hex(&d)[..16])
}

/// A key shortened for display.
#[must_use]
pub fn short_key(key: &str) -> String {
    let key = secret::sanitize(key.trim(), 200);
    if key.len() > 40 {
        format!("{}…{}", &key[..20], &key[key.len() - 8..])
    } else {
        key
    }
}

/// One link of the rekey chain (sealed under the current key).
#[derive(Clone, PartialEq, Eq)]
pub struct Link {
    /// The key id before.
    pub from: String,
    /// The key id after.
    pub to: String,
    /// The new key's verifier.
    pub to_verifier: String,
    /// The old key's rekey secret, whose SHA-256 is the old verifier.
    pub from_secret: String,
    /// HMAC under the old key's rekey secret.
    pub proof: String,
}

impl std::fmt::Debug for Link {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Link")
            .field("from", &self.from)
            .field("to", &self.to)
            .finish_non_exhaustive()
    }
}

/// Reads the chain sealed in `file` (opened with `key`).
#[must_use]
pub fn chain(file: &EnvFile, key: &DataKey) -> Vec<Link> {
    let Some(token) = &file.rekeys else {
        return Vec::new();
    };
    let Some(plain) = key.open_blob(REKEY_PURPOSE, &file.project, &file.env, token) else {
        return Vec::new();
    };
    std::str::from_utf8(&plain)
        .unwrap_or("")
        .lines()
        .filter_map(|l| {
            let mut f = l.split(' ');
            Some(Link {
                from: f.next()?.to_owned(),
                to: f.next()?.to_owned(),
                to_verifier: f.next()?.to_owned(),
                from_secret: f.next()?.to_owned(),
                proof: f.next()?.to_owned(),
            })
        })
        .collect()
}

/// The chain for a new key `new` replacing `old`: the old chain plus one link.
#[must_use]
pub fn extend_chain(file: &EnvFile, old: &DataKey, new: &DataKey) -> String {
    let mut links = chain(file, old);
    let (to, to_verifier) = (new.key_id(), new.verifier());
    let from_secret = old.rekey_secret();
    links.push(Link {
        from: old.key_id(),
        proof: crypto::rekey_proof(&from_secret, &file.project, &file.env, &to, &to_verifier),
        from_secret: from_secret.to_string(),
        to,
        to_verifier,
    });
    let start = links.len().saturating_sub(MAX_CHAIN);
    let text = zeroize::Zeroizing::new(
        links[start..]
            .iter()
            .map(|l| {
                format!(
                    "{} {} {} {} {}\n",
                    l.from, l.to, l.to_verifier, l.from_secret, l.proof
                )
            })
            .collect::<String>(),
    );
    new.seal_blob(REKEY_PURPOSE, &file.project, &file.env, text.as_bytes())
}

/// Whether the chain leads, proof by proof, from `pin` to `key`.
fn chain_leads(pin: &Pin, file: &EnvFile, key: &DataKey) -> bool {
    let links = chain(file, key);
    let Some(start) = links
        .iter()
        .position(|l| crypto::same_hex(&l.from, &pin.key_id))
    else {
        return false;
    };
    let mut verifier = pin.verifier.clone();
    let mut current = pin.key_id.clone();
    for l in &links[start..] {
        // The link reveals the old key's rekey secret: it must hash to the verifier we
        // hold (only the old key's holders know it), and the proof must be made with it.
        let knows_old =
            crypto::verifier_of(&l.from_secret).is_some_and(|v| crypto::same_hex(&v, &verifier));
        let want = crypto::rekey_proof(
            &l.from_secret,
            &file.project,
            &file.env,
            &l.to,
            &l.to_verifier,
        );
        if !knows_old || !crypto::same_hex(&l.from, &current) || !crypto::same_hex(&want, &l.proof)
        {
            return false;
        }
        verifier.clone_from(&l.to_verifier);
        current.clone_from(&l.to);
    }
    crypto::same_hex(&current, &key.key_id()) && crypto::same_hex(&verifier, &key.verifier())
}

/// Checks an opened environment against the pin: the same key, or a key the chain proves
/// was made by someone who knew the pinned one (the pin then rolls forward). With no pin,
/// asks on the terminal, or fails closed.
pub fn check(
    project: &Project,
    env: &str,
    key: &DataKey,
    file: &EnvFile,
    path: &Path,
) -> Result<()> {
    match get(project.id(), env)? {
        Some((pinned, _)) if crypto::same_hex(&pinned.key_id, &key.key_id()) => Ok(()),
        Some((pinned, from_env)) => {
            if chain_leads(&pinned, file, key) {
                if !from_env {
                    pin(project.id(), env, key, None)?;
                }
                output::status(&format!(
                    "aisecrets: `{env}` has a new data key {} made by a member (recipient change); trusted through the key you had",
                    key.key_id()
                ));
                Ok(())
            } else {
                Err(Error::Untrusted {
                    env: env.to_owned(),
                    path: path.to_owned(),
                    pinned: pinned.key_id,
                    found: key.key_id(),
                })
            }
        }
        None => {
            if !prompt::has_terminal() {
                return Err(Error::NoPin {
                    env: env.to_owned(),
                    path: path.to_owned(),
                });
            }
            if ask_to_trust(project, env, key, file)? {
                let recipients = project.env(env)?.recipients.clone();
                pin(project.id(), env, key, Some(recipients))
            } else {
                Err(Error::Prompt("not trusted; nothing was used"))
            }
        }
    }
}

/// What `trust` and a first open show before pinning.
#[must_use]
pub fn describe(project: &Project, env: &str, key: &DataKey) -> String {
    let mut s = format!(
        "environment `{env}` of project {}\n  key id: {}\n  recipients:\n",
        project.id(),
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

fn ask_to_trust(project: &Project, env: &str, key: &DataKey, _file: &EnvFile) -> Result<bool> {
    output::status(&format!(
        "first time you open this environment:\n{}check the key id with a teammate you know",
        describe(project, env, key)
    ));
    prompt::confirm("Trust it? [y/N] ")
}

/// The `AISECRETS_TRUST` value for the given environments' pins.
pub fn print_value(project: &str, envs: &[String]) -> Result<Option<String>> {
    let mut parts = Vec::new();
    for env in envs {
        if let Some((p, _)) = get(project, env)? {
            parts.push(format!(
                "{}={}:{}",
                slot(project, env),
                p.key_id,
                p.verifier
            ));
        }
    }
    Ok((!parts.is_empty()).then(|| parts.join(",")))
}

/// Refuses a format 1 file (which has no MAC, so lines can be dropped unseen) where this
/// user's pin says the environment was already in format 2; records format 2 the first
/// time it is seen.
pub fn check_format(project: &str, env: &str, file: &EnvFile, path: &Path) -> Result<()> {
    use crate::store::format::FORMAT;
    let Some((pinned, from_env)) = get(project, env)? else {
        return Ok(());
    };
    if file.format < pinned.min_format {
        return Err(Error::corrupt(
            path,
            format!(
                "it is in format {}, without the file MAC, but `{env}` was in format {} when you last opened it (lines can be removed from a format {} file unseen)",
                file.format, pinned.min_format, file.format
            ),
        ));
    }
    if file.format == FORMAT && pinned.min_format < FORMAT && !from_env {
        raise_min_format(project, env)?;
    }
    Ok(())
}

/// Records that `project`/`env` is in the current format for this user (if pinned here).
pub fn raise_min_format(project: &str, env: &str) -> Result<()> {
    use crate::store::format::FORMAT;
    let pins = load()?.pins;
    match pins.get(&slot(project, env)) {
        Some(p) if p.min_format < FORMAT => {}
        _ => return Ok(()),
    }
    update(|f| {
        if let Some(p) = f.pins.get_mut(&slot(project, env)) {
            p.min_format = p.min_format.max(FORMAT);
        }
    })
}
