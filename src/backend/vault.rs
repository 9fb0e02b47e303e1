//! OpenBao / HashiCorp Vault as the home of an environment, for teams that outgrow the
//! repo: the KV v2 API for values, leased secrets and child tokens for `run`.
//!
//! Everything goes through one small synchronous HTTP client (ureq with rustls and the
//! system's roots, or `VAULT_CACERT`), with timeouts on every call. Values only ever live
//! in memory; tokens never reach argv, logs or errors.
//!
//! [`Env`] is this store behind [`crate::backend::Backend`]; the settings pin it checks before
//! sending anything is trust's (`project::trust::vault`), fed by [`settings`].

mod env;
mod http;
pub mod kv;
pub mod lease;
mod wire;

use std::time::Duration;

use zeroize::Zeroizing;

use crate::base::error::{Error, Result};

pub use crate::project::vault_decl::{ChildTokenDecl, LeaseDecl, VaultDecl};
pub use env::Env;
pub use http::Http;

/// The vault CLI's variables, with OpenBao's `BAO_*` names as a fallback.
pub(crate) fn env_var(vault: &str, bao: &str) -> Option<String> {
    [vault, bao]
        .iter()
        .find_map(|n| std::env::var(n).ok().filter(|v| !v.trim().is_empty()))
}

/// A credential variable (token, AppRole IDs, JWT), from where start-up took it
/// ([`crate::base::hardening`]): it is no longer in the environment.
fn credential(vault: &str, bao: &str) -> Option<Zeroizing<String>> {
    [vault, bao]
        .iter()
        .find_map(|n| crate::base::hardening::var(n).filter(|v| !v.trim().is_empty()))
}

/// A short-lived token: wiped on drop, never printed.
#[derive(Clone)]
pub struct Token(Zeroizing<String>);

/// Trims `s` in its own buffer: no copy is left behind.
fn trimmed(mut s: Zeroizing<String>) -> Zeroizing<String> {
    let end = s.trim_end().len();
    s.truncate(end);
    let start = s.len() - s.trim_start().len();
    s.drain(..start);
    s
}

impl Token {
    /// Takes the token's buffer and trims it in place.
    fn new(s: Zeroizing<String>) -> Self {
        Self(trimmed(s))
    }
    /// The token itself, for a header or a child's environment.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The token as the value of variable `name` (moved, not copied).
    pub fn into_value(self, name: &str) -> Result<crate::base::secret::SecretValue> {
        crate::base::secret::SecretValue::new(name, self.0)
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(..)")
    }
}

/// A logged-in connection to one Vault server.
pub struct Client {
    http: Http,
    token: Token,
    /// Where the token came from, for messages (`VAULT_TOKEN`, `~/.vault-token`, ...).
    source: &'static str,
    /// The token was made by our own login: revoke it when done.
    owned: bool,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("address", &self.http.address())
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Connects to the server of `decl` and finds a token, in this order: `VAULT_TOKEN`
    /// (or `BAO_TOKEN`), the token helper file `~/.vault-token`, AppRole
    /// (`VAULT_ROLE_ID` and `VAULT_SECRET_ID`), and JWT login with the manifest's
    /// `jwt_role` and the JWT in `VAULT_JWT` (or a GitHub Actions OIDC token).
    pub fn connect(decl: &VaultDecl) -> Result<Self> {
        let http = Http::from_env(decl)?;
        if let Some(t) = credential("VAULT_TOKEN", "BAO_TOKEN") {
            let source = if crate::base::hardening::var("VAULT_TOKEN")
                .is_some_and(|v| !v.trim().is_empty())
            {
                "VAULT_TOKEN"
            } else {
                "BAO_TOKEN"
            };
            return Ok(Self::with_token(http, Token::new(t), source, false));
        }
        if let Some(t) = token_file()? {
            return Ok(Self::with_token(http, t, "~/.vault-token", false));
        }
        let role_id = credential("VAULT_ROLE_ID", "BAO_ROLE_ID");
        let secret_id = credential("VAULT_SECRET_ID", "BAO_SECRET_ID");
        match (role_id, secret_id) {
            (Some(role_id), Some(secret_id)) => {
                let body = wire::body(
                    &wire::AppRoleLogin {
                        role_id: &role_id,
                        secret_id: &secret_id,
                    },
                    role_id.len() + secret_id.len(),
                );
                let token = login(
                    &http,
                    &format!("auth/{}/login", decl.approle_mount),
                    &body,
                    "AppRole login",
                    "check VAULT_ROLE_ID and VAULT_SECRET_ID (a secret ID can be used up or expired)",
                )?;
                return Ok(Self::with_token(http, token, "AppRole login", true));
            }
            (Some(_), None) | (None, Some(_)) => {
                return Err(Error::Vault {
                    what: "AppRole login needs both VAULT_ROLE_ID and VAULT_SECRET_ID, and only one is set".into(),
                    hint: "set the other one, or use VAULT_TOKEN".into(),
                });
            }
            (None, None) => {}
        }
        if let Some(role) = &decl.jwt_role
            && let Some(jwt) = ci_jwt(&http)?
        {
            let body = wire::body(&wire::JwtLogin { role, jwt: &jwt }, role.len() + jwt.len());
            let token = login(
                &http,
                &format!("auth/{}/login", decl.jwt_mount),
                &body,
                &format!("JWT login with role `{role}`"),
                &format!(
                    "check that role `{role}` exists at auth/{} and that the JWT's audience and claims match it",
                    decl.jwt_mount
                ),
            )?;
            return Ok(Self::with_token(http, token, "JWT login", true));
        }
        Err(Error::Vault {
            what: format!("no Vault token for {}", http.address()),
            hint: format!(
                "set VAULT_TOKEN, log in with `bao login` or `vault login` (writes ~/.vault-token), set VAULT_ROLE_ID and VAULT_SECRET_ID{}",
                if decl.jwt_role.is_some() {
                    ", or set VAULT_JWT for JWT login"
                } else {
                    ", or name a jwt_role in aisecrets.toml for CI"
                }
            ),
        })
    }

