//! The user's own settings, `config.toml` in the user folder (trusted: never in a repo).
//!
//! ```toml
//! unlock_for = "8h"        # how long `aisecrets unlock` keeps the identity open
//! keyring = "auto"         # auto, secret-service, keyutils, keychain, credential-manager, none
//! allow_names = ["OPENAI_BASE_URL"]   # names `run` otherwise refuses to inject
//! safe_directories = ["/srv/shared/project"]   # folders whose files other users may own
//!
//! [agents]               # coding agents (#16): what `aisecrets mcp` and an agent may use
//! allow = ["OPENAI_API_KEY"]          # names an agent may have injected (never see)
//! allow_scopes = ["train"]            # every name of these [scopes.NAME] too
//! confirm = true                      # any other name: ask me each time (prompt program)
//! allow_commands = ["get"]            # commands allowed under an agent without --mask
//! pinentry = "pinentry-curses"        # the prompt program (Assuan), `pinentry` by default
//!
//! [proxy]              # `run --proxy` (#15); for tests and private gateways
//! resolve = { "api.openai.com" = "127.0.0.1:8443" }   # connect there instead
//! upstream_ca_files = ["/path/to/ca.pem"]              # trust these upstream too
//!
//! [cache]
//! # Cache even without a private session keyring, where every process of yours can read
//! # the unlocked identity (the value must be exactly this, to say so).
//! allow_shared_keyring = "readable-by-all-my-processes"
//! ```

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use crate::base::error::{Error, Result};
use crate::base::files;

/// The longest an unlock may last.
pub const MAX_UNLOCK: Duration = Duration::from_secs(30 * 24 * 3600);
/// The unlock duration when neither `--for` nor the config says one.
pub const DEFAULT_UNLOCK: Duration = Duration::from_secs(8 * 3600);
/// The value of `[cache] allow_shared_keyring` that accepts a cache every process of the
/// user can read.
pub const SHARED_OPT_IN: &str = "readable-by-all-my-processes";

/// The user's settings.
#[derive(Debug, Default, Deserialize)]
pub struct Config {
    /// Default unlock duration, like `8h`.
    pub unlock_for: Option<String>,
    /// Keyring backend choice.
    pub keyring: Option<String>,
    /// Names `run` may inject although they hand over execution or traffic.
    #[serde(default)]
    pub allow_names: Vec<String>,
    /// Folders (and everything below them) whose `aisecrets.toml` and environment files
    /// another user may own; `"*"` for every folder. Like git's `safe.directory` (#12).
    #[serde(default)]
    pub safe_directories: Vec<String>,
    /// `[cache]`: where the unlocked identity may be kept.
    #[serde(default)]
    pub cache: CacheConfig,
    /// `[agents]`: what a coding agent may use (#16).
    #[serde(default)]
    pub agents: AgentsConfig,
    /// `[proxy]`: where `run --proxy` connects, and which CAs it trusts upstream (#15).
    #[serde(default)]
    pub proxy: ProxyConfig,
}

/// The `[proxy]` table: only the user's own config may change where the proxy's traffic
/// goes (#15); the manifest never can.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProxyConfig {
    /// Host name to `ADDRESS:PORT` the proxy connects to instead (TLS still checks the
    /// host name).
    #[serde(default)]
    pub resolve: std::collections::BTreeMap<String, String>,
    /// PEM files of CAs trusted upstream, beyond the system roots (corporate gateways).
    #[serde(default)]
    pub upstream_ca_files: Vec<PathBuf>,
}

/// The `[agents]` table: what a coding agent may use, through `aisecrets mcp` or the CLI
/// under an agent (#16). The project's manifest may only narrow it.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentsConfig {
    /// Secret names an agent may have injected into a command (it never sees them).
    #[serde(default)]
    pub allow: Vec<String>,
    /// Scopes (`[scopes.NAME]` of the manifest) whose names an agent may use.
    #[serde(default)]
    pub allow_scopes: Vec<String>,
    /// Any other name: ask the human through the prompt program at each use.
    #[serde(default)]
    pub confirm: bool,
    /// Commands (`get`, `export`, `edit`, `run`) allowed under an agent without `--mask`.
    #[serde(default)]
    pub allow_commands: Vec<String>,
    /// The pinentry-style prompt program (Assuan protocol); `pinentry` when unset.
    pub pinentry: Option<String>,
}

/// The `[cache]` table.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CacheConfig {
    /// Exactly `readable-by-all-my-processes` to cache where no private session keyring
    /// exists (see [`crate::keys::cache`]).
    pub allow_shared_keyring: Option<String>,
}

/// The config file's path.
pub fn path() -> Result<PathBuf> {
    Ok(files::home()?.join("config.toml"))
}

/// Loads the config; a missing file is the default config.
pub fn load() -> Result<Config> {
    let path = path()?;
    let bytes = match files::read_regular(&path, 1 << 20) {
        Ok(b) => b,
        Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Config::default());
        }
        Err(e) => return Err(e),
    };
    let text = String::from_utf8(bytes).map_err(|_| Error::Config {
        path: path.clone(),
        reason: "it is not UTF-8".into(),
    })?;
    let config: Config = toml::from_str(&text).map_err(|e| Error::Config {
        path: path.clone(),
        reason: e.message().split_whitespace().collect::<Vec<_>>().join(" "),
    })?;
    if let Some(d) = &config.unlock_for {
        parse_duration(d).map_err(|reason| Error::Config {
            path: path.clone(),
            reason: format!("unlock_for: {reason}"),
        })?;
    }
    if let Some(v) = &config.cache.allow_shared_keyring
        && v != SHARED_OPT_IN
    {
        return Err(Error::Config {
            path,
            reason: format!(
                "cache.allow_shared_keyring must be \"{SHARED_OPT_IN}\" (it lets every process of yours read the unlocked identity), or be left out"
            ),
        });
    }
    Ok(config)
}

impl Config {
    /// The default unlock duration.
    #[must_use]
    pub fn unlock_for(&self) -> Duration {
        self.unlock_for
            .as_deref()
            .and_then(|d| parse_duration(d).ok())
            .unwrap_or(DEFAULT_UNLOCK)
    }

    /// Whether the user accepted a cache that every process of theirs can read.
    #[must_use]
    pub fn shared_keyring_allowed(&self) -> bool {
        self.cache.allow_shared_keyring.as_deref() == Some(SHARED_OPT_IN)
    }
}

/// Parses `90s`, `30m`, `8h`, `1d`..., between one second and 30 days.
///
/// # Errors
/// Text that is not such a duration, or one out of range.
pub fn parse_duration(text: &str) -> anyhow::Result<Duration> {
    let d = humantime::parse_duration(text.trim()).map_err(|_| {
        anyhow::anyhow!(
            "`{}` is not a duration like 90s, 30m or 8h",
            crate::base::output::sanitize(text, 40)
        )
    })?;
    if d < Duration::from_secs(1) || d > MAX_UNLOCK {
        anyhow::bail!("a duration must be between 1s and 30d");
    }
    Ok(d)
}
