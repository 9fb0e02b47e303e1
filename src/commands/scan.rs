//! `aisecrets scan [--staged | --history [REV-RANGE]] [--json] [PATH...]`: 0 clean, 1
//! findings, 2 could not run.

use std::path::PathBuf;

use crate::backend::file;
use crate::base::error::{Error, Result};
use crate::cli::ScanArgs;
use crate::project::Project;
use crate::scan::{Allow, Finding, Scanner};
use crate::{base::exit, base::output, git, keys::identity};

/// Runs `scan`.
pub(super) fn run(args: &ScanArgs) -> Result<u8> {
    let cwd = super::cwd()?;
    let project = match Project::find(&cwd)? {
        // The pre-commit hook runs at the top of the work tree: a project in a subfolder is
        // the one `git setup` recorded (the notebook filter checks the same one).
        None if args.staged => git::toplevel(&cwd)
            .ok()
            .map(|top| super::git::repo_project(&top))
            .transpose()?
            .flatten(),
        p => p,
    };
    // The project's own values, when the identity opens without asking.
    let mut values = Vec::new();
    let mut own_files: Vec<PathBuf> = Vec::new();
    let mut allow = Allow::default();
    if let Some(p) = &project {
        allow = Allow::new(&p.manifest.scan.allow).map_err(|e| Error::Failed(e.to_string()))?;
        for env in p.file_env_names() {
            if let Ok(path) = p.env_path(&env) {
                own_files.push(path);
            }
        }
        if let Some(keys) = identity::load_if_open()? {
            for env in p.file_env_names() {
                if let Ok(open) = file::open_untrusted(p, &env, &keys) {
                    values.extend(open.values.into_iter().map(|(n, o)| (n, o.value)));
                }
            }
        }
    }
    let scanner =
        Scanner::new(values.iter().map(|(n, v)| (n.as_str(), v.expose()))).with_allow(allow);
    if !scanner.has_values() {
        output::status(
            "aisecrets scan: checked key shapes only (this project's own values need your identity: \
             `aisecrets unlock`, or AISECRETS_IDENTITY)",
        );
    }
    let mut findings: Vec<Finding> = Vec::new();
    let mut unchecked: Vec<String> = Vec::new();
    if let Some(range) = &args.history {
        let top = git::toplevel(&cwd)?;
        let blobs = crate::scan::history::blobs(&top, range)?;
        let head = crate::scan::history::head_blobs(&top)?;
        let files: Vec<git::Staged> = blobs
            .iter()
            .map(|b| git::Staged::new(b.path.clone(), b.id.clone()))
            .collect();
        let mut i = 0;
        git::read_staged(&top, &files, |file, bytes| {
            let blob = &blobs[i];
            i += 1;
            let abs = top.join(&file.path);
            let mut found = if own_files.iter().any(|f| f == &abs) {
                scanner.scan_own(&file.path, bytes)
            } else {
                scanner.scan(&file.path, bytes)
            };
            for f in &mut found {
                f.commit = Some(blob.commit.clone());
                f.in_head = Some(head.contains(&blob.id));
            }
            findings.extend(found);
        })?;
    } else if args.staged {
        let top = git::toplevel(&cwd)?;
        let staged = git::staged(&top)?;
        // Notebooks the filter cleaned without this project's values (#18): when this scan
        // cannot check them either, they are refused below.
        let records = (!scanner.has_values() && staged.iter().any(|s| s.path.ends_with(".ipynb")))
            .then(|| super::git::record::folder(&top))
            .flatten();
        git::read_staged(&top, &staged, |file, bytes| {
            if file.path.ends_with(".ipynb")
                && records
                    .as_deref()
                    .is_some_and(|r| super::git::record::unchecked(r, bytes))
            {
                unchecked.push(output::sanitize(&file.path, 200));
            }
            // Environment files are searched too: a value pasted into one in the clear is
            // a leak like any other.
            let abs = top.join(&file.path);
            if own_files.iter().any(|f| f == &abs) {
                findings.extend(unresolved(&file.path, bytes));
                findings.extend(scanner.scan_own(&file.path, bytes));
            } else {
                let mut found = scanner.scan(&file.path, bytes);
                found.extend(notebook_lines(&scanner, &file.path, bytes, &found));
                findings.extend(found);
            }
        })?;
    } else {
        let roots = if args.paths.is_empty() {
            vec![PathBuf::from(".")]
        } else {
            args.paths.clone()
        };
        let own: Vec<PathBuf> = own_files
            .iter()
            .filter_map(|f| std::fs::canonicalize(f).ok())
            .collect();
        for root in &roots {
            if std::fs::symlink_metadata(root).is_err() {
                return Err(Error::io(
                    "read",
                    root,
                    std::io::Error::from(std::io::ErrorKind::NotFound),
                ));
            }
            let files = crate::scan::walk(root, &[]);
            findings.extend(scan_files(&scanner, &files, &own));
        }
    }
    let conflicts = findings
        .iter()
        .filter(|f| f.kind.starts_with(CONFLICT))
        .count();
    let allowed = scanner.allowed();
    if args.json {
        let doc = serde_json::json!({ "findings": findings, "allowed": allowed });
        let mut text = serde_json::to_string_pretty(&doc).expect("findings serialise");
        text.push('\n');
        output::stdout(text.as_bytes())?;
    } else {
        let mut out = String::new();
        for f in &findings {
            out.push_str(&f.line_text());
            out.push('\n');
        }
        output::stdout(out.as_bytes())?;
    }
    if allowed > 0 {
        output::status(&format!(
            "aisecrets scan: {allowed} allowed (`aisecrets: allow` comments and [scan] allow in aisecrets.toml)"
        ));
    }
    if !unchecked.is_empty() {
        output::status(&format!(
            "aisecrets scan: {} staged while this project's values could not be checked (identity locked): run `aisecrets unlock`, then `git add --renormalize -- {}`",
            unchecked.join(", "),
            unchecked.join(" ")
        ));
    }
    if findings.is_empty() && unchecked.is_empty() {
        Ok(exit::OK)
    } else if findings.is_empty() {
        Ok(exit::ERROR)
    } else if conflicts == findings.len() {
        output::status(
            "aisecrets scan: an environment file is staged with an unresolved merge: resolve it first (see above), then `git add` it again",
        );
        Ok(exit::ERROR)
    } else {
        output::status(&format!(
            "aisecrets scan: {} finding(s): move the values into aisecrets (`aisecrets set NAME`) and remove them from these files{}",
            findings.len(),
            if args.history.is_some() {
                "; values already committed must be rotated (history keeps them)"
            } else {
                ""
            }
        ));
        Ok(exit::ERROR)
    }
}

