//! `aisecrets git setup`: .gitattributes for the secrets files and notebooks, the local git
//! config for the diff and merge drivers and the notebook filter, a pre-commit hook running
//! `aisecrets scan --staged` (keeping any hook already there), and .gitignore lines for
//! plaintext files. Running it twice changes nothing.
//!
//! The notebook filter (#18) is routed by `*.ipynb filter=aisecrets-notebook` in the
//! committed .gitattributes, but what it runs is only ever in this clone's `.git/config`,
//! written here: a repository writer can name a filter, never choose its command.
//!
//! [`auto`] does the clone-local part without being asked (#13): a clone where nobody ran
//! `git setup` would merge encrypted files as text. It writes only `.git/config` (the
//! drivers) and a pre-commit hook where there is none, pointing at the absolute path of the
//! running binary, never a PATH lookup: a folder on PATH that the repository controls
//! (direnv's `PATH_add`, `node_modules/.bin`) must not get to run code at `git merge`.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::base::error::{Error, Result};
use crate::base::files;
use crate::project::Project;
use crate::{base::exit, base::output, git};

const HOOK_MARK: &str = "# installed by `aisecrets git setup`";
const PREVIOUS: &str = "pre-commit.aisecrets-previous";

/// Runs `git setup`.
pub(super) fn run() -> Result<u8> {
    let project = Project::require(&super::super::cwd()?)?;
    let top = git::toplevel(&project.root)?;
    let changed = full(&project, &top)?;
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

fn exe() -> Result<String> {
    let exe = std::env::current_exe().map_err(|e| Error::io("find", "the aisecrets binary", e))?;
    Ok(shell_quote(&exe.to_string_lossy()))
}

/// Everything `git setup` does; returns what it changed.
pub(crate) fn full(project: &Project, top: &Path) -> Result<Vec<&'static str>> {
    let exe = exe()?;
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
    let mut attrs_changed =
        append_lines(&project.root.join(".gitattributes"), ATTRS_HEADER, &attrs)?;
    // Notebooks: routed to our filter unless a .gitattributes already says otherwise
    // (`filter=lfs`, `filter=nbstripout`, `-filter`): ours would silently win over another
    // filter, or silently lose to a later line, so say which is in effect instead.
    // The line goes at the repository's root, so notebooks anywhere in it are filtered
    // (with the project in a subfolder, its .gitattributes covers only that folder).
    match notebook_filter(top).as_deref() {
        Some("unspecified" | NOTEBOOK_FILTER) | None => {
            attrs_changed |= append_lines(
                &top.join(".gitattributes"),
                NOTEBOOK_HEADER,
                &[format!("*.ipynb filter={NOTEBOOK_FILTER}")],
            )?;
        }
        Some(other) => output::status(&other_filter_note(other)),
    }
    if attrs_changed {
        changed.push(".gitattributes");
    }
    if append_lines(
        &project.root.join(".gitignore"),
        "# aisecrets: plaintext secrets never go into git",
        &[".env".into(), ".env.*".into()],
    )? {
        changed.push(".gitignore");
    }
    if write_config(top, &exe, &project.root)? {
        changed.push("git config");
    }
    if install_hook(top, &exe)? {
        changed.push("pre-commit hook");
    }
    Ok(changed)
}

const ATTRS_HEADER: &str = "# aisecrets: diff and merge encrypted secrets by name";
const NOTEBOOK_HEADER: &str =
    "# aisecrets: secret values and keys in notebook outputs are redacted when staged";
/// The filter's name in .gitattributes and .git/config.
const NOTEBOOK_FILTER: &str = "aisecrets-notebook";

/// The `filter` attribute in effect for a notebook in `dir` (`git check-attr`):
/// `unspecified`, `unset` (`-filter`), `set`, or a filter's name; `None` when git cannot say.
fn notebook_filter(dir: &Path) -> Option<String> {
    let out = git::git(
        dir,
        &["check-attr", "filter", "--", "aisecrets-probe.ipynb"],
    )
    .ok()?;
    let out = String::from_utf8_lossy(&out);
    out.trim_end()
        .rsplit_once(": filter: ")
        .map(|(_, v)| v.to_owned())
}

