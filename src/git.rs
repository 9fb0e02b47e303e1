//! The few git calls aisecrets makes (setup, staged files, config), through the `git` on
//! PATH, with errors that say what to do.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::base::error::{Error, Result};

/// Runs git in `dir` and returns its stdout; a failure is one line with git's first error line.
pub(crate) fn git(dir: &Path, args: &[&str]) -> Result<Vec<u8>> {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| Error::Spawn {
            program: "git".into(),
            source: e,
        })?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(Error::Failed(format!(
            "git {} failed: {}",
            args.first().copied().unwrap_or(""),
            crate::base::output::sanitize(err.lines().next().unwrap_or("").trim(), 200)
        )));
    }
    Ok(out.stdout)
}

fn text(bytes: Vec<u8>) -> String {
    String::from_utf8_lossy(&bytes).trim().to_owned()
}

/// The work tree's root.
pub fn toplevel(dir: &Path) -> Result<PathBuf> {
    git(dir, &["rev-parse", "--show-toplevel"])
        .map(|b| PathBuf::from(text(b)))
        .map_err(|_| {
            Error::Failed(format!(
                "{} is not in a git repository: run `git init` first",
                dir.display()
            ))
        })
}

/// A path inside the git folder (`hooks`, ...), absolute.
pub fn git_path(dir: &Path, what: &str) -> Result<PathBuf> {
    let p = PathBuf::from(text(git(dir, &["rev-parse", "--git-path", what])?));
    Ok(if p.is_absolute() { p } else { dir.join(p) })
}

/// `git config --local NAME VALUE`.
pub fn set_config(dir: &Path, name: &str, value: &str) -> Result<()> {
    git(dir, &["config", "--local", name, value]).map(|_| ())
}

/// `git config --get NAME`, when set.
#[must_use]
pub fn get_config(dir: &Path, name: &str) -> Option<String> {
    git(dir, &["config", "--get", name]).ok().map(text)
}

/// One blob staged for commit.
pub struct Staged {
    /// Its path, relative to the top level.
    pub path: String,
    /// Its object id.
    id: String,
}

impl Staged {
    /// A blob by id, at a path (`scan --history`).
    #[must_use]
    pub fn new(path: String, id: String) -> Self {
        Self { path, id }
    }
}

/// What is staged for commit: every path added, copied, modified, renamed or changed in type
/// (a link made a file, #12) in the index, with its blob. Submodules have no blob here.
pub fn staged(dir: &Path) -> Result<Vec<Staged>> {
    // --raw gives `:old-mode new-mode old-id new-id status NUL path NUL` (two paths for a
    // rename or copy); --no-renames makes those an addition, which is all we need.
    let out = git(
        dir,
        &[
            "diff",
            "--cached",
            "--raw",
            "-z",
            "--no-abbrev",
            "--no-renames",
            "--diff-filter=ACMRT",
        ],
    )?;
    let mut fields = out.split(|&b| b == 0).filter(|f| !f.is_empty());
    let mut staged = Vec::new();
    while let Some(head) = fields.next() {
        let head = String::from_utf8_lossy(head);
        let parts: Vec<&str> = head.trim_start_matches(':').split(' ').collect();
        let [_, mode, _, id, status] = parts.as_slice() else {
            return Err(Error::Failed(
                "git diff printed what aisecrets cannot read: update git".into(),
            ));
        };
        let paths = if status.starts_with(['R', 'C']) { 2 } else { 1 };
        let Some(path) = fields.by_ref().take(paths).last() else {
            break;
        };
        if *mode != "160000" {
            staged.push(Staged {
                path: String::from_utf8_lossy(path).into_owned(),
                id: (*id).to_owned(),
            });
        }
    }
    Ok(staged)
}

/// Reads the blobs of `files` through one `git cat-file --batch` and hands each to `f`
/// with its bytes, in order.
pub fn read_staged(top: &Path, files: &[Staged], mut f: impl FnMut(&Staged, &[u8])) -> Result<()> {
    use std::io::{BufRead, BufReader, Read, Write};
    if files.is_empty() {
        return Ok(());
    }
    let fail = |what: &str| Error::Failed(format!("git cat-file failed: {what}"));
    let mut child = Command::new("git")
        .args(["cat-file", "--batch"])
        .current_dir(top)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| Error::Spawn {
            program: "git".into(),
            source: e,
        })?;
    let mut stdin = child.stdin.take().expect("piped");
    let ids: Vec<u8> = files
        .iter()
        .flat_map(|s| format!("{}\n", s.id).into_bytes())
        .collect();
    // A writer of its own: git answers while we ask, and both pipes are finite.
    let writer = std::thread::spawn(move || stdin.write_all(&ids));
    let mut out = BufReader::new(child.stdout.take().expect("piped"));
    let mut result = Ok(());
    let mut head = String::new();
    for file in files {
        head.clear();
        if out.read_line(&mut head).unwrap_or(0) == 0 {
            result = Err(fail("it stopped early"));
            break;
        }
        // `<id> blob <size>`, or `<id> missing`.
        let size = head
            .trim_end()
            .strip_prefix(file.id.as_str())
            .and_then(|rest| rest.strip_prefix(" blob "))
            .and_then(|n| n.parse::<usize>().ok());
        let Some(size) = size else {
            result = Err(fail("a staged blob is missing (run `git fsck`)"));
            break;
        };
        let mut bytes = zeroize::Zeroizing::new(vec![0u8; size + 1]);
        if out.read_exact(&mut bytes).is_err() {
            result = Err(fail("it stopped early"));
            break;
        }
        f(file, &bytes[..size]);
    }
    drop(out);
    let _ = writer.join();
    let status = child.wait();
    if result.is_ok() && !status.is_ok_and(|s| s.success()) {
        result = Err(fail("it exited with an error"));
    }
    result
}

/// Labels for the two sides of the merge that left `[conflicts]`, e.g.
/// `("main (a1b2c3d)", "feature (d4e5f6a)")`: HEAD and MERGE_HEAD while a merge is in
/// progress, else the two parents of a merge commit at HEAD; `None` when neither is there.
#[must_use]
pub fn merge_sides(dir: &Path) -> Option<(String, String)> {
    let ok = |rev: &str| git(dir, &["rev-parse", "-q", "--verify", rev]).is_ok();
    let label = |rev: &str, name: Option<String>| {
        let sha = git(dir, &["rev-parse", "--short", rev]).map(text).ok()?;
        let name = name.or_else(|| {
            git(dir, &["name-rev", "--name-only", "--no-undefined", rev])
                .map(text)
                .ok()
        });
        Some(match name {
            Some(n) if !n.is_empty() => {
                format!("{} ({sha})", crate::base::output::sanitize(&n, 80))
            }
            _ => sha,
        })
    };
    if ok("MERGE_HEAD") {
        let branch = git(dir, &["symbolic-ref", "--short", "-q", "HEAD"])
            .map(text)
            .ok();
        Some((label("HEAD", branch)?, label("MERGE_HEAD", None)?))
    } else if ok("HEAD^2") {
        Some((label("HEAD^1", None)?, label("HEAD^2", None)?))
    } else {
        None
    }
}
