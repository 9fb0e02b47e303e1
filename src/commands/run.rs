//! `aisecrets run -- CMD ARGS...`: the secrets as environment variables (or files) of one
//! child, and nothing else of the project's.

use std::collections::BTreeMap;
use std::ffi::OsString;

use crate::backend::{self, Purpose};
use crate::base::error::{Error, Result};
use crate::base::exit::Outcome;
use crate::base::mask::Masker;
use crate::base::secret::{self, SecretValue};
use crate::cli::RunArgs;
use crate::project::Project;
use crate::run::proxy;
use crate::run::ramdir::RamDir;
use crate::run::stop::Stop;
use crate::{
    backend::vault, base::config, base::hardening, project::audit, run::child, run::policy,
};

/// Runs `run`; the outcome is the child's exit code, or a signal to die of once everything
/// here is dropped: leases and tokens revoked, the RAM folder removed (#14). Under a coding
/// agent it needs `--mask` and `--reason` (#16).
pub(super) fn run(args: &RunArgs, found: Option<Project>) -> Result<Outcome> {
    guarded(args, found, None)
}

/// [`run`], with a Jupyter relay beside the child (`jupyter kernel`, #18): the same rules
/// for coding agents.
pub(super) fn guarded(
    args: &RunArgs,
    found: Option<Project>,
    relay: Option<crate::run::jupyter::Plan>,
) -> Result<Outcome> {
    let Some(agent) = super::agent_guard("run", args.mask || args.agent)? else {
        crate::project::audit::set_context(args.reason.as_deref(), None);
        return execute(args, None, found, relay);
    };
    let Some(reason) = args.reason.as_deref().filter(|r| !r.trim().is_empty()) else {
        return Err(Error::Usage(format!(
            "run under a coding agent ({agent}) needs --reason TEXT: why the command needs the secrets (it goes to the audit log)"
        )));
    };
    // Under an agent, what it may use is the user's `[agents]` config when there is one, as
    // through `aisecrets mcp`: the names asked for are checked, no names means the allowed ones.
    let project = match found {
        Some(project) => project,
        None => Project::require(&super::cwd()?)?,
    };
    let env = project.pick_env(args.env.env.as_deref())?;
    let policy = crate::project::agents::Policy::of(&project)?;
    if !policy.configured() {
        // No `[agents]` rule anywhere: the plain CLI contract, masked output and a
        // reason in the audit log; the allow lists apply once the user writes one.
        crate::project::audit::set_context(Some(reason), Some(&agent));
        return execute(args, None, Some(project), relay);
    }
    let names = match wanted_names(&project, args)? {
        Some(names) => names,
        None => policy.allowed.iter().cloned().collect(),
    };
    if names.is_empty() {
        return Err(Error::Failed(format!(
            "no secret is allowed for coding agents ({agent}): list them in config.toml, [agents] allow = [NAMES] or allow_scopes = [SCOPES]"
        )));
    }
    policy.check(&names, &agent, &env, reason, &args.command)?;
    crate::project::audit::set_context(Some(reason), Some(&agent));
    let checked = RunArgs {
        env: crate::cli::EnvArg { env: Some(env) },
        only: Some(names),
        scope: None,
        mask: args.mask,
        allow_argv: args.allow_argv,
        jail: args.jail,
        agent: args.agent,
        reason: args.reason.clone(),
        vault_token: args.vault_token,
        proxy: args.proxy.clone(),
        egress: args.egress.clone(),
        command: args.command.clone(),
    };
    execute(&checked, None, Some(project), relay)
}

