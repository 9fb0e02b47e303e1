//! The per-run certificate authority of `run --proxy` (#15): made in memory when the proxy
//! starts, its key never leaves this process; only its public certificate is written, into
//! the run's RAM folder, after the system roots, as the bundle the child trusts. A leaf per
//! intercepted host is made on first use and kept for the run.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use anyhow::{Context as _, Result};
use base64::Engine as _;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::ServerConfig;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// The CA and the server configurations made from it, one per host.
pub(super) struct Authority {
    issuer: Issuer<'static, KeyPair>,
    cert: CertificateDer<'static>,
    leaves: Mutex<HashMap<String, Arc<ServerConfig>>>,
}

impl Authority {
    /// A fresh CA.
    pub(super) fn new() -> Result<Self> {
        let key = KeyPair::generate().context("generate the proxy's CA key")?;
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.distinguished_name.push(
            DnType::CommonName,
            format!(
                "aisecrets run --proxy {} (this run only)",
                crate::keys::seal::random_id(4)
            ),
        );
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let cert = params.self_signed(&key).context("sign the proxy's CA")?;
        Ok(Self {
            issuer: Issuer::new(params, key),
            cert: cert.der().clone(),
            leaves: Mutex::new(HashMap::new()),
        })
    }

    /// The CA certificate, PEM.
    pub(super) fn pem(&self) -> String {
        pem_of(&self.cert)
    }

    /// The TLS server configuration presented to the child for `host`.
    pub(super) fn server_config(&self, host: &str) -> Result<Arc<ServerConfig>> {
        let mut leaves = self
            .leaves
            .lock()
            .map_err(|_| anyhow::anyhow!("the certificate cache is poisoned"))?;
        if let Some(c) = leaves.get(host) {
            return Ok(c.clone());
        }
        let key = KeyPair::generate()?;
        let mut params = CertificateParams::new(vec![host.to_owned()])?;
        params.distinguished_name.push(DnType::CommonName, host);
        params.is_ca = IsCa::NoCa;
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        let leaf = params
            .signed_by(&key, &self.issuer)
            .with_context(|| format!("make a certificate for {host}"))?;
        let key_der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        let mut config = ServerConfig::builder_with_provider(super::provider())
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(vec![leaf.der().clone(), self.cert.clone()], key_der)?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let config = Arc::new(config);
        leaves.insert(host.to_owned(), config.clone());
        Ok(config)
    }
}

/// One certificate as PEM.
pub(super) fn pem_of(der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out
}

/// The system's bundle files, as distributions place them (the first found is used).
const SYSTEM_BUNDLES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/ssl/cert.pem",
];

/// The system roots as PEM text: one bundle file read as it is where the system has one
/// (`SSL_CERT_FILE` of our own environment first), else every source rustls-native-certs
/// knows (slower: it also reads each file of the certificate folder). Parsed only when the
/// first upstream connection needs them ([`parse_roots`]), so start-up stays small.
pub(super) fn system_pem() -> String {
    let file = std::env::var_os("SSL_CERT_FILE")
        .map(PathBuf::from)
        .into_iter()
        .chain(SYSTEM_BUNDLES.iter().map(PathBuf::from))
        .find(|p| p.is_file());
    if let Some(text) = file.and_then(|f| std::fs::read_to_string(f).ok())
        && text.contains("-----BEGIN CERTIFICATE-----")
    {
        return text;
    }
    rustls_native_certs::load_native_certs()
        .certs
        .iter()
        .map(|c| pem_of(c))
        .collect()
}

/// The certificates of PEM text (unparsable ones left out).
pub(super) fn parse_roots(pem: &str) -> Vec<CertificateDer<'static>> {
    use rustls_pki_types::pem::PemObject as _;
    CertificateDer::pem_slice_iter(pem.as_bytes())
        .filter_map(std::result::Result::ok)
        .collect()
}

/// The bundle the child trusts: the system roots, then our CA. The child's TLS to hosts we
/// only tunnel still verifies against the system roots as before.
pub(super) fn bundle(system_pem: &str, ca_pem: &str) -> String {
    let mut out = String::with_capacity(system_pem.len() + ca_pem.len() + 1);
    out.push_str(system_pem);
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(ca_pem);
    out
}

/// Reads the PEM certificates of `[proxy] upstream_ca_files`.
pub(super) fn read_ca_files(files: &[PathBuf]) -> Result<Vec<CertificateDer<'static>>> {
    use rustls_pki_types::pem::PemObject as _;
    let mut out = Vec::new();
    for f in files {
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(f)
            .and_then(Iterator::collect)
            .map_err(|e| anyhow::anyhow!("cannot read the CA file {} ({e})", f.display()))?;
        if certs.is_empty() {
            anyhow::bail!("the CA file {} holds no PEM certificate", f.display());
        }
        out.extend(certs);
    }
    Ok(out)
}
