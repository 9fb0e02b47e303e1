//! `scan --history`: every blob reachable in a revision range, each once, with the first
//! commit (oldest) and path that hold it, and whether it is still in HEAD. One `git log` lists
//! what each commit adds; one `git cat-file --batch` reads the blobs (`crate::git`).

use std::collections::HashSet;
use std::path::Path;

use crate::base::error::{Error, Result};

/// A blob of the history.
pub struct Blob {
    /// Its object id.
    pub id: String,
    /// The path where it first appears.
    pub path: String,
    /// The first commit holding it.
    pub commit: String,
}

fn git_out(top: &Path, args: &[&str]) -> Result<Vec<u8>> {
    crate::git::git(top, args).map_err(|e| match e {
        Error::Failed(m) => Error::Failed(format!("{m}: check the revision range")),
        other => other,
    })
}

/// The blobs added or changed by the commits of `range`, oldest commit first, each once.
///
/// # Errors
/// git cannot run or does not know the range.
pub fn blobs(top: &Path, range: &str) -> Result<Vec<Blob>> {
    if range.starts_with('-') {
        return Err(Error::Failed(format!(
            "`{range}` is not a revision range: give one like `main..HEAD`"
        )));
    }
    // `--diff-merges=first-parent`: what a merge brings from its other parents was added by
    // their own commits, which are listed too; a merge's own changes (conflict fixes) show.
    let out = git_out(
        top,
        &[
            "log",
            "--reverse",
            "--format=C %H",
            "--raw",
            "-z",
            "--no-abbrev",
            "--no-renames",
            "--diff-merges=first-parent",
            "--diff-filter=ACMRT",
            range,
            "--",
        ],
    )?;
    let mut seen: HashSet<String> = HashSet::new();
    let mut blobs = Vec::new();
    let mut commit = String::new();
    let mut fields = out.split(|&b| b == 0).peekable();
    while let Some(f) = fields.next() {
        let f = String::from_utf8_lossy(f);
        // Commit headers come as `C <id>\n` and may precede the first `:` record in one field.
        let mut rest: &str = &f;
        while let Some(line) = rest.strip_prefix('\n').or(Some(rest)) {
            if let Some(c) = line.strip_prefix("C ") {
                let (id, after) = c.split_once('\n').unwrap_or((c, ""));
                commit = id.trim().to_owned();
                rest = after;
                if rest.is_empty() {
                    break;
                }
                continue;
            }
            rest = line;
            break;
        }
        let Some(raw) = rest.strip_prefix(':') else {
            continue;
        };
        let parts: Vec<&str> = raw.split(' ').collect();
        let Some(path) = fields.next() else {
            break;
        };
        let [_, mode, _, id, _status] = parts.as_slice() else {
            continue;
        };
        if *mode == "160000" || !seen.insert((*id).to_owned()) {
            continue;
        }
        blobs.push(Blob {
            id: (*id).to_owned(),
            path: String::from_utf8_lossy(path).into_owned(),
            commit: commit.clone(),
        });
    }
    Ok(blobs)
}

/// The blob ids of HEAD's tree (empty in a repository without commits).
///
/// # Errors
/// git cannot run.
pub fn head_blobs(top: &Path) -> Result<HashSet<String>> {
    let Ok(out) = git_out(top, &["ls-tree", "-r", "-z", "HEAD"]) else {
        return Ok(HashSet::new());
    };
    Ok(out
        .split(|&b| b == 0)
        .filter_map(|e| {
            let e = String::from_utf8_lossy(e);
            let meta = e.split('\t').next()?;
            let mut p = meta.split(' ');
            let (_, kind, id) = (p.next()?, p.next()?, p.next()?);
            (kind == "blob").then(|| id.to_owned())
        })
        .collect())
}
