//! `aisecrets run -- CMD ARGS...`: the secrets as environment variables (or files) of one
//! child, and nothing else of the project's.

use std::collections::BTreeMap;
use std::ffi::OsString;

use crate::cli::RunArgs;
use crate::error::{Error, Result};
use crate::mask::Masker;
use crate::ramdir::RamDir;
use crate::secret::{self, SecretValue};
use crate::store::Project;
use crate::{audit, child, config, identity, policy, store};

/// Runs `run`; the exit code is the child's.
pub(super) fn run(args: RunArgs) -> Result<u8> {
    let (project, env) = super::project_env(args.env.env.as_deref())?;
    let wanted = wanted_names(&project, &args)?;
    let keys = identity::load()?;
    let open = store::open(&project, &env, &keys)?;
    drop(keys);
    let selected: BTreeMap<&str, &SecretValue> = match &wanted {
        None => open
            .values
            .iter()
            .map(|(n, o)| (n.as_str(), &o.value))
            .collect(),
        Some(names) => {
            let mut sel = BTreeMap::new();
            for n in names {
                let v = open.get(n).map_err(|_| {
                    Error::Failed(unknown_secret(
                        n,
                        &open.values.keys().cloned().collect::<Vec<_>>(),
                        &env,
                    ))
                })?;
                sel.insert(n.as_str(), v);
            }
            sel
        }
    };
    let allowed = config::load()?.allow_names;
    let refused = policy::refused(selected.keys().copied(), &allowed);
    if !refused.is_empty() {
        return Err(Error::DangerousNames { names: refused });
    }
    if !args.allow_argv {
        check_argv(&args.command, &selected)?;
    }
    // File secrets: the value in a 0600 file in a fresh 0700 folder on a RAM filesystem,
    // the variable set to its path; the folder goes when this function returns.
    let mut files: Option<RamDir> = None;
    let mut extra: Vec<(String, OsString)> = Vec::new();
    for (name, value) in &selected {
        if let Some(file_name) = project.manifest.files.get(*name) {
            if files.is_none() {
                files = Some(RamDir::create("run")?);
            }
            let dir = files.as_ref().expect("just made");
            let path = dir.write(file_name, value.expose().as_bytes())?;
            extra.push(((*name).to_owned(), path.into_os_string()));
        } else {
            extra.push(((*name).to_owned(), OsString::from(value.expose())));
        }
    }
    let masker = args
        .mask
        .then(|| Masker::new(selected.iter().map(|(n, v)| (*n, v.expose()))));
    let names: Vec<String> = selected.keys().map(|n| (*n).to_owned()).collect();
    drop(selected);
    drop(open);
    let (program, rest) = args
        .command
        .split_first()
        .expect("clap requires at least one command word");
    audit::record(
        "run",
        Some((&project, &env)),
        &names,
        Some(&program.to_string_lossy()),
        "ok",
    );
    let code = child::run(program, rest, child::child_env(extra), masker.as_ref());
    drop(files);
    code
}

/// The names asked for with --only or --scope; `None` for all.
fn wanted_names(project: &Project, args: &RunArgs) -> Result<Option<Vec<String>>> {
    if let Some(only) = &args.only {
        let names: Vec<String> = only
            .iter()
            .map(|n| n.trim().to_owned())
            .filter(|n| !n.is_empty())
            .collect();
        for n in &names {
            secret::check_name(n)?;
        }
        if names.is_empty() {
            return Err(Error::Usage("--only needs at least one secret name".into()));
        }
        return Ok(Some(names));
    }
    if let Some(scope) = &args.scope {
        let known: Vec<&str> = project.manifest.scopes.keys().map(String::as_str).collect();
        let decl = project.manifest.scopes.get(scope).ok_or_else(|| {
            Error::Failed(format!(
                "no scope `{}` in aisecrets.toml (known: {}){}",
                secret::sanitize(scope, 64),
                if known.is_empty() {
                    "none; declare [scopes.NAME] secrets = [...]".to_owned()
                } else {
                    known.join(", ")
                },
                secret::did_you_mean(scope, known.iter().copied())
                    .map(|s| format!("; did you mean `{s}`?"))
                    .unwrap_or_default()
            ))
        })?;
        return Ok(Some(decl.secrets.clone()));
    }
    Ok(None)
}

fn unknown_secret(name: &str, known: &[String], env: &str) -> String {
    format!(
        "no secret `{}` in environment `{env}` (known: {}){}",
        secret::sanitize(name, 64),
        if known.is_empty() {
            "none".to_owned()
        } else {
            known.join(", ")
        },
        secret::did_you_mean(name, known.iter().map(String::as_str))
            .map(|s| format!("; did you mean `{s}`?"))
            .unwrap_or_default()
    )
}

/// Refuses a command line that holds a secret value: trackers (W&B, MLflow) and `ps`
/// record command lines.
fn check_argv(command: &[OsString], selected: &BTreeMap<&str, &SecretValue>) -> Result<()> {
    for arg in command {
        let arg = arg.to_string_lossy();
        for (name, value) in selected {
            let v = value.expose();
            if v.len() >= crate::mask::MIN_MASKED_LEN && arg.contains(v) {
                return Err(Error::SecretInArgv {
                    name: (*name).to_owned(),
                });
            }
        }
    }
    Ok(())
}
