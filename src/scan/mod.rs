//! `aisecrets scan`: finds this project's own secret values, in every form `run --mask`
//! knows (plain, base64, URL-encoded, hex, JSON-escaped: `crate::base::mask::encoded_forms`), and
//! the shapes of well-known keys in files, notebooks included. Findings name the file, line,
//! kind and secret; never the value.
//!
//! Project values are searched in every byte of every file, binary or not (#12): a value
//! pasted into a pickle, a notebook checkpoint or a file that starts with a NUL is still a
//! value. Key shapes are searched in text files only (no NUL in the first 8 KiB): they are
//! regexes over printable text, slower than the value search on large binaries (model
//! weights), and a shape is a guess where a project value is a certainty.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use aho_corasick::{AhoCorasick, MatchKind};
use zeroize::Zeroizing;

pub mod allow;
pub mod catalogue;
pub mod generic;
pub mod history;
pub mod notebook;
pub mod precision;
pub mod rotation;
mod shapes;

pub use allow::Allow;
use shapes::{generic_in, shapes};

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    /// The file (as given, as staged, or as committed).
    #[serde(rename = "file")]
    pub path: String,
    /// One-based line.
    pub line: usize,
    /// One-based column (bytes).
    #[serde(rename = "column")]
    pub col: usize,
    /// What was found: `project secret`, `OpenAI API key`, `generic credential`...
    pub kind: &'static str,
    /// Who issues it, for catalogued shapes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<&'static str>,
    /// The project secret's name, for project secrets.
    #[serde(rename = "secret", skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The field a generic credential sits under (`api_key`, `Authorization`...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The first commit holding it (`scan --history`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// Whether the blob is still in HEAD (`scan --history`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub in_head: Option<bool>,
}

impl Finding {
    /// `file:line:col: kind (provider)`: one line, for people and CI.
    #[must_use]
    pub fn line_text(&self) -> String {
        let label = self
            .name
            .as_deref()
            .or(self.provider)
            .or(self.field.as_deref());
        let mut s = format!("{}:{}:{}: {}", self.path, self.line, self.col, self.kind);
        if let Some(l) = label {
            s.push_str(&format!(" ({l})"));
        }
        if let Some(c) = &self.commit {
            s.push_str(&format!(" in {}", &c[..c.len().min(12)]));
            if self.in_head == Some(false) {
                s.push_str(", not in HEAD");
            }
        }
        s
    }
}

/// The inline marker that silences a finding on its line.
pub const ALLOW_MARK: &str = "aisecrets: allow";

/// The scanner: project values (optional), the catalogue of shapes, generic credentials,
/// and what the manifest allows.
pub struct Scanner {
    /// The value forms, in three automata, each small enough for a fast prefilter (one
    /// automaton for all ran the value search several times slower): hex forms apart, and those holding
    /// a `\u` escape searched only in files holding one (`memmem` finds none in most files
    /// at memory speed; their patterns start with common letters and get no prefilter).
    values: Vec<Values>,
    allow: Allow,
    allowed: AtomicUsize,
}

struct Values {
    ac: AhoCorasick,
    names: Vec<String>,
    /// Searched only in files where this finds something (one pattern: memmem).
    gate: Option<AhoCorasick>,
}

/// A finding before its line and column are known.
struct Raw {
    start: usize,
    end: usize,
    kind: &'static str,
    provider: Option<&'static str>,
    name: Option<String>,
    field: Option<String>,
}

