//! dotenv input and output.
//!
//! The parser is our own, on purpose: the common crates expand `$VAR` (and dotenvx runs
//! `$(...)`), which would turn a value from a file into something else; here values are
//! opaque text. Duplicate names are refused rather than silently resolved.
//!
//! Accepted: `NAME=value`, optional `export ` prefix, `#` comment lines, unquoted values
//! (trailing ` # comment` dropped, surrounding blanks trimmed), `'single'` (literal,
//! may span lines), `"double"` (escapes `\\ \" \n \r \t \$`, may span lines).

use std::collections::BTreeSet;

use zeroize::Zeroizing;

use crate::base::error::{Error, Result};
use crate::base::secret::{self, SecretValue};

/// Parses dotenv text into ordered (name, value) pairs. `source_desc` names the input in
/// errors; errors never quote a line, which may hold a value.
pub fn parse(text: &str, source_desc: &str) -> Result<Vec<(String, SecretValue)>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let err = |line: usize, reason: &'static str| Error::Dotenv {
        source_desc: source_desc.to_owned(),
        line,
        reason,
    };
    let lines: Vec<&str> = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    let mut i = 0;
    while i < lines.len() {
        let lineno = i + 1;
        let line = lines[i].trim_start();
        i += 1;
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").map_or(line, str::trim_start);
        let Some((name, rest)) = line.split_once('=') else {
            return Err(err(lineno, "expected NAME=value"));
        };
        let name = name.trim();
        // Never quote the "name": a mangled line (an unquoted PEM, a bare key) may be a value.
        secret::check_name(name).map_err(|_| err(lineno, "invalid name: names are letters, digits and _, not starting with a digit, and not AISECRETS_*"))?;
        let rest = rest.trim_start();
        let value = match rest.chars().next() {
            Some(q @ ('\'' | '"')) => {
                // The quoted value may run over several lines: then the buffer has room
                // for all that follows, so it never grows and leaves no copy behind.
                let first = &rest[1..];
                let mut buf = if closing_quote(first, q).is_some() {
                    Zeroizing::new(first.to_owned())
                } else {
                    let room: usize = lines[i..].iter().map(|l| l.len() + 1).sum();
                    let mut b = Zeroizing::new(String::with_capacity(first.len() + room));
                    b.push_str(first);
                    b
                };
                let end = loop {
                    if let Some(end) = closing_quote(&buf, q) {
                        break end;
                    }
                    let Some(next) = lines.get(i) else {
                        return Err(err(lineno, "unterminated quoted value"));
                    };
                    buf.push('\n');
                    buf.push_str(next);
                    i += 1;
                };
                let after = buf[end + 1..].trim();
                if !(after.is_empty() || after.starts_with('#')) {
                    return Err(err(lineno, "unexpected text after the closing quote"));
                }
                if q == '"' {
                    unescape(&buf[..end])
                } else {
                    Zeroizing::new(buf[..end].to_owned())
                }
            }
            _ => {
                let v = match rest.find(" #").or_else(|| rest.find("\t#")) {
                    Some(pos) => &rest[..pos],
                    None if rest.starts_with('#') => "",
                    None => rest,
                };
                Zeroizing::new(v.trim_end().to_owned())
            }
        };
        if !seen.insert(name.to_owned()) {
            return Err(Error::DuplicateName {
                name: name.to_owned(),
                source_desc: source_desc.to_owned(),
            });
        }
        out.push((name.to_owned(), SecretValue::new(name, value)?));
    }
    Ok(out)
}

fn closing_quote(s: &str, q: char) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        match c {
            '\\' if q == '"' && !escaped => escaped = true,
            c if c == q && !escaped => return Some(i),
            _ => escaped = false,
        }
    }
    None
}

fn unescape(s: &str) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(s.len()));
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some(c @ ('\\' | '"' | '$')) => out.push(c),
            Some(c) => {
                out.push('\\');
                out.push(c);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// An export format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// `NAME='value'` lines that dotenv parsers (and `aisecrets import`) read back.
    Dotenv,
    /// One JSON object, names sorted.
    Json,
    /// `export NAME='value'` lines for `eval` in a POSIX shell.
    Shell,
}

