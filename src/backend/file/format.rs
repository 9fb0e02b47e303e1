//! The encrypted environment file: parsing (strict, bounded) and writing (deterministic).
//! `docs/FORMAT.md` is the specification; keep the two in step.
//!
//! Format 2 adds one header line, `mac`: an HMAC under a key derived from the data key over a
//! canonical encoding of every header field and every (name, token) pair (see
//! [`EnvFile::mac_input`]). Each token already authenticates its own value and name; the MAC
//! makes the file authenticate as a whole, so a writer without the data key cannot delete a
//! line, put back an older token from git history, or edit `recipients` or `rekeys` (#12).
//! Format 1 files (no MAC) still open and are written as format 2 on their next write.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use serde::Deserialize;

use crate::base::error::{Error, Result};
use crate::base::secret;
use crate::keys::seal::{DataKey, VALUE_PREFIX};

/// The format version this build writes (it also reads [`FORMAT_V1`]).
pub const FORMAT: i64 = 2;
/// The previous format: no file MAC. Read, and upgraded on the next write.
pub const FORMAT_V1: i64 = 1;
/// The most secrets (and, separately, conflicts) a file may hold.
pub const MAX_SECRETS: usize = 50_000;
/// The longest line a file may hold: a 1 MiB value sealed with the longest metadata, in
/// base64, fits with room to spare.
pub const MAX_LINE: usize = 2 << 20;
/// The most lines a file may hold: every secret and conflict on its own line, plus the
/// header (a data key with 1024 stanzas is about 2,000 lines).
const MAX_LINES: usize = 2 * MAX_SECRETS + 10_000;
const MAC_HEX_LEN: usize = 64;
/// The label that starts the MAC input: binds the encoding and the format version.
const MAC_LABEL: &str = "aisecrets/v2/file";
const BEGIN: &str = "-----BEGIN AGE ENCRYPTED FILE-----";
const END: &str = "-----END AGE ENCRYPTED FILE-----";

/// An environment file as stored: everything in it is public or sealed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvFile {
    /// The format version as read ([`FORMAT_V1`] or [`FORMAT`]); writing always writes
    /// [`FORMAT`].
    pub format: i64,
    /// The file MAC as read (format 2), hex; `None` in format 1. Writing computes it anew.
    pub mac: Option<String>,
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

#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    aisecrets: Header,
    #[serde(default)]
    secrets: BTreeMap<String, String>,
    #[serde(default)]
    conflicts: BTreeMap<String, String>,
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    format: i64,
    project: String,
    env: String,
    key_id: String,
    recipients: Vec<String>,
    data_key: String,
    rekeys: Option<String>,
    mac: Option<String>,
}