impl Scanner {
    /// A scanner for `(name, value)` pairs of the project (values under 8 bytes are skipped:
    /// they would match ordinary text).
    #[must_use]
    pub fn new<'a>(secrets: impl Iterator<Item = (&'a str, &'a str)>) -> Self {
        const ESCAPE: &[u8] = b"\\u";
        let mut patterns: Vec<Zeroizing<Vec<u8>>> = Vec::new();
        let mut names = Vec::new();
        for (name, value) in secrets {
            if value.len() < 8 {
                continue;
            }
            let mut forms = crate::base::mask::encoded_forms(value);
            // UTF-16 (both byte orders): Windows tools, .NET and Java serialisations.
            for be in [false, true] {
                let units: Vec<u8> = value
                    .encode_utf16()
                    .flat_map(|u| if be { u.to_be_bytes() } else { u.to_le_bytes() })
                    .collect();
                forms.push(Zeroizing::new(units));
            }
            for f in forms {
                if f.len() >= 8 && !patterns.iter().any(|p| **p == *f) {
                    patterns.push(f);
                    names.push(name.to_owned());
                }
            }
        }
        // Which automaton a form goes to: 0 most, 1 hex, 2 `\u` escapes.
        let group = |p: &[u8]| {
            if p.windows(ESCAPE.len()).any(|w| w == ESCAPE) {
                2
            } else if p.iter().all(u8::is_ascii_hexdigit) {
                1
            } else {
                0
            }
        };
        let values = [(0, None), (1, None), (2, Some(ESCAPE))]
            .into_iter()
            .filter_map(|(want, gate)| {
                let (pats, names): (Vec<&[u8]>, Vec<String>) = patterns
                    .iter()
                    .zip(&names)
                    .filter(|(p, _)| group(p) == want)
                    .map(|(p, n)| (p.as_slice(), n.clone()))
                    .unzip();
                (!pats.is_empty()).then(|| Values {
                    ac: AhoCorasick::builder()
                        .match_kind(MatchKind::LeftmostLongest)
                        .build(pats)
                        .expect("patterns build"),
                    names,
                    gate: gate.map(|g| AhoCorasick::new([g]).expect("one literal builds")),
                })
            })
            .collect();
        Self {
            values,
            allow: Allow::default(),
            allowed: AtomicUsize::new(0),
        }
    }

    /// With the manifest's `[scan] allow`.
    #[must_use]
    pub fn with_allow(mut self, allow: Allow) -> Self {
        self.allow = allow;
        self
    }

    /// How many findings were silenced (`aisecrets: allow` or `[scan] allow`).
    #[must_use]
    pub fn allowed(&self) -> usize {
        self.allowed.load(Ordering::Relaxed)
    }

    /// Whether project values are checked (else shapes only).
    #[must_use]
    pub fn has_values(&self) -> bool {
        !self.values.is_empty()
    }

    /// Scans one file's bytes: project values everywhere, key shapes and generic credentials
    /// in text files (no NUL in the first 8 KiB) only.
    #[must_use]
    pub fn scan(&self, path: &str, bytes: &[u8]) -> Vec<Finding> {
        let text = !bytes[..bytes.len().min(8192)].contains(&0);
        self.scan_as(path, bytes, text)
    }

    /// Scans one of this project's environment files: its sealed values are random, so only
    /// a project value written into it in the clear is a finding.
    #[must_use]
    pub fn scan_own(&self, path: &str, bytes: &[u8]) -> Vec<Finding> {
        self.scan_as(path, bytes, false)
    }

    fn scan_as(&self, path: &str, bytes: &[u8], text: bool) -> Vec<Finding> {
        let mut found = self.gzipped(path, bytes);
        let mut raw: Vec<Raw> = self.values_in(bytes, "project secret");
        if text {
            for (s, e, entry) in shapes(bytes) {
                raw.push(Raw {
                    start: s,
                    end: e,
                    kind: entry.kind,
                    provider: Some(entry.provider),
                    name: None,
                    field: None,
                });
            }
            generic_in(bytes, &mut raw);
        }
        found.extend(self.place(path, bytes, raw));
        found
    }

    /// Project values inside gzip'd bytes (a `.gz` log, a compressed dump), up to 256 MiB of
    /// decompressed text; lines and columns are those of the decompressed text.
    fn gzipped(&self, path: &str, bytes: &[u8]) -> Vec<Finding> {
        use std::io::Read as _;
        if !bytes.starts_with(&[0x1f, 0x8b]) || !self.has_values() {
            return Vec::new();
        }
        let mut plain = Zeroizing::new(Vec::new());
        let mut dec = flate2::read::MultiGzDecoder::new(bytes).take(256 << 20);
        // A damaged stream still gives what it held before the damage.
        let _ = dec.read_to_end(&mut plain);
        let raw = self.values_in(&plain, "project secret (gzip'd)");
        self.place(path, &plain, raw)
    }

    /// Where project values are in `bytes`.
    fn values_in(&self, bytes: &[u8], kind: &'static str) -> Vec<Raw> {
        let mut raw: Vec<Raw> = Vec::new();
        for v in &self.values {
            if v.gate.as_ref().is_some_and(|g| !g.is_match(bytes)) {
                continue;
            }
            for m in v.ac.find_iter(bytes) {
                raw.push(Raw {
                    start: m.start(),
                    end: m.end(),
                    kind,
                    provider: None,
                    name: Some(v.names[m.pattern().as_usize()].clone()),
                    field: None,
                });
            }
        }
        raw
    }

    /// Lines and columns, one finding per place (project values first, then the catalogue,
    /// then generic ones), and the allow rules.
    fn place(&self, path: &str, bytes: &[u8], mut raw: Vec<Raw>) -> Vec<Finding> {
        let line_start = |p: usize| {
            bytes[..p]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1)
        };
        // (Lines holding a project value: a shape there is the same leak.)
        let value_lines: Vec<usize> = raw
            .iter()
            .filter(|r| r.name.is_some())
            .map(|r| line_start(r.start))
            .collect();
        let mut kept: Vec<Raw> = Vec::new();
        for r in raw.drain(..) {
            if r.name.is_none() && value_lines.contains(&line_start(r.start)) {
                continue;
            }
            if kept.iter().any(|k| k.start < r.end && r.start < k.end) {
                continue;
            }
            kept.push(r);
        }
        kept.sort_by_key(|r| r.start);
        let mut found = Vec::new();
        let (mut line, mut at, mut start_of_line) = (1, 0, 0);
        for r in kept {
            for (i, b) in bytes[at..r.start].iter().enumerate() {
                if *b == b'\n' {
                    line += 1;
                    start_of_line = at + i + 1;
                }
            }
            at = r.start;
            let end_of_line = bytes[r.start..]
                .iter()
                .position(|&b| b == b'\n')
                .map_or(bytes.len(), |i| r.start + i);
            let this_line = &bytes[start_of_line..end_of_line];
            let marked = this_line
                .windows(ALLOW_MARK.len())
                .any(|w| w == ALLOW_MARK.as_bytes());
            let by_value = self.allow.has_value_rules()
                && std::str::from_utf8(&bytes[r.start..r.end]).is_ok_and(|v| self.allow.value(v));
            if marked || by_value || self.allow.path(path) {
                self.allowed.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            found.push(Finding {
                path: path.to_owned(),
                line,
                col: r.start - start_of_line + 1,
                kind: r.kind,
                provider: r.provider,
                name: r.name,
                field: r.field,
                commit: None,
                in_head: None,
            });
        }
        found
    }
}

