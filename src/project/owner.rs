//! Who owns the repository's files. Discovery walks up like git, so a folder shared with
//! other local users (`/tmp/shared`) could hold an `aisecrets.toml` planted by one of them.
//! Like git's `safe.directory` (CVE-2022-24765), a manifest or environment file owned by
//! another user (root aside) is refused, unless the user's own `config.toml` lists its
//! folder, or a folder above it, in `safe_directories` (`"*"` accepts every folder).
//! Repository config can never do this: it is the thing being checked (#12).

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::base::error::{Error, Result};

/// Refuses `path` when another user owns it and no `safe_directories` entry covers it;
/// `folder` is the one the hint suggests adding. A file that cannot be read is left to
/// the reader to report.
pub fn check(path: &Path, folder: &Path) -> Result<()> {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return Ok(());
    };
    let uid = meta.uid();
    if uid == nix::unistd::geteuid().as_raw() || uid == 0 {
        return Ok(());
    }
    let here = path
        .parent()
        .and_then(|p| std::fs::canonicalize(p).ok())
        .unwrap_or_else(|| path.to_path_buf());
    if accepted(&here)? {
        return Ok(());
    }
    let name = nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid))
        .ok()
        .flatten()
        .map_or_else(|| "another user".to_owned(), |u| u.name);
    Err(Error::NotOwned {
        path: path.to_path_buf(),
        owner: format!("{} (uid {uid})", crate::base::output::sanitize(&name, 64)),
        folder: std::fs::canonicalize(folder).unwrap_or_else(|_| folder.to_path_buf()),
    })
}

/// Whether the user's `safe_directories` covers `dir` (canonical).
fn accepted(dir: &Path) -> Result<bool> {
    let config = crate::base::config::load()?;
    Ok(config.safe_directories.iter().any(|entry| {
        if entry.trim() == "*" {
            return true;
        }
        let p = PathBuf::from(entry.trim());
        let p = std::fs::canonicalize(&p).unwrap_or(p);
        p.is_absolute() && dir.starts_with(&p)
    }))
}