    fn with_token(http: Http, token: Token, source: &'static str, owned: bool) -> Self {
        Self {
            http,
            token,
            source,
            owned,
        }
    }

    /// The server's address.
    #[must_use]
    pub fn address(&self) -> &str {
        self.http.address()
    }

    /// The namespace in use, if any.
    #[must_use]
    pub fn namespace(&self) -> Option<&str> {
        self.http.namespace()
    }

    /// Calls the API with our token; any answer but a 2xx or one of `ok_statuses` becomes
    /// an error that says what failed (`what`) and what to do.
    pub fn call(
        &self,
        method: &str,
        api: &str,
        body: Option<&[u8]>,
        what: &str,
        ok_statuses: &[u16],
    ) -> Result<http::Reply> {
        self.call_with(&self.token, method, api, body, what, ok_statuses)
    }

    /// Like [`Client::call`] with another token (a child token revoking itself).
    pub fn call_with(
        &self,
        token: &Token,
        method: &str,
        api: &str,
        body: Option<&[u8]>,
        what: &str,
        ok_statuses: &[u16],
    ) -> Result<http::Reply> {
        let reply = self.http.call(method, api, Some(token), body)?;
        if reply.is_success() || ok_statuses.contains(&reply.status) {
            return Ok(reply);
        }
        if reply.status == 403 {
            return Err(self.forbidden(what, &reply));
        }
        Err(self.http.api_error(what, &reply))
    }