/// Files under `root`, skipping `.git`, `target`, `node_modules` and our own encrypted files
/// (whose sealed values are random).
#[must_use]
pub fn walk(root: &Path, skip: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(p) = stack.pop() {
        // A path named on the command line is followed if it is a link; links inside a
        // folder are not (they may point anywhere, or loop).
        let meta = if p == root {
            std::fs::metadata(&p)
        } else {
            std::fs::symlink_metadata(&p)
        };
        let Ok(meta) = meta else {
            continue;
        };
        if meta.is_dir() {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if p != root
                && matches!(
                    name,
                    ".git" | "target" | "node_modules" | ".venv" | "__pycache__"
                )
            {
                continue;
            }
            if let Ok(entries) = std::fs::read_dir(&p) {
                let mut v: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
                v.sort();
                stack.extend(v.into_iter().rev());
            }
        } else if meta.is_file() && !skip.iter().any(|s| s == &p) {
            out.push(p);
        }
    }
    out
}

/// Whether a pattern asks for Unicode case folding, which release builds do not have (#14;
/// test builds do, through the dev-dependencies): a flag group that turns `i` on without
/// turning `u` off, or one that turns `u` back on. `(?i-u:...)` is the way to write it in a
/// built-in pattern (the catalogue's and generic's tests hold them to it).
#[cfg(test)]
pub(crate) fn folds_unicode_case(pattern: &str) -> bool {
    flag_groups(pattern)
        .any(|(on, off)| on.contains('u') || (on.contains('i') && !off.contains('u')))
}

