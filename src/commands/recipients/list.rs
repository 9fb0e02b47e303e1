//! `recipients list [--json]`: who can open each environment, with key fingerprints,
//! whether you approved them, and pending access requests.

use std::fmt::Write as _;

use serde_json::json;

use crate::base::error::Result;
use crate::cli::RecipientsListArgs;
use crate::project::Project;
use crate::{base::exit, base::output, project::trust};

/// Runs `recipients list`.
pub(super) fn run(args: &RecipientsListArgs) -> Result<u8> {
    let project = Project::require(&super::super::cwd()?)?;
    let envs = super::target_envs(&project, args.env.env.as_deref())?;
    let mut doc = serde_json::Map::new();
    let mut text = String::new();
    for env in &envs {
        let approved = trust::approved(&project, env)?;
        let mut rows = Vec::new();
        let _ = writeln!(text, "{env}:");
        for (name, key) in &project.env(env)?.recipients {
            let ok = approved.get(name).is_some_and(|k| k.trim() == key.trim());
            let _ = writeln!(
                text,
                "  {name}  {}  {}{}",
                trust::short_key(key),
                trust::fingerprint(key),
                if ok {
                    ""
                } else {
                    "  (not approved by you: `aisecrets recipients ack`)"
                }
            );
            rows.push(json!({ "name": name, "key": key, "fingerprint": trust::fingerprint(key), "approved": ok }));
        }
        doc.insert(env.clone(), serde_json::Value::Array(rows));
    }
    let pending: Vec<serde_json::Value> = project
        .manifest
        .pending
        .iter()
        .map(|(n, k)| json!({ "name": n, "key": k, "fingerprint": trust::fingerprint(k) }))
        .collect();
    if !project.manifest.pending.is_empty() {
        text.push_str("pending requests (`aisecrets recipients approve NAME`):\n");
        for (n, k) in &project.manifest.pending {
            let _ = writeln!(
                text,
                "  {n}  {}  {}",
                trust::short_key(k),
                trust::fingerprint(k)
            );
        }
    }
    let out = if args.json {
        let mut s =
            serde_json::to_string_pretty(&json!({ "environments": doc, "pending": pending }))
                .unwrap_or_default();
        s.push('\n');
        s
    } else {
        text
    };
    output::stdout(out.as_bytes())?;
    Ok(exit::OK)
}
