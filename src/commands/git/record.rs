//! What the notebook filter did to each content it cleaned (#18), in this clone's git folder
//! (`.git/aisecrets/notebooks/<sha256 of the cleaned notebook>`: `checked` or `unchecked`).
//!
//! The filter's output depends on whether the identity opens: locked, it redacts key shapes
//! only, and a project value in an output would be staged as it is, with a pre-commit scan
//! that (locked too) checks shapes only. So a notebook cleaned *unchecked* is recorded, and
//! the hook refuses to commit a staged notebook whose content is recorded so; a checked clean
//! of the same content clears it. The record also lets the filter say its "N place(s)
//! redacted" line once per content, not on every `git status`, and its line about the
//! identity once per git command ([`first_in_command`]).
//!
//! Nothing secret is written: the name is a hash of the redacted notebook that git stores
//! anyway. A record that cannot be written is not an error (the filter must not stop `git
//! add` for it); the hook then sees no record, as before.

use std::path::{Path, PathBuf};

use sha2::Digest as _;

use crate::base::hex;

/// The records' folder in the git folder of the repository at `dir`.
pub(crate) fn folder(dir: &Path) -> Option<PathBuf> {
    crate::git::git_path(dir, "aisecrets/notebooks").ok()
}

fn name(content: &[u8]) -> String {
    hex::encode(&sha2::Sha256::digest(content))
}

/// Records how `content` (the filter's output) was cleaned; `true` when that is news (never
/// cleaned before, or cleaned the other way).
pub(super) fn note(dir: &Path, content: &[u8], checked: bool) -> bool {
    use std::os::unix::fs::DirBuilderExt as _;
    let Some(folder) = folder(dir) else {
        return true;
    };
    let state: &[u8] = if checked { b"checked" } else { b"unchecked" };
    let path = folder.join(name(content));
    if std::fs::read(&path).is_ok_and(|s| s == state) {
        return false;
    }
    let _ = std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&folder);
    let _ = crate::base::files::write_atomic(&path, state, 0o600);
    true
}

/// Whether the notebook `content` (staged) was cleaned without the project's values, by
/// the records in `folder` ([`folder`]).
pub(crate) fn unchecked(folder: &Path, content: &[u8]) -> bool {
    std::fs::read(folder.join(name(content))).is_ok_and(|s| s == b"unchecked")
}

/// Whether this is the first notebook of the git command that runs the filter (its parent)
/// to say so: a line about the identity is said once per `git add`, not once per notebook.
pub(super) fn first_in_command(dir: &Path) -> bool {
    let Some(folder) = folder(dir) else {
        return true;
    };
    let path = folder.join("said-unchecked");
    let parent = std::os::unix::process::parent_id().to_string();
    if std::fs::read(&path).is_ok_and(|s| s == parent.as_bytes()) {
        return false;
    }
    let _ = crate::base::files::write_atomic(&path, parent.as_bytes(), 0o600);
    true
}
