//! The user's trust in the manifest's `[proxy.NAME]` rules (#15). A rule says where a key may
//! be sent; anyone who can push to the repository could widen it to a host of theirs. So
//! the rules are pinned per repository like the Vault settings, and `run --proxy` refuses
//! rules that differ from the pin (or have none) until the user runs `aisecrets trust`.

use std::collections::BTreeMap;

use crate::base::error::{Error, Result};
use crate::project::Project;
use crate::project::manifest::ProxyRuleDecl;

use super::{repo, update};

/// The SHA-256 (hex) of the rules.
#[must_use]
pub fn proxy_digest(rules: &BTreeMap<String, ProxyRuleDecl>) -> String {
    use sha2::Digest;
    let text = serde_json::to_vec(rules).unwrap_or_default();
    crate::base::hex::encode(&sha2::Sha256::digest(&text))
}

/// Whether the manifest's rules are the pinned ones (no rules need no pin).
pub fn proxy_trusted(project: &Project) -> Result<bool> {
    let rules = &project.manifest.proxy;
    if rules.is_empty() {
        return Ok(true);
    }
    let (r, _) = repo(project)?;
    Ok(r.proxy.as_deref() == Some(proxy_digest(rules).as_str()))
}

/// Refuses rules that are not pinned.
pub fn check_proxy(project: &Project) -> Result<()> {
    if proxy_trusted(project)? {
        return Ok(());
    }
    Err(Error::Failed(
        "the [proxy.NAME] host rules in aisecrets.toml are new or changed since you trusted this repository; nothing was started; check who changed them and why (`git log -p aisecrets.toml`), then accept them with `aisecrets trust`".into(),
    ))
}

/// Pins the manifest's current rules.
pub fn pin_proxy(project: &Project) -> Result<()> {
    let digest = proxy_digest(&project.manifest.proxy);
    update(project, |r| r.proxy = Some(digest))
}

/// The rules as lines to show before pinning.
#[must_use]
pub fn describe_proxy(rules: &BTreeMap<String, ProxyRuleDecl>) -> String {
    let mut out = String::from("host rules for `run --proxy` ([proxy.NAME] in aisecrets.toml):");
    for (name, r) in rules {
        out.push_str(&format!(
            "\n  {name} -> {}{}{}",
            crate::base::output::sanitize(&r.hosts.join(", "), 400),
            if r.paths.is_empty() {
                String::new()
            } else {
                format!(
                    " paths {}",
                    crate::base::output::sanitize(&r.paths.join(", "), 200)
                )
            },
            if r.headers.is_empty() {
                String::new()
            } else {
                format!(" in {}", r.headers.join(", "))
            },
        ));
    }
    out
}