/// The one run path, for `aisecrets run` and the `run` tool of `aisecrets mcp` (#16): with
/// `capture`, the output is masked into it instead of ours, and the credentials start-up
/// took stay for the server's next call. With `relay`, a Jupyter kernel's messages are
/// relayed, masked, while the child runs (#18).
pub(super) fn execute(
    args: &RunArgs,
    capture: Option<&child::Capture>,
    found: Option<Project>,
    relay: Option<crate::run::jupyter::Plan>,
) -> Result<Outcome> {
    let Some((program, rest)) = args.command.split_first() else {
        return Err(Error::Usage(
            "run needs a command: aisecrets run -- COMMAND ARGS...".into(),
        ));
    };
    // Declared first, so it goes last: SIGINT, SIGTERM and SIGHUP are held back (once
    // armed) until every credential below is revoked and every folder removed.
    let mut stop = Stop::new();
    // ---- run --jail / --agent (#15) ----------------------------------------------------
    // The jail is made before any secret is read: where the kernel refuses a piece of it,
    // nothing is decrypted and nothing runs.
    let mut jail = jail::make(args)?;
    // ---- end run --jail / --agent ----------------------------------------------------
    let (project, env) = super::project_env_in(found, args.env.env.as_deref())?;
    let wanted = wanted_names(&project, args)?;
    // #15: host rules from the manifest are repository input, refused until trusted.
    if args.proxy.is_some() || args.agent {
        crate::project::trust::check_proxy(&project)?;
    }
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
    // A Vault environment's settings are checked (a first use asks, and Ctrl-C still works
    // there) before signals are held: a login token of our own must be revoked whenever we
    // stop. A file's identity and trust prompts come before it too (in `read`).
    if let Some(v) = backend.vault() {
        v.check_settings()?;
        stop.arm()?;
        if let Some(outcome) = stop.outcome() {
            return Ok(outcome);
        }
    }
    let mut snap = backend.read(purpose)?;
    // The prompts are behind us: from here on a signal is held for cleanup.
    stop.arm()?;
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
    // them when it goes, however this function ends (it is declared after the client it
    // borrows, so it goes first).
    let mut held = client.map(vault::lease::Held::new);
    let mut selected = selected;
    for name in &leased {
        if let Some(outcome) = stop.outcome() {
            return Ok(outcome);
        }
        if let Some(h) = held.as_mut() {
            let value = h.lease(name, &decl.leases[name.as_str()])?;
            selected.insert((*name).clone(), value);
        }
    }
    let mut token_vars: Vec<(String, OsString)> = Vec::new();
    if args.vault_token
        && let (Some(h), Some(c), Some(v)) = (held.as_mut(), client, vault_env)
    {
        if let Some(outcome) = stop.outcome() {
            return Ok(outcome);
        }
        let kv = v.decl();
        let scope = format!("{}-{env}", &project.id()[..8]);
        let token = h.child_token(
            decl.child_token.as_ref(),
            &format!("aisecrets-run-{env}"),
            kv,
            &scope,
        )?;
        let t = token.into_value("VAULT_TOKEN")?;
        token_vars.push(("VAULT_ADDR".into(), c.address().into()));
        token_vars.push(("BAO_ADDR".into(), c.address().into()));
        if let Some(ns) = c.namespace() {
            token_vars.push(("VAULT_NAMESPACE".into(), ns.into()));
            token_vars.push(("BAO_NAMESPACE".into(), ns.into()));
        }
        token_vars.push(("BAO_TOKEN".into(), OsString::from(t.expose())));
        selected.insert("VAULT_TOKEN".into(), t);
    }
    if let Some(outcome) = stop.outcome() {
        return Ok(outcome);
    }
    if !args.allow_argv {
        check_argv(&args.command, &selected)?;
    }
    let proxy_plan = proxy_placeholders(&project, args, &mut selected)?;
    // File secrets: the value in a 0600 file in a fresh 0700 folder on a RAM filesystem,
    // the variable set to its path; the folder goes when this function returns.
    let files = if selected
        .keys()
        .any(|n| project.manifest.files.contains_key(n))
    {
        Some(RamDir::create("run")?)
    } else {
        None
    };
    let mut extra: Vec<(String, OsString)> = Vec::with_capacity(selected.len());
    for (name, value) in &selected {
        if let (Some(file_name), Some(dir)) = (project.manifest.files.get(name), files.as_ref()) {
            let path = dir.write(file_name, value.expose().as_bytes())?;
            extra.push((name.clone(), path.into_os_string()));
        } else {
            extra.push((name.clone(), OsString::from(value.expose())));
        }
    }
    extra.extend(token_vars);
    // --- #15 `run --proxy` (engineer proxy): start the proxy, give the child its variables.
    let (proxy_events, proxy_audit) = std::sync::mpsc::channel::<proxy::Event>();
    let running = match proxy_plan {
        Some(mut plan) => {
            plan.events = Some(proxy_events);
            // Under --jail (or --agent) the proxy serves the listener bound inside the
            // jail's network namespace, the child's one way out; else one on loopback here.
            let (listener, addr) = match jail
                .as_mut()
                .and_then(|j| j.take_listener().map(|l| (l, j.addr())))
            {
                Some(pair) => pair,
                None => {
                    let listener =
                        proxy::bind_loopback().map_err(|e| Error::Failed(format!("{e:#}")))?;
                    let addr = listener
                        .local_addr()
                        .map_err(|e| Error::Failed(format!("the proxy's address: {e}")))?;
                    (listener, addr)
                }
            };
            let running = proxy::start(listener, plan)
                .map_err(|e| Error::Failed(format!("start the proxy: {e:#}")))?;
            for (k, v) in running.child_env(addr) {
                extra.push((k.to_string_lossy().into_owned(), v));
            }
            Some(running)
        }
        None => {
            drop(proxy_events);
            None
        }
    };
    let proxy_done = std::sync::atomic::AtomicBool::new(false);
    // --- end #15.
    let masker = (args.mask || args.agent || capture.is_some() || relay.is_some()).then(|| {
        std::sync::Arc::new(Masker::new(
            selected.iter().map(|(n, v)| (n.as_str(), v.expose())),
        ))
    });
    // #18: the relay masks with the same values, and stops when the child has ended.
    let relay = match (relay, &masker) {
        (Some(plan), Some(m)) => Some(plan.start(std::sync::Arc::clone(m))?),
        _ => None,
    };
    let names: Vec<String> = selected.into_keys().collect();
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
    let mut env_vars = child::child_env(extra, withhold);
    // ---- run --jail / --agent (#15) ----------------------------------------------------
    // With --proxy (or --agent) the proxy took the jail's listener above.
    // Without --proxy the listener is closed now: the jailed child has no network at all
    // (a connection to it is refused, not left waiting).
    if let Some(j) = jail.as_mut() {
        drop(j.take_listener());
    }
    let proxy_dir = running.as_ref().and_then(|r| r.bundle().parent());
    let confine = jail::confine(jail.as_ref(), files.as_ref(), proxy_dir, &mut env_vars)?;
    // ---- end run --jail / --agent ----------------------------------------------------
    // Nothing reads the taken credentials from here on: wiped before the child exists
    // (the MCP server serves more calls, and keeps them).
    if capture.is_none() {
        hardening::forget_all();
    }
    let outcome = std::thread::scope(|scope| {
        // Leases outlive their first TTL while the child runs: a thread renews them.
        let (keep, kept) = std::sync::mpsc::channel::<()>();
        if let Some(h) = held.as_ref() {
            scope.spawn(move || h.keep_alive(&kept));
        }
        // #15: the proxy's refusals (and first use of a key per host) go to the audit log;
        // under `--agent`, every proxied request.
        if running.is_some() {
            let (project, env, done) = (&project, &env, &proxy_done);
            let every = args.agent;
            scope.spawn(move || proxy_audit_lines(&proxy_audit, project, env, done, every));
        }
        let outcome = child::run(
            program,
            rest,
            env_vars,
            masker.as_deref(),
            capture,
            &stop,
            confine,
        );
        drop(keep);
        drop(relay);
        drop(running);
        proxy_done.store(true, std::sync::atomic::Ordering::Relaxed);
        outcome
    });
    // The child is gone: its leases and tokens go now, then the folder, before we return
    // its status.
    drop(held);
    drop(backend);
    drop(files);
    drop(jail);
    outcome
}

