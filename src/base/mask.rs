//! `run --mask`: a streaming filter that replaces every secret value in the child's output
//! with `[REDACTED:NAME]`, in each form a value is commonly printed in (see `encoded_forms`:
//! plain, base64, URL-encoded, hex in both cases, JSON string escapes, HTML escapes), also when a value is
//! split across several reads.
//!
//! Bytes that could be the start of a value are held back, but only for [`HOLD`]: when no
//! more output arrives within that bound, they are released as they are (#12). So a progress
//! line that happens to end in `sk` shows at once, and stdout and stderr keep their order. The
//! trade-off is deliberate: a value is masked when the child writes it within [`HOLD`] between
//! pieces, which is how programs print (one `write`, or a few in a row); a child that writes
//! a value one byte per 100 ms, or in an encoding not listed here, gets it through. Masking
//! guards against accidents (a value in a log line, a traceback, a notebook cell), not against
//! a child that wants to leak: such a child has the value in its environment anyway.

use aho_corasick::{AhoCorasick, MatchKind};
use base64::Engine as _;
use zeroize::Zeroizing;

/// Values shorter than this are not masked: they would match ordinary output.
pub const MIN_MASKED_LEN: usize = 4;

/// How long bytes that could start a value are held when no more output arrives: short
/// enough that a held progress line looks immediate, long enough for the next `write` of a
/// program printing a value in pieces (microseconds apart in practice).
pub const HOLD: std::time::Duration = std::time::Duration::from_millis(50);

/// The patterns to mask and their replacements.
pub struct Masker {
    ac: Option<AhoCorasick>,
    patterns: Vec<Zeroizing<Vec<u8>>>,
    replacements: Vec<Vec<u8>>,
    max_len: usize,
    /// Pattern indexes by first byte, so finding what to hold looks at few patterns.
    by_first: Vec<Vec<usize>>,
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
        let mut by_first = vec![Vec::new(); 256];
        for (i, p) in patterns.iter().enumerate() {
            by_first[usize::from(p[0])].push(i);
        }
        Self {
            ac,
            patterns,
            replacements,
            max_len,
            by_first,
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
                self.by_first[usize::from(tail[0])].iter().any(|&i| {
                    let p = &self.patterns[i];
                    p.len() > k && p.starts_with(tail)
                })
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

    /// Whether bytes are held back, waiting for more output to decide.
    #[must_use]
    pub fn holding(&self) -> bool {
        !self.buf.is_empty()
    }

    /// Gives up waiting: returns the held bytes, masked where they hold a whole value. The
    /// stream goes on with the next output.
    pub fn release(&mut self) -> Zeroizing<Vec<u8>> {
        self.feed(&[], true)
    }
}

/// The forms a value shows up in, shared by `run --mask` and `scan`:
/// - plain;
/// - URL-encoded (`%2F` and `%2f`, and form encoding with `+` for a space);
/// - base64, standard and URL-safe, with and without padding, and at each of the three
///   alignments it can have inside a longer encoded text, such as an HTTP Basic header holding
///   `user:value` (for those, the characters that depend on the unknown neighbouring bytes are
///   left out);
/// - hex of the bytes, lowercase and uppercase;
/// - JSON string escapes, as the common encoders write them (see [`json_forms`]);
/// - HTML escapes of a value with `&<>"'` in it (see [`html_forms`]).
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
    for upper in [false, true] {
        forms.push(hex(b, upper));
    }
    forms.extend(json_forms(value));
    forms.extend(html_forms(value));
    forms
}

/// HTML escapes of a value that holds `&`, `<`, `>`, `"` or `'`, as HTML displays write it
/// (a notebook's `text/html`, #18): pandas' `to_html` (`&<>` only), Python's `html.escape`
/// (`&quot;`, `&#x27;`) and markupsafe/Jinja (`&#34;`, `&#39;`). None for a value without them.
fn html_forms(value: &str) -> Vec<Zeroizing<Vec<u8>>> {
    if !value.contains(['&', '<', '>', '"', '\'']) {
        return Vec::new();
    }
    let styles: [(Option<&str>, Option<&str>); 3] = [
        (None, None),
        (Some("&quot;"), Some("&#x27;")),
        (Some("&#34;"), Some("&#39;")),
    ];
    styles
        .iter()
        .map(|(dq, sq)| {
            let mut out = Zeroizing::new(String::with_capacity(value.len() + 16));
            for c in value.chars() {
                match (c, dq, sq) {
                    ('&', ..) => out.push_str("&amp;"),
                    ('<', ..) => out.push_str("&lt;"),
                    ('>', ..) => out.push_str("&gt;"),
                    ('"', Some(e), _) | ('\'', _, Some(e)) => out.push_str(e),
                    _ => out.push(c),
                }
            }
            Zeroizing::new(out.as_bytes().to_vec())
        })
        .collect()
}