/// The line `git setup` says when notebooks are routed elsewhere than to our filter.
fn other_filter_note(other: &str) -> String {
    let how = "to have aisecrets redact notebook outputs, make `*.ipynb filter=aisecrets-notebook` the last .gitattributes line for notebooks and run `aisecrets git setup` again";
    match other {
        "unset" | "set" => format!(
            "aisecrets: git setup: notebooks are not routed to the aisecrets filter (a .gitattributes says `*.ipynb {}filter`), so their outputs are not redacted when staged; {how}",
            if other == "unset" { "-" } else { "" }
        ),
        name => format!(
            "aisecrets: git setup: notebooks go through another filter (`filter={}` in a .gitattributes), left as it is, so aisecrets does not redact their outputs; {how}",
            output::sanitize(name, 80)
        ),
    }
}

/// The drivers in the clone's local git config; `true` if anything was written.
fn write_config(top: &Path, exe: &str, root: &Path) -> Result<bool> {
    let config = [
        // The project the notebook filter and the pre-commit hook check when none is at the
        // top of the work tree (a project in a subfolder): only ever from this clone's
        // config, never from a committed file (see `repo_project`).
        ("aisecrets.project", root.to_string_lossy().into_owned()),
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
        // Required: a clean filter that fails stops `git add` rather than staging the
        // notebook unfiltered; a required filter needs a smudge command too.
        ("filter.aisecrets-notebook.clean", clean_command(exe)),
        // Checkout never needs aisecrets: the blob is what the working file gets. So a
        // binary that went away (a deleted venv, a moved install) does not make `git
        // checkout` delete files or `git status` fail.
        ("filter.aisecrets-notebook.smudge", "cat".to_owned()),
        ("filter.aisecrets-notebook.required", "true".to_owned()),
    ];
    let mut changed = false;
    for (name, value) in &config {
        if git::get_config(top, name).as_deref() != Some(value.as_str()) {
            git::set_config(top, name, value)?;
            changed = true;
        }
    }
    Ok(changed)
}

/// The project whose values the notebook filter and the pre-commit hook check, for the work
/// tree at `top` (where git runs both): the one at or above `top`, else the one `git setup`
/// recorded in this clone's config (a project in a subfolder). Never the nearest to a
/// notebook: a repository writer's `aisecrets.toml` there would switch the check off.
pub(crate) fn repo_project(top: &Path) -> Result<Option<Project>> {
    if let Some(p) = Project::find(top)? {
        return Ok(Some(p));
    }
    match git::get_config(top, "aisecrets.project") {
        Some(root) if Path::new(&root).join("aisecrets.toml").is_file() => {
            Project::load(Path::new(&root)).map(Some)
        }
        _ => Ok(None),
    }
}

/// The filter's clean command: aisecrets by its absolute path. When that is gone, a notebook
/// that is byte for byte its staged blob (just checked out: what `git status` and `git
/// checkout` compare) is given back as it is, and anything else fails with one line saying
/// what to do (`required`: a notebook is never staged unfiltered). `git hash-object --stdin`
/// applies no filter.
fn clean_command(exe: &str) -> String {
    format!(
        "test -x {exe} && exec {exe} git clean-notebook %f; \
         test \"$(git hash-object --stdin)\" = \"$(git rev-parse -q --verify :%f)\" && exec git cat-file blob :%f; \
         echo \"aisecrets: {GONE}: run \\`aisecrets git setup\\`\" >&2; exit 1"
    )
}

/// What the clean command says when aisecrets is gone.
const GONE: &str = "the aisecrets notebook filter's program is gone";

/// The path a clean command of ours runs (`test -x '<path>' ...`).
fn clean_path(command: &str) -> Option<&str> {
    command
        .strip_prefix("test -x '")
        .and_then(|rest| rest.split_once('\''))
        .map(|(path, _)| path)
}