/// `run --jail` and `run --agent` (#15): the jail, on Linux only.
mod jail {
    use std::ffi::OsString;

    use crate::base::error::Result;
    use crate::cli::RunArgs;
    use crate::run::child;
    use crate::run::ramdir::RamDir;

    #[cfg(target_os = "linux")]
    pub(super) type Jail = crate::run::jail::Jail;
    #[cfg(not(target_os = "linux"))]
    pub(super) type Jail = ();

    /// The jail that `--jail` or `--agent` asks for, made now (fails closed).
    pub(super) fn make(args: &RunArgs) -> Result<Option<Jail>> {
        if !(args.jail || args.agent) {
            return Ok(None);
        }
        #[cfg(target_os = "linux")]
        return crate::run::jail::Jail::new().map(Some);
        #[cfg(not(target_os = "linux"))]
        Err(crate::base::error::Error::Usage(
            "run --jail and run --agent need Linux (namespaces); run with --mask instead".into(),
        ))
    }

    /// What the child does before exec; the jail's listener goes when nothing serves it.
    pub(super) fn confine(
        jail: Option<&Jail>,
        files: Option<&RamDir>,
        proxy_dir: Option<&std::path::Path>,
        env: &mut Vec<(OsString, OsString)>,
    ) -> Result<Option<child::Confine>> {
        let Some(j) = jail else {
            return Ok(None);
        };
        // The child can tell it is jailed (the proxy's variables come from the proxy).
        env.push(("AISECRETS_JAIL".into(), "1".into()));
        #[cfg(target_os = "linux")]
        {
            let kept: Vec<&std::path::Path> = files
                .map(RamDir::path)
                .into_iter()
                .chain(proxy_dir)
                .collect();
            let c = j.confine(&kept)?;
            Ok(Some(Box::new(move || c.enter())))
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = (j, files, proxy_dir);
            Err(crate::base::error::Error::Usage(
                "run --jail needs Linux".into(),
            ))
        }
    }
}

