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
                // The quoted value may run over several lines.
                let mut buf = Zeroizing::new(rest[1..].to_owned());
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
/// stdout and wipes it.
pub fn export<'a>(
    format: ExportFormat,
    pairs: impl Iterator<Item = (&'a str, &'a SecretValue)>,
) -> Result<Zeroizing<String>> {
    let mut out = Zeroizing::new(String::new());
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
                out.push_str(&value.expose().replace('\'', "'\\''"));
                out.push_str("'\n");
            }
        }
        ExportFormat::Json => {
            let map: serde_json::Map<String, serde_json::Value> = pairs
                .map(|(n, v)| {
                    (
                        n.to_owned(),
                        serde_json::Value::String(v.expose().to_owned()),
                    )
                })
                .collect();
            let text = Zeroizing::new(
                serde_json::to_string_pretty(&serde_json::Value::Object(map)).map_err(|_| {
                    Error::Export {
                        name: String::new(),
                        format: "json",
                        reason: "serialisation failed",
                    }
                })?,
            );
            out.push_str(&text);
            out.push('\n');
        }
    }
    Ok(out)
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
