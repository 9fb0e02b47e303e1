//! `aisecrets list [--json]`: names, when and by whom; never values.

use std::fmt::Write as _;

use crate::base::error::{Error, Result};
use crate::cli::ListArgs;
use crate::{backend::file, backend::vault, base::exit, base::output, keys::identity};

/// Runs `list`.
pub(super) fn run(args: &ListArgs) -> Result<u8> {
    let (project, env) = super::project_env(args.env.env.as_deref())?;
    if project.vault_decl(&env)?.is_some() {
        return list_vault(&project, &env, args);
    }
    // Names are in the clear; when and by whom are sealed with each value. Without an
    // identity that opens now (none, locked, or not a recipient), list the names (#13).
    let open = match identity::load_if_open()? {
        Some(keys) => match file::open(&project, &env, &keys) {
            Ok(open) => Some(open),
            Err(Error::NotARecipient { .. }) => None,
            Err(e) => return Err(e),
        },
        None => None,
    };
    let Some(open) = open else {
        return list_names(&project, &env, args);
    };
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

/// `list` from the file alone: the names, and a note that when and by whom are sealed.
fn list_names(project: &crate::project::Project, env: &str, args: &ListArgs) -> Result<u8> {
    let path = project.env_path(env)?;
    let file = file::read_env_file(&path)?;
    if file.project != project.id() || file.env != env {
        return Err(Error::corrupt(
            &path,
            "it belongs to another project or environment",
        ));
    }
    let mut out = String::new();
    if args.json {
        let items: Vec<serde_json::Value> = file
            .secrets
            .keys()
            .map(|name| serde_json::json!({ "name": name, "set_at": null, "set_by": null }))
            .collect();
        out = serde_json::to_string_pretty(&items).unwrap_or_default();
        out.push('\n');
    } else {
        for name in file.secrets.keys() {
            out.push_str(name);
            out.push('\n');
        }
    }
    output::status(&format!(
        "names only: when and by whom each was set are sealed with the values; to see them, \
         `aisecrets unlock` (or set AISECRETS_IDENTITY) as a recipient of `{env}`"
    ));
    output::stdout(out.as_bytes())?;
    Ok(exit::OK)
}

/// `list` of a Vault environment: names with the KV version and time they come from, and
/// the leased variables `run` adds.
fn list_vault(project: &crate::project::Project, env: &str, args: &ListArgs) -> Result<u8> {
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