    /// A 403: tells a bad token from a token without the right policy.
    fn forbidden(&self, what: &str, reply: &http::Reply) -> Error {
        let valid = self
            .http
            .call("GET", "auth/token/lookup-self", Some(&self.token), None)
            .is_ok_and(|r| r.is_success());
        if valid {
            Error::Vault {
                what: format!(
                    "Vault at {} refused to {what}: permission denied (403) for the token from {}",
                    self.address(),
                    self.source
                ),
                hint: "ask your Vault admin for a policy that allows it; nothing was changed"
                    .into(),
            }
        } else {
            let detail = reply.errors();
            Error::Vault {
                what: format!(
                    "Vault at {} refused the token from {} ({}): it is invalid, expired or revoked (or may not even look itself up)",
                    self.address(),
                    self.source,
                    if detail.is_empty() {
                        "403".to_owned()
                    } else {
                        format!("403: {detail}")
                    }
                ),
                hint: "get a new one with `bao login` (or `vault login`), or set VAULT_TOKEN; nothing was changed".into(),
            }
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        // A token we logged in for ourselves dies with the command.
        if self.owned {
            let _ = self
                .http
                .call("POST", "auth/token/revoke-self", Some(&self.token), None);
        }
    }
}

/// `~/.vault-token`, the token helper file that `vault login` and `bao login` write.
fn token_file() -> Result<Option<Token>> {
    let Some(home) = dirs::home_dir() else {
        return Ok(None);
    };
    let path = home.join(".vault-token");
    match std::fs::read(&path) {
        Ok(bytes) => {
            let bytes = Zeroizing::new(bytes);
            let text = std::str::from_utf8(&bytes).map_err(|_| Error::Vault {
                what: format!("{} is not a token (not UTF-8 text)", path.display()),
                hint: "log in again with `bao login` or `vault login`".into(),
            })?;
            let t = text.trim();
            Ok((!t.is_empty()).then(|| Token::new(Zeroizing::new(t.to_owned()))))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io("read", path, e)),
    }
}

/// A JWT for CI login: `VAULT_JWT`, else a GitHub Actions OIDC token when the job has
/// `id-token: write`.
fn ci_jwt(http: &Http) -> Result<Option<Zeroizing<String>>> {
    if let Some(jwt) = credential("VAULT_JWT", "BAO_JWT") {
        return Ok(Some(trimmed(jwt)));
    }
    // The bearer token is a credential (taken at start-up, kept from a Vault environment's
    // child); the URL is not.
    let (Ok(url), Some(bearer)) = (
        std::env::var("ACTIONS_ID_TOKEN_REQUEST_URL"),
        crate::base::hardening::var("ACTIONS_ID_TOKEN_REQUEST_TOKEN"),
    ) else {
        return Ok(None);
    };
    let audience = std::env::var("VAULT_JWT_AUDIENCE").unwrap_or_else(|_| "vault".to_owned());
    let url = format!("{url}&audience={}", urlencode(&audience));
    let value = http.fetch_github_oidc(&url, &bearer)?;
    Ok(Some(value))
}

fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Logs in at `api` with `body` (see [`wire::body`]) and returns the client token.
fn login(
    http: &Http,
    api: &str,
    body: &Zeroizing<Vec<u8>>,
    what: &str,
    hint: &str,
) -> Result<Token> {
    let reply = http.call("POST", api, None, Some(body))?;
    if !reply.is_success() {
        if matches!(reply.status, 400 | 403 | 404) {
            let detail = reply.errors();
            return Err(Error::Vault {
                what: format!(
                    "{what} at {} failed ({}{})",
                    http.address(),
                    reply.status,
                    if detail.is_empty() {
                        String::new()
                    } else {
                        format!(": {detail}")
                    }
                ),
                hint: hint.to_owned(),
            });
        }
        return Err(http.api_error(what, &reply));
    }
    let login: wire::AuthReply = reply.json(what)?;
    Ok(Token::new(login.auth.client_token))
}

/// `VAULT_CLIENT_TIMEOUT` as the vault CLI reads it (seconds, or a duration like `30s`);
/// 10 seconds by default.
fn client_timeout() -> Duration {
    env_var("VAULT_CLIENT_TIMEOUT", "BAO_CLIENT_TIMEOUT")
        .and_then(|v| {
            let v = v.trim();
            v.parse::<u64>()
                .ok()
                .map(Duration::from_secs)
                .or_else(|| humantime::parse_duration(v).ok())
        })
        .filter(|d| !d.is_zero())
        .unwrap_or(Duration::from_secs(10))
}

/// Every manifest setting of a Vault environment that decides where credentials go and
/// what is read, written, leased or handed on: address, namespace, mount, path, auth,
/// leases, child token. Trust pins them (`project::trust::vault`); this module only reports
/// them.
pub fn settings(
    project: &crate::project::Project,
    env: &str,
) -> Result<std::collections::BTreeMap<String, String>> {
    let decl = project.env(env)?;
    let mut m = std::collections::BTreeMap::new();
    // The project id too: an edited id must show as a change, not as a new repository.
    m.insert("project".into(), project.id().to_owned());
    if let Some(v) = &decl.vault {
        let opt = |o: &Option<String>| o.clone().unwrap_or_default();
        m.insert("address".into(), opt(&v.address));
        m.insert("namespace".into(), opt(&v.namespace));
        m.insert("mount".into(), v.mount.clone());
        m.insert("path".into(), v.path.clone());
        m.insert("jwt_role".into(), opt(&v.jwt_role));
        m.insert("jwt_mount".into(), v.jwt_mount.clone());
        m.insert("approle_mount".into(), v.approle_mount.clone());
    }
    for (name, l) in &decl.leases {
        m.insert(
            format!("leases.{name}"),
            format!(
                "{} {}",
                l.path,
                l.template
                    .as_deref()
                    .map(|t| format!("template {t}"))
                    .or_else(|| l.field.as_deref().map(|f| format!("field {f}")))
                    .unwrap_or_default()
            ),
        );
    }
    if let Some(t) = &decl.child_token {
        m.insert(
            "child_token".into(),
            format!(
                "ttl {} policies {}",
                t.ttl.as_deref().unwrap_or("1h"),
                t.policies.as_ref().map(|p| p.join(",")).unwrap_or_default()
            ),
        );
    }
    Ok(m)
}

/// The [`settings`] of each Vault environment among `envs`, by name.
pub fn settings_of(
    project: &crate::project::Project,
    envs: &[String],
) -> Result<std::collections::BTreeMap<String, std::collections::BTreeMap<String, String>>> {
    let mut all = std::collections::BTreeMap::new();
    for env in envs {
        if project.env(env)?.vault.is_some() {
            all.insert(env.clone(), settings(project, env)?);
        }
    }
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_trimmed_in_its_own_buffer() {
        let raw = Zeroizing::new(" \ts.FAKE-token\n".to_owned());
        let before = raw.as_ptr();
        let t = Token::new(raw);
        assert_eq!(t.expose(), "s.FAKE-token");
        assert_eq!(t.0.as_ptr(), before, "the token was copied");
        assert_eq!(format!("{t:?}"), "Token(..)");
    }
}
