//! `aisecrets edit`: `$VISUAL`/`$EDITOR` on a plaintext copy (NAME=value lines) in a fresh
//! 0700 folder on a RAM filesystem; vim and neovim run without swap, backup or undo files,
//! emacs without backups or auto-saves. On save the text is parsed (a mistake reopens the
//! editor when you say so), only changed values are resealed, and an unchanged save writes
//! nothing. The folder is removed on every way out; one left by `kill -9` goes with the next
//! command.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use zeroize::Zeroizing;

use crate::backend::file::{self, Change};
use crate::base::dotenv::{self, ExportFormat};
use crate::base::error::{Error, Result};
use crate::base::secret::SecretValue;
use crate::cli::EnvOnlyArgs;
use crate::run::editor::{self, Edited};
use crate::run::ramdir::RamDir;
use crate::{base::exit, base::output, base::prompt, keys::identity, project::audit};

const GUI_EDITORS: &[&str] = &[
    "code",
    "code-insiders",
    "codium",
    "subl",
    "sublime_text",
    "atom",
    "gedit",
    "mate",
    "zed",
    "kate",
    "gvim",
    "mvim",
    "xdg-open",
    "open",
];

/// Runs `edit`.
pub(super) fn run(args: &EnvOnlyArgs) -> Result<u8> {
    super::agent_guard("edit", false)?;
    let (project, env) = super::project_env(args.env.env.as_deref())?;
    let keys = file::keys_for(&project, &env)?;
    let mut open = file::open(&project, &env, &keys, super::ask)?;
    // Each side of a conflict is labelled: which branch (or commit) and who set it when,
    // from the value's sealed metadata (#13).
    let sides = crate::git::merge_sides(&project.root);
    let mut labels: BTreeMap<String, (String, String)> = BTreeMap::new();
    let conflicts: BTreeMap<String, SecretValue> = open
        .conflicts()
        .into_iter()
        .map(|(n, o)| {
            let who = |m: &crate::keys::seal::Meta| {
                format!(
                    "set by {} at {}",
                    crate::base::output::sanitize(&m.set_by, 64),
                    output::timestamp(m.set_at)
                )
            };
            let (ours, theirs) = sides
                .clone()
                .unwrap_or_else(|| ("this branch".to_owned(), "the merged branch".to_owned()));
            let ours_meta = open
                .values
                .get(&n)
                .map(|v| who(&v.meta))
                .unwrap_or_default();
            labels.insert(
                n.clone(),
                (
                    format!("ours, {ours}, {ours_meta}"),
                    format!("theirs, {theirs}, {}", who(&o.meta)),
                ),
            );
            (n, o.value)
        })
        .collect();
    // The values move out of the opened file: no second copy of each.
    let original: BTreeMap<String, SecretValue> = std::mem::take(&mut open.values)
        .into_iter()
        .map(|(n, o)| (n, o.value))
        .collect();
    drop(open);
    let (argv, base, waits) = editor_argv();
    if matches!(base.as_str(), "code" | "code-insiders" | "codium") {
        output::status(
            "aisecrets: warning: VS Code keeps a copy of every saved version in its local history; \
             set \"workbench.localHistory.enabled\": false, or use a terminal editor",
        );
    }
    // The open is what matters for the log: record it before the editor sees anything.
    audit::record(
        "edit-open",
        Some((&project, &env)),
        &original.keys().cloned().collect::<Vec<_>>(),
        Some(&base),
        "ok",
    );
    let dir = RamDir::create("edit")?;
    let path = dir.write(
        &format!("{env}.env"),
        render(&env, &original, &conflicts, &labels)?.as_bytes(),
    )?;
    loop {
        let before = read(&path)?;
        let started = Instant::now();
        match editor::run_editor(&argv, &path)? {
            Edited::Exited => {}
            Edited::Interrupted => {
                return Err(Error::Prompt(
                    "edit interrupted; nothing was written and the plaintext copy is gone",
                ));
            }
            Edited::Failed(127) => {
                return Err(Error::Failed(format!(
                    "the editor `{}` was not found (the shell said 127); set VISUAL or EDITOR to one you have; nothing was written",
                    crate::base::output::sanitize(&base, 64)
                )));
            }
            Edited::Failed(code) => {
                return Err(Error::Failed(format!(
                    "the editor exited with status {code}, so the edit was abandoned; nothing was written"
                )));
            }
        }
        let after = read(&path)?;
        if *after == *before {
            if started.elapsed() < Duration::from_secs(1)
                && GUI_EDITORS.contains(&base.as_str())
                && !waits
            {
                return Err(Error::Failed(format!(
                    "the editor `{base}` returned at once, before you could edit: make it wait, e.g. EDITOR=\"{base} --wait\"; nothing was written"
                )));
            }
            output::status("no changes; nothing was written");
            return Ok(exit::OK);
        }
        match dotenv::parse(&after, &format!("{env}.env")) {
            Ok(pairs) => return save(&project, &env, &keys, &original, &conflicts, pairs),
            Err(e) => {
                output::status(&format!("aisecrets: error: {e}"));
                if prompt::has_terminal() && prompt::confirm("Reopen the editor to fix it? [y/N] ")?
                {
                    continue;
                }
                return Err(Error::Prompt(
                    "the edited text did not parse; nothing was written",
                ));
            }
        }
    }
}

