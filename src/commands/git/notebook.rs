//! The clean filter for notebooks (#18): `git add` hands each `*.ipynb` to `aisecrets git
//! clean-notebook %f` on stdin, and stages what it prints: the notebook with this project's
//! values and known key shapes in cell outputs replaced by `[REDACTED:NAME]`
//! ([`crate::scan::notebook`]). The working file keeps its outputs.
//!
//! Values come from every environment this user's identity opens without asking (an
//! unprotected identity, or one unlocked in the cache): a git filter has nobody to ask.
//! When none opens, key shapes are still redacted and one line says the values were not
//! checked. The smudge side (`git smudge-notebook`) gives the blob back unchanged: the
//! filter is `required`, so that a failing clean stops the `git add` instead of staging the
//! notebook unfiltered, and git then needs a smudge command too.

use std::io::Read as _;
use std::path::Path;

use zeroize::Zeroizing;

use crate::backend::file;
use crate::base::error::{Error, Result};
use crate::scan::notebook::Redactor;
use crate::{base::exit, base::output, keys::identity};

/// Runs the clean filter on the notebook on stdin; `path` is the one git names (`%f`).
pub(super) fn clean(path: Option<&Path>) -> Result<u8> {
    let doc = read_stdin()?;
    let shown = path.map_or_else(
        || "the notebook".to_owned(),
        |p| output::sanitize(&p.to_string_lossy(), 200),
    );
    // Only notebooks: a .gitattributes (any folder's) can route other files here, which
    // the redactor would rewrite as text that is not JSON.
    if path.is_some_and(|p| {
        !p.extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("ipynb"))
    }) {
        output::status(&format!(
            "aisecrets: {shown}: not a notebook (.ipynb), staged unchanged: a .gitattributes routes it to the aisecrets notebook filter"
        ));
        output::stdout(&doc)?;
        return Ok(exit::OK);
    }
    // The project the pre-commit hook checks: found from where git runs both (the top of
    // the work tree), not from the notebook's folder, where a repository writer's
    // `aisecrets.toml` would switch the value check off unseen.
    let cwd = super::super::cwd()?;
    let (values, unchecked) = project_values(&cwd);
    let redactor = Redactor::new(values.iter().map(|(n, v)| (n.as_str(), v.expose())));
    let red = redactor.notebook(&doc);
    drop(values);
    // The pre-commit hook refuses to commit what was cleaned without the values. And git
    // runs the filter for `git status` and `git diff` too: what was said about this content
    // is not said again.
    let news = super::record::note(&cwd, &red.bytes, !unchecked);
    let mut notes = Vec::new();
    if news && !red.json {
        notes.push("is not valid JSON, so all of its text was redacted".to_owned());
    }
    if news && red.count > 0 {
        notes.push(format!(
            "{} place(s) redacted in the staged copy (the working file keeps them)",
            red.count
        ));
    }
    if !notes.is_empty() {
        output::status(&format!("aisecrets: {shown}: {}", notes.join("; ")));
    }
    if unchecked && super::record::first_in_command(&cwd) {
        output::status(
            "aisecrets: this project's values were not checked in notebooks, only key shapes (the commit will be refused): run `aisecrets unlock`, then `git add --renormalize` them",
        );
    }
    output::stdout(&red.bytes)?;
    Ok(exit::OK)
}

/// The smudge side: the blob as it is.
pub(super) fn smudge() -> Result<u8> {
    let doc = read_stdin()?;
    output::stdout(&doc)?;
    Ok(exit::OK)
}

fn read_stdin() -> Result<Zeroizing<Vec<u8>>> {
    let mut doc = Zeroizing::new(Vec::new());
    std::io::stdin()
        .lock()
        .read_to_end(&mut doc)
        .map_err(|e| Error::io("read", "standard input", e))?;
    Ok(doc)
}

/// The values of every environment of the project at or above `start` that opens without
/// asking, and whether the project's values could not be checked (it has environments and
/// none opened). No project: nothing to check, nothing to say.
fn project_values(start: &Path) -> (Vec<(String, crate::base::secret::SecretValue)>, bool) {
    let project = match super::setup::repo_project(start) {
        Ok(Some(p)) => p,
        Ok(None) => return (Vec::new(), false),
        Err(_) => return (Vec::new(), true),
    };
    let envs = project.file_env_names();
    let Ok(Some(keys)) = identity::load_if_open() else {
        return (Vec::new(), !envs.is_empty());
    };
    let mut values = Vec::new();
    let mut opened = 0;
    for env in &envs {
        if let Ok(open) = file::open_untrusted(&project, env, &keys) {
            opened += 1;
            values.extend(open.values.into_iter().map(|(n, o)| (n, o.value)));
        }
    }
    (values, opened == 0 && !envs.is_empty())
}
