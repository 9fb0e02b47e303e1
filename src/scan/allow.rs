//! `[scan] allow` in the manifest: path globs and `re:` regexes over found values that
//! `scan` lets pass knowingly (and counts). The inline `aisecrets: allow` comment is checked
//! where findings are placed (`mod.rs`).

use anyhow::anyhow;
use regex::Regex;

/// `[scan] allow`: path globs, and `re:` regexes matched against a found value.
#[derive(Default)]
pub struct Allow {
    paths: Vec<Regex>,
    values: Vec<regex::bytes::Regex>,
}

impl Allow {
    /// From the manifest's list: an entry starting with `re:` is a regex over found values,
    /// anything else a path glob (`*` within a folder, `**` across folders).
    ///
    /// # Errors
    /// A regex or glob that does not compile.
    pub fn new(entries: &[String]) -> anyhow::Result<Self> {
        let mut a = Self::default();
        for e in entries {
            if let Some(re) = e.strip_prefix("re:") {
                a.values
                    .push(value_regex(re).ok_or_else(|| not_a_regex(e))?);
            } else {
                a.paths.push(
                    Regex::new(&glob(e))
                        .map_err(|_| anyhow!("[scan] allow: `{e}` is not a valid glob"))?,
                );
            }
        }
        Ok(a)
    }

    /// Whether there are value rules (`re:`).
    #[must_use]
    pub fn has_value_rules(&self) -> bool {
        !self.values.is_empty()
    }

    /// Whether a found value is allowed by a `re:` rule.
    #[must_use]
    pub fn value(&self, v: &str) -> bool {
        self.values.iter().any(|re| re.is_match(v.as_bytes()))
    }

    /// Whether a path is allowed by a glob.
    #[must_use]
    pub fn path(&self, p: &str) -> bool {
        let p = p.strip_prefix("./").unwrap_or(p);
        self.paths.iter().any(|r| r.is_match(p))
    }
}

/// A `re:` entry's regex. aisecrets is built without Unicode case folding (its table costs
/// every start 34 pages of relocations, #14), so a pattern that asks for it (`(?i)`) is built
/// in ASCII mode instead: `(?i)` then folds ASCII letters, and `\w`, `\s`, `\b` and `.` are
/// ASCII (or byte) classes, which is the same for the ASCII values secrets are. Any other
/// pattern keeps its Unicode meaning. None when neither builds. (Any failure in Unicode mode
/// tries ASCII mode: the only other ones, size limits, change nothing for ASCII values.)
fn value_regex(re: &str) -> Option<regex::bytes::Regex> {
    built(re, true).or_else(|| built(re, false))
}

fn built(re: &str, unicode: bool) -> Option<regex::bytes::Regex> {
    regex::bytes::RegexBuilder::new(re)
        .unicode(unicode)
        .build()
        .ok()
}

/// The error for `re:` entry `e` that does not compile. aisecrets is built without the
/// Unicode property tables (#14), so a `\p{...}` or `\pL` class is refused: the line says so.
fn not_a_regex(e: &str) -> anyhow::Error {
    if e.contains("\\p") || e.contains("\\P") {
        anyhow!(
            "[scan] allow: `{e}` uses a Unicode property class (\\p{{...}}), which aisecrets does not support: use a class such as [A-Za-z0-9]"
        )
    } else if crate::scan::turns_unicode_on(e) {
        anyhow!(
            "[scan] allow: `{e}` asks for Unicode case folding, which aisecrets does not support: drop the `u` flag (`(?i)` folds ASCII letters)"
        )
    } else {
        anyhow!("[scan] allow: `{e}` is not a valid regex")
    }
}

/// A glob as an anchored regex; a glob without `/` matches the file name in any folder.
fn glob(g: &str) -> String {
    let mut re = String::from(if g.contains('/') { "^" } else { "(?:^|/)" });
    let g = g.trim_start_matches("./");
    let mut chars = g.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' if chars.peek() == Some(&'*') => {
                chars.next();
                if chars.peek() == Some(&'/') {
                    chars.next();
                    re.push_str("(?:.*/)?");
                } else {
                    re.push_str(".*");
                }
            }
            '*' => re.push_str("[^/]*"),
            '?' => re.push_str("[^/]"),
            c => re.push_str(&regex::escape(&c.to_string())),
        }
    }
    re.push_str("(?:/.*)?$");
    re
}

#[cfg(test)]
mod tests {
    use super::Allow;

    #[test]
    fn a_unicode_property_class_is_refused_in_one_line_that_says_so() {
        // (Test builds have the tables: the dev-dependencies turn regex's features back on.)
        let e = super::not_a_regex(r"re:\p{Greek}+").to_string();
        assert!(
            e.contains("Unicode property class") && !e.contains('\n'),
            "{e}"
        );
        let e = super::not_a_regex(r"re:x\pL").to_string();
        assert!(e.contains("Unicode property class"), "{e}");
        let e = super::not_a_regex("re:(").to_string();
        assert!(e.ends_with("is not a valid regex"), "{e}");
        let e = super::not_a_regex("re:(?iu)x").to_string();
        assert!(e.contains("drop the `u` flag") && !e.contains('\n'), "{e}");
        // `(?i)` alone is built in ASCII mode: when that fails too, it is just not a regex.
        let e = super::not_a_regex("re:(?i)(").to_string();
        assert!(e.ends_with("is not a valid regex"), "{e}");
        // Case-insensitive and Perl classes still work.
        let a = Allow::new(&[r"re:(?i)^sk-test\w+\b".to_owned()]).unwrap();
        assert!(a.value("SK-TEST_abc"));
    }

    #[test]
    fn a_case_insensitive_pattern_falls_back_to_ascii_mode() {
        // What a release build does with `(?i)` (it has no Unicode case folding; test builds
        // do, so the fallback is exercised directly).
        let re = super::built(r"(?i)^sk-test\w+\b", false).unwrap();
        assert!(re.is_match(b"SK-TEST_abc") && re.is_match(b"sk-Test9"));
        assert!(!re.is_match(b"sk-prod_abc"));
        // A property class builds in neither mode, so it keeps its one-line error.
        assert!(super::built(r"\p{Greek}", false).is_none());
    }
}
