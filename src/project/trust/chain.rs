//! The rekey chain: proofs, sealed in an environment under its data key, that each new
//! key was made by someone who knew the one before (`recipients rm`), so pins roll forward
//! without asking. Works on the chain's parts (project id, environment, the sealed blob)
//! that the file backend passes in: trust knows nothing of the file format.

use crate::keys::seal::{self, DataKey};

use super::Pin;

/// What the chain blob is bound to.
pub const REKEY_PURPOSE: &str = "rekeys";
const MAX_CHAIN: usize = 64;

/// Where a chain is sealed: the environment's project id, its name, and the sealed blob
/// (`None` when the environment was never rekeyed).
#[derive(Debug, Clone, Copy)]
pub struct Sealed<'a> {
    /// The project id bound into the blob.
    pub project: &'a str,
    /// The environment name bound into the blob.
    pub env: &'a str,
    /// The sealed chain.
    pub blob: Option<&'a str>,
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
pub fn chain(file: Sealed<'_>, key: &DataKey) -> Vec<Link> {
    let Some(token) = file.blob else {
        return Vec::new();
    };
    let Some(plain) = key.open_blob(REKEY_PURPOSE, file.project, file.env, token) else {
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
pub fn extend_chain(file: Sealed<'_>, old: &DataKey, new: &DataKey) -> String {
    let mut links = chain(file, old);
    let (to, to_verifier) = (new.key_id(), new.verifier());
    let from_secret = old.rekey_secret();
    links.push(Link {
        from: old.key_id(),
        proof: seal::rekey_proof(&from_secret, file.project, file.env, &to, &to_verifier),
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
    new.seal_blob(REKEY_PURPOSE, file.project, file.env, text.as_bytes())
}

/// The links of the chain that lead, proof by proof, from `pin` to `key`, if they do.
pub(super) fn chain_leads(pin: &Pin, file: Sealed<'_>, key: &DataKey) -> Option<Vec<Link>> {
    let links = chain(file, key);
    let start = links
        .iter()
        .position(|l| seal::same_hex(&l.from, &pin.key_id))?;
    let mut verifier = pin.verifier.clone();
    let mut current = pin.key_id.clone();
    for l in &links[start..] {
        // The link reveals the old key's rekey secret: it must hash to the verifier we
        // hold (only the old key's holders know it), and the proof must be made with it.
        if !link_holds(l, &verifier, file.project, file.env) || !seal::same_hex(&l.from, &current) {
            return None;
        }
        verifier.clone_from(&l.to_verifier);
        current.clone_from(&l.to);
    }
    (seal::same_hex(&current, &key.key_id()) && seal::same_hex(&verifier, &key.verifier()))
        .then(|| links[start..].to_vec())
}

/// Whether `link` was made by someone who knew the key whose verifier is `verifier`.
pub fn link_holds(link: &Link, verifier: &str, project: &str, env: &str) -> bool {
    let knows_old =
        seal::verifier_of(&link.from_secret).is_some_and(|v| seal::same_hex(&v, verifier));
    let want = seal::rekey_proof(&link.from_secret, project, env, &link.to, &link.to_verifier);
    knows_old && seal::same_hex(&want, &link.proof)
}
