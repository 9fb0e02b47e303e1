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

/// Nesting deeper than this is treated as not JSON (no stack overflow on a hostile file).
const MAX_DEPTH: usize = 512;

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

/// Decodes a JSON string token's contents; `None` when it does not decode to UTF-8 text
/// (a lone surrogate escape, raw bytes that are not UTF-8).
fn decode(raw: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    let mut out = Zeroizing::new(Vec::with_capacity(raw.len()));
    let mut i = 0;
    let hex4 = |at: usize| -> Option<u32> {
        let h = raw.get(at..at + 4)?;
        u32::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok()
    };
    while i < raw.len() {
        let c = raw[i];
        if c != b'\\' {
            out.push(c);
            i += 1;
            continue;
        }
        let e = *raw.get(i + 1)?;
        i += 2;
        let ch = match e {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let hi = hex4(i)?;
                i += 4;
                let code = if (0xD800..0xDC00).contains(&hi) {
                    if raw.get(i..i + 2)? != b"\\u" {
                        return None;
                    }
                    let lo = hex4(i + 2)?;
                    if !(0xDC00..0xE000).contains(&lo) {
                        return None;
                    }
                    i += 6;
                    0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                } else {
                    hi
                };
                char::from_u32(code)?
            }
            _ => return None,
        };
        let mut buf = [0u8; 4];
        out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
    }
    std::str::from_utf8(&out).ok()?;
    Some(out)
}

/// Encodes text as a JSON string token's contents, as Python's `json.dumps(...,
/// ensure_ascii=False)` (which Jupyter uses) does: `"` `\` and control characters escaped,
/// the rest as it is.
fn encode(text: &[u8]) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::with_capacity(text.len() + 8));
    for &c in text {
        match c {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            c if c < 0x20 => out.extend_from_slice(format!("\\u{c:04x}").as_bytes()),
            c => out.push(c),
        }
    }
    out
}

/// Where a value sits in the notebook.
#[derive(Clone, Copy, PartialEq, Eq)]
enum At {
    /// The document.
    Top,
    /// The `cells` array.
    Cells,
    /// One cell.
    Cell,
    /// Anywhere under a cell's `outputs`.
    Outputs,
    /// The value of a binary MIME type under `outputs` (`"image/png": "iVBOR..."`).
    Binary,
    /// Anywhere else.
    Other,
}

/// One place to redact: a string token, or the strings of one array (one text to Jupyter).
struct Unit {
    /// (start, end) of each string token, quotes included, in order.
    tokens: Vec<(usize, usize)>,
    /// The data of a binary MIME type (base64, by nbformat's rules).
    binary: bool,
}

/// Whether nbformat stores data of MIME type `mime` as base64 text: everything but text,
/// JSON, JavaScript and SVG (nbformat's `_is_json_mime` and the types it splits into lines).
fn binary_mime(mime: &[u8]) -> bool {
    let Ok(mime) = std::str::from_utf8(mime) else {
        return false;
    };
    let mime = mime.to_ascii_lowercase();
    mime.contains('/')
        && !(mime.starts_with("text/")
            || mime == "application/json"
            || mime.ends_with("+json")
            || mime == "application/javascript"
            || mime == "image/svg+xml")
}

/// The places under `cells[*].outputs` of the notebook `doc`, in order; `None` when it is
/// not JSON.
fn units(doc: &[u8]) -> Option<Vec<Unit>> {
    let mut walk = Walk {
        b: doc,
        i: 0,
        units: Vec::new(),
    };
    walk.document().ok()?;
    Some(walk.units)
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

/// A JSON reader that notes the string tokens under `cells[*].outputs`.
struct Walk<'a> {
    b: &'a [u8],
    i: usize,
    units: Vec<Unit>,
}

/// Not JSON.
struct Invalid;

