//! `aisecrets push --env dev --to prod` and `aisecrets pull --env prod --to dev`: copy
//! every secret between an encrypted-file environment and a Vault one (the migration
//! path), showing what will change first. Names and counts only, never values.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::backend::file::{self, Change};
use crate::base::error::{Error, Result};
use crate::base::secret::SecretValue;
use crate::cli::SyncArgs;
use crate::project::Project;
use crate::{backend::vault, base::exit, base::output, base::prompt, keys::identity};

/// Which way the copy goes: push writes into Vault, pull reads from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Direction {
    Push,
    Pull,
}

/// Runs `push` or `pull`.
pub(super) fn run(args: &SyncArgs, dir: Direction) -> Result<u8> {
    let (project, from) = super::project_env(args.env.env.as_deref())?;
    let to = args.to.clone();
    project.env(&to)?;
    if from == to {
        return Err(Error::Usage(format!(
            "--env and --to both name `{from}`: pick two environments"
        )));
    }
    let (verb, cmd) = match dir {
        Direction::Push => ("push", "aisecrets push"),
        Direction::Pull => ("pull", "aisecrets pull"),
    };
    if project.vault_decl(&from)?.is_none() && project.vault_decl(&to)?.is_none() {
        return Err(Error::Usage(format!(
            "neither `{from}` nor `{to}` is a Vault environment: push and pull copy between an encrypted-file environment and a Vault one"
        )));
    }
    match dir {
        Direction::Push if project.vault_decl(&to)?.is_none() => {
            return Err(Error::Usage(format!(
                "push copies into a Vault environment, and `{to}` is an encrypted file; to copy from Vault into it use `aisecrets pull --env {from} --to {to}`"
            )));
        }
        Direction::Pull if project.vault_decl(&from)?.is_none() => {
            return Err(Error::Usage(format!(
                "pull copies from a Vault environment, and `{from}` is an encrypted file; to copy it into Vault use `aisecrets push --env {from} --to {to}`"
            )));
        }
        _ => {}
    }
    // One login per Vault environment for the whole command: an AppRole secret ID may be
    // good for one use only.
    let connect = |env: &str| -> Result<Option<(vault::Client, vault::VaultDecl)>> {
        match project.vault_decl(env)? {
            Some(_) => vault::connect_env(&project, env).map(Some),
            None => Ok(None),
        }
    };
    let from_vault = connect(&from)?;
    let to_vault = connect(&to)?;
    let mut keys = None;
    // A mistyped source path must not pass for an empty source (and --prune empty the target).
    let source = read_all(&project, &from, from_vault.as_ref(), &mut keys, true)?;
    let target = read_all(&project, &to, to_vault.as_ref(), &mut keys, false)?;
    let describe = |env: &str, v: Option<&(vault::Client, vault::VaultDecl)>| match v {
        Some((c, d)) => format!("{env} ({} at {})", d.location(), c.address()),
        None => env.to_owned(),
    };
    let plan = Plan::new(&source, &target);

    let mut text = format!(
        "{verb} {} -> {}: {} to add, {} to change, {} unchanged",
        describe(&from, from_vault.as_ref()),
        describe(&to, to_vault.as_ref()),
        plan.add.len(),
        plan.change.len(),
        plan.same
    );
    if !plan.only_target.is_empty() {
        let _ = write!(
            text,
            ", {} only in {to} ({})",
            plan.only_target.len(),
            if args.prune {
                "removed by --prune"
            } else {
                "kept; --prune removes them"
            }
        );
    }
    for n in &plan.add {
        let _ = write!(text, "\n  + {n}");
    }
    for n in &plan.change {
        let _ = write!(text, "\n  ~ {n}");
    }
    for n in &plan.only_target {
        let _ = write!(text, "\n  {} {n}", if args.prune { "-" } else { "=" });
    }
    output::status(&text);
    if args.dry_run {
        output::status("dry run: nothing was changed");
        return Ok(exit::OK);
    }
    if plan.is_empty(args.prune) {
        output::status(&format!("{to} already matches {from}: nothing to do"));
        return Ok(exit::OK);
    }
    if !args.yes
        && prompt::has_terminal()
        && !prompt::confirm(&format!("Apply these changes to {to}? [y/N] "))?
    {
        output::status("nothing was changed");
        return Ok(exit::OK);
    }
    let prune: Vec<String> = if args.prune {
        plan.only_target.clone()
    } else {
        Vec::new()
    };
    let total = source.len();
    let where_ = write_all(&project, &to, to_vault.as_ref(), source, &prune, &mut keys)?;
    let mut names: Vec<String> = plan.add.iter().chain(&plan.change).cloned().collect();
    names.extend(prune.iter().cloned());
    crate::project::audit::record(verb, Some((&project, &to)), &names, Some(cmd), "ok");
    output::status(&format!(
        "{to}{where_}: {} added, {} changed, {} removed; {} of {from} now in it",
        plan.add.len(),
        plan.change.len(),
        prune.len(),
        match total {
            1 => "1 secret".to_owned(),
            n => format!("{n} secrets"),
        }
    ));
    Ok(exit::OK)
}

