//! The diff driver: `git diff` and `git log -p` show each name with a short fingerprint of
//! its value keyed by the data key, so a reviewer sees which values changed; values only
//! with `git config aisecrets.reveal true`; "cannot open" for someone who cannot. It needs
//! no identity: without one it shows names and sealed hashes, and says the file's integrity
//! (its MAC, format 2) was not checked.

use std::fmt::Write as _;
use std::path::Path;

use sha2::Digest;

use crate::backend::file::EnvFile;
use crate::base::error::Result;
use crate::base::files;
use crate::{base::exit, base::output, git};

/// Runs the textconv driver on `file`.
pub(super) fn run(file: &Path) -> Result<u8> {
    let bytes = files::read_project_file(file, crate::backend::file::MAX_ENV_FILE)?;
    let text = String::from_utf8_lossy(&bytes);
    let Ok(env) = EnvFile::parse(file, &text) else {
        // Not (or no longer) an aisecrets file: show it as it is.
        output::stdout(&bytes)?;
        return Ok(exit::OK);
    };
    let key = super::open_key(&env);
    let reveal = key.is_some()
        && std::env::current_dir()
            .ok()
            .and_then(|d| git::get_config(&d, "aisecrets.reveal"))
            .is_some_and(|v| matches!(v.as_str(), "true" | "yes" | "on" | "1"));
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# aisecrets environment {} (key {})",
        env.env, env.key_id
    );
    let integrity = match (&key, env.format) {
        (_, crate::backend::file::format::FORMAT_V1) => "none (format 1, no file MAC)".to_owned(),
        (None, _) => "unchecked (cannot open)".to_owned(),
        (Some(k), _) => match env.verify(k) {
            Ok(()) => "ok".to_owned(),
            Err(why) => format!("FAILED: {why}"),
        },
    };
    let _ = writeln!(out, "integrity: {integrity}");
    let _ = writeln!(out, "recipients: {}", env.recipients.join(", "));
    let _ = writeln!(
        out,
        "data_key: sha256:{}",
        &crate::base::hex::encode(&sha2::Sha256::digest(env.data_key.as_bytes()))[..16]
    );
    let opener = key.as_ref().map(crate::keys::seal::DataKey::opener);
    for (name, token) in &env.secrets {
        let opened = opener
            .as_ref()
            .and_then(|o| o.open(&env.project, &env.env, name, token).ok());
        let shown = match (&opened, &key) {
            (Some(o), Some(_)) if reveal => o.value.expose().escape_default().to_string(),
            (Some(o), Some(k)) => format!(
                "fp:{}  (set {} by {})",
                k.fingerprint(name, &o.value),
                output::timestamp(o.meta.set_at),
                o.meta.set_by
            ),
            // The sealed bytes' hash: public, and it changes when the value is set again,
            // so someone who cannot open still sees which names changed.
            _ => format!(
                "(cannot open; sealed {})",
                &crate::base::hex::encode(&sha2::Sha256::digest(token.as_bytes()))[..8]
            ),
        };
        let _ = writeln!(out, "{name} = {shown}");
    }
    for name in env.conflicts.keys() {
        let _ = writeln!(out, "CONFLICT {name}: resolve with `aisecrets edit`");
    }
    output::stdout(out.as_bytes())?;
    Ok(exit::OK)
}