impl Walk<'_> {
    fn document(&mut self) -> Result<(), Invalid> {
        // A UTF-8 byte order mark is kept as it is.
        if self.b.starts_with(b"\xEF\xBB\xBF") {
            self.i = 3;
        }
        self.value(At::Top, 0)?;
        self.ws();
        if self.i == self.b.len() {
            Ok(())
        } else {
            Err(Invalid)
        }
    }

    fn ws(&mut self) {
        while self
            .b
            .get(self.i)
            .is_some_and(|c| matches!(c, b' ' | b'\t' | b'\n' | b'\r'))
        {
            self.i += 1;
        }
    }

    fn value(&mut self, at: At, depth: usize) -> Result<(), Invalid> {
        if depth > MAX_DEPTH {
            return Err(Invalid);
        }
        self.ws();
        match self.b.get(self.i) {
            Some(b'{') => self.object(at, depth),
            Some(b'[') => self.array(at, depth),
            Some(b'"') => {
                let (s, e) = self.string()?;
                if matches!(at, At::Outputs | At::Binary) {
                    self.units.push(Unit {
                        tokens: vec![(s, e)],
                        binary: at == At::Binary,
                    });
                }
                Ok(())
            }
            Some(_) => self.literal(),
            None => Err(Invalid),
        }
    }

    fn object(&mut self, at: At, depth: usize) -> Result<(), Invalid> {
        self.i += 1;
        self.ws();
        if self.b.get(self.i) == Some(&b'}') {
            self.i += 1;
            return Ok(());
        }
        loop {
            self.ws();
            if self.b.get(self.i) != Some(&b'"') {
                return Err(Invalid);
            }
            let (s, e) = self.string()?;
            let raw = &self.b[s + 1..e - 1];
            // Compared decoded: `"output\u0073"` is `outputs` to every JSON reader.
            let decoded = raw.contains(&b'\\').then(|| decode(raw)).flatten();
            let key: &[u8] = decoded.as_deref().map_or(raw, |d| d.as_slice());
            if matches!(at, At::Outputs | At::Binary) {
                // A key under outputs is output too (`{"<value>": 1}` as application/json).
                self.units.push(Unit {
                    tokens: vec![(s, e)],
                    binary: false,
                });
            }
            let inner = match (at, key) {
                (At::Top, b"cells") => At::Cells,
                (At::Outputs, mime) if binary_mime(mime) => At::Binary,
                (At::Cell, b"outputs") | (At::Outputs | At::Binary, _) => At::Outputs,
                _ => At::Other,
            };
            self.ws();
            if self.b.get(self.i) != Some(&b':') {
                return Err(Invalid);
            }
            self.i += 1;
            self.value(inner, depth + 1)?;
            self.ws();
            match self.b.get(self.i) {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    return Ok(());
                }
                _ => return Err(Invalid),
            }
        }
    }

    fn array(&mut self, at: At, depth: usize) -> Result<(), Invalid> {
        self.i += 1;
        let inner = match at {
            At::Cells => At::Cell,
            At::Outputs => At::Outputs,
            At::Binary => At::Binary,
            _ => At::Other,
        };
        self.ws();
        if self.b.get(self.i) == Some(&b']') {
            self.i += 1;
            return Ok(());
        }
        // An array of strings only is one text: its units become one.
        let first = self.units.len();
        let mut strings = true;
        loop {
            self.ws();
            strings &= self.b.get(self.i) == Some(&b'"');
            self.value(inner, depth + 1)?;
            self.ws();
            match self.b.get(self.i) {
                Some(b',') => self.i += 1,
                Some(b']') => {
                    self.i += 1;
                    if strings && self.units.len() > first + 1 {
                        let tokens = self.units.drain(first..).flat_map(|u| u.tokens).collect();
                        self.units.push(Unit {
                            tokens,
                            binary: at == At::Binary,
                        });
                    }
                    return Ok(());
                }
                _ => return Err(Invalid),
            }
        }
    }

    /// A string token: (start, end), quotes included.
    fn string(&mut self) -> Result<(usize, usize), Invalid> {
        let start = self.i;
        self.i += 1;
        loop {
            match self.b.get(self.i) {
                Some(b'"') => {
                    self.i += 1;
                    return Ok((start, self.i));
                }
                Some(b'\\') => self.i += 2,
                Some(c) if *c < 0x20 => return Err(Invalid),
                Some(_) => self.i += 1,
                None => return Err(Invalid),
            }
        }
    }

    /// `true`, `false`, `null` or a number.
    fn literal(&mut self) -> Result<(), Invalid> {
        let start = self.i;
        while self
            .b
            .get(self.i)
            .is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'+' | b'.'))
        {
            self.i += 1;
        }
        let word = &self.b[start..self.i];
        let number = word
            .first()
            .is_some_and(|c| c.is_ascii_digit() || *c == b'-')
            && std::str::from_utf8(word).is_ok_and(|w| w.parse::<f64>().is_ok());
        // NaN and the infinities as Python's json module writes them (nbformat uses it).
        if matches!(
            word,
            b"true" | b"false" | b"null" | b"NaN" | b"Infinity" | b"-Infinity"
        ) || number
        {
            Ok(())
        } else {
            Err(Invalid)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "sk-proj-FAKE0canary0openai0000000000";

    fn redactor() -> Redactor {
        Redactor::new([("OPENAI_API_KEY", KEY)].into_iter())
    }

    fn nb(outputs: &str, source: &str) -> String {
        format!(
            "{{\n \"cells\": [\n  {{\n   \"cell_type\": \"code\",\n   \"metadata\": {{}},\n   \"outputs\": {outputs},\n   \"source\": [\n    \"{source}\"\n   ]\n  }}\n ],\n \"metadata\": {{}},\n \"nbformat\": 4,\n \"nbformat_minor\": 5\n}}\n"
        )
    }

    #[test]
    fn values_in_outputs_are_redacted_in_place_and_sources_are_left() {
        let doc = nb(
            &format!(
                "[{{\"name\": \"stdout\", \"output_type\": \"stream\", \"text\": [\"key={KEY}\\n\", \"ok\\n\"]}}, {{\"output_type\": \"error\", \"ename\": \"KeyError\", \"evalue\": \"'{KEY}'\", \"traceback\": [\"\\u001b[0;31mKeyError\\u001b[0m: '{KEY}'\"]}}]"
            ),
            &format!("k = '{KEY}'"),
        );
        let r = redactor().notebook(doc.as_bytes());
        assert!(r.json);
        assert_eq!(r.count, 3);
        let text = String::from_utf8(r.bytes.to_vec()).unwrap();
        assert_eq!(
            text,
            doc.replacen(&format!("key={KEY}"), "key=[REDACTED:OPENAI_API_KEY]", 1)
                .replacen(
                    &format!("\"'{KEY}'\""),
                    "\"'[REDACTED:OPENAI_API_KEY]'\"",
                    1
                )
                .replacen(
                    &format!("\\u001b[0m: '{KEY}'"),
                    "\\u001b[0m: '[REDACTED:OPENAI_API_KEY]'",
                    1
                ),
            "only the three output strings change, re-encoded as Jupyter does (\\u001b)"
        );
        assert!(text.contains(&format!("k = '{KEY}'")), "the source is kept");
        // Idempotent.
        let again = redactor().notebook(&r.bytes);
        assert_eq!(again.count, 0);
        assert_eq!(*again.bytes, *r.bytes);
    }

    #[test]
    fn nothing_to_redact_is_byte_identical() {
        let doc = nb(
            "[{\"data\": {\"text/plain\": [\"'caf\u{e9} \\u00e9 \\/ \\ud83d\\ude00'\"]}, \"output_type\": \"execute_result\"}]",
            "print(1)",
        );
        let r = redactor().notebook(doc.as_bytes());
        assert!(r.json);
        assert_eq!(r.count, 0);
        assert_eq!(*r.bytes, *doc.as_bytes());
    }

    #[test]
    fn masked_forms_and_shapes_are_redacted() {
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD.encode(KEY);
        // A key of a shape the catalogue knows and that is no project value.
        let body: String = (0..3u8)
            .map(|i| crate::base::hex::encode(&<sha2::Sha256 as sha2::Digest>::digest([i])))
            .collect();
        let other = format!("sk-ant-api03-{}AA", &body[..93]);
        let doc = nb(
            &format!(
                "[{{\"data\": {{\"text/html\": [\"<b>{b64}</b>\", \"<i>\\u0073k-proj-FAKE0canary0openai0000000000</i>\"], \"text/plain\": [\"{other}\"]}}, \"output_type\": \"display_data\"}}]"
            ),
            "x",
        );
        let r = redactor().notebook(doc.as_bytes());
        let text = String::from_utf8(r.bytes.to_vec()).unwrap();
        assert!(!text.contains(&b64) && !text.contains("canary"), "{text}");
        assert!(text.contains("<b>[REDACTED:OPENAI_API_KEY]</b>"), "{text}");
        assert!(text.contains("<i>[REDACTED:OPENAI_API_KEY]</i>"), "{text}");
        assert!(
            !text.contains(&other) && text.contains("[\"[REDACTED:ANTHROPIC_API_KEY]\"]"),
            "{text}"
        );
    }

    #[test]
    fn a_file_that_is_not_json_is_redacted_all_through() {
        let doc = format!("{{\"cells\": [{{\"outputs\": [\"{KEY}\"], \"source\": \"{KEY}\"");
        let r = redactor().notebook(doc.as_bytes());
        assert!(!r.json);
        assert_eq!(r.count, 2);
        assert!(!String::from_utf8_lossy(&r.bytes).contains(KEY));
        // Deeply nested: not JSON to us, no stack overflow.
        let deep = "[".repeat(100_000);
        assert!(!redactor().notebook(deep.as_bytes()).json);
    }

    /// A short value found by chance in an image's base64 text is not replaced (that
    /// corrupted the image); a value inside the image's bytes replaces the whole payload.
    #[test]
    fn base64_data_is_searched_decoded_and_replaced_whole() {
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD;
        let short = Redactor::new([("PIN", "x9Qz")].into_iter());
        // 9 bytes of PNG signature and padding, then bytes whose base64 is `x9Qz` x3.
        let mut png = b"\x89PNG\r\n\x1a\n\0".to_vec();
        png.extend(b64.decode("x9Qzx9Qzx9Qz").unwrap());
        let text = b64.encode(&png);
        assert!(text.contains("x9Qz") && !png.windows(4).any(|w| w == b"x9Qz"));
        let doc = nb(
            &format!(
                "[{{\"data\": {{\"image/png\": \"{text}\", \"text/plain\": [\"<Figure>\"]}}, \"output_type\": \"display_data\"}}]"
            ),
            "x",
        );
        let r = short.notebook(doc.as_bytes());
        assert_eq!(r.count, 0);
        assert_eq!(*r.bytes, *doc.as_bytes(), "the image is kept byte for byte");
        // The key in the image's bytes (a PNG text chunk): the payload goes, whole.
        let mut png = b"\x89PNG\r\n\x1a\n\0tEXtkey\0".to_vec();
        png.extend_from_slice(KEY.as_bytes());
        let text = b64.encode(&png);
        let doc = nb(
            &format!(
                "[{{\"data\": {{\"image/jpeg\": [\"{}\\n\", \"{}\"]}}, \"output_type\": \"display_data\"}}]",
                &text[..20],
                &text[20..]
            ),
            "x",
        );
        let r = redactor().notebook(doc.as_bytes());
        assert_eq!(r.count, 1);
        let out = String::from_utf8(r.bytes.to_vec()).unwrap();
        assert!(
            out.contains("\"image/jpeg\": [\"[REDACTED:OPENAI_API_KEY]\"]"),
            "{out}"
        );
        // SVG is text: masked in place.
        let doc = nb(
            &format!("[{{\"data\": {{\"image/svg+xml\": [\"<text>{KEY}</text>\"]}}}}]"),
            "x",
        );
        let out = redactor().notebook(doc.as_bytes());
        assert!(
            String::from_utf8_lossy(&out.bytes).contains("<text>[REDACTED:OPENAI_API_KEY]</text>")
        );
    }

    /// Keys are compared decoded (`"output\u0073"`), keys under outputs are redacted, and
    /// NaN and the infinities (Python's json writes them) are JSON: before, the first hid the
    /// outputs from the filter, the second was left, the third made it redact the sources.
    #[test]
    fn escaped_keys_keys_under_outputs_and_nan_are_read_as_jupyter_writes_them() {
        let doc = nb(
            &format!("[{{\"text\": [\"k={KEY}\"], \"x\": NaN, \"y\": -Infinity}}]"),
            &format!("k = '{KEY}'"),
        )
        .replace("\"outputs\"", "\"output\\u0073\"");
        let r = redactor().notebook(doc.as_bytes());
        assert!(r.json, "NaN and -Infinity are JSON as Python writes it");
        assert_eq!(r.count, 1);
        let text = String::from_utf8(r.bytes.to_vec()).unwrap();
        assert!(text.contains("k=[REDACTED:OPENAI_API_KEY]"), "{text}");
        assert!(text.contains(&format!("k = '{KEY}'")), "the source is kept");
        let doc = nb(
            &format!("[{{\"data\": {{\"application/json\": {{\"{KEY}\": 1}}}}}}]"),
            "x",
        );
        let r = redactor().notebook(doc.as_bytes());
        let text = String::from_utf8(r.bytes.to_vec()).unwrap();
        assert!(
            text.contains("{\"[REDACTED:OPENAI_API_KEY]\": 1}"),
            "{text}"
        );
    }

    #[test]
    fn shape_names() {
        let names: Vec<String> = super::super::catalogue::CATALOGUE
            .iter()
            .take(1)
            .map(shape_name)
            .collect();
        assert_eq!(names, ["OPENAI_API_KEY"]);
    }
}