/// The bytes as hex digits, as `xxd -p`, `.hex()` and `hexdigest()` print them.
fn hex(b: &[u8], upper: bool) -> Zeroizing<Vec<u8>> {
    let digits: &[u8; 16] = if upper {
        b"0123456789ABCDEF"
    } else {
        b"0123456789abcdef"
    };
    let mut out = Zeroizing::new(Vec::with_capacity(b.len() * 2));
    for &c in b {
        out.push(digits[usize::from(c >> 4)]);
        out.push(digits[usize::from(c & 0xf)]);
    }
    out
}

/// How one JSON encoder writes a string: which characters it turns into `\uXXXX` (besides
/// the control characters every encoder escapes), in which case, and its short escapes.
struct JsonStyle {
    /// Written as `\uXXXX`.
    escaped: fn(char) -> bool,
    /// `\u002B` rather than `\u002b`.
    upper: bool,
    /// `/` as `\/`.
    slash: bool,
    /// `\n`, `\t`... for control characters (else `\u000a`).
    short_controls: bool,
}

/// JSON string escapes of a value, without the quotes, in the styles encoders use:
/// - minimal (`JSON.stringify`, `serde_json`, Jackson, `json.dumps(ensure_ascii=False)`):
///   only `"`, `\` and control characters;
/// - `json.dumps` by default (`ensure_ascii`): non-ASCII as `\u00e9`, surrogate pairs above
///   U+FFFF;
/// - Go `encoding/json` and Rails: `<`, `>`, `&` as `\u003c`...;
/// - Gson: also `=` and `'` (`\u003d`: base64 padding);
/// - .NET `System.Text.Json`: `"`, `'`, `+`, `<`, `>`, `&`, `` ` `` and non-ASCII, uppercase
///   (`\u002B`);
/// - PHP `json_encode`: `/` as `\/` and non-ASCII;
/// - every character but letters and digits as `\u002f` (both cases), and every character
///   (both cases), as escaping encoders and obfuscators write them.
///
/// A value escaped by an encoder that mixes these rules differently is not matched.
fn json_forms(value: &str) -> Vec<Zeroizing<Vec<u8>>> {
    const fn style(escaped: fn(char) -> bool, upper: bool, slash: bool, short: bool) -> JsonStyle {
        JsonStyle {
            escaped,
            upper,
            slash,
            short_controls: short,
        }
    }
    const STYLES: [JsonStyle; 10] = [
        style(|_| false, false, false, true),
        style(|c| !c.is_ascii(), false, false, true),
        style(
            |c| matches!(c, '<' | '>' | '&' | '\u{2028}' | '\u{2029}'),
            false,
            false,
            true,
        ),
        style(
            |c| matches!(c, '<' | '>' | '&' | '=' | '\'' | '\u{2028}' | '\u{2029}'),
            false,
            false,
            true,
        ),
        style(
            |c| !c.is_ascii() || matches!(c, '"' | '\'' | '+' | '<' | '>' | '&' | '`'),
            true,
            false,
            true,
        ),
        style(|c| !c.is_ascii(), false, true, true),
        style(|c| !c.is_ascii_alphanumeric(), false, false, false),
        style(|c| !c.is_ascii_alphanumeric(), true, false, false),
        style(|_| true, false, false, false),
        style(|_| true, true, false, false),
    ];
    STYLES.iter().map(|s| json_escape(value, s)).collect()
}

/// `value` escaped as a JSON string's contents the way Python's `json.dumps(...,
/// ensure_ascii=False)` writes it (Jupyter's notebooks): `"` `\\` and the short control
/// escapes, other controls as lowercase `\u00XX`, everything else as it is.
pub(crate) fn json_escape_python(value: &str) -> Zeroizing<Vec<u8>> {
    json_escape(
        value,
        &JsonStyle {
            escaped: |_| false,
            upper: false,
            slash: false,
            short_controls: true,
        },
    )
}

