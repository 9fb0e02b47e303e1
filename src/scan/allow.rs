//! `[scan] allow` in the manifest: path globs and `re:` regexes over found values that
//! `scan` lets pass knowingly (and counts). The inline `aisecrets: allow` comment is checked
//! where findings are placed (`mod.rs`).

use anyhow::anyhow;
use regex::Regex;

/// `[scan] allow`: path globs, and `re:` regexes matched against a found value.
#[derive(Default)]
pub struct Allow {
    paths: Vec<Regex>,
    values: Vec<Regex>,
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
                a.values.push(
                    Regex::new(re)
                        .map_err(|_| anyhow!("[scan] allow: `{e}` is not a valid regex"))?,
                );
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
        self.values.iter().any(|re| re.is_match(v))
    }

    /// Whether a path is allowed by a glob.
    #[must_use]
    pub fn path(&self, p: &str) -> bool {
        let p = p.strip_prefix("./").unwrap_or(p);
        self.paths.iter().any(|r| r.is_match(p))
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