/// The clone-local setup, done by every command that works on a project (#13): when this
/// clone's git config has no aisecrets merge driver, or one whose binary is gone, the
/// drivers are written, and the pre-commit hook where no hook is; a hook of someone else's
/// is left alone and named. Committed files are never written here: when `.gitattributes`
/// does not route the secrets files to the drivers, one line says how. Quiet when all is
/// in place (then it reads two files and starts no process), and a failure never stops the
/// command.
pub(crate) fn auto(project: &Project) {
    // No git folder at or above the project: nothing to set up (`init` says so).
    if !project.root.ancestors().any(|d| d.join(".git").exists()) {
        return;
    }
    let mut attrs =
        std::fs::read_to_string(project.root.join(".gitattributes")).unwrap_or_default();
    // The notebook line is at the repository's root.
    if let Some(top) = project.root.ancestors().find(|d| d.join(".git").exists())
        && top != project.root
    {
        attrs.push_str(&std::fs::read_to_string(top.join(".gitattributes")).unwrap_or_default());
    }
    let routed = attrs.contains("merge=aisecrets");
    // The clone's own config file first (no process to start: `run` stays fast); git
    // itself when that does not show a driver (worktrees, includes).
    let config = config_file(&project.root);
    let driver = config
        .as_deref()
        .and_then(|c| config_value(c, "[merge \"aisecrets\"]", "driver"))
        .or_else(|| git::get_config(&project.root, "merge.aisecrets.driver"));
    let live = driver.as_deref().is_some_and(|d| {
        // Ours starts with the quoted absolute path; anything else is the user's choice.
        d.strip_prefix('\'')
            .and_then(|rest| rest.split_once('\''))
            .is_none_or(|(path, _)| Path::new(path).exists())
    });
    // A notebook filter routed by the committed .gitattributes but not configured in this
    // clone (set up before #18): git would skip it, so write the config (a required filter
    // with no command would instead stop every checkout).
    // Also one written before the smudge became `cat`, or whose program is gone.
    let filter_value = |key: &str| {
        config
            .as_deref()
            .and_then(|c| config_value(c, "[filter \"aisecrets-notebook\"]", key))
            .or_else(|| git::get_config(&project.root, &format!("filter.aisecrets-notebook.{key}")))
    };
    let filter_missing = attrs.contains(&format!("filter={NOTEBOOK_FILTER}"))
        && (filter_value("smudge").as_deref() != Some("cat")
            || filter_value("clean").is_none_or(|c| {
                clean_path(c.trim_matches('"')).is_none_or(|p| !Path::new(p).exists())
            }));
    let mut notes = Vec::new();
    if !live || filter_missing {
        let done = (|| -> Result<Vec<String>> {
            let top = git::toplevel(&project.root)?;
            let exe = exe()?;
            let mut done = Vec::new();
            write_config(&top, &exe, &project.root)?;
            done.push(format!(
                "the merge and diff drivers and the notebook filter (git config, running {exe})"
            ));
            match auto_hook(&top, &exe)? {
                Some(true) => done.push("the pre-commit hook".to_owned()),
                Some(false) => done.push(
                    "not the pre-commit hook, as one is there: `aisecrets git setup` chains it"
                        .to_owned(),
                ),
                None => {}
            }
            Ok(done)
        })();
        match done {
            Ok(done) => notes.push(format!("set up in this clone: {}", done.join("; "))),
            Err(e) => notes.push(format!(
                "could not set up the git merge driver in this clone ({e}): run `aisecrets git setup`"
            )),
        }
    }
    if !routed {
        notes.push(
            "secrets files are not routed to the merge driver: run `aisecrets git setup` and commit .gitattributes, or merges of them will conflict"
                .to_owned(),
        );
    }
    if !notes.is_empty() {
        output::status(&format!("aisecrets: {}", notes.join("; ")));
    }
}

/// The nearest `.git/config`, when there is one to read.
fn config_file(root: &Path) -> Option<String> {
    let dot_git = root
        .ancestors()
        .map(|d| d.join(".git"))
        .find(|p| p.exists())?;
    std::fs::read_to_string(dot_git.join("config")).ok()
}

/// `key` in `section` (`[merge "aisecrets"]`) of a git config file's text, as written.
fn config_value(text: &str, section: &str, key: &str) -> Option<String> {
    let mut in_section = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_section = line == section;
        } else if in_section
            && let Some((k, v)) = line.split_once('=')
            && k.trim() == key
        {
            return Some(v.trim().to_owned());
        }
    }
    None
}

/// Installs the hook when there is none; `Some(false)` when a hook of someone else's is
/// there, `None` when ours is.
fn auto_hook(top: &Path, exe: &str) -> Result<Option<bool>> {
    let hook = git::git_path(top, "hooks")?.join("pre-commit");
    match std::fs::read_to_string(&hook) {
        Ok(old) if !old.contains(HOOK_MARK) => Ok(Some(false)),
        Ok(_) => install_hook(top, exe).map(|_| None),
        Err(_) => install_hook(top, exe).map(|_| Some(true)),
    }
}

/// Appends the `lines` missing from `path` (under `header`); `true` if it wrote anything.
fn append_lines(path: &Path, header: &str, lines: &[String]) -> Result<bool> {
    files::refuse_symlink(path)?;
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
    files::write_atomic(path, text.as_bytes(), 0o644)?;
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
    files::write_atomic(&hook, content.as_bytes(), 0o755)?;
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| Error::io("chmod", &hook, e))?;
    Ok(true)
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}
