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