fn save(
    project: &crate::project::Project,
    env: &str,
    keys: &identity::Keys,
    original: &BTreeMap<String, SecretValue>,
    conflicts: &BTreeMap<String, SecretValue>,
    pairs: Vec<(String, SecretValue)>,
) -> Result<u8> {
    let names: Vec<String> = pairs.iter().map(|(n, _)| n.clone()).collect();
    let (added, changed, removed, resolved) =
        file::modify(project, env, keys, super::ask, |open| {
            let mut counts = (0, 0, 0, 0);
            let mut touched = false;
            for (name, value) in pairs {
                if open.resolve(&name) {
                    touched = true;
                    counts.3 += 1;
                }
                // Only what the user changed: a value someone else changed on disk while the
                // editor was open (a rotation, a git pull) is not put back.
                if original.get(&name).is_some_and(|o| o.ct_eq(&value)) {
                    continue;
                }
                match open.set(&name, value)? {
                    Change::Added => counts.0 += 1,
                    Change::Changed => counts.1 += 1,
                    Change::Unchanged => {}
                }
            }
            for name in original.keys().filter(|n| !names.contains(n)) {
                if open.values.contains_key(name) {
                    open.remove(name)?;
                    counts.2 += 1;
                }
            }
            for name in conflicts.keys().filter(|n| !names.contains(n)) {
                if open.resolve(name) {
                    touched = true;
                    counts.3 += 1;
                }
            }
            Ok((counts, touched || counts.0 + counts.1 + counts.2 > 0))
        })?;
    audit::record("edit", Some((project, env)), &names, None, "ok");
    let resolved = if resolved > 0 {
        format!(", {resolved} conflict(s) resolved: `git add` the file")
    } else {
        String::new()
    };
    output::status(&format!(
        "{env}: {added} added, {changed} changed, {removed} removed{resolved}"
    ));
    Ok(exit::OK)
}

