//! `aisecrets run -- CMD ARGS...`: the secrets as environment variables (or files) of one
//! child, and nothing else of the project's.

use std::collections::BTreeMap;
use std::ffi::OsString;

use crate::backend::{self, Purpose};
use crate::base::error::{Error, Result};
use crate::base::mask::Masker;
use crate::base::secret::{self, SecretValue};
use crate::cli::RunArgs;
use crate::project::Project;
use crate::run::ramdir::RamDir;
use crate::{
    backend::vault, base::config, base::hardening, project::audit, run::child, run::policy,
};

/// Runs `run`; the exit code is the child's.
pub(super) fn run(args: RunArgs) -> Result<u8> {
    let (project, env) = super::project_env(args.env.env.as_deref())?;
    let wanted = wanted_names(&project, &args)?;
    let decl = project.env(&env)?.clone();
    let mut backend = backend::of(&project, &env, super::ask)?;
    if args.vault_token && backend.vault().is_none() {
        return Err(Error::Usage(format!(
            "--vault-token needs a Vault environment, and `{env}` is an encrypted file"
        )));
    }
    // Leased names come on top of the stored ones, so an environment of leases only may
    // have nothing stored.
    let purpose = if decl.leases.is_empty() {
        Purpose::HandOn
    } else {
        Purpose::All
    };
    let mut snap = backend.read(purpose)?;
    let leased: Vec<&String> = decl
        .leases
        .keys()
        .filter(|n| wanted.as_ref().is_none_or(|w| w.contains(n)))
        .collect();
    let selected: BTreeMap<String, SecretValue> = match &wanted {
        None => std::mem::take(&mut snap.values),
        Some(names) => {
            let stored: Vec<&String> = names
                .iter()
                .filter(|n| !decl.leases.contains_key(*n))
                .collect();
            if let Some(n) = stored
                .iter()
                .find(|n| !snap.values.contains_key(n.as_str()))
            {
                return Err(snap.missing(n));
            }
            stored
                .into_iter()
                .filter_map(|n| snap.values.remove_entry(n.as_str()))
                .collect()
        }
    };
    // Names a git merge left with two values: refused if the child would get them.
    snap.refuse_conflicts(selected.keys().map(String::as_str))?;
    drop(snap);
    let allowed = config::load()?.allow_names;
    // The names the environment supplies; --vault-token's VAULT_ADDR and VAULT_TOKEN are
    // aisecrets' own (the pinned address, a token it makes), not the repository's.
    let mut checked: Vec<&str> = selected.keys().map(String::as_str).collect();
    checked.extend(leased.iter().map(|n| n.as_str()));
    let refused = policy::refused(checked.iter().copied(), &allowed);
    if !refused.is_empty() {
        return Err(Error::DangerousNames { names: refused });
    }
    let in_vault = backend.vault().is_some();
    // Without leases or a child token nothing needs Vault while the child runs: the
    // token goes now (one of our own login is revoked), not after the child (#12).
    let backend = (!leased.is_empty() || args.vault_token).then_some(backend);
    let vault_env = backend.as_ref().and_then(|b| b.vault());
    let client = vault_env.map(backend::vault::Env::client).transpose()?;
    // Short-lived credentials, taken only now that the run is allowed; `held` revokes
    // them when it goes, however this function ends.
    let mut held = client.map(vault::lease::Held::new);
    // A signal while leases are being taken must not leave them behind: it is noted, and
    // acted on (revoke, then die of it) between calls and before the child starts.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    if held.is_some() {
        for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
            signal_hook::flag::register_usize(sig, std::sync::Arc::clone(&stop), sig as usize)
                .map_err(|e| Error::io("install signal handlers for", "run", e))?;
        }
    }
    let stopped = |held: &mut Option<vault::lease::Held<'_>>| {
        let sig = stop.load(std::sync::atomic::Ordering::SeqCst);
        if sig != 0 {
            if let Some(h) = held.as_mut() {
                h.revoke();
            }
            let _ = signal_hook::low_level::emulate_default_handler(sig as i32);
            std::process::exit(128 + sig as i32);
        }
    };
    let mut selected = selected;
    for name in &leased {
        stopped(&mut held);
        if let Some(h) = held.as_mut() {
            let value = h.lease(name, &decl.leases[name.as_str()])?;
            selected.insert((*name).clone(), value);
        }
    }
    stopped(&mut held);
    let mut token_vars: Vec<(String, OsString)> = Vec::new();
    if args.vault_token
        && let (Some(h), Some(c), Some(v)) = (held.as_mut(), client, vault_env)
    {
        let kv = v.decl();
        let scope = format!("{}-{env}", &project.id()[..8]);
        let token = h.child_token(
            decl.child_token.as_ref(),
            &format!("aisecrets-run-{env}"),
            kv,
            &scope,
        )?;
        let t = SecretValue::new(
            "VAULT_TOKEN",
            zeroize::Zeroizing::new(token.expose().to_owned()),
        )?;
        token_vars.push(("VAULT_ADDR".into(), c.address().into()));
        token_vars.push(("BAO_ADDR".into(), c.address().into()));
        if let Some(ns) = c.namespace() {
            token_vars.push(("VAULT_NAMESPACE".into(), ns.into()));
            token_vars.push(("BAO_NAMESPACE".into(), ns.into()));
        }
        token_vars.push(("BAO_TOKEN".into(), OsString::from(t.expose())));
        selected.insert("VAULT_TOKEN".into(), t);
    }
    if !args.allow_argv {
        check_argv(&args.command, &selected)?;
    }
    // File secrets: the value in a 0600 file in a fresh 0700 folder on a RAM filesystem,
    // the variable set to its path; the folder goes when this function returns.
    let mut files: Option<RamDir> = None;
    let mut extra: Vec<(String, OsString)> = Vec::new();
    for (name, value) in &selected {
        if let Some(file_name) = project.manifest.files.get(name) {
            if files.is_none() {
                files = Some(RamDir::create("run")?);
            }
            let dir = files.as_ref().expect("just made");
            let path = dir.write(file_name, value.expose().as_bytes())?;
            extra.push((name.clone(), path.into_os_string()));
        } else {
            extra.push((name.clone(), OsString::from(value.expose())));
        }
    }
    extra.extend(token_vars);
    let masker = args
        .mask
        .then(|| Masker::new(selected.iter().map(|(n, v)| (n.as_str(), v.expose()))));
    let names: Vec<String> = selected.keys().cloned().collect();
    drop(selected);
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
    // The credentials aisecrets logged in to Vault with stay with aisecrets: the child of a
    // Vault environment gets its values, and a token only with --vault-token. A file
    // environment's child gets them as it would have without aisecrets.
    let withhold: &[&str] = if in_vault {
        &hardening::VAULT_CREDENTIALS
    } else {
        &[]
    };
    let env_vars = child::child_env(extra, withhold);
    // Nothing reads the taken credentials from here on: wiped before the child exists.
    hardening::forget_all();
    stopped(&mut held);
    let code = std::thread::scope(|scope| {
        // Leases outlive their first TTL while the child runs: a thread renews them.
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        if let Some(h) = held.as_ref() {
            scope.spawn(move || h.keep_alive(&stopped));
        }
        let code = child::run(program, rest, env_vars, masker.as_ref());
        drop(stop);
        code
    });
    // The child is gone: its leases and token go now, before we return its status.
    if let Some(h) = held.as_mut() {
        h.revoke();
    }
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
                crate::base::output::sanitize(scope, 64),
                if known.is_empty() {
                    "none; declare [scopes.NAME] secrets = [...]".to_owned()
                } else {
                    known.join(", ")
                },
                crate::base::output::did_you_mean(scope, known.iter().copied())
                    .map(|s| format!("; did you mean `{s}`?"))
                    .unwrap_or_default()
            ))
        })?;
        return Ok(Some(decl.secrets.clone()));
    }
    Ok(None)
}

/// Refuses a command line that holds a secret value: trackers (W&B, MLflow) and `ps`
/// record command lines.
fn check_argv(command: &[OsString], selected: &BTreeMap<String, SecretValue>) -> Result<()> {
    for arg in command {
        let arg = arg.to_string_lossy();
        for (name, value) in selected {
            let v = value.expose();
            if v.len() >= crate::base::mask::MIN_MASKED_LEN && arg.contains(v) {
                return Err(Error::SecretInArgv { name: name.clone() });
            }
        }
    }
    Ok(())
}
