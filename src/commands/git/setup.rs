//! `aisecrets git setup`: .gitattributes for the secrets files, the local git config for the
//! diff and merge drivers, a pre-commit hook running `aisecrets scan --staged` (keeping any
//! hook already there), and .gitignore lines for plaintext files. Running it twice changes
//! nothing.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::error::{Error, Result};
use crate::store::{Project, atomic};
use crate::{exit, git, output};

const HOOK_MARK: &str = "# installed by `aisecrets git setup`";
const PREVIOUS: &str = "pre-commit.aisecrets-previous";

/// Runs `git setup`.
pub(super) fn run() -> Result<u8> {
    let project = Project::require(&super::super::cwd()?)?;
    let top = git::toplevel(&project.root)?;
    let exe = std::env::current_exe().map_err(|e| Error::io("find", "the aisecrets binary", e))?;
    let exe = shell_quote(&exe.to_string_lossy());
    let mut changed = Vec::new();

    // Which files the drivers apply to.
    let mut patterns: Vec<String> = Vec::new();
    for env in project.file_env_names() {
        let path = project.env_path(&env)?;
        let rel = path.strip_prefix(&project.root).unwrap_or(&path);
        let pattern = match (rel.parent(), rel.extension()) {
            (Some(dir), Some(ext)) if ext == "toml" && !dir.as_os_str().is_empty() => {
                format!("{}/*.toml", dir.display())
            }
            _ => rel.display().to_string(),
        };
        if !patterns.contains(&pattern) {
            patterns.push(pattern);
        }
    }
    let mut attrs: Vec<String> = patterns
        .iter()
        .map(|p| format!("{p} diff=aisecrets merge=aisecrets"))
        .collect();
    attrs.push("aisecrets.toml merge=aisecrets".into());
    if append_lines(
        &project.root.join(".gitattributes"),
        "# aisecrets: diff and merge encrypted secrets by name",
        &attrs,
    )? {
        changed.push(".gitattributes");
    }
    if append_lines(
        &project.root.join(".gitignore"),
        "# aisecrets: plaintext secrets never go into git",
        &[".env".into(), ".env.*".into()],
    )? {
        changed.push(".gitignore");
    }
    let config = [
        ("diff.aisecrets.textconv", format!("{exe} git textconv")),
        ("diff.aisecrets.cachetextconv", "false".to_owned()),
        (
            "merge.aisecrets.name",
            "aisecrets: merge secrets by name".to_owned(),
        ),
        (
            "merge.aisecrets.driver",
            format!("{exe} git merge %O %A %B %P"),
        ),
    ];
    for (name, value) in &config {
        if git::get_config(&top, name).as_deref() != Some(value.as_str()) {
            git::set_config(&top, name, value)?;
            if !changed.contains(&"git config") {
                changed.push("git config");
            }
        }
    }
    if install_hook(&top, &exe)? {
        changed.push("pre-commit hook");
    }
    if changed.is_empty() {
        output::status("git setup: already set up; nothing changed");
    } else {
        output::status(&format!(
            "git setup: wrote {}. Commit .gitattributes and .gitignore; the git config and hook are local to this clone",
            changed.join(", ")
        ));
    }
    Ok(exit::OK)
}

/// Appends the `lines` missing from `path` (under `header`); `true` if it wrote anything.
fn append_lines(path: &Path, header: &str, lines: &[String]) -> Result<bool> {
    atomic::refuse_symlink(path)?;
    let old = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(Error::io("read", path, e)),
    };
    let have: Vec<&str> = old.lines().map(str::trim).collect();
    let missing: Vec<&String> = lines
        .iter()
        .filter(|l| !have.contains(&l.as_str()))
        .collect();
    if missing.is_empty() {
        return Ok(false);
    }
    let mut text = old.clone();
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    if !have.contains(&header) {
        text.push_str(header);
        text.push('\n');
    }
    for l in missing {
        text.push_str(l);
        text.push('\n');
    }
    atomic::write_atomic(path, text.as_bytes(), 0o644)?;
    Ok(true)
}

fn install_hook(top: &Path, exe: &str) -> Result<bool> {
    let hooks = git::git_path(top, "hooks")?;
    std::fs::create_dir_all(&hooks).map_err(|e| Error::io("create", &hooks, e))?;
    let hook = hooks.join("pre-commit");
    let content = format!(
        "#!/bin/sh\n{HOOK_MARK}: refuse commits that add secret values.\n\
         {exe} scan --staged || exit $?\n\
         prev=\"$(dirname \"$0\")/{PREVIOUS}\"\n\
         if [ -x \"$prev\" ]; then exec \"$prev\" \"$@\"; fi\n"
    );
    match std::fs::read_to_string(&hook) {
        Ok(old) if old == content => return Ok(false),
        Ok(old) if !old.contains(HOOK_MARK) => {
            // Keep the hook that was there: ours runs it after the scan.
            let prev = hooks.join(PREVIOUS);
            if prev.exists() {
                return Err(Error::Failed(format!(
                    "{} exists and is not ours, and {} is taken: merge them by hand",
                    hook.display(),
                    prev.display()
                )));
            }
            std::fs::rename(&hook, &prev).map_err(|e| Error::io("move", &hook, e))?;
        }
        _ => {}
    }
    atomic::write_atomic(&hook, content.as_bytes(), 0o755)?;
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| Error::io("chmod", &hook, e))?;
    Ok(true)
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}