/// Whether a pattern turns Unicode mode back on (`(?u)`, `(?iu)`): what keeps a `[scan]
/// allow` pattern with `(?i)` from being built in ASCII mode.
pub(crate) fn turns_unicode_on(pattern: &str) -> bool {
    flag_groups(pattern).any(|(on, _)| on.contains('u'))
}

/// The flag groups of a pattern (`(?i-u)`, `(?x:`), as (flags turned on, flags turned off).
fn flag_groups(pattern: &str) -> impl Iterator<Item = (String, String)> + '_ {
    pattern.split("(?").skip(1).map(|rest| {
        let flags: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphabetic() || *c == '-')
            .collect();
        let (on, off) = flags.split_once('-').unwrap_or((&flags, ""));
        (on.to_owned(), off.to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    #[test]
    fn unicode_case_folding_is_told_apart_from_ascii() {
        assert!(folds_unicode_case(r"(?i)abc"));
        assert!(folds_unicode_case(r"x(?ix:abc)"));
        assert!(folds_unicode_case(r"(?i-u:a(?u)b)"));
        assert!(!folds_unicode_case(r"(?i-u)abc(?-i:D)"));
        assert!(!folds_unicode_case(r"(?P<v>\w+)(?:x)"));
        assert!(turns_unicode_on(r"(?iu)x") && turns_unicode_on(r"(?i-u:a(?u)b)"));
        assert!(!turns_unicode_on(r"(?i)x") && !turns_unicode_on(r"(?i-u)x"));
    }

    #[test]
    fn finds_shapes_and_project_values_in_every_form() {
        let s =
            Scanner::new([("OPENAI_API_KEY", "sk-proj-FAKEprojectvalue1234567890")].into_iter());
        let b64 =
            base64::engine::general_purpose::STANDARD.encode("sk-proj-FAKEprojectvalue1234567890");
        let text = format!(
            "a\nkey = '{}'\nb64 = {b64}\nhf = hf_FAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKE12\naws = AKIAFAKEFAKEFAKEFAKE\nant = sk-ant-api03-FAKEFAKEFAKEFAKEFAKEFAKE\n",
            "sk-proj-FAKEprojectvalue1234567890"
        );
        let f = s.scan("x.py", text.as_bytes());
        let kinds: Vec<(usize, &str, Option<&str>)> = f
            .iter()
            .map(|f| (f.line, f.kind, f.name.as_deref()))
            .collect();
        assert_eq!(
            kinds,
            [
                (2, "project secret", Some("OPENAI_API_KEY")),
                (3, "project secret", Some("OPENAI_API_KEY")),
                (4, "Hugging Face token", None),
                (5, "AWS access key", None),
                (6, "Anthropic API key", None)
            ]
        );
        assert!(s.scan("clean.py", b"print('hello')\nsk-short\n").is_empty());
        // JSON escapes (searched only where a `\u` is).
        let every: String = "sk-proj-FAKEprojectvalue1234567890"
            .chars()
            .map(|c| format!("\\u{:04x}", u32::from(c)))
            .collect();
        let f = s.scan("x.json", format!("{{\n\"k\": \"{every}\"}}").as_bytes());
        assert_eq!((f.len(), f[0].line), (1, 2), "{f:?}");
        // Binary files: project values in any form, anywhere; shapes only in text.
        let mut bin = vec![0u8; 10_000];
        bin.extend_from_slice(b"\n\nhf = hf_FAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKE12 ");
        bin.extend_from_slice(
            b"736b2d70726f6a2d46414b4570726f6a65637476616c7565313233343536373839300a",
        );
        let f = s.scan("bin", &bin);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(
            (f[0].line, f[0].name.as_deref()),
            (3, Some("OPENAI_API_KEY"))
        );
        assert!(
            s.scan_own(
                "secrets/dev.toml",
                b"x = \"sk-ant-api03-FAKEFAKEFAKEFAKEFAKEFAKE\""
            )
            .is_empty()
        );
    }
}