const CONFLICT: &str = "unresolved merge";

/// A notebook's outputs split into lines (#18), searched whole: what a PEM key or a JSON
/// document printed over several lines is found in. Only what the file itself did not
/// already show (their lines and columns are those of the joined text).
fn notebook_lines(scanner: &Scanner, path: &str, bytes: &[u8], seen: &[Finding]) -> Vec<Finding> {
    if !path.ends_with(".ipynb") {
        return Vec::new();
    }
    let Some(joined) = crate::scan::notebook::joined_outputs(bytes) else {
        return Vec::new();
    };
    scanner
        .scan(path, &joined)
        .into_iter()
        .filter(|f| !seen.iter().any(|s| s.kind == f.kind && s.name == f.name))
        .collect()
}

/// A staged environment file that a merge left unresolved (#13): names in `[conflicts]`
/// (two values, nothing picked), or git's text conflict markers (merged without the
/// aisecrets driver). Such a file must not be committed: the pre-commit hook refuses it.
fn unresolved(rel: &str, bytes: &[u8]) -> Vec<Finding> {
    let text = String::from_utf8_lossy(bytes);
    let line_of = |pred: &dyn Fn(&str) -> bool| text.lines().position(pred).map_or(1, |i| i + 1);
    match file::EnvFile::parse(std::path::Path::new(rel), &text) {
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
                    col: 1,
                    kind: "unresolved merge conflict, two values: pick one with `aisecrets edit`",
                    provider: None,
                    name: Some(name.clone()),
                    field: None,
                    commit: None,
                    in_head: None,
                })
                .collect()
        }
        Err(_) if text.contains("<<<<<<<") => vec![Finding {
            path: rel.to_owned(),
            line: line_of(&|l| l.starts_with("<<<<<<<")),
            col: 1,
            kind: "unresolved merge with git conflict markers: redo it with the aisecrets merge driver \
                   (`git merge --abort && aisecrets git setup && git merge BRANCH`)",
            provider: None,
            name: None,
            field: None,
            commit: None,
            in_head: None,
        }],
        Err(_) => Vec::new(),
    }
}

/// Scans `files` on every core (a counter hands out the files), findings in file order.
fn scan_files(scanner: &Scanner, files: &[PathBuf], own: &[PathBuf]) -> Vec<Finding> {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, Vec<Finding>)>> = Mutex::new(Vec::new());
    let workers = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(8)
        .min(files.len().max(1));
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(file) = files.get(i) else {
                        break;
                    };
                    let Ok(bytes) = std::fs::read(file) else {
                        continue;
                    };
                    let shown = file
                        .strip_prefix("./")
                        .unwrap_or(file)
                        .display()
                        .to_string();
                    let canon = std::fs::canonicalize(file).unwrap_or_else(|_| file.clone());
                    let found = if own.contains(&canon) {
                        scanner.scan_own(&shown, &bytes)
                    } else {
                        scanner.scan(&shown, &bytes)
                    };
                    if !found.is_empty() {
                        results
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner)
                            .push((i, found));
                    }
                }
            });
        }
    });
    let mut results = results
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().flat_map(|(_, f)| f).collect()
}
