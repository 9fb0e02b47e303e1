//! `aisecrets list [--json]`: names, when and by whom; never values.

use std::fmt::Write as _;

use crate::cli::ListArgs;
use crate::error::Result;
use crate::{exit, identity, output, store, vault};

/// Runs `list`.
pub(super) fn run(args: &ListArgs) -> Result<u8> {
    let (project, env) = super::project_env(args.env.env.as_deref())?;
    if project.vault_decl(&env)?.is_some() {
        return list_vault(&project, &env, args);
    }
    let keys = identity::load()?;
    let open = store::open(&project, &env, &keys)?;
    let mut out = String::new();
    if args.json {
        let items: Vec<serde_json::Value> = open
            .values
            .iter()
            .map(|(name, o)| {
                serde_json::json!({
                    "name": name,
                    "set_at": output::timestamp(o.meta.set_at),
                    "set_by": o.meta.set_by,
                })
            })
            .collect();
        out = serde_json::to_string_pretty(&items).unwrap_or_default();
        out.push('\n');
    } else if open.values.is_empty() {
        output::status(&format!(
            "no secrets in {env} yet: add one with `aisecrets set NAME --env {env}`"
        ));
    } else {
        let width = open
            .values
            .keys()
            .map(String::len)
            .max()
            .unwrap_or(4)
            .max(4);
        let _ = writeln!(out, "{:width$}  {:20}  SET BY", "NAME", "SET AT");
        for (name, o) in &open.values {
            let _ = writeln!(
                out,
                "{name:width$}  {:20}  {}",
                output::timestamp(o.meta.set_at),
                o.meta.set_by
            );
        }
    }
    output::stdout(out.as_bytes())?;
    Ok(exit::OK)
}

/// `list` of a Vault environment: names with the KV version and time they come from, and
/// the leased variables `run` adds.
fn list_vault(project: &crate::store::Project, env: &str, args: &ListArgs) -> Result<u8> {
    let (client, decl) = vault::connect_env(project, env)?;
    let snap = vault::kv::read(&client, &decl)?;
    snap.note_other(&decl);
    let leases = &project.env(env)?.leases;
    let updated = snap.updated.clone().unwrap_or_default();
    let mut out = String::new();
    if args.json {
        let mut items: Vec<serde_json::Value> = snap
            .values
            .keys()
            .map(|name| {
                serde_json::json!({
                    "name": name,
                    "backend": "vault",
                    "address": client.address(),
                    "mount": decl.mount,
                    "path": decl.path,
                    "version": snap.version,
                    "updated_time": updated,
                    "set_at": updated,
                })
            })
            .collect();
        for (name, l) in leases {
            items.push(serde_json::json!({
                "name": name,
                "backend": "vault-lease",
                "address": client.address(),
                "path": l.path,
            }));
        }
        out = serde_json::to_string_pretty(&items).unwrap_or_default();
        out.push('\n');
    } else if snap.values.is_empty() && leases.is_empty() {
        output::status(&format!(
            "no secrets in {env} ({} at {}) yet: add one with `aisecrets set NAME --env {env}`",
            decl.location(),
            client.address()
        ));
    } else {
        let width = snap
            .values
            .keys()
            .chain(leases.keys())
            .map(String::len)
            .max()
            .unwrap_or(4)
            .max(4);
        let _ = writeln!(out, "{:width$}  {:7}  UPDATED", "NAME", "VERSION");
        for name in snap.values.keys() {
            let _ = writeln!(out, "{name:width$}  {:<7}  {updated}", snap.version);
        }
        for (name, l) in leases {
            let _ = writeln!(
                out,
                "{name:width$}  {:<7}  leased from {} by run",
                "-", l.path
            );
        }
    }
    output::stdout(out.as_bytes())?;
    Ok(exit::OK)
}
