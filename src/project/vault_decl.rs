//! The Vault declarations of an environment in `aisecrets.toml` (`vault = {...}`, `leases`,
//! `child_token`): untrusted input, parsed and checked here, in the project layer; the
//! Vault backend (`backend::vault`) acts on them.

use serde::Deserialize;

/// `vault = { address = "...", mount = "secret", path = "ml/prod" }` in an environment.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VaultDecl {
    /// The server, like `https://vault.example.com:8200`; `VAULT_ADDR` wins when set.
    pub address: Option<String>,
    /// The KV v2 mount.
    #[serde(default = "default_mount")]
    pub mount: String,
    /// The KV path that holds the environment's secrets, one key per variable.
    pub path: String,
    /// The namespace (Vault Enterprise, OpenBao); `VAULT_NAMESPACE` wins when set.
    pub namespace: Option<String>,
    /// The role for JWT (CI OIDC) login; without it JWT login is not tried.
    pub jwt_role: Option<String>,
    /// Where the JWT auth method is mounted.
    #[serde(default = "default_jwt_mount")]
    pub jwt_mount: String,
    /// Where the AppRole auth method is mounted.
    #[serde(default = "default_approle_mount")]
    pub approle_mount: String,
}

fn default_mount() -> String {
    "secret".to_owned()
}
fn default_jwt_mount() -> String {
    "jwt".to_owned()
}
fn default_approle_mount() -> String {
    "approle".to_owned()
}

/// A path segment list that is safe to put in a URL: no empty, `.` or `..` segment, and
/// only characters Vault paths use.
fn check_api_path(what: &str, p: &str) -> anyhow::Result<()> {
    let ok = !p.is_empty()
        && p.len() <= 512
        && p.split('/')
            .all(|seg| !seg.is_empty() && seg != "." && seg != "..")
        && p.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'_' | b'-' | b'.' | b'@'));
    anyhow::ensure!(
        ok,
        "{what} `{}` must be a path like ml/prod (letters, digits, _ - . @, no leading or trailing /)",
        crate::base::output::sanitize(p, 80)
    );
    Ok(())
}

impl VaultDecl {
    /// Checks the declaration (the manifest is untrusted input).
    pub fn validate(&self) -> anyhow::Result<()> {
        check_api_path("path", &self.path)?;
        check_api_path("mount", &self.mount)?;
        check_api_path("jwt_mount", &self.jwt_mount)?;
        check_api_path("approle_mount", &self.approle_mount)?;
        if let Some(ns) = &self.namespace {
            check_api_path("namespace", ns)?;
        }
        if let Some(role) = &self.jwt_role {
            check_api_path("jwt_role", role)?;
        }
        if let Some(a) = &self.address {
            parse_address(a)?;
        }
        Ok(())
    }

    /// `secret/ml/prod`, for messages.
    #[must_use]
    pub fn location(&self) -> String {
        format!("{}/{}", self.mount, self.path)
    }
}

/// Checks an address: http or https, a host, and plain http only on loopback (a token
/// must not cross a network in clear) unless `AISECRETS_VAULT_ALLOW_HTTP=1`.
pub fn parse_address(a: &str) -> anyhow::Result<String> {
    parse_address_full(a).map(|(s, _)| s)
}

