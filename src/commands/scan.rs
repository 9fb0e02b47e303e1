//! `aisecrets scan [--staged] [PATH...]`: 0 clean, 1 findings, 2 could not run.

use std::path::PathBuf;

use crate::cli::ScanArgs;
use crate::error::Result;
use crate::scan::{Finding, Scanner};
use crate::store::{self, Project};
use crate::{exit, git, identity, output};

/// Runs `scan`.
pub(super) fn run(args: &ScanArgs) -> Result<u8> {
    let cwd = super::cwd()?;
    let project = Project::find(&cwd)?;
    // The project's own values, when the identity opens without asking.
    let mut values = Vec::new();
    let mut own_files: Vec<PathBuf> = Vec::new();
    if let Some(p) = &project {
        for env in p.file_env_names() {
            if let Ok(path) = p.env_path(&env) {
                own_files.push(path);
            }
        }
        if let Some(keys) = identity::load_if_open()? {
            for env in p.file_env_names() {
                if let Ok(open) = store::open_untrusted(p, &env, &keys) {
                    values.extend(open.values.into_iter().map(|(n, o)| (n, o.value)));
                }
            }
        }
    }
    let scanner = Scanner::new(values.iter().map(|(n, v)| (n.as_str(), v.expose())));
    if !scanner.has_values() {
        output::status(
            "aisecrets scan: checked key shapes only (this project's own values need your identity: \
             `aisecrets unlock`, or AISECRETS_IDENTITY)",
        );
    }
    let mut findings: Vec<Finding> = Vec::new();
    if args.staged {
        let top = git::toplevel(&cwd)?;
        let staged = git::staged(&top)?;
        git::read_staged(&top, &staged, |file, bytes| {
            // Environment files are searched too: a value pasted into one in the clear is
            // a leak like any other.
            let abs = top.join(&file.path);
            if own_files.iter().any(|f| f == &abs) {
                findings.extend(unresolved(&file.path, bytes));
                findings.extend(scanner.scan_own(&file.path, bytes));
            } else {
                findings.extend(scanner.scan(&file.path, bytes));
            }
        })?;
    } else {
        let roots = if args.paths.is_empty() {
            vec![PathBuf::from(".")]
        } else {
            args.paths.clone()
        };
        for root in &roots {
            if std::fs::symlink_metadata(root).is_err() {
                return Err(crate::error::Error::io(
                    "read",
                    root,
                    std::io::Error::from(std::io::ErrorKind::NotFound),
                ));
            }
            let own: Vec<PathBuf> = own_files
                .iter()
                .filter_map(|f| std::fs::canonicalize(f).ok())
                .collect();
            for file in crate::scan::walk(root, &[]) {
                let Ok(bytes) = std::fs::read(&file) else {
                    continue;
                };
                let shown = file
                    .strip_prefix("./")
                    .unwrap_or(&file)
                    .display()
                    .to_string();
                let canon = std::fs::canonicalize(&file).unwrap_or_else(|_| file.clone());
                if own.contains(&canon) {
                    findings.extend(scanner.scan_own(&shown, &bytes));
                } else {
                    findings.extend(scanner.scan(&shown, &bytes));
                }
            }
        }
    }
    let conflicts = findings
        .iter()
        .filter(|f| f.kind.starts_with(CONFLICT))
        .count();
    let mut out = String::new();
    for f in &findings {
        out.push_str(&format!(
            "{}:{}: {}{}\n",
            f.path,
            f.line,
            f.kind,
            f.name
                .as_ref()
                .map(|n| format!(" ({n})"))
                .unwrap_or_default()
        ));
    }
    output::stdout(out.as_bytes())?;
    if findings.is_empty() {
        Ok(exit::OK)
    } else if conflicts == findings.len() {
        output::status(
            "aisecrets scan: an environment file is staged with an unresolved merge: resolve it first (see above), then `git add` it again",
        );
        Ok(exit::ERROR)
    } else {
        output::status(&format!(
            "aisecrets scan: {} finding(s): move the values into aisecrets (`aisecrets set NAME`) and remove them from these files",
            findings.len()
        ));
        Ok(exit::ERROR)
    }
}

const CONFLICT: &str = "unresolved merge";

/// A staged environment file that a merge left unresolved (#13): names in `[conflicts]`
/// (two values, nothing picked), or git's text conflict markers (merged without the
/// aisecrets driver). Such a file must not be committed: the pre-commit hook refuses it.
fn unresolved(rel: &str, bytes: &[u8]) -> Vec<Finding> {
    let text = String::from_utf8_lossy(bytes);
    let line_of = |pred: &dyn Fn(&str) -> bool| text.lines().position(pred).map_or(1, |i| i + 1);
    match store::EnvFile::parse(std::path::Path::new(rel), &text) {
        Ok(file) => {
            let start = line_of(&|l| l.trim() == "[conflicts]");
            file.conflicts
                .keys()
                .map(|name| Finding {
                    path: rel.to_owned(),
                    line: text
                        .lines()
                        .enumerate()
                        .skip(start)
                        .find(|(_, l)| l.starts_with(&format!("{name} =")))
                        .map_or(start, |(i, _)| i + 1),
                    kind: "unresolved merge conflict, two values: pick one with `aisecrets edit`",
                    name: Some(name.clone()),
                })
                .collect()
        }
        Err(_) if text.contains("<<<<<<<") => vec![Finding {
            path: rel.to_owned(),
            line: line_of(&|l| l.starts_with("<<<<<<<")),
            kind: "unresolved merge with git conflict markers: redo it with the aisecrets merge driver \
                   (`git merge --abort && aisecrets git setup && git merge BRANCH`)",
            name: None,
        }],
        Err(_) => Vec::new(),
    }
}