impl EnvFile {
    /// Parses a file's text. `path` is for errors only.
    pub fn parse(path: &Path, text: &str) -> Result<Self> {
        let bad = |reason: String| Error::corrupt(path, reason);
        check_size(text).map_err(|r| bad(r.into()))?;
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
            None => slow(text).map_err(|e| bad(format!("{e:#}")))?,
        };
        let h = raw.aisecrets;
        match (h.format, &h.mac) {
            (FORMAT, Some(mac)) if is_mac(mac) => {}
            (FORMAT, Some(_)) => return Err(bad("its mac is malformed".into())),
            (FORMAT, None) => return Err(bad("it is in format 2 but has no mac".into())),
            (FORMAT_V1, None) => {}
            (FORMAT_V1, Some(_)) => return Err(bad("it is in format 1 but has a mac".into())),
            _ => return Err(bad("unknown format".into())),
        }
        if raw.secrets.len() > MAX_SECRETS || raw.conflicts.len() > MAX_SECRETS {
            return Err(bad(format!("it holds more than {MAX_SECRETS} secrets")));
        }
        if h.key_id.len() != 32 || !h.key_id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad("its key_id is malformed".into()));
        }
        // `render` writes the name into its first comment line: a name with a line break
        // would add lines to the file (found by the property tests, #14).
        secret::check_env_name(&h.env).map_err(|_| bad("its env name is malformed".into()))?;
        for name in raw.secrets.keys() {
            secret::check_name(name).map_err(|_| {
                bad(format!(
                    "it holds an invalid secret name `{}`",
                    crate::base::output::sanitize(name, 64)
                ))
            })?;
        }
        for name in raw.conflicts.keys() {
            if !raw.secrets.contains_key(name) {
                return Err(bad(format!(
                    "its conflict `{}` names no secret",
                    crate::base::output::sanitize(name, 64)
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
            format: h.format,
            mac: h.mac,
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

    /// The canonical encoding the file MAC covers (docs/FORMAT.md, "The file MAC"): every
    /// field but `format` and `mac`, each string with its length, lists with their count,
    /// tables sorted by name. A change to any of them, a line removed or added, changes it.
    #[must_use]
    pub fn mac_input(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.feed_mac_input(&mut |b| out.extend_from_slice(b));
        out
    }

    /// Streams [`Self::mac_input`] to `sink` piece by piece (no copy of the whole file).
    fn feed_mac_input(&self, sink: &mut dyn FnMut(&[u8])) {
        fn put(sink: &mut dyn FnMut(&[u8]), s: &str) {
            sink(&u32::try_from(s.len()).unwrap_or(u32::MAX).to_be_bytes());
            sink(s.as_bytes());
        }
        fn count(sink: &mut dyn FnMut(&[u8]), n: usize) {
            sink(&u32::try_from(n).unwrap_or(u32::MAX).to_be_bytes());
        }
        put(sink, MAC_LABEL);
        put(sink, &self.project);
        put(sink, &self.env);
        put(sink, &self.key_id);
        count(sink, self.recipients.len());
        for r in &self.recipients {
            put(sink, r);
        }
        put(sink, &self.data_key);
        match &self.rekeys {
            None => sink(&[0]),
            Some(r) => {
                sink(&[1]);
                put(sink, r);
            }
        }
        for table in [&self.secrets, &self.conflicts] {
            count(sink, table.len());
            for (name, token) in table {
                put(sink, name);
                put(sink, token);
            }
        }
    }

    /// The file MAC of this content under `key`, hex.
    fn compute_mac(&self, key: &DataKey) -> crate::keys::seal::FileMac {
        let mut mac = key.file_mac();
        self.feed_mac_input(&mut |b| mac.update(b));
        mac
    }

    /// Checks the file MAC with the opened data key: `Ok` for a format 2 file whose MAC
    /// matches, and for a format 1 file (which has none; the caller decides whether format 1
    /// is still acceptable for this environment).
    pub fn verify(&self, key: &DataKey) -> std::result::Result<(), &'static str> {
        match (&self.mac, self.format) {
            (_, FORMAT_V1) => Ok(()),
            (Some(mac), FORMAT) if self.compute_mac(key).verify(mac) => Ok(()),
            _ => Err("its mac does not match: lines were removed, restored from history or edited"),
        }
    }

    /// Writes the file's text in format 2, with its MAC under `key` (the file's data key):
    /// a fixed layout, keys sorted, so that equal content gives equal bytes and `git diff`
    /// shows only what changed (and the `mac` line).
    #[must_use]
    pub fn render(&self, key: &DataKey) -> String {
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
        let _ = writeln!(s, "mac = {}", quote(&self.compute_mac(key).hex()));
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

/// Both parsers on one text, for the property tests and fuzz targets (not an API): the
/// fast path's fields (`None` where it declines) and the full TOML parser's, each as its
/// `Debug` text. Wherever the fast path accepts, the two must be equal.
#[doc(hidden)]
pub fn both_parsers(text: &str) -> (Option<String>, std::result::Result<String, String>) {
    let show = |raw: Raw| format!("{raw:?}");
    (
        fast(text).map(show),
        slow(text).map(show).map_err(|e| format!("{e:#}")),
    )
}

/// The full TOML path, with the format looked at first so that a future format gets a clear
/// message rather than a complaint about a field this build does not know.
fn slow(text: &str) -> anyhow::Result<Raw> {
    match toml::from_str::<Raw>(text) {
        Ok(raw) if matches!(raw.aisecrets.format, FORMAT | FORMAT_V1) => Ok(raw),
        Ok(raw) => anyhow::bail!(
            "it is in format {}, and this aisecrets reads formats 1 and {FORMAT} (upgrade aisecrets)",
            raw.aisecrets.format
        ),
        Err(e) => {
            let loose: toml::Table = toml::from_str(text).map_err(|_| {
                anyhow::anyhow!("it is not valid TOML ({})", first_line(e.message()))
            })?;
            match loose
                .get("aisecrets")
                .and_then(|h| h.get("format"))
                .and_then(toml::Value::as_integer)
            {
                Some(FORMAT | FORMAT_V1) => {
                    anyhow::bail!("it has an unexpected layout ({})", first_line(e.message()))
                }
                Some(n) => anyhow::bail!(
                    "it is in format {n}, and this aisecrets reads formats 1 and {FORMAT} (upgrade aisecrets)"
                ),
                None => anyhow::bail!("it has no [aisecrets] format field"),
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
    let format = match field("format")? {
        "1" => FORMAT_V1,
        "2" => FORMAT,
        _ => return None,
    };
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
    let mut mac = None;
    if let Some(m) = lines.peek().and_then(|l| l.strip_prefix("mac = ")) {
        mac = Some(plain_string(m)?.to_owned());
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
            format,
            project,
            env,
            key_id,
            recipients,
            data_key,
            rekeys,
            mac,
        },
        secrets,
        conflicts,
    })
}

/// Refuses, before any parsing, text with more lines or longer lines than any file
/// aisecrets writes: a crafted file must not cost memory or time in the parsers (#12).
fn check_size(text: &str) -> std::result::Result<(), &'static str> {
    let mut lines = 0usize;
    for line in text.split('\n') {
        lines += 1;
        if lines > MAX_LINES {
            return Err("it has more lines than any environment file aisecrets writes");
        }
        if line.len() > MAX_LINE {
            return Err("it has a line longer than any environment file aisecrets writes");
        }
    }
    Ok(())
}

fn is_mac(s: &str) -> bool {
    s.len() == MAC_HEX_LEN && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
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
mod tests;
