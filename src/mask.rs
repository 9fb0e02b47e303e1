//! `run --mask`: a streaming filter that replaces every secret value in the child's output,
//! plain, base64-encoded and URL-encoded, with `[REDACTED:NAME]`, also when a value is split
//! across two reads. Bytes that could be the start of a value are held back until the next
//! read (or the end) decides; everything else passes through at once, so prompts, colours
//! and carriage-return progress bars are untouched.

use aho_corasick::{AhoCorasick, MatchKind};
use base64::Engine as _;
use zeroize::Zeroizing;

/// Values shorter than this are not masked: they would match ordinary output.
pub const MIN_MASKED_LEN: usize = 4;

/// The patterns to mask and their replacements.
pub struct Masker {
    ac: Option<AhoCorasick>,
    patterns: Vec<Zeroizing<Vec<u8>>>,
    replacements: Vec<Vec<u8>>,
    max_len: usize,
}

impl Masker {
    /// Builds the patterns for `(name, value)` pairs.
    #[must_use]
    pub fn new<'a>(secrets: impl Iterator<Item = (&'a str, &'a str)>) -> Self {
        let mut patterns: Vec<Zeroizing<Vec<u8>>> = Vec::new();
        let mut replacements = Vec::new();
        for (name, value) in secrets {
            if value.len() < MIN_MASKED_LEN {
                continue;
            }
            for form in encoded_forms(value) {
                if !patterns.iter().any(|p| **p == *form) {
                    patterns.push(form);
                    replacements.push(format!("[REDACTED:{name}]").into_bytes());
                }
            }
        }
        let max_len = patterns.iter().map(|p| p.len()).max().unwrap_or(0);
        let ac = (!patterns.is_empty()).then(|| {
            AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostLongest)
                .build(patterns.iter().map(|p| p.as_slice()))
                .expect("patterns of at most a few MiB build")
        });
        Self {
            ac,
            patterns,
            replacements,
            max_len,
        }
    }

    /// A stream state for one output (stdout or stderr).
    #[must_use]
    pub fn stream(&self) -> Stream<'_> {
        Stream {
            masker: self,
            buf: Zeroizing::new(Vec::new()),
        }
    }

    /// The longest suffix of `buf` that is a proper prefix of some pattern.
    fn held(&self, buf: &[u8]) -> usize {
        let longest = buf.len().min(self.max_len.saturating_sub(1));
        (1..=longest)
            .rev()
            .find(|&k| {
                let tail = &buf[buf.len() - k..];
                self.patterns
                    .iter()
                    .any(|p| p.len() > k && p.starts_with(tail))
            })
            .unwrap_or(0)
    }
}

/// One output stream being masked.
pub struct Stream<'a> {
    masker: &'a Masker,
    buf: Zeroizing<Vec<u8>>,
}

impl Stream<'_> {
    /// Feeds `input`; returns what can be written now. With `eof`, returns the rest.
    pub fn feed(&mut self, input: &[u8], eof: bool) -> Zeroizing<Vec<u8>> {
        let m = self.masker;
        self.buf.extend_from_slice(input);
        let Some(ac) = &m.ac else {
            return Zeroizing::new(std::mem::take(&mut *self.buf));
        };
        let hold = if eof { 0 } else { m.held(&self.buf) };
        let limit = self.buf.len() - hold;
        let mut out = Zeroizing::new(Vec::with_capacity(self.buf.len()));
        let mut pos = 0;
        for found in ac.find_iter(self.buf.as_slice()) {
            if found.start() >= limit {
                break;
            }
            out.extend_from_slice(&self.buf[pos..found.start()]);
            out.extend_from_slice(&m.replacements[found.pattern().as_usize()]);
            pos = found.end();
        }
        let emit_to = pos.max(limit);
        if pos < emit_to {
            out.extend_from_slice(&self.buf[pos..emit_to]);
        }
        self.buf.drain(..emit_to);
        out
    }
}

/// The forms a value shows up in: plain, URL-encoded, and base64 (standard and URL-safe)
/// at each of the three alignments it can have inside a longer encoded text, such as an
/// HTTP Basic header holding `user:value`; for those, the characters that depend on the
/// unknown neighbouring bytes are left out.
pub(crate) fn encoded_forms(value: &str) -> Vec<Zeroizing<Vec<u8>>> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE_NO_PAD};
    let b = value.as_bytes();
    use base64::engine::general_purpose::URL_SAFE;
    let mut forms = vec![
        Zeroizing::new(b.to_vec()),
        Zeroizing::new(STANDARD.encode(b).into_bytes()),
        Zeroizing::new(STANDARD_NO_PAD.encode(b).into_bytes()),
        Zeroizing::new(URL_SAFE.encode(b).into_bytes()),
        Zeroizing::new(URL_SAFE_NO_PAD.encode(b).into_bytes()),
        Zeroizing::new(url_encode(b).into_bytes()),
        // Lowercase hex (`%2f`), and form encoding (`+` for space), as urlencode writes it.
        Zeroizing::new(url_encode(b).to_ascii_lowercase_escapes().into_bytes()),
        Zeroizing::new(form_encode(b).into_bytes()),
    ];
    for engine in [&STANDARD_NO_PAD, &URL_SAFE_NO_PAD] {
        for shift in 0..3usize {
            let mut shifted = Zeroizing::new(vec![0u8; shift]);
            shifted.extend_from_slice(b);
            let text = Zeroizing::new(engine.encode(shifted.as_slice()));
            // Characters wholly made of the value's bits: skip those holding the prefix's,
            // stop before one that would hold the next bytes'.
            let start = [0, 2, 3][shift];
            let end = (shift + b.len()) * 8 / 6;
            if end > start && end - start >= 8 {
                forms.push(Zeroizing::new(text.as_bytes()[start..end].to_vec()));
            }
        }
    }
    forms
}

