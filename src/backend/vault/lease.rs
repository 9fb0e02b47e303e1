//! Short-lived credentials for one `run`: leased secrets (a database engine's users) and
//! a child token, each revoked when the child exits, however it exits. If aisecrets itself
//! is killed with SIGKILL, their TTL is what bounds them.

use std::collections::BTreeMap;

use zeroize::Zeroizing;

use super::{Client, Token, wire};
use crate::base::error::{Error, Result};
use crate::base::secret::SecretValue;
use crate::project::vault_decl::{ChildTokenDecl, LeaseDecl, placeholders};

/// Leases and a child token taken for one run; revoked by [`Held::revoke`] or on drop.
pub struct Held<'a> {
    client: &'a Client,
    leases: Vec<(String, String)>,
    /// Leases to keep alive while the child runs: variable, lease id, duration (s), and
    /// when it was issued.
    renewable: Vec<(String, String, u64, std::time::Instant)>,
    child: Option<Token>,
}

impl std::fmt::Debug for Held<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Held")
            .field("leases", &self.leases.len())
            .finish_non_exhaustive()
    }
}

impl<'a> Held<'a> {
    /// Nothing held yet.
    #[must_use]
    pub fn new(client: &'a Client) -> Self {
        Self {
            client,
            leases: Vec::new(),
            renewable: Vec::new(),
            child: None,
        }
    }

    /// Reads the leased secret for variable `name` and builds its value.
    pub fn lease(&mut self, name: &str, decl: &LeaseDecl) -> Result<SecretValue> {
        let what = format!("issue the leased secret {} for {name}", decl.path);
        let reply = self.client.call("GET", &decl.path, None, &what, &[])?;
        let leased: wire::Leased = reply.json(&what)?;
        drop(reply);
        if leased.lease_id.is_empty() {
            return Err(Error::Vault {
                what: format!(
                    "{} answered without a lease for {name}: it is not a path that issues leased secrets",
                    decl.path
                ),
                hint: "name a secrets engine's credentials path (like database/creds/ROLE) in [environments.ENV.leases]; static values belong in the KV path".into(),
            });
        }
        self.leases.push((name.to_owned(), leased.lease_id.clone()));
        if leased.renewable && leased.lease_duration > 0 {
            self.renewable.push((
                name.to_owned(),
                leased.lease_id.clone(),
                leased.lease_duration,
                std::time::Instant::now(),
            ));
        }
        let value = build(name, decl, &leased.data)?;
        SecretValue::new(name, value)
    }

    /// Makes a child token of ours limited to the run: its TTL, and the manifest's
    /// policies. Without policies in the manifest it gets its parent's, except that a root
    /// parent's child gets a policy made for the run that reads this environment only: a
    /// root child could mint tokens that outlive the run.
    pub fn child_token(
        &mut self,
        decl: Option<&ChildTokenDecl>,
        label: &str,
        kv: &super::VaultDecl,
        scope: &str,
    ) -> Result<Token> {
        let ttl = decl
            .map(ChildTokenDecl::ttl_secs)
            .transpose()
            .map_err(|e| Error::Failed(e.to_string()))?
            .unwrap_or(3600);
        let mut body = serde_json::json!({
            "ttl": format!("{ttl}s"),
            "explicit_max_ttl": format!("{ttl}s"),
            "renewable": false,
            "display_name": label,
        });
        if let Some(p) = decl.and_then(|d| d.policies.clone()) {
            body["policies"] = serde_json::json!(p);
        } else if self.parent_is_root()? {
            body["policies"] = serde_json::json!([self.run_policy(kv, scope)?]);
        }
        let bytes = serde_json::to_vec(&body).unwrap_or_default();
        let reply = self.client.call(
            "POST",
            "auth/token/create",
            Some(&bytes),
            "make a child token for --vault-token (the token needs `update` on auth/token/create)",
            &[],
        )?;
        let created: wire::AuthReply = reply.json("make a child token")?;
        let token = Token::new(created.auth.client_token);
        self.child = Some(token.clone());
        Ok(token)
    }

    fn parent_is_root(&self) -> Result<bool> {
        let reply = self.client.call(
            "GET",
            "auth/token/lookup-self",
            None,
            "look up the token for --vault-token",
            &[],
        )?;
        let doc: wire::Lookup = reply.json("look up the token")?;
        Ok(doc.data.policies.iter().any(|p| p == "root"))
    }

    /// Writes (or refreshes) `aisecrets-run-SCOPE`: read on this environment's KV path.
    fn run_policy(&self, kv: &super::VaultDecl, scope: &str) -> Result<String> {
        let name = format!("aisecrets-run-{scope}");
        let rules = format!(
            "path \"{m}/data/{p}\" {{ capabilities = [\"read\"] }}\npath \"{m}/metadata/{p}\" {{ capabilities = [\"read\"] }}\n",
            m = kv.mount,
            p = kv.path
        );
        let body = serde_json::to_vec(&serde_json::json!({ "policy": rules })).unwrap_or_default();
        self.client.call(
            "PUT",
            &format!("sys/policies/acl/{name}"),
            Some(&body),
            &format!("write the policy {name} for the child token"),
            &[],
        )?;
        Ok(name)
    }

