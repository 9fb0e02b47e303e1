//! The encrypted environment file, format 1: parsing (strict) and writing (deterministic).
//! `docs/FORMAT.md` is the specification; keep the two in step.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use serde::Deserialize;

use crate::crypto::VALUE_PREFIX;
use crate::error::{Error, Result};
use crate::secret;

/// The one format version this build reads and writes.
pub const FORMAT: i64 = 1;
const BEGIN: &str = "-----BEGIN AGE ENCRYPTED FILE-----";
const END: &str = "-----END AGE ENCRYPTED FILE-----";

/// An environment file as stored: everything in it is public or sealed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvFile {
    /// The project id (must match the manifest's).
    pub project: String,
    /// The environment's name (must match the manifest's key).
    pub env: String,
    /// The data key's id, `HKDF(data key)`; checked against the opened key.
    pub key_id: String,
    /// Recipient names, for humans.
    pub recipients: Vec<String>,
    /// The armored age file holding the data key.
    pub data_key: String,
    /// The sealed rekey chain (`v1:...`), present once a recipient was removed.
    pub rekeys: Option<String>,
    /// Secret name to sealed value (`v1:...`).
    pub secrets: BTreeMap<String, String>,
    /// Values a git merge could not reconcile: the other branch's sealed value per name
    /// (same data key). `aisecrets edit` shows both and clears them.
    pub conflicts: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    aisecrets: Header,
    #[serde(default)]
    secrets: BTreeMap<String, String>,
    #[serde(default)]
    conflicts: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    format: i64,
    project: String,
    env: String,
    key_id: String,
    recipients: Vec<String>,
    data_key: String,
    rekeys: Option<String>,
}

impl EnvFile {
    /// Parses a file's text. `path` is for errors only.
    pub fn parse(path: &Path, text: &str) -> Result<Self> {
        let bad = |reason: String| Error::corrupt(path, reason);
        if text.contains("<<<<<<<") || text.contains(">>>>>>>") {
            return Err(bad("it holds git conflict markers".into()));
        }
        // Look at the format first, so a future format gets a clear message rather than
        // a complaint about a field this build does not know.
        let loose: toml::Table = toml::from_str(text).map_err(|e| {
            bad(format!(
                "it is not valid TOML ({})",
                first_line(e.message())
            ))
        })?;
        match loose
            .get("aisecrets")
            .and_then(|h| h.get("format"))
            .and_then(toml::Value::as_integer)
        {
            Some(FORMAT) => {}
            Some(n) => {
                return Err(bad(format!(
                    "it is in format {n}, and this aisecrets reads format {FORMAT} (upgrade aisecrets)"
                )));
            }
            None => return Err(bad("it has no [aisecrets] format field".into())),
        }
        let raw: Raw = toml::from_str(text).map_err(|e| {
            bad(format!(
                "it has an unexpected layout ({})",
                first_line(e.message())
            ))
        })?;
        let h = raw.aisecrets;
        if h.format != FORMAT {
            return Err(bad("unknown format".into()));
        }
        if h.key_id.len() != 32 || !h.key_id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad("its key_id is malformed".into()));
        }
        for name in raw.secrets.keys() {
            secret::check_name(name).map_err(|_| {
                bad(format!(
                    "it holds an invalid secret name `{}`",
                    secret::sanitize(name, 64)
                ))
            })?;
        }
        for name in raw.conflicts.keys() {
            if !raw.secrets.contains_key(name) {
                return Err(bad(format!(
                    "its conflict `{}` names no secret",
                    secret::sanitize(name, 64)
                )));
            }
        }
        for token in raw.secrets.values().chain(raw.conflicts.values()) {
            if !token.starts_with(VALUE_PREFIX) {
                return Err(bad("a value is not in the v1 format".into()));
            }
        }
        if h.rekeys
            .as_deref()
            .is_some_and(|r| !r.starts_with(VALUE_PREFIX))
        {
            return Err(bad("its rekeys field is not in the v1 format".into()));
        }
        let data_key = h.data_key.trim_end_matches('\n');
        if !data_key.starts_with(BEGIN) || !data_key.ends_with(END) {
            return Err(bad("its data_key is not an armored age file".into()));
        }
        Ok(Self {
            project: h.project,
            env: h.env,
            key_id: h.key_id,
            recipients: h.recipients,
            data_key: format!("{data_key}\n"),
            rekeys: h.rekeys,
            secrets: raw.secrets,
            conflicts: raw.conflicts,
        })
    }

    /// Writes the file's text: a fixed layout, keys sorted, so that equal content gives
    /// equal bytes and `git diff` shows only what changed.
    #[must_use]
    pub fn render(&self) -> String {
        let mut s = String::with_capacity(512 + self.secrets.len() * 96);
        let _ = writeln!(
            s,
            "# Encrypted by aisecrets: change it with `aisecrets set` or `aisecrets edit --env {}`, not by hand.",
            self.env
        );
        s.push_str("[aisecrets]\n");
        let _ = writeln!(s, "format = {FORMAT}");
        let _ = writeln!(s, "project = {}", quote(&self.project));
        let _ = writeln!(s, "env = {}", quote(&self.env));
        let _ = writeln!(s, "key_id = {}", quote(&self.key_id));
        let names: Vec<String> = self.recipients.iter().map(|r| quote(r)).collect();
        let _ = writeln!(s, "recipients = [{}]", names.join(", "));
        let _ = write!(s, "data_key = \"\"\"\n{}\"\"\"\n", self.data_key);
        if let Some(r) = &self.rekeys {
            let _ = writeln!(s, "rekeys = {}", quote(r));
        }
        s.push_str("\n[secrets]\n");
        for (name, token) in &self.secrets {
            let _ = writeln!(s, "{name} = {}", quote(token));
        }
        if !self.conflicts.is_empty() {
            s.push_str("\n# A git merge left these: resolve with `aisecrets edit`.\n[conflicts]\n");
            for (name, token) in &self.conflicts {
                let _ = writeln!(s, "{name} = {}", quote(token));
            }
        }
        s
    }
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("").trim()
}

/// A TOML basic string. Names and tokens are plain ASCII already; this escapes anyway.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> EnvFile {
        EnvFile {
            project: "0".repeat(32),
            env: "dev".into(),
            key_id: "a".repeat(32),
            recipients: vec!["alice".into()],
            data_key: format!("{BEGIN}\nYWdl\n{END}\n"),
            rekeys: None,
            conflicts: BTreeMap::new(),
            secrets: [
                ("B".to_owned(), "v1:AA==".to_owned()),
                ("A".to_owned(), "v1:AQ==".to_owned()),
            ]
            .into(),
        }
    }

    #[test]
    fn render_parse_round_trip() {
        let f = sample();
        let text = f.render();
        assert_eq!(EnvFile::parse(Path::new("x"), &text).unwrap(), f);
        assert!(text.find("A = ").unwrap() < text.find("B = ").unwrap());
    }

    #[test]
    fn refuses_unknown_format_duplicates_and_extra_fields() {
        let text = sample().render();
        let p = Path::new("x");
        let e = EnvFile::parse(p, &text.replace("format = 1", "format = 2")).unwrap_err();
        assert!(e.to_string().contains("format 2"), "{e}");
        assert!(EnvFile::parse(p, &format!("{text}A = \"v1:AA==\"\n")).is_err());
        assert!(EnvFile::parse(p, &text.replace("[secrets]", "evil = 1\n[secrets]")).is_err());
        assert!(EnvFile::parse(p, &text.replace("A = ", "1A = ")).is_err());
        assert!(EnvFile::parse(p, &text[..text.len() / 2]).is_err());
    }
}
