//! Redacting a Jupyter notebook's cell outputs for git (#18): the clean filter that `git
//! setup` installs for `*.ipynb` hands each notebook to [`Redactor::notebook`] when it is
//! staged. This project's values, in every form `run --mask` knows, and the catalogue's key
//! shapes become `[REDACTED:NAME]`, in the string tokens under a cell's `outputs` only
//! (a key in the source code is the pre-commit scan's to refuse, not ours to rewrite).
//!
//! The notebook is not re-serialised: each string token that holds something is decoded,
//! redacted and encoded again as Jupyter writes strings (`json.dumps(ensure_ascii=False)`),
//! in place; every other byte is kept. So a notebook with nothing to redact comes out
//! byte-identical, `git diff` shows nothing from the filter alone, and running the filter
//! again changes nothing.
//!
//! A file that is not valid JSON is redacted in its raw text instead, all of it: the filter
//! cannot tell outputs from sources there, and a value must not get through because a
//! notebook was half-written or hand-edited. Values are searched in their JSON-escaped forms
//! too, so escaping does not hide them.

use zeroize::Zeroizing;

use super::catalogue::Entry;
use super::shapes::shapes;
use crate::base::mask::Masker;

mod json;
#[cfg(test)]
mod tests;

use json::{Unit, decode, units};

/// What the filter did to one notebook.
pub struct Redacted {
    /// The notebook to stage.
    pub bytes: Zeroizing<Vec<u8>>,
    /// How many places were redacted.
    pub count: usize,
    /// Whether the notebook parsed as JSON (else its raw text was redacted).
    pub json: bool,
}

/// The project's values and the catalogue's shapes, to redact from notebook outputs.
pub struct Redactor {
    masker: Masker,
    /// The values as they are, searched in the decoded bytes of base64 data (images).
    values: Vec<(String, Zeroizing<Vec<u8>>)>,
}

impl Redactor {
    /// A redactor for the project's `(name, value)` pairs (none: shapes only).
    #[must_use]
    pub fn new<'a>(secrets: impl Iterator<Item = (&'a str, &'a str)>) -> Self {
        let secrets: Vec<(&str, &str)> = secrets.collect();
        Self {
            masker: Masker::new(secrets.iter().copied()),
            values: secrets
                .iter()
                .filter(|(_, v)| v.len() >= crate::base::mask::MIN_MASKED_LEN)
                .map(|(n, v)| ((*n).to_owned(), Zeroizing::new(v.as_bytes().to_vec())))
                .collect(),
        }
    }

    /// Redacts the outputs of the notebook `doc` (or all of it when it is not JSON).
    #[must_use]
    pub fn notebook(&self, doc: &[u8]) -> Redacted {
        let Some(units) = units(doc) else {
            let (text, n) = self.text(doc);
            return Redacted {
                bytes: text,
                count: n,
                json: false,
            };
        };
        let mut out = Zeroizing::new(Vec::with_capacity(doc.len()));
        let mut count = 0;
        let mut at = 0;
        for unit in units {
            let Some((tokens, n)) = self.unit(doc, &unit) else {
                continue;
            };
            let (first, last) = (unit.tokens[0], unit.tokens[unit.tokens.len() - 1]);
            // What separated the array's strings (`,\n    `), for the lines written back.
            let sep = unit
                .tokens
                .get(1)
                .map_or(&b", "[..], |second| &doc[first.1..second.0]);
            out.extend_from_slice(&doc[at..first.0]);
            for (i, token) in tokens.iter().enumerate() {
                if i > 0 {
                    out.extend_from_slice(sep);
                }
                out.push(b'"');
                out.extend_from_slice(token);
                out.push(b'"');
            }
            at = last.1;
            count += n;
        }
        out.extend_from_slice(&doc[at..]);
        Redacted {
            bytes: out,
            count,
            json: true,
        }
    }

    /// The tokens (contents, without quotes) to write in place of `unit`, and how many
    /// places were redacted; `None` when nothing was.
    ///
    /// The strings of an array are one text to Jupyter (nbformat joins them with ''): a
    /// PEM key or a JSON document printed over several lines is searched whole, and, when
    /// something was replaced, written back split after each newline as Jupyter splits it.
    fn unit(&self, doc: &[u8], unit: &Unit) -> Option<(Vec<Zeroizing<Vec<u8>>>, usize)> {
        let raw = |&(s, e): &(usize, usize)| &doc[s + 1..e - 1];
        let decoded: Option<Vec<Zeroizing<Vec<u8>>>> =
            unit.tokens.iter().map(|t| decode(raw(t))).collect();
        let Some(decoded) = decoded else {
            // A lone surrogate or bytes that are not UTF-8: redact each token as it is (a
            // replacement holds no character that needs escaping).
            let mut n = 0;
            let tokens: Vec<Zeroizing<Vec<u8>>> = unit
                .tokens
                .iter()
                .map(|t| {
                    let (red, k) = self.text(raw(t));
                    n += k;
                    red
                })
                .collect();
            return (n > 0).then_some((tokens, n));
        };
        let mut joined = Zeroizing::new(Vec::new());
        for d in &decoded {
            joined.extend_from_slice(d);
        }
        if unit.binary
            && let Some(found) = self.binary(&joined)
        {
            return found.map(|name| (vec![encode(format!("[REDACTED:{name}]").as_bytes())], 1));
        }
        let (red, n) = self.text(&joined);
        if n == 0 {
            return None;
        }
        let tokens = if unit.tokens.len() == 1 {
            vec![encode(&red)]
        } else {
            red.split_inclusive(|&c| c == b'\n').map(encode).collect()
        };
        Some((tokens, n))
    }

    /// Base64 data of a binary MIME type (an image, a PDF): its text is not masked (a short
    /// value found there by chance would corrupt the image); its decoded bytes are searched
    /// for the values and key shapes instead. `None`: not base64 (then it is text);
    /// `Some(None)`: nothing found; `Some(Some(name))`: the whole payload is to be replaced.
    fn binary(&self, text: &[u8]) -> Option<Option<String>> {
        use base64::Engine as _;
        let compact: Zeroizing<Vec<u8>> = Zeroizing::new(
            text.iter()
                .copied()
                .filter(|c| !c.is_ascii_whitespace())
                .collect(),
        );
        let bytes = Zeroizing::new(
            base64::engine::general_purpose::STANDARD
                .decode(&*compact)
                .ok()?,
        );
        let value = self
            .values
            .iter()
            .find(|(_, v)| bytes.windows(v.len()).any(|w| w == v.as_slice()));
        if let Some((name, _)) = value {
            return Some(Some(name.clone()));
        }
        Some(
            shapes(&bytes)
                .first()
                .map(|&(_, _, entry)| shape_name(entry)),
        )
    }

    /// Values (every masked form), then key shapes, in `text`; and how many were replaced.
    fn text(&self, text: &[u8]) -> (Zeroizing<Vec<u8>>, usize) {
        let masked = self.masker.stream().feed(text, true);
        let mut n = count_markers(&masked).saturating_sub(count_markers(text));
        let found = shapes(&masked);
        if found.is_empty() {
            return (masked, n);
        }
        let mut out = Zeroizing::new(Vec::with_capacity(masked.len()));
        let mut at = 0;
        let mut found = found;
        found.sort_by_key(|&(s, _, _)| s);
        for (s, e, entry) in found {
            if s < at {
                continue;
            }
            let e = pem_end(&masked, s, e);
            out.extend_from_slice(&masked[at..s]);
            out.extend_from_slice(format!("[REDACTED:{}]", shape_name(entry)).as_bytes());
            at = e;
            n += 1;
        }
        out.extend_from_slice(&masked[at..]);
        (out, n)
    }
}