/// Renders `pairs` in `format`. The result holds plaintext: the caller writes it to
/// stdout and wipes it. It is written into a buffer sized for the worst case up front, so
/// it never grows (a growing buffer leaves unwiped copies of what it held behind, #14).
pub fn export<'a>(
    format: ExportFormat,
    pairs: impl Iterator<Item = (&'a str, &'a SecretValue)>,
) -> Result<Zeroizing<String>> {
    let pairs: Vec<(&str, &SecretValue)> = pairs.collect();
    let bound = export_len(format, &pairs);
    if format == ExportFormat::Json {
        return export_json(pairs, bound);
    }
    let mut out = Zeroizing::new(String::with_capacity(bound));
    match format {
        ExportFormat::Dotenv => {
            for (name, value) in pairs {
                let v = value.expose();
                out.push_str(name);
                out.push('=');
                if v.contains(['\'', '\n', '\r']) {
                    out.push('"');
                    for c in v.chars() {
                        match c {
                            '\\' => out.push_str("\\\\"),
                            '"' => out.push_str("\\\""),
                            '\n' => out.push_str("\\n"),
                            '\r' => out.push_str("\\r"),
                            c => out.push(c),
                        }
                    }
                    out.push('"');
                } else {
                    out.push('\'');
                    out.push_str(v);
                    out.push('\'');
                }
                out.push('\n');
            }
        }
        ExportFormat::Shell => {
            for (name, value) in pairs {
                out.push_str("export ");
                out.push_str(name);
                out.push_str("='");
                for c in value.expose().chars() {
                    if c == '\'' {
                        out.push_str("'\\''");
                    } else {
                        out.push(c);
                    }
                }
                out.push_str("'\n");
            }
        }
        ExportFormat::Json => {}
    }
    Ok(out)
}

/// [`export`] as one JSON object, names sorted, serialised straight from the values into a
/// buffer of `bound` bytes: no map of plain strings in between.
fn export_json(mut pairs: Vec<(&str, &SecretValue)>, bound: usize) -> Result<Zeroizing<String>> {
    struct Object<'a>(&'a [(&'a str, &'a SecretValue)]);
    impl serde::Serialize for Object<'_> {
        fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
            use serde::ser::SerializeMap as _;
            let mut m = s.serialize_map(Some(self.0.len()))?;
            for (n, v) in self.0 {
                m.serialize_entry(n, v.expose())?;
            }
            m.end()
        }
    }
    pairs.sort_by(|a, b| a.0.cmp(b.0));
    pairs.dedup_by(|a, b| a.0 == b.0);
    let failed = || Error::Export {
        name: String::new(),
        format: "json",
        reason: "serialisation failed",
    };
    let mut bytes = Zeroizing::new(Vec::with_capacity(bound));
    serde_json::to_writer_pretty(&mut *bytes, &Object(&pairs)).map_err(|_| failed())?;
    bytes.push(b'\n');
    // The buffer moves into the string: no copy.
    let text = String::from_utf8(std::mem::take(&mut *bytes)).map_err(|e| {
        drop(Zeroizing::new(e.into_bytes()));
        failed()
    })?;
    Ok(Zeroizing::new(text))
}

