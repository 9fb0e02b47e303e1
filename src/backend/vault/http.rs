//! The HTTP client under the Vault backend: synchronous ureq, rustls with the system's
//! roots (or `VAULT_CACERT` / `VAULT_CAPATH`), a timeout on every call, no redirects.

use std::time::Duration;

use zeroize::Zeroizing;

use super::{Token, VaultDecl, client_timeout, env_var};
use crate::base::error::{Error, Result};

/// The most we read of one answer.
const MAX_BODY: u64 = 64 << 20;

/// One server: its address, namespace and a configured agent.
pub struct Http {
    agent: ureq::Agent,
    base: String,
    namespace: Option<String>,
    timeout: Duration,
}

/// An answer: status and body (wiped on drop: it may hold values or tokens).
pub struct Reply {
    /// The HTTP status.
    pub status: u16,
    body: Zeroizing<Vec<u8>>,
}

impl Reply {
    /// 2xx.
    #[must_use]
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The body.
    #[must_use]
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// Parses the body as JSON.
    pub fn json<T: serde::de::DeserializeOwned>(&self, what: &str) -> Result<T> {
        serde_json::from_slice(&self.body).map_err(|_| Error::Vault {
            what: format!("Vault's answer to {what} is not what the API documents"),
            hint: "check that the address is an OpenBao/Vault server (VAULT_ADDR)".into(),
        })
    }

    /// Vault's `errors` list, on one sanitised line (error texts never hold values).
    #[must_use]
    pub fn errors(&self) -> String {
        #[derive(serde::Deserialize)]
        struct Errors {
            #[serde(default)]
            errors: Vec<String>,
        }
        serde_json::from_slice::<Errors>(&self.body)
            .map(|e| crate::base::output::sanitize(&e.errors.join("; "), 300))
            .unwrap_or_default()
    }
}