/// What a copy changes, by name.
struct Plan {
    add: Vec<String>,
    change: Vec<String>,
    same: usize,
    only_target: Vec<String>,
}

impl Plan {
    fn new(source: &BTreeMap<String, SecretValue>, target: &BTreeMap<String, SecretValue>) -> Self {
        let mut plan = Self {
            add: Vec::new(),
            change: Vec::new(),
            same: 0,
            only_target: Vec::new(),
        };
        for (n, v) in source {
            match target.get(n) {
                None => plan.add.push(n.clone()),
                Some(t) if t.ct_eq(v) => plan.same += 1,
                Some(_) => plan.change.push(n.clone()),
            }
        }
        plan.only_target = target
            .keys()
            .filter(|n| !source.contains_key(*n))
            .cloned()
            .collect();
        plan
    }

    fn is_empty(&self, prune: bool) -> bool {
        self.add.is_empty() && self.change.is_empty() && (!prune || self.only_target.is_empty())
    }
}

/// Every value of `env`, from its file or from Vault; with `written`, a Vault path where
/// nothing was ever written is an error.
fn read_all(
    project: &Project,
    env: &str,
    vault: Option<&(vault::Client, vault::VaultDecl)>,
    keys: &mut Option<identity::Keys>,
    written: bool,
) -> Result<BTreeMap<String, SecretValue>> {
    if let Some((client, decl)) = vault {
        let snap = vault::kv::read(client, decl)?;
        if written {
            snap.require_written(decl, env)?;
        }
        snap.note_other(decl);
        return Ok(snap.values);
    }
    if keys.is_none() {
        *keys = Some(identity::load()?);
    }
    let open = file::open(project, env, keys.as_ref().expect("just loaded"))?;
    // Moved out of the opened file, not copied.
    Ok(open.values.into_iter().map(|(n, o)| (n, o.value)).collect())
}

/// Writes every value of `source` into `env` and removes `prune`, in one write. The values
/// move into a file; into Vault each attempt of the check-and-set loop copies them (into
/// wiping buffers), since a raced attempt starts again.
fn write_all(
    project: &Project,
    env: &str,
    vault: Option<&(vault::Client, vault::VaultDecl)>,
    source: BTreeMap<String, SecretValue>,
    prune: &[String],
    keys: &mut Option<identity::Keys>,
) -> Result<String> {
    if let Some((client, decl)) = vault {
        let ((), version) = vault::kv::update(client, decl, |values| {
            let mut changed = false;
            for (n, v) in &source {
                if !values.get(n).is_some_and(|o| o.ct_eq(v)) {
                    values.insert(n.clone(), v.clone());
                    changed = true;
                }
            }
            for n in prune {
                changed |= values.remove(n).is_some();
            }
            Ok(((), changed))
        })?;
        return Ok(format!(" ({}, version {version})", decl.location()));
    }
    if keys.is_none() {
        *keys = Some(identity::load()?);
    }
    file::modify(project, env, keys.as_ref().expect("just loaded"), |open| {
        let mut changed = false;
        for (n, v) in source {
            changed |= open.set(&n, v)? != Change::Unchanged;
        }
        for n in prune {
            open.remove(n)?;
            changed = true;
        }
        Ok(((), changed))
    })?;
    Ok(String::new())
}