/// Where a key shape found at `s..e` ends when it is a PEM block: the shape matches its
/// header and first line, the whole key is redacted, to its `-----END ...-----` line (or,
/// with none, to the end of the base64 lines that follow).
fn pem_end(text: &[u8], s: usize, e: usize) -> usize {
    const BEGIN: &[u8] = b"-----BEGIN ";
    const END: &[u8] = b"-----END ";
    if !text[s..].starts_with(BEGIN) {
        return e;
    }
    // A PEM block is a few KiB at most: an `-----END` further on is another's.
    let near = &text[e..text.len().min(e + 16 * 1024)];
    if let Some(i) = near.windows(END.len()).position(|w| w == END) {
        let after = e + i + END.len();
        if let Some(j) = text[after..].windows(5).position(|w| w == b"-----") {
            return after + j + 5;
        }
    }
    let base64 = |c: &u8| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'=');
    let more = text[e..]
        .iter()
        .position(|c| !(base64(c) || c.is_ascii_whitespace()))
        .unwrap_or(text.len() - e);
    let trimmed = text[e..e + more]
        .iter()
        .rposition(base64)
        .map_or(0, |k| k + 1);
    e + trimmed
}

/// How many `[REDACTED:` markers `b` holds (the masker's replacements are counted by them).
fn count_markers(b: &[u8]) -> usize {
    const MARK: &[u8] = b"[REDACTED:";
    b.windows(MARK.len()).filter(|w| *w == MARK).count()
}

/// The name a catalogued shape is redacted under: its kind in upper snake case, without
/// the note in brackets ("OpenAI API key" -> `OPENAI_API_KEY`).
#[must_use]
pub fn shape_name(entry: &Entry) -> String {
    let kind = entry.kind.split('(').next().unwrap_or(entry.kind);
    let mut name = String::new();
    for c in kind.chars() {
        if c.is_ascii_alphanumeric() {
            name.push(c.to_ascii_uppercase());
        } else if !name.is_empty() && !name.ends_with('_') {
            name.push('_');
        }
    }
    name.trim_end_matches('_').to_owned()
}

/// Encodes text as a JSON string token's contents, as Jupyter writes strings (Python's
/// `json.dumps(..., ensure_ascii=False)`): the masker's own JSON escaping, in that style.
fn encode(text: &[u8]) -> Zeroizing<Vec<u8>> {
    match std::str::from_utf8(text) {
        Ok(text) => crate::base::mask::json_escape_python(text),
        // Not reached: a token that does not decode is redacted as it is, and what decodes
        // stays UTF-8 through the redaction.
        Err(_) => crate::base::mask::json_escape_python(&Zeroizing::new(
            String::from_utf8_lossy(text).into_owned(),
        )),
    }
}

/// The text of each array of strings under the outputs of the notebook `doc`, joined as
/// Jupyter joins it, one array after another (a newline between): what `scan --staged`
/// searches besides the file, so a value printed over several lines is found whole.
/// `None` when `doc` is not JSON or no output is split into lines.
#[must_use]
pub fn joined_outputs(doc: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    let mut out = Zeroizing::new(Vec::new());
    for unit in units(doc)?.iter().filter(|u| u.tokens.len() > 1) {
        for &(s, e) in &unit.tokens {
            match decode(&doc[s + 1..e - 1]) {
                Some(text) => out.extend_from_slice(&text),
                None => out.extend_from_slice(&doc[s + 1..e - 1]),
            }
        }
        out.push(b'\n');
    }
    (!out.is_empty()).then_some(out)
}
