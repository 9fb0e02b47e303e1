//! The few git calls aisecrets makes (setup, staged files, config), through the `git` on
//! PATH, with errors that say what to do.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::error::{Error, Result};

fn git(dir: &Path, args: &[&str]) -> Result<Vec<u8>> {
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
            crate::secret::sanitize(err.lines().next().unwrap_or("").trim(), 200)
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

/// Paths added, copied, modified or renamed in the index, relative to the top level.
pub fn staged(dir: &Path) -> Result<Vec<String>> {
    let out = git(
        dir,
        &[
            "diff",
            "--cached",
            "--name-only",
            "-z",
            "--diff-filter=ACMR",
        ],
    )?;
    Ok(out
        .split(|&b| b == 0)
        .filter(|p| !p.is_empty())
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .collect())
}

/// The staged content of `path` (relative to the top level).
pub fn staged_blob(top: &Path, path: &str) -> Result<Vec<u8>> {
    git(top, &["show", &format!(":{path}")])
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
                format!("{} ({sha})", crate::secret::sanitize(&n, 80))
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