/// `$VISUAL`, else `$EDITOR`, else `vi`, run as git runs it: through the shell
/// (`sh -c '$EDITOR "$@"' editor FILE`), so arguments and quotes in it work (#13), with the
/// flags that keep vim and emacs from writing swap, backup or undo files. Also returns the
/// editor's base name and whether it was told to wait (for the GUI-editor check).
fn editor_argv() -> (Vec<String>, String, bool) {
    let cmd = ["VISUAL", "EDITOR"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.trim().is_empty()))
        .unwrap_or_else(|| "vi".to_owned());
    let words: Vec<&str> = cmd
        .split_whitespace()
        .map(|w| w.trim_matches(|c| c == '"' || c == '\''))
        .collect();
    let base = Path::new(words.first().copied().unwrap_or(""))
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("")
        .to_owned();
    let waits = words.iter().any(|a| matches!(*a, "--wait" | "-w" | "-f"));
    let mut argv: Vec<String> = vec![
        "/bin/sh".into(),
        "-c".into(),
        format!("{cmd} \"$@\""),
        "editor".into(),
    ];
    match base.as_str() {
        "vi" | "vim" | "nvim" | "vim.basic" | "vim.tiny" | "view" | "gvim" | "mvim" => {
            argv.extend(
                [
                    "-n",
                    "-i",
                    "NONE",
                    // --cmd runs before the user's vimrc/init.lua, -c after it: both, so a
                    // config that turns undofile or backup on cannot for this file.
                    "--cmd",
                    "set nobackup nowritebackup noundofile noswapfile",
                    "-c",
                    "set nobackup nowritebackup noundofile noswapfile",
                ]
                .map(str::to_owned),
            );
        }
        "emacs" | "emacs-nox" => {
            argv.extend(
                [
                    "--eval",
                    "(setq make-backup-files nil auto-save-default nil create-lockfiles nil)",
                ]
                .map(str::to_owned),
            );
        }
        _ => {}
    }
    (argv, base, waits)
}

fn read(path: &Path) -> Result<Zeroizing<String>> {
    std::fs::read(path)
        .map_err(|e| Error::io("read", path, e))
        .and_then(|b| {
            String::from_utf8(b)
                .map_err(|_| Error::Prompt("the edited text is not UTF-8; nothing was written"))
        })
        .map(Zeroizing::new)
}

fn render(
    env: &str,
    values: &BTreeMap<String, SecretValue>,
    conflicts: &BTreeMap<String, SecretValue>,
    labels: &BTreeMap<String, (String, String)>,
) -> Result<Zeroizing<String>> {
    // Room for everything up front: a growing buffer leaves unwiped copies behind (#14).
    // A value takes at most twice its length in dotenv quoting, plus its name and quotes.
    let line = |n: &str, v: &SecretValue| n.len() + 2 * v.expose().len() + 4;
    let room: usize = values.iter().map(|(n, v)| line(n, v) + 16).sum::<usize>()
        + conflicts
            .iter()
            .map(|(n, v)| {
                let (a, b) = labels.get(n).map_or((0, 0), |(a, b)| (a.len(), b.len()));
                line(n, v) + n.len() + a + b + 160
            })
            .sum::<usize>()
        + env.len()
        + 256;
    let mut text = Zeroizing::new(String::with_capacity(room));
    text.push_str(&format!(
        "# aisecrets: environment {env}. One NAME=value per line; quotes as in .env files.\n\
         # Save and quit to re-encrypt (only changed values). This copy lives in RAM and is removed.\n"
    ));
    for (name, value) in values {
        if let Some(theirs) = conflicts.get(name) {
            text.push_str(&format!(
                "# <<< conflict on {name}: two branches set different values. Keep one line, delete the other.\n"
            ));
            let (ours_label, theirs_label) = labels.get(name).cloned().unwrap_or_default();
            text.push_str(&format!("# {ours_label}:\n"));
            text.push_str(&dotenv::export(
                ExportFormat::Dotenv,
                std::iter::once((name.as_str(), value)),
            )?);
            text.push_str(&format!("# {theirs_label}:\n"));
            text.push_str(&dotenv::export(
                ExportFormat::Dotenv,
                std::iter::once((name.as_str(), theirs)),
            )?);
            text.push_str("# >>>\n");
        } else {
            text.push_str(&dotenv::export(
                ExportFormat::Dotenv,
                std::iter::once((name.as_str(), value)),
            )?);
        }
    }
    Ok(text)
}
