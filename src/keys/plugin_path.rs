//! The PATH rule for age plugins (threat model T4), one rule for plugin recipients and plugin
//! identities: which `age-plugin-NAME` aisecrets lets age run, and the one-line errors that say
//! what to change when it refuses.

use std::path::{Path, PathBuf};

use anyhow::bail;

use crate::base::output::sanitize;

/// The project's manifest, whose folder is a project root (the `project` layer's
/// `manifest::MANIFEST`, which this layer cannot name).
const MANIFEST: &str = "aisecrets.toml";

/// The error when `binary` is not found: install it, or put its folder on PATH.
#[must_use]
pub fn not_on_path(binary: &str) -> anyhow::Error {
    anyhow::anyhow!("{binary} is not on PATH: install it, or add the folder that holds it to PATH")
}

/// The PATH rule: `age-plugin-NAME` runs only when the first one on PATH (the one age itself
/// then finds) lies outside the folders a repository writer may fill: the current folder,
/// the project root (the folder holding `aisecrets.toml`, found upward) and the git work
/// tree's top level, each compared as found and with symbolic links resolved. Returns the
/// plugin's path.
///
/// age looks the binary up again when it starts it; this walks PATH the same way (the first
/// regular file `access(X_OK)` allows), and refuses any relative or empty PATH entry, so both
/// find the same file.
///
/// # Errors
/// One line saying what to do: the plugin is missing, PATH holds a relative entry, the plugin
/// is inside the project or another user could replace it, or `AGEDEBUG=plugin` would print
/// key material.
pub fn check_plugin_path(name: &str) -> anyhow::Result<PathBuf> {
    let binary = format!("age-plugin-{name}");
    if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
        bail!("`{}` is not a plugin name", sanitize(name, 40));
    }
    // age (and the plugin SDK) then print every message of the plugin protocol on standard
    // error, the data key and any PIN with them.
    if std::env::var_os("AGEDEBUG").is_some_and(|v| v == "plugin") {
        bail!(
            "AGEDEBUG=plugin would print the data key and the plugin's PIN on standard error: unset AGEDEBUG to use {binary}"
        );
    }
    let Some(path) = std::env::var_os("PATH").filter(|p| !p.is_empty()) else {
        bail!(
            "PATH is empty or unset: set it to the folders that hold your programs (such as /usr/local/bin:/usr/bin:/bin) to use {binary}"
        );
    };
    let dirs: Vec<PathBuf> = std::env::split_paths(&path).collect();
    // age resolves a relative entry (`.`, an empty one, `bin`) against whatever folder it runs
    // in, wherever the entry sits: a copy this walk passes over may be one age skips too.
    if let Some(dir) = dirs
        .iter()
        .find(|d| d.as_os_str().is_empty() || d.is_relative())
    {
        bail!(
            "PATH holds a relative or empty entry (`{}`), through which age would look for {binary} in whatever folder it runs from; refusing to run an age plugin: take it out of PATH, or write it as an absolute folder",
            sanitize(&dir.to_string_lossy(), 80)
        );
    }
    let roots = repository_roots();
    for dir in dirs {
        let candidate = dir.join(&binary);
        if !is_executable(&candidate) {
            continue;
        }
        // As found, through its folder's links (a link in the project may point anywhere),
        // and fully resolved (a project file linked from outside).
        let forms = [
            candidate.clone(),
            dir.canonicalize()
                .unwrap_or_else(|_| dir.clone())
                .join(&binary),
            candidate
                .canonicalize()
                .unwrap_or_else(|_| candidate.clone()),
        ];
        if let Some((root, what)) = roots
            .iter()
            .find(|(r, _)| forms.iter().any(|f| f.starts_with(r)))
        {
            bail!(
                "{binary} was found in {}, inside {what} ({}), which anyone who can push to the repository may fill; refusing to run it: install it in a folder outside the project (such as /usr/local/bin) and put that on PATH",
                sanitize(&dir.to_string_lossy(), 200),
                sanitize(&root.to_string_lossy(), 200)
            );
        }
        let [_, in_real_dir, real] = &forms;
        if let Some(parent) = real.parent() {
            check_owner(
                &binary,
                &[real, parent, in_real_dir.parent().unwrap_or(&dir)],
            )?;
        }
        return Ok(candidate);
    }
    Err(not_on_path(&binary))
}

/// Like ssh's StrictModes: the plugin (links resolved), its folder and the PATH folder it was
/// found in must be owned by root or by us, and not writable by every user; else another user
/// of the machine could put their program in its place.
fn check_owner(binary: &str, paths: &[&Path]) -> anyhow::Result<()> {
    use std::os::unix::fs::MetadataExt as _;
    let me = nix::unistd::geteuid().as_raw();
    for path in paths {
        let Ok(meta) = std::fs::metadata(path) else {
            continue;
        };
        let why = if meta.mode() & 0o002 != 0 {
            "is writable by every user".to_owned()
        } else if meta.uid() != 0 && meta.uid() != me {
            let owner = nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(meta.uid()))
                .ok()
                .flatten()
                .map_or_else(|| format!("uid {}", meta.uid()), |u| u.name);
            format!("is owned by another user ({})", sanitize(&owner, 40))
        } else {
            continue;
        };
        bail!(
            "{} {why}, who could put another program in the place of {binary}; refusing to run it: make it owned by you or root and not writable by others (chown, chmod o-w)",
            sanitize(&path.to_string_lossy(), 200)
        );
    }
    Ok(())
}

/// What age's lookup (the `which` crate) takes for a program: a regular file (links
/// followed) that `access(X_OK)` allows us to run; mode bits alone would count a file on a
/// `noexec` mount, or one only its owner may run, that age then passes over.
fn is_executable(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file())
        && nix::unistd::access(path, nix::unistd::AccessFlags::X_OK).is_ok()
}

/// The folders a repository writer may fill, as found and with links resolved: the current
/// folder, the nearest folder above it holding `aisecrets.toml`, and the nearest holding
/// `.git` (the work tree's top level; a file in a linked work tree or submodule). The root
/// folder `/` is never one: everything lies under it.
fn repository_roots() -> Vec<(PathBuf, &'static str)> {
    let Ok(cwd) = std::env::current_dir() else {
        return Vec::new();
    };
    let mut found = vec![(cwd.clone(), "the current folder")];
    for (marker, what) in [(MANIFEST, "the project"), (".git", "the git work tree")] {
        if let Some(dir) = cwd.ancestors().find(|d| d.join(marker).exists()) {
            found.push((dir.to_path_buf(), what));
        }
    }
    let mut roots: Vec<(PathBuf, &'static str)> = Vec::new();
    for (dir, what) in found {
        let real = dir.canonicalize().unwrap_or_else(|_| dir.clone());
        for d in [dir, real] {
            if d.parent().is_some() && !roots.iter().any(|(r, _)| *r == d) {
                roots.push((d, what));
            }
        }
    }
    roots
}
