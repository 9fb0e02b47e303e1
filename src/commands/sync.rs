//! `aisecrets push --env dev --to prod` and `aisecrets pull --env prod --to dev`: copy
//! every secret between an encrypted-file environment and a Vault one (the migration
//! path), showing what will change first. Names and counts only, never values.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::backend::{self, Backend, Change, Purpose};
use crate::base::error::{Error, Result};
use crate::base::secret::SecretValue;
use crate::cli::SyncArgs;
use crate::{base::exit, base::output, base::prompt};

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
    let mut source_env = backend::of(&project, &from, super::ask)?;
    let mut target_env = backend::of(&project, &to, super::ask)?;
    if !source_env.remote() && !target_env.remote() {
        return Err(Error::Usage(format!(
            "neither `{from}` nor `{to}` is a Vault environment: push and pull copy between an encrypted-file environment and a Vault one"
        )));
    }
    match dir {
        Direction::Push if !target_env.remote() => {
            return Err(Error::Usage(format!(
                "push copies into a Vault environment, and `{to}` is an encrypted file; to copy from Vault into it use `aisecrets pull --env {from} --to {to}`"
            )));
        }
        Direction::Pull if !source_env.remote() => {
            return Err(Error::Usage(format!(
                "pull copies from a Vault environment, and `{from}` is an encrypted file; to copy it into Vault use `aisecrets push --env {from} --to {to}`"
            )));
        }
        _ => {}
    }
    // Logins first, once per environment for the whole command (an AppRole secret ID may
    // be good for one use only), then the keys.
    for b in [&mut source_env, &mut target_env] {
        if b.remote() {
            b.prepare()?;
        }
    }
    // A mistyped source path must not pass for an empty source (and --prune empty the target).
    let source = source_env.read(Purpose::HandOn)?;
    // A name a git merge left with two values is copied nowhere, as `run`, `get` and
    // `export` use it nowhere (#13): in Vault no conflict would stop it.
    source.refuse_conflicts(source.values.keys().map(String::as_str))?;
    let source = source.values;
    let target = target_env.read(Purpose::All)?.values;
    let describe = |b: &dyn Backend| -> Result<String> {
        Ok(match b.describe()?.remote {
            Some(at) => format!("{} ({at})", b.env()),
            None => b.env().to_owned(),
        })
    };
    let plan = Plan::new(&source, &target);

    let mut text = format!(
        "{verb} {} -> {}: {} to add, {} to change, {} unchanged",
        describe(source_env.as_ref())?,
        describe(target_env.as_ref())?,
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
    let where_ = write_all(target_env.as_mut(), &source, &prune)?;
    let mut names: Vec<String> = plan.add.iter().chain(&plan.change).cloned().collect();
    names.extend(prune.iter().cloned());
    crate::project::audit::record(verb, Some((&project, &to)), &names, Some(cmd), "ok");
    output::status(&format!(
        "{to}{where_}: {} added, {} changed, {} removed; {} of {from} now in it",
        plan.add.len(),
        plan.change.len(),
        prune.len(),
        match source.len() {
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

/// Writes every value of `source` into `target` and removes `prune`, in one write; says
/// where and which version, for a store that keeps versions.
fn write_all(
    target: &mut dyn Backend,
    source: &BTreeMap<String, SecretValue>,
    prune: &[String],
) -> Result<String> {
    let ((), version) = backend::update(target, |values| {
        let mut changed = false;
        for (n, v) in source {
            changed |= values.set(n, v.clone())? != Change::Unchanged;
        }
        for n in prune {
            if values.value(n).is_some() {
                values.remove(n)?;
                changed = true;
            }
        }
        Ok(((), changed))
    })?;
    Ok(match (target.describe()?.location, version) {
        (Some(at), Some(v)) => format!(" ({at}, version {v})"),
        _ => String::new(),
    })
}