fn json_escape(value: &str, style: &JsonStyle) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::with_capacity(value.len() * 2));
    let unit = |u: u16, out: &mut Vec<u8>| {
        out.extend_from_slice(b"\\u");
        for shift in [12, 8, 4, 0] {
            let d = u8::try_from((u >> shift) & 0xf).unwrap_or(0);
            let d = if d < 10 {
                b'0' + d
            } else if style.upper {
                b'A' + d - 10
            } else {
                b'a' + d - 10
            };
            out.push(d);
        }
    };
    for c in value.chars() {
        let short: Option<&[u8]> = match c {
            '"' => Some(b"\\\""),
            '\\' => Some(b"\\\\"),
            '/' if style.slash => Some(b"\\/"),
            '\u{8}' if style.short_controls => Some(b"\\b"),
            '\u{c}' if style.short_controls => Some(b"\\f"),
            '\n' if style.short_controls => Some(b"\\n"),
            '\r' if style.short_controls => Some(b"\\r"),
            '\t' if style.short_controls => Some(b"\\t"),
            _ => None,
        };
        if (style.escaped)(c) || (short.is_none() && u32::from(c) < 0x20) {
            let mut units = [0u16; 2];
            for &u in c.encode_utf16(&mut units).iter() {
                unit(u, &mut out);
            }
        } else if let Some(s) = short {
            out.extend_from_slice(s);
        } else {
            let mut utf8 = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
        }
    }
    out
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
    fn masks_html_escapes_of_a_value_with_markup_characters() {
        // #18: a notebook's text/html (pandas' to_html, html.escape, Jinja) escapes these.
        let v = "FAKEpw'q\"<&>z9";
        let m = Masker::new([("K", v)].into_iter());
        for text in [
            "FAKEpw'q\"&lt;&amp;&gt;z9",
            "FAKEpw&#x27;q&quot;&lt;&amp;&gt;z9",
            "FAKEpw&#39;q&#34;&lt;&amp;&gt;z9",
        ] {
            let out = run(&m, &[format!("<td>{text}</td>").as_bytes()]);
            assert_eq!(out, "<td>[REDACTED:K]</td>", "{text}");
        }
        assert!(html_forms("sk-FAKE0123").is_empty());
    }

    #[test]
    fn masks_hex_and_json_escapes() {
        let v = "sk-FAKE/a+b=\"q\"\u{e9}<x>\u{1f600}";
        let m = Masker::new([("K", v)].into_iter());
        let hex_lower: String = v.bytes().map(|b| format!("{b:02x}")).collect();
        let every: String = v.encode_utf16().map(|u| format!("\\u{u:04X}")).collect();
        for text in [
            hex_lower.clone(),
            hex_lower.to_uppercase(),
            every.clone(),
            every.to_lowercase(),
            // JSON.stringify / serde_json
            serde_json::to_string(v).unwrap(),
            // json.dumps (ensure_ascii=True)
            r#""sk-FAKE/a+b=\"q\"\u00e9<x>\ud83d\ude00""#.to_owned(),
            // Gson
            r#""sk-FAKE/a+b\u003d\"q\"\u00e9\u003cx\u003e\ud83d\ude00""#
                .replace("\\u00e9", "\u{e9}")
                .replace("\\ud83d\\ude00", "\u{1f600}"),
            // System.Text.Json
            r#""sk-FAKE/a\u002Bb=\u0022q\u0022\u00E9\u003Cx\u003E\uD83D\uDE00""#.to_owned(),
            // PHP
            r#""sk-FAKE\/a+b=\"q\"\u00e9<x>\ud83d\ude00""#.to_owned(),
        ] {
            let out = run(&m, &[format!("v={text};").as_bytes()]);
            assert!(
                out.contains("[REDACTED:K]") && !out.contains("FAKE") && !out.contains("736b2d"),
                "{text} -> {out}"
            );
        }
        let m = Masker::new([("B64", "FAKEkeyAB/cd+ef==")].into_iter());
        for text in [
            r"FAKEkeyAB\/cd+ef==",
            r"FAKEkeyAB/cd+ef\u003d\u003d",
            r"FAKEkeyAB/cd\u002Bef==",
            r"FAKEkeyAB\u002fcd\u002bef\u003d\u003d",
        ] {
            assert_eq!(run(&m, &[text.as_bytes()]), "[REDACTED:B64]", "{text}");
        }
    }

    #[test]
    fn release_gives_back_held_bytes_and_masks_what_is_whole() {
        let m = Masker::new([("A", "abcd"), ("B", "abcdefgh")].into_iter());
        let mut s = m.stream();
        assert_eq!(&*s.feed(b"loss 0.5 abc", false), b"loss 0.5 ");
        assert!(s.holding());
        assert_eq!(&*s.release(), b"abc");
        assert!(!s.holding());
        assert_eq!(&*s.feed(b"x abcde", false), b"x ");
        assert_eq!(&*s.release(), b"[REDACTED:A]e");
        assert_eq!(&*s.feed(b"abcdefgh.", false), b"[REDACTED:B].");
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
