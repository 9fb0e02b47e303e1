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
            return Err(Error::ConflictMarkers {
                path: path.to_owned(),
            });
        }
        // The canonical layout (what aisecrets writes) is read by a strict line parser; any
        // other valid TOML goes through the full TOML parser. Both give the same result for
        // canonical files; the fast path is ~10x cheaper on a 10,000-secret file.
        let raw = match fast(text) {
            Some(raw) => raw,
            None => slow(text).map_err(bad)?,
        };
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

/// The full TOML path, with the format looked at first so that a future format gets a clear
/// message rather than a complaint about a field this build does not know.
fn slow(text: &str) -> std::result::Result<Raw, String> {
    match toml::from_str::<Raw>(text) {
        Ok(raw) if raw.aisecrets.format == FORMAT => Ok(raw),
        Ok(raw) => Err(format!(
            "it is in format {}, and this aisecrets reads format {FORMAT} (upgrade aisecrets)",
            raw.aisecrets.format
        )),
        Err(e) => {
            let loose: toml::Table = toml::from_str(text)
                .map_err(|_| format!("it is not valid TOML ({})", first_line(e.message())))?;
            match loose
                .get("aisecrets")
                .and_then(|h| h.get("format"))
                .and_then(toml::Value::as_integer)
            {
                Some(FORMAT) => Err(format!(
                    "it has an unexpected layout ({})",
                    first_line(e.message())
                )),
                Some(n) => Err(format!(
                    "it is in format {n}, and this aisecrets reads format {FORMAT} (upgrade aisecrets)"
                )),
                None => Err("it has no [aisecrets] format field".into()),
            }
        }
    }
}

/// A plain `"..."` string of safe characters (no escapes), or `None`.
fn plain_string(v: &str) -> Option<&str> {
    let inner = v.strip_prefix('"')?.strip_suffix('"')?;
    inner
        .bytes()
        .all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(b, b'+' | b'/' | b'=' | b':' | b'-' | b'_' | b'.' | b'@')
        })
        .then_some(inner)
}

/// The strict line parser for the canonical layout; `None` sends the text to the TOML
/// parser (which also produces every error message).
fn fast(text: &str) -> Option<Raw> {
    // Comments with control characters are invalid TOML: leave them to the TOML parser.
    if text
        .lines()
        .any(|l| l.starts_with('#') && l.bytes().any(|b| (b < 0x20 && b != b'\t') || b == 0x7f))
    {
        return None;
    }
    let mut lines = text.split('\n').peekable();
    while lines.peek().is_some_and(|l| l.starts_with('#')) {
        lines.next();
    }
    if lines.next()? != "[aisecrets]" {
        return None;
    }
    let mut field =
        |name: &str| -> Option<&str> { lines.next()?.strip_prefix(name)?.strip_prefix(" = ") };
    if field("format")? != "1" {
        return None;
    }
    let project = plain_string(field("project")?)?.to_owned();
    let env = plain_string(field("env")?)?.to_owned();
    let key_id = plain_string(field("key_id")?)?.to_owned();
    let list = field("recipients")?.strip_prefix('[')?.strip_suffix(']')?;
    let recipients = if list.is_empty() {
        Vec::new()
    } else {
        list.split(", ")
            .map(|r| plain_string(r).map(str::to_owned))
            .collect::<Option<Vec<_>>>()?
    };
    if field("data_key")? != "\"\"\"" {
        return None;
    }
    let mut data_key = String::new();
    loop {
        let l = lines.next()?;
        if l == "\"\"\"" {
            break;
        }
        if !l
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'-' | b' '))
        {
            return None;
        }
        data_key.push_str(l);
        data_key.push('\n');
    }
    let mut rekeys = None;
    if let Some(r) = lines.peek().and_then(|l| l.strip_prefix("rekeys = ")) {
        rekeys = Some(plain_string(r)?.to_owned());
        lines.next();
    }
    if !lines.next()?.is_empty() || lines.next()? != "[secrets]" {
        return None;
    }
    let table = |lines: &mut std::iter::Peekable<std::str::Split<'_, char>>| -> Option<BTreeMap<String, String>> {
        let mut pairs: Vec<(String, String)> = Vec::new();
        while let Some(l) = lines.peek().copied() {
            if l.is_empty() || l.starts_with('#') || l.starts_with('[') {
                break;
            }
            lines.next();
            let (name, value) = l.split_once(" = ")?;
            if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                return None;
            }
            // Canonical files are sorted: out of order, or a duplicate (a TOML error), goes
            // to the TOML parser, which says so.
            if pairs.last().is_some_and(|(last, _)| last.as_str() >= name) {
                return None;
            }
            pairs.push((name.to_owned(), plain_string(value)?.to_owned()));
        }
        Some(pairs.into_iter().collect())
    };
    let secrets = table(&mut lines)?;
    let mut conflicts = BTreeMap::new();
    let mut seen_conflicts = false;
    while let Some(l) = lines.next() {
        match l {
            "" => {}
            l if l.starts_with('#') => {}
            "[conflicts]" if !seen_conflicts => {
                seen_conflicts = true;
                conflicts = table(&mut lines)?;
            }
            _ => return None,
        }
    }
    Some(Raw {
        aisecrets: Header {
            format: FORMAT,
            project,
            env,
            key_id,
            recipients,
            data_key,
            rekeys,
        },
        secrets,
        conflicts,
    })
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
    fn the_fast_path_agrees_with_the_toml_parser() {
        let mut f = sample();
        f.rekeys = Some("v1:AAAA".into());
        f.conflicts.insert("A".into(), "v1:BBBB".into());
        let text = f.render();
        let (a, b) = (
            fast(&text).expect("canonical text takes the fast path"),
            slow(&text).unwrap(),
        );
        assert_eq!(a.aisecrets.data_key, b.aisecrets.data_key);
        assert_eq!(
            (a.secrets, a.conflicts, a.aisecrets.rekeys),
            (b.secrets, b.conflicts, b.aisecrets.rekeys)
        );
        // Anything unusual goes to the TOML parser.
        for odd in [
            text.replacen("# Encrypted", "# \u{1}Encrypted", 1),
            text.replace("[conflicts]\n", "[conflicts]\n\n[conflicts]\n"),
            text.replace("A = ", "A =  "),
            text.replace("\n", "\r\n"),
            format!("{text}A = \"v1:AA==\"\n"),
            text.replace("format = 1", "format = 2"),
            text.replace("[secrets]\n", "[secrets]\nB = 'v1:AA=='\n"),
        ] {
            assert!(fast(&odd).is_none(), "{odd}");
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