    /// Renews the renewable leases while the child runs (a training run outlives a lease's
    /// first TTL), each when half of its duration has passed, until `stop` closes or the
    /// server will not extend it any further (its max TTL).
    pub fn keep_alive(&self, stop: &std::sync::mpsc::Receiver<()>) {
        use std::time::{Duration, Instant};
        let half = |secs: u64| Duration::from_millis(secs.max(1) * 500);
        let due = |secs: u64| Instant::now() + half(secs);
        let mut plan: Vec<(&str, &str, u64, Instant)> = self
            .renewable
            .iter()
            .map(|(n, id, d, issued)| (n.as_str(), id.as_str(), *d, *issued + half(*d)))
            .collect();
        while !plan.is_empty() {
            let next = plan.iter().map(|p| p.3).min().unwrap_or_else(Instant::now);
            match stop.recv_timeout(next.saturating_duration_since(Instant::now())) {
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                _ => return,
            }
            let now = Instant::now();
            plan.retain_mut(|(name, id, duration, at)| {
                if *at > now {
                    return true;
                }
                let body = serde_json::to_vec(
                    &serde_json::json!({ "lease_id": id, "increment": *duration }),
                )
                .unwrap_or_default();
                let renewed = self
                    .client
                    .call(
                        "PUT",
                        "sys/leases/renew",
                        Some(&body),
                        &format!("renew the lease of {name}"),
                        &[],
                    )
                    .and_then(|r| r.json::<wire::Renewed>("renew a lease"));
                match renewed {
                    Ok(v) => {
                        let got = v.lease_duration;
                        if got == 0 {
                            return false;
                        }
                        // Capped by the max TTL: one last wait, then it ends on its own.
                        *at = due(got);
                        got >= *duration
                    }
                    Err(e) => {
                        crate::base::output::status(&format!(
                            "aisecrets: warning: the lease of {name} could not be renewed ({e}); it ends with its TTL"
                        ));
                        false
                    }
                }
            });
        }
    }

    /// Revokes every lease and the child token; says on stderr what could not be revoked.
    pub fn revoke(&mut self) {
        for (name, id) in std::mem::take(&mut self.leases) {
            let body =
                serde_json::to_vec(&serde_json::json!({ "lease_id": id })).unwrap_or_default();
            if let Err(e) = self.client.call(
                "PUT",
                "sys/leases/revoke",
                Some(&body),
                &format!("revoke the lease of {name}"),
                &[],
            ) {
                crate::base::output::status(&format!(
                    "aisecrets: warning: the lease of {name} was not revoked ({e}); it ends with its TTL, or revoke it now: `bao lease revoke {id}`"
                ));
            }
        }
        if let Some(token) = self.child.take() {
            // The child may have revoked it already (403 then): that is fine.
            if let Err(e) = self.client.call_with(
                &token,
                "POST",
                "auth/token/revoke-self",
                None,
                "revoke the child token",
                &[403],
            ) {
                crate::base::output::status(&format!(
                    "aisecrets: warning: the child token was not revoked ({e}); it ends with its TTL"
                ));
            }
        }
    }
}

/// The value of a leased variable from the answer's `data`: the template filled in, the
/// one field named, or the only field. Built in a buffer sized up front, so no partial
/// copy is left behind by its growing.
fn build(
    name: &str,
    decl: &LeaseDecl,
    data: &BTreeMap<String, wire::Field>,
) -> Result<Zeroizing<String>> {
    let field = |f: &str| -> Result<Zeroizing<String>> {
        match data.get(f) {
            Some(wire::Field::Text(s)) => Ok(s.clone()),
            Some(wire::Field::Other(v)) => Ok(Zeroizing::new(v.to_string())),
            None => Err(Error::Failed(format!(
                "the answer of {} has no field `{}` for {name} (it has: {})",
                decl.path,
                crate::base::output::sanitize(f, 40),
                data.keys().cloned().collect::<Vec<_>>().join(", ")
            ))),
        }
    };
    if let Some(t) = &decl.template {
        let names = placeholders(t).map_err(|e| Error::Failed(e.to_string()))?;
        let mut parts = Vec::with_capacity(names.len());
        for n in &names {
            parts.push(field(n)?);
        }
        let mut out = Zeroizing::new(String::with_capacity(
            t.len() + parts.iter().map(|p| p.len()).sum::<usize>(),
        ));
        let mut rest = t.as_str();
        let mut parts = parts.iter();
        while let (Some(start), Some(part)) = (rest.find("{{"), parts.next()) {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after.find("}}").unwrap_or(after.len());
            out.push_str(part);
            rest = after.get(end + 2..).unwrap_or_default();
        }
        out.push_str(rest);
        return Ok(out);
    }
    if let Some(f) = &decl.field {
        return field(f);
    }
    match data.keys().next() {
        Some(only) if data.len() == 1 => field(only),
        _ => Err(Error::Failed(format!(
            "{} answers with several fields ({}): set `template` or `field` for {name} in aisecrets.toml",
            decl.path,
            data.keys().cloned().collect::<Vec<_>>().join(", ")
        ))),
    }
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        self.revoke();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_found_and_checked() {
        assert_eq!(
            placeholders("postgres://{{username}}:{{ password }}@h/db").unwrap(),
            vec!["username", "password"]
        );
        assert!(placeholders("x{{user").is_err());
        assert!(placeholders("x{{}}").is_err());
        assert!(placeholders("x{{a b}}").is_err());
    }
}
