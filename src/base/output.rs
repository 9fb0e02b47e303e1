//! Writing to stdout and stderr, and text that is safe to print: untrusted text sanitised
//! for the terminal, a "did you mean" for a mistyped name, and the one "no such secret"
//! error built from both. A closed stdout (`aisecrets get X | head -c0`) is not an
//! error: the command ends quietly with success, as ripgrep and bat do.

use std::io::Write;

use crate::base::error::{Error, Result};

/// Writes `bytes` to stdout and flushes. A broken pipe is reported as `Ok(false)`.
pub fn stdout(bytes: &[u8]) -> Result<bool> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(false),
        Err(e) => Err(Error::io("write to", "standard output", e)),
    }
}

/// A status line for the person at the terminal, on stderr.
pub fn status(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// Seconds since the epoch as `2026-11-28T03:40:00Z`.
#[must_use]
pub fn timestamp(secs: u64) -> String {
    humantime::format_rfc3339_seconds(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs))
        .to_string()
}

/// Makes untrusted text safe to print on a terminal: control characters and bidirectional
/// controls (which reorder what follows them on screen, "Trojan Source") are escaped and long
/// text is cut.
#[must_use]
pub fn sanitize(text: &str, max_chars: usize) -> String {
    let mut out = String::new();
    for (i, c) in text.chars().enumerate() {
        if i == max_chars {
            out.push('…');
            break;
        }
        if c.is_control() || is_bidi_control(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// The Unicode bidirectional embedding, override and isolate controls (U+202A to U+202E,
/// U+2066 to U+2069).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// The closest of `candidates` to `name`, if one is close enough to suggest.
#[must_use]
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    let upper = name.to_ascii_uppercase();
    let words = |s: &str| -> Vec<String> {
        s.split('_')
            .filter(|w| !w.is_empty())
            .map(str::to_ascii_uppercase)
            .collect()
    };
    let mine = words(name);
    // One list's words, in order, all within the other's: OPENAI_KEY and OPENAI_API_KEY.
    let within = |a: &[String], b: &[String]| {
        let mut it = b.iter();
        a.len() >= 2 && a.iter().all(|w| it.any(|x| x == w))
    };
    candidates
        .into_iter()
        .map(|c| (levenshtein(&upper, &c.to_ascii_uppercase()), c))
        .filter(|(d, c)| {
            *d <= 2.max(c.len() / 4) || {
                let theirs = words(c);
                within(&mine, &theirs) || within(&theirs, &mine)
            }
        })
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c.to_owned())
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

impl Error {
    /// The one "no such secret" error: the name, a "did you mean" when one is close, and
    /// the known names in the hint.
    pub fn no_such_secret<'a>(
        name: &str,
        env: &str,
        known: impl IntoIterator<Item = &'a str>,
    ) -> Self {
        let mut known: Vec<String> = known.into_iter().map(str::to_owned).collect();
        known.sort();
        known.dedup();
        Self::NoSuchSecret {
            name: sanitize(name, 64),
            env: env.to_owned(),
            similar: did_you_mean(name, known.iter().map(String::as_str)),
            known,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bidi_controls_are_escaped() {
        // A right-to-left override makes "txt.exe" look like "exe.txt" on a terminal.
        let shown = sanitize("name\u{202E}txt.exe\u{2066}x\u{2069}\u{202A}", 100);
        assert_eq!(shown, "name\\u{202e}txt.exe\\u{2066}x\\u{2069}\\u{202a}");
        for c in ('\u{202A}'..='\u{202E}').chain('\u{2066}'..='\u{2069}') {
            assert!(!sanitize(&format!("a{c}b"), 10).contains(c), "{c:?}");
        }
        assert_eq!(sanitize("plain é — ok", 100), "plain é — ok");
    }

    #[test]
    fn suggestions() {
        let names = ["OPENAI_API_KEY", "HF_TOKEN"];
        assert_eq!(
            did_you_mean("OPENAI_API_KY", names).as_deref(),
            Some("OPENAI_API_KEY")
        );
        assert_eq!(did_you_mean("hf_token", names).as_deref(), Some("HF_TOKEN"));
        assert_eq!(did_you_mean("WANDB", names), None);
        // #13: `get OPENAI_KEY` suggests OPENAI_API_KEY, as `run --only` does.
        assert_eq!(
            did_you_mean("OPENAI_KEY", names).as_deref(),
            Some("OPENAI_API_KEY")
        );
    }
}