/// [`parse_address`], and whether the host is loopback.
pub fn parse_address_full(a: &str) -> anyhow::Result<(String, bool)> {
    let a = a.trim().trim_end_matches('/');
    let (scheme, rest) = a.split_once("://").ok_or_else(|| {
        anyhow::anyhow!(
            "address `{}` needs https:// or http://",
            crate::base::output::sanitize(a, 80)
        )
    })?;
    let host_port = rest.split('/').next().unwrap_or_default();
    if host_port.is_empty() || rest.contains(['?', '#', '@', ' ']) || rest.contains('/') {
        anyhow::bail!(
            "address `{}` must be like https://vault.example.com:8200",
            crate::base::output::sanitize(a, 80)
        );
    }
    let host = if let Some(h) = host_port.strip_prefix('[') {
        h.split(']').next().unwrap_or_default()
    } else {
        host_port.rsplit_once(':').map_or(host_port, |(h, _)| h)
    };
    let loopback = host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    match scheme {
        "https" => Ok((a.to_owned(), loopback)),
        "http" => {
            if loopback || std::env::var("AISECRETS_VAULT_ALLOW_HTTP").is_ok_and(|v| v == "1") {
                Ok((a.to_owned(), loopback))
            } else {
                anyhow::bail!(
                    "address `{}` is plain http to another machine, which would send the token in clear: use https (AISECRETS_VAULT_ALLOW_HTTP=1 allows it anyway)",
                    crate::base::output::sanitize(a, 80)
                )
            }
        }
        _ => anyhow::bail!(
            "address `{}` needs https:// or http://",
            crate::base::output::sanitize(a, 80)
        ),
    }
}

/// `NAME = { path = "database/creds/train", template = "postgres://{{username}}:..." }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeaseDecl {
    /// The API path that issues the leased secret (read with GET).
    pub path: String,
    /// How to build the variable from the answer's fields: `{{field}}` is replaced.
    pub template: Option<String>,
    /// Or: the one field to use as the value.
    pub field: Option<String>,
}

impl LeaseDecl {
    /// Checks the declaration.
    pub fn validate(&self) -> anyhow::Result<()> {
        check_api_path("path", &self.path)?;
        // Leases come from secrets engines; these would hand the child our own token,
        // identity or server state instead.
        let first = self.path.split('/').next().unwrap_or_default();
        anyhow::ensure!(
            !matches!(first, "auth" | "sys" | "cubbyhole" | "identity"),
            "path `{}` is not a secrets engine that issues leases (like database/creds/ROLE)",
            crate::base::output::sanitize(&self.path, 80)
        );
        anyhow::ensure!(
            self.template.is_none() || self.field.is_none(),
            "set `template` or `field`, not both"
        );
        if let Some(t) = &self.template {
            placeholders(t)?;
        }
        Ok(())
    }
}

/// `[environments.NAME.child_token]`: what `run --vault-token` asks for.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChildTokenDecl {
    /// Its time to live, like `30m` (default 1h); it is revoked at exit anyway.
    pub ttl: Option<String>,
    /// Its policies (default: the parent token's).
    pub policies: Option<Vec<String>>,
}

impl ChildTokenDecl {
    /// Checks the declaration.
    pub fn validate(&self) -> anyhow::Result<()> {
        self.ttl_secs()?;
        for p in self.policies.iter().flatten() {
            check_api_path("policy", p)?;
            anyhow::ensure!(
                p != "root",
                "policies must not include root: a root child token can make tokens that outlive the run"
            );
        }
        Ok(())
    }

    /// The TTL in whole seconds (Vault does not read every humantime spelling).
    pub fn ttl_secs(&self) -> anyhow::Result<u64> {
        match &self.ttl {
            None => Ok(3600),
            Some(t) => humantime::parse_duration(t)
                .ok()
                .map(|d| d.as_secs())
                .filter(|s| *s > 0)
                .ok_or_else(|| anyhow::anyhow!("ttl must be a duration like 30m or 2h")),
        }
    }
}

/// The `{{field}}` names in a template.
pub fn placeholders(t: &str) -> anyhow::Result<Vec<&str>> {
    let mut out = Vec::new();
    let mut rest = t;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let end = after
            .find("}}")
            .ok_or_else(|| anyhow::anyhow!("template has a `{{{{` without its `}}}}`"))?;
        let name = after[..end].trim();
        anyhow::ensure!(
            !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')),
            "template placeholder `{{{{{}}}}}` must name a field like username",
            crate::base::output::sanitize(name, 40)
        );
        out.push(name);
        rest = &after[end + 2..];
    }
    Ok(out)
}