/// The roots to trust: `VAULT_CACERT` (a PEM file), `VAULT_CAPATH` (a folder of them),
/// else the system's.
fn root_certs() -> Result<ureq::tls::RootCerts> {
    let mut files = Vec::new();
    if let Some(f) = env_var("VAULT_CACERT", "BAO_CACERT") {
        files.push(std::path::PathBuf::from(f));
    } else if let Some(dir) = env_var("VAULT_CAPATH", "BAO_CAPATH") {
        let entries = std::fs::read_dir(&dir).map_err(|e| Error::io("read", &dir, e))?;
        for e in entries.flatten() {
            if e.path().is_file() {
                files.push(e.path());
            }
        }
    } else {
        return Ok(ureq::tls::RootCerts::PlatformVerifier);
    }
    let mut certs = Vec::new();
    for f in &files {
        let pem = std::fs::read(f).map_err(|e| Error::Vault {
            what: format!(
                "cannot read the CA certificate {} named by VAULT_CACERT/VAULT_CAPATH: {e}",
                f.display()
            ),
            hint:
                "point VAULT_CACERT at the PEM file of the CA that signed the server's certificate"
                    .into(),
        })?;
        for item in ureq::tls::parse_pem(&pem).flatten() {
            if let ureq::tls::PemItem::Certificate(c) = item {
                certs.push(c);
            }
        }
    }
    if certs.is_empty() {
        return Err(Error::Vault {
            what: format!(
                "no PEM certificate in {}",
                files
                    .iter()
                    .map(|f| f.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            hint: "point VAULT_CACERT at the CA certificate (PEM) that signed the server's".into(),
        });
    }
    Ok(ureq::tls::RootCerts::new_with_certs(&certs))
}

impl Http {
    /// The server of `decl` with the vault CLI's variables applied: `VAULT_ADDR` (else the
    /// manifest's address), `VAULT_NAMESPACE`, `VAULT_CACERT`, `VAULT_CLIENT_TIMEOUT`.
    pub fn from_env(decl: &VaultDecl) -> Result<Self> {
        let from_env = env_var("VAULT_ADDR", "BAO_ADDR");
        let raw = from_env
            .or_else(|| decl.address.clone())
            .ok_or_else(|| Error::Vault {
                what: format!("no Vault address for {}", decl.location()),
                hint: "set VAULT_ADDR, or `address` in the environment's vault table in aisecrets.toml".into(),
            })?;
        let (base, loopback) =
            crate::project::vault_decl::parse_address_full(&raw).map_err(|reason| {
                Error::Vault {
                    what: reason.to_string(),
                    hint: "fix VAULT_ADDR or the environment's vault.address in aisecrets.toml"
                        .into(),
                }
            })?;
        let namespace =
            env_var("VAULT_NAMESPACE", "BAO_NAMESPACE").or_else(|| decl.namespace.clone());
        Self::new(base, namespace, loopback)
    }

    fn new(base: String, namespace: Option<String>, loopback: bool) -> Result<Self> {
        let timeout = client_timeout();
        let tls = ureq::tls::TlsConfig::builder()
            .root_certs(root_certs()?)
            .build();
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(timeout))
            .timeout_connect(Some(timeout.min(Duration::from_secs(5))))
            .user_agent(concat!("aisecrets/", env!("CARGO_PKG_VERSION")))
            .tls_config(tls);
        // A proxy never sees loopback traffic (as with the vault CLI): plain http with a
        // token in it must not leave the machine.
        let config = if loopback { config.proxy(None) } else { config }.build();
        Ok(Self {
            agent: config.into(),
            base,
            namespace,
            timeout,
        })
    }

    /// The server's address.
    #[must_use]
    pub fn address(&self) -> &str {
        &self.base
    }

    /// The namespace, if any.
    #[must_use]
    pub fn namespace(&self) -> Option<&str> {
        self.namespace.as_deref()
    }

    /// One call to `/v1/<api>`. Transport failures are errors; any HTTP status is an answer.
    pub fn call(
        &self,
        method: &str,
        api: &str,
        token: Option<&Token>,
        body: Option<&[u8]>,
    ) -> Result<Reply> {
        let url = format!("{}/v1/{api}", self.base);
        let result = match method {
            "GET" => self.headers(self.agent.get(&url), token).call(),
            "DELETE" => self.headers(self.agent.delete(&url), token).call(),
            "PUT" => self
                .headers(self.agent.put(&url), token)
                .header("Content-Type", "application/json")
                .send(body.unwrap_or(b"{}")),
            _ => self
                .headers(self.agent.post(&url), token)
                .header("Content-Type", "application/json")
                .send(body.unwrap_or(b"{}")),
        };
        let response = result.map_err(|e| self.transport_error(&e))?;
        let status = response.status().as_u16();
        if (300..400).contains(&status) {
            return Err(Error::Vault {
                what: format!("Vault at {} redirected the request ({status})", self.base),
                hint: "set VAULT_ADDR to the active node's address".into(),
            });
        }
        // Read into a wiping buffer of the announced size, so it does not grow (a growing
        // buffer leaves unwiped copies of tokens and values behind, #14); a chunked answer
        // may still grow it. ureq's own read buffer is not ours to wipe.
        let mut body = response.into_body();
        let announced = body.content_length().unwrap_or(0).min(MAX_BODY);
        let mut bytes = Zeroizing::new(Vec::with_capacity(
            usize::try_from(announced).unwrap_or(0).max(1024),
        ));
        std::io::Read::read_to_end(&mut body.with_config().limit(MAX_BODY).reader(), &mut bytes)
            .map_err(|e| self.transport_error(&ureq::Error::from(e)))?;
        Ok(Reply {
            status,
            body: bytes,
        })
    }

    fn headers<B>(
        &self,
        mut r: ureq::RequestBuilder<B>,
        token: Option<&Token>,
    ) -> ureq::RequestBuilder<B> {
        r = r.header("X-Vault-Request", "true");
        if let Some(t) = token {
            r = r.header("X-Vault-Token", t.expose());
        }
        if let Some(ns) = &self.namespace {
            r = r.header("X-Vault-Namespace", ns.as_str());
        }
        r
    }

    /// GitHub Actions' OIDC token endpoint: `{"value": "<jwt>"}`.
    pub(super) fn fetch_github_oidc(&self, url: &str, bearer: &str) -> Result<Zeroizing<String>> {
        // GitHub is not the Vault server: the system's roots, not VAULT_CACERT.
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(self.timeout))
            .tls_config(
                ureq::tls::TlsConfig::builder()
                    .root_certs(ureq::tls::RootCerts::PlatformVerifier)
                    .build(),
            )
            .build()
            .into();
        // ureq keeps its own copy of the header, unwiped; ours is wiped.
        let authorization = Zeroizing::new(format!("bearer {bearer}"));
        let response = agent
            .get(url)
            .header("Authorization", authorization.as_str())
            .call()
            .map_err(|e| Error::Vault {
                what: format!(
                    "could not get a GitHub Actions OIDC token: {}",
                    crate::base::output::sanitize(&e.to_string(), 200)
                ),
                hint: "check the runner's network; or set VAULT_JWT".into(),
            })?;
        let ok = response.status().is_success();
        let body = Zeroizing::new(
            response
                .into_body()
                .with_config()
                .limit(1 << 20)
                .read_to_vec()
                .unwrap_or_default(),
        );
        match serde_json::from_slice::<super::wire::Oidc>(&body) {
            Ok(o) if ok => Ok(o.value),
            _ => Err(Error::Vault {
                what: "GitHub Actions refused the OIDC token request".into(),
                hint: "give the job `permissions: id-token: write`, or set VAULT_JWT".into(),
            }),
        }
    }

    /// A failure below HTTP: unreachable, timed out, TLS.
    fn transport_error(&self, e: &ureq::Error) -> Error {
        let addr = &self.base;
        let text = crate::base::output::sanitize(&e.to_string(), 200);
        let lower = text.to_ascii_lowercase();
        let tls = matches!(
            e,
            ureq::Error::Tls(_) | ureq::Error::Rustls(_) | ureq::Error::Pem(_)
        ) || lower.contains("certificate")
            || lower.contains("tls")
            || lower.contains("handshake");
        if tls {
            return Error::Vault {
                what: format!("TLS error talking to Vault at {addr}: {text}"),
                hint: "if the server's certificate comes from a private CA, set VAULT_CACERT to that CA's PEM file; nothing was read or changed".into(),
            };
        }
        match e {
            ureq::Error::Timeout(_) => Error::Vault {
                what: format!(
                    "Vault at {addr} did not answer within {} s",
                    self.timeout.as_secs_f32()
                ),
                hint: "check that the server is up and reachable (VAULT_CLIENT_TIMEOUT sets the limit); nothing was read or changed".into(),
            },
            ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => Error::Vault {
                what: format!(
                    "Vault at {addr} did not answer within {} s",
                    self.timeout.as_secs_f32()
                ),
                hint: "check that the server is up and reachable (VAULT_CLIENT_TIMEOUT sets the limit); nothing was read or changed".into(),
            },
            ureq::Error::Io(_) | ureq::Error::HostNotFound | ureq::Error::ConnectionFailed => {
                Error::Vault {
                    what: format!("cannot reach Vault at {addr}: {text}"),
                    hint: "start the server, or fix VAULT_ADDR or the environment's vault.address in aisecrets.toml; nothing was read or changed".into(),
                }
            }
            _ => Error::Vault {
                what: format!("cannot talk to Vault at {addr}: {text}"),
                hint: "check VAULT_ADDR and that the server is OpenBao or Vault; nothing was read or changed".into(),
            },
        }
    }

    /// An HTTP answer that is not what the caller needed.
    pub(super) fn api_error(&self, what: &str, reply: &Reply) -> Error {
        let addr = &self.base;
        let detail = reply.errors();
        let status = reply.status;
        let with = |s: &str| {
            if detail.is_empty() {
                format!("{status}")
            } else {
                format!("{status}: {s}")
            }
        };
        if status == 503 && detail.to_ascii_lowercase().contains("sealed") {
            return Error::Vault {
                what: format!("Vault at {addr} is sealed"),
                hint: "unseal it (`bao operator unseal` or `vault operator unseal`) and retry; nothing was read or changed".into(),
            };
        }
        if status == 400 && detail.contains("HTTP request to an HTTPS server") {
            return Error::Vault {
                what: format!("Vault at {addr} speaks https, and the address says http"),
                hint: "use https:// in VAULT_ADDR or the environment's vault.address".into(),
            };
        }
        let hint = match status {
            404 => {
                "check the mount and path in aisecrets.toml (a KV version 2 engine: `bao secrets enable -path=secret kv-v2`)"
            }
            429 | 500..=599 => "retry later; nothing was changed",
            _ => "nothing was changed",
        };
        Error::Vault {
            what: format!("Vault at {addr} could not {what} ({})", with(&detail)),
            hint: hint.into(),
        }
    }
}
