//! `aisecrets scan`: finds this project's own secret values, in every form `run --mask`
//! knows (plain, base64, URL-encoded, hex, JSON-escaped: `crate::mask::encoded_forms`), and
//! the shapes of well-known keys in files, notebooks included. Findings name the file, line,
//! kind and secret; never the value.
//!
//! Project values are searched in every byte of every file, binary or not (#12): a value
//! pasted into a pickle, a notebook checkpoint or a file that starts with a NUL is still a
//! value. Key shapes are searched in text files only (no NUL in the first 8 KiB): they are
//! regexes over printable text, slower than the value search on large binaries (model
//! weights), and a shape is a guess where a project value is a certainty.

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, MatchKind};
use regex::bytes::Regex;
use zeroize::Zeroizing;

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The file (as given or as staged).
    pub path: String,
    /// One-based line.
    pub line: usize,
    /// What was found: `project secret`, `OpenAI API key`...
    pub kind: &'static str,
    /// The project secret's name, for project secrets.
    pub name: Option<String>,
}

/// Well-known key shapes: (kind, pattern).
static RULES: LazyLock<Vec<(&'static str, Regex)>> = LazyLock::new(|| {
    [
        ("Anthropic API key", r"sk-ant-[A-Za-z0-9_-]{20,}"),
        (
            "OpenAI API key",
            r"sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{20,}",
        ),
        (
            "OpenAI API key",
            r"\bsk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}\b",
        ),
        ("OpenAI API key", r"\bsk-[A-Za-z0-9]{32,}\b"),
        ("Hugging Face token", r"\bhf_[A-Za-z0-9]{30,}\b"),
        (
            "W&B API key",
            r#"(?i)wandb[A-Za-z0-9_]*["']?\s*[:=]\s*["']?[0-9a-f]{40}\b"#,
        ),
        ("W&B API key", r"\bwandb_v1_[A-Za-z0-9_]{20,}"),
        ("AWS access key", r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
        (
            "GCP service-account key",
            r#""type"\s*:\s*"service_account""#,
        ),
        ("GCP API key", r"\bAIza[0-9A-Za-z_-]{35}\b"),
        ("GitHub token", r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),
        ("GitHub token", r"\bgithub_pat_[A-Za-z0-9_]{22,}\b"),
        ("Slack token", r"\bxox[abprs]-[A-Za-z0-9-]{10,}\b"),
        (
            "Slack webhook",
            r"https://hooks\.slack\.com/services/T[A-Za-z0-9_]+/B[A-Za-z0-9_]+/[A-Za-z0-9_]+",
        ),
        (
            "Stripe key",
            r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}\b",
        ),
        ("private key", r"-----BEGIN (?:[A-Z]+ )*PRIVATE KEY-----"),
        ("age identity", r"AGE-SECRET-KEY-1[0-9A-Z]{58}"),
    ]
    .into_iter()
    .map(|(k, r)| (k, Regex::new(r).expect("the rules are valid regexes")))
    .collect()
});

/// The scanner: project values (optional) and the rules.
pub struct Scanner {
    /// The value forms. For text files, in three automata, each small enough for a fast
    /// prefilter (one automaton for all ran the value search several times slower): hex
    /// forms apart, and those holding a `\u` escape searched only in files holding one
    /// (`memmem` finds none in most files at memory speed; their patterns start with common
    /// letters and get no prefilter). For binary files, one automaton for all: there the
    /// prefilters of the small ones fire on every few bytes and cost more than they save.
    values: Vec<Values>,
}

struct Values {
    ac: AhoCorasick,
    names: Vec<String>,
    /// Searched only in files where this finds something (one pattern: memmem).
    gate: Option<AhoCorasick>,
    /// For text files (else for binary ones).
    text: bool,
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
            for f in crate::mask::encoded_forms(value) {
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
        let sets = [
            (Some(0), None, true),
            (Some(1), None, true),
            (Some(2), Some(ESCAPE), true),
            (None, None, false),
        ];
        let values = sets
            .into_iter()
            .filter_map(|(want, gate, text)| {
                let (pats, names): (Vec<&[u8]>, Vec<String>) = patterns
                    .iter()
                    .zip(&names)
                    .filter(|(p, _)| want.is_none_or(|g| group(p) == g))
                    .map(|(p, n)| (p.as_slice(), n.clone()))
                    .unzip();
                (!pats.is_empty()).then(|| Values {
                    ac: AhoCorasick::builder()
                        .match_kind(MatchKind::LeftmostLongest)
                        .build(pats)
                        .expect("patterns build"),
                    names,
                    gate: gate.map(|g| AhoCorasick::new([g]).expect("one literal builds")),
                    text,
                })
            })
            .collect();
        Self { values }
    }

    /// Whether project values are checked (else shapes only).
    #[must_use]
    pub fn has_values(&self) -> bool {
        !self.values.is_empty()
    }

    /// Scans one file's bytes: project values everywhere, key shapes in text files (no NUL
    /// in the first 8 KiB) only.
    #[must_use]
    pub fn scan(&self, path: &str, bytes: &[u8]) -> Vec<Finding> {
        self.scan_as(path, bytes, true)
    }

    /// Scans one of this project's environment files: its sealed values are random, so only
    /// a project value written into it in the clear is a finding.
    #[must_use]
    pub fn scan_own(&self, path: &str, bytes: &[u8]) -> Vec<Finding> {
        self.scan_as(path, bytes, false)
    }

    fn scan_as(&self, path: &str, bytes: &[u8], shapes: bool) -> Vec<Finding> {
        let text = !bytes[..bytes.len().min(8192)].contains(&0);
        let shapes = shapes && text;
        let line_of = |pos: usize| bytes[..pos].iter().filter(|&&b| b == b'\n').count() + 1;
        let mut found = Vec::new();
        for v in &self.values {
            if v.text != text || v.gate.as_ref().is_some_and(|g| !g.is_match(bytes)) {
                continue;
            }
            for m in v.ac.find_iter(bytes) {
                found.push(Finding {
                    path: path.to_owned(),
                    line: line_of(m.start()),
                    kind: "project secret",
                    name: Some(v.names[m.pattern().as_usize()].clone()),
                });
            }
        }
        let mut taken: Vec<(usize, usize)> = Vec::new();
        for (kind, re) in RULES.iter().filter(|_| shapes) {
            for m in re.find_iter(bytes) {
                // One finding per place: the first (most specific) rule wins.
                if taken.iter().any(|&(s, e)| m.start() < e && s < m.end()) {
                    continue;
                }
                taken.push((m.start(), m.end()));
                let line = line_of(m.start());
                if found
                    .iter()
                    .any(|f: &Finding| f.line == line && f.name.is_some())
                {
                    continue;
                }
                found.push(Finding {
                    path: path.to_owned(),
                    line,
                    kind,
                    name: None,
                });
            }
        }
        found.sort_by_key(|f| f.line);
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

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

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