trait LowerEscapes {
    fn to_ascii_lowercase_escapes(&self) -> String;
}

impl LowerEscapes for String {
    /// `%2F` becomes `%2f`; other characters stay.
    fn to_ascii_lowercase_escapes(&self) -> String {
        let mut out = String::with_capacity(self.len());
        let mut rest = 0;
        for c in self.chars() {
            if c == '%' {
                rest = 2;
                out.push(c);
            } else if rest > 0 {
                rest -= 1;
                out.push(c.to_ascii_lowercase());
            } else {
                out.push(c);
            }
        }
        out
    }
}

/// `application/x-www-form-urlencoded`, as Python's `quote_plus` and `urlencode` write it.
fn form_encode(b: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(b.len() * 3);
    for &c in b {
        if c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b'~') {
            s.push(char::from(c));
        } else if c == b' ' {
            s.push('+');
        } else {
            let _ = write!(s, "%{c:02X}");
        }
    }
    s
}

/// Percent-encoding as `urllib.parse.quote(value, safe="")` and `encodeURIComponent` do.
pub(crate) fn url_encode(b: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(b.len() * 3);
    for &c in b {
        if c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b'~') {
            s.push(char::from(c));
        } else {
            let _ = write!(s, "%{c:02X}");
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(m: &Masker, chunks: &[&[u8]]) -> String {
        let mut s = m.stream();
        let mut out = Vec::new();
        for (i, c) in chunks.iter().enumerate() {
            out.extend_from_slice(&s.feed(c, i + 1 == chunks.len()));
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn masks_every_url_encoding() {
        let v = "a b/c?d&e=f+g";
        let m = Masker::new([("URLV", v)].into_iter());
        for text in [
            "a+b%2Fc%3Fd%26e%3Df%2Bg",
            "k=a+b%2Fc%3Fd%26e%3Df%2Bg&x=1",
            "a%20b%2fc%3fd%26e%3df%2bg",
        ] {
            let out = run(&m, &[text.as_bytes()]);
            assert!(
                out.contains("[REDACTED:URLV]") && !out.contains("%2"),
                "{text} -> {out}"
            );
        }
        let b64u = base64::engine::general_purpose::URL_SAFE.encode("sk-FAKE-urlsafe?value>");
        let out = run(
            &Masker::new([("B", "sk-FAKE-urlsafe?value>")].into_iter()),
            &[b64u.as_bytes()],
        );
        assert_eq!(out, "[REDACTED:B]");
    }

    #[test]
    fn masks_base64_inside_longer_encodings() {
        let m = Masker::new([("KEY", "sk-FAKE-basic-auth-value")].into_iter());
        for prefix in ["user:", "ab:", "x"] {
            let b64 = base64::engine::general_purpose::STANDARD
                .encode(format!("{prefix}sk-FAKE-basic-auth-value!"));
            let out = run(&m, &[format!("Authorization: Basic {b64}").as_bytes()]);
            assert!(out.contains("[REDACTED:KEY]"), "{prefix}: {out}");
        }
    }

    #[test]
    fn masks_plain_encoded_and_split_values() {
        let m = Masker::new([("KEY", "sk-FAKE/value+1"), ("X", "ab")].into_iter());
        assert_eq!(run(&m, &[b"a sk-FAKE/value+1 b"]), "a [REDACTED:KEY] b");
        assert_eq!(
            run(&m, &[b"x sk-FA", b"KE/val", b"ue+1 y"]),
            "x [REDACTED:KEY] y"
        );
        let b64 = base64::engine::general_purpose::STANDARD.encode("sk-FAKE/value+1");
        assert_eq!(
            run(&m, &[format!("<{b64}>").as_bytes()]),
            "<[REDACTED:KEY]>"
        );
        assert_eq!(run(&m, &[b"q=sk-FAKE%2Fvalue%2B1&"]), "q=[REDACTED:KEY]&");
        assert_eq!(
            run(&m, &[b"ab stays"]),
            "ab stays",
            "short values are not masked"
        );
        assert_eq!(
            run(&m, &[b"\x1b[31mred\x1b[0m 50%\r", b"100%\n"]),
            "\x1b[31mred\x1b[0m 50%\r100%\n"
        );
    }

    #[test]
    fn holds_only_what_could_start_a_value() {
        let m = Masker::new([("KEY", "secretvalue")].into_iter());
        let mut s = m.stream();
        assert_eq!(&*s.feed(b"Password: ", false), b"Password: ");
        assert_eq!(&*s.feed(b"xx secr", false), b"xx ");
        assert_eq!(&*s.feed(b"et!", false), b"secret!");
    }
}