// --- #15 `run --proxy` (engineer proxy) ---

/// With `--proxy`: every selected secret with a host rule becomes a placeholder in
/// `selected` (the real value goes into the plan); with `--proxy=strict`, those without one
/// are withheld. `None` without `--proxy`.
fn proxy_placeholders(
    project: &Project,
    args: &RunArgs,
    selected: &mut BTreeMap<String, SecretValue>,
) -> Result<Option<proxy::Plan>> {
    // `--agent` is `--proxy --jail --mask` (#15).
    let mode = match args.proxy.as_deref() {
        Some(mode) => mode,
        None if args.agent => "",
        None => return Ok(None),
    };
    let cfg = config::load()?.proxy;
    let mut plan = proxy::Plan {
        resolve: cfg.resolve,
        upstream_ca_files: cfg.upstream_ca_files,
        egress_strict: args.egress.is_some(),
        ..proxy::Plan::default()
    };
    let mut withheld = Vec::new();
    for (name, value) in selected.iter_mut() {
        let declared = project
            .manifest
            .proxy
            .get(name)
            .map(|d| proxy::Rule::declared(&d.hosts, &d.paths, &d.methods, &d.headers));
        match plan.add(name, value.expose(), declared) {
            Some(placeholder) => {
                *value = SecretValue::new(name, zeroize::Zeroizing::new(placeholder.to_owned()))?;
            }
            // `--vault-token` asked for VAULT_TOKEN by name: it stays, like BAO_TOKEN.
            None if mode == "strict" && !(args.vault_token && name == "VAULT_TOKEN") => {
                withheld.push(name.clone());
            }
            None => {}
        }
    }
    for name in withheld {
        selected.remove(&name);
    }
    Ok(Some(plan))
}

/// Writes the proxy's events to the audit log until the run is `done`: every refusal, and
/// the first time each key is sent to each host (each time, with `every`).
fn proxy_audit_lines(
    events: &std::sync::mpsc::Receiver<proxy::Event>,
    project: &Project,
    env: &str,
    done: &std::sync::atomic::AtomicBool,
    every: bool,
) {
    use std::sync::mpsc::RecvTimeoutError;
    let mut seen = std::collections::HashSet::new();
    let mut write = |e: proxy::Event| {
        if e.refused || every || seen.insert((e.secret.clone(), e.host.clone())) {
            audit::record(
                "proxy",
                Some((project, env)),
                &[e.secret],
                Some(&e.host),
                if e.refused { "refused" } else { "sent" },
            );
        }
    };
    loop {
        match events.recv_timeout(std::time::Duration::from_millis(50)) {
            Ok(e) => write(e),
            Err(RecvTimeoutError::Timeout) if done.load(std::sync::atomic::Ordering::Relaxed) => {
                break;
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
    }
    for e in events.try_iter() {
        write(e);
    }
}

// --- end #15 --proxy.

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