/// The most bytes `export` can write for `pairs` in `format`: a value's byte becomes at
/// most two (dotenv), four (shell: `'\\''`) or six (JSON: `\u00XX`) bytes.
fn export_len(format: ExportFormat, pairs: &[(&str, &SecretValue)]) -> usize {
    let per = |n: &str, v: &SecretValue| match format {
        ExportFormat::Dotenv => n.len() + 2 * v.expose().len() + 4,
        ExportFormat::Shell => n.len() + 4 * v.expose().len() + 11,
        ExportFormat::Json => 6 * n.len() + 6 * v.expose().len() + 12,
    };
    pairs.iter().map(|(n, v)| per(n, v)).sum::<usize>() + 4
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(text: &str) -> Vec<(String, String)> {
        parse(text, "t")
            .unwrap()
            .into_iter()
            .map(|(n, v)| (n, v.expose().to_owned()))
            .collect()
    }

    #[test]
    fn parses_the_common_shapes() {
        let got = parse_ok(
            "# c\n\nA=1\nexport B = two words # note\nC='lit $HOME # x'\nD=\"l1\\nl2 \\\"q\\\" $X\"\nE='multi\nline'\nF=\nG=a#b\r\n",
        );
        let want = [
            ("A", "1"),
            ("B", "two words"),
            ("C", "lit $HOME # x"),
            ("D", "l1\nl2 \"q\" $X"),
            ("E", "multi\nline"),
            ("F", ""),
            ("G", "a#b"),
        ];
        assert_eq!(got.len(), want.len());
        for ((n, v), (wn, wv)) in got.iter().zip(want) {
            assert_eq!((n.as_str(), v.as_str()), (wn, wv));
        }
    }

    #[test]
    fn refuses_bad_input_without_quoting_it() {
        for bad in [
            "A=1\nA=2",
            "sk-FAKE-value",
            "1A=x",
            "A='open",
            "A=\"x\" junk",
            "A-B=1",
        ] {
            let e = parse(bad, "t").unwrap_err().to_string();
            assert!(!e.contains("sk-FAKE"), "{e}");
        }
    }

    #[test]
    fn export_writes_into_a_buffer_that_never_grows() {
        let tricky = ["plain", "it's '' ''", "a\nb\r", "\u{1}\u{2}\"\\", "ünï", ""];
        let vals: Vec<(String, SecretValue)> = tricky
            .iter()
            .enumerate()
            .map(|(i, v)| {
                (
                    format!("K{i}"),
                    SecretValue::new("K", Zeroizing::new((*v).to_owned())).unwrap(),
                )
            })
            .collect();
        let pairs = || vals.iter().map(|(n, v)| (n.as_str(), v));
        for format in [
            ExportFormat::Dotenv,
            ExportFormat::Shell,
            ExportFormat::Json,
        ] {
            let refs: Vec<_> = pairs().collect();
            let sized = String::with_capacity(export_len(format, &refs)).capacity();
            let out = export(format, pairs()).unwrap();
            assert_eq!(out.capacity(), sized, "{format:?}: the buffer grew");
        }
        // JSON as before: one pretty object, names sorted.
        let json = export(ExportFormat::Json, pairs()).unwrap();
        let map: serde_json::Map<String, serde_json::Value> = vals
            .iter()
            .map(|(n, v)| (n.clone(), v.expose().into()))
            .collect();
        let before = serde_json::to_string_pretty(&serde_json::Value::Object(map)).unwrap() + "\n";
        assert_eq!(json.as_str(), before);
        assert_eq!(
            export(ExportFormat::Json, std::iter::empty())
                .unwrap()
                .as_str(),
            "{}\n"
        );
    }

    #[test]
    fn export_round_trips() {
        let tricky = [
            "plain",
            "it's",
            "a\nb",
            "q\"uote",
            "x=y # z",
            "back\\slash",
            "$(touch /tmp/x)",
            " pad ",
        ];
        let vals: Vec<(String, SecretValue)> = tricky
            .iter()
            .enumerate()
            .map(|(i, v)| {
                (
                    format!("K{i}"),
                    SecretValue::new("K", Zeroizing::new((*v).to_owned())).unwrap(),
                )
            })
            .collect();
        let text = export(
            ExportFormat::Dotenv,
            vals.iter().map(|(n, v)| (n.as_str(), v)),
        )
        .unwrap();
        let back = parse(&text, "t").unwrap();
        for ((n, v), (bn, bv)) in vals.iter().zip(&back) {
            assert_eq!(n, bn);
            assert_eq!(v.expose(), bv.expose());
        }
    }
}
