//! `aisecrets list [--json]`: names, when and by whom (or the version they come from);
//! never values.

use std::fmt::Write as _;

use crate::backend::{self, Purpose};
use crate::base::error::Result;
use crate::cli::ListArgs;
use crate::{base::exit, base::output};

/// Runs `list`.
pub(super) fn run(args: &ListArgs) -> Result<u8> {
    let (project, env) = super::project_env(args.env.env.as_deref())?;
    let mut backend = backend::of(&project, &env, super::ask)?;
    let snap = backend.read(Purpose::Names)?;
    let mut out = String::new();
    if args.json {
        let items: Vec<&serde_json::Value> = snap.rows.iter().map(|r| &r.json).collect();
        out = serde_json::to_string_pretty(&items).unwrap_or_default();
        out.push('\n');
    } else if snap.names_only {
        for row in &snap.rows {
            out.push_str(&row.name);
            out.push('\n');
        }
    } else if snap.rows.is_empty() {
        let place = backend
            .describe()?
            .remote
            .map(|at| format!(" ({at})"))
            .unwrap_or_default();
        output::status(&format!(
            "no secrets in {env}{place} yet: add one with `aisecrets set NAME --env {env}`"
        ));
    } else {
        let width = snap
            .rows
            .iter()
            .map(|r| r.name.len())
            .max()
            .unwrap_or(4)
            .max(4);
        let [first, second] = snap.columns;
        let pad = snap
            .rows
            .iter()
            .map(|r| r.cells[0].len())
            .chain([first.len()])
            .max()
            .unwrap_or(0);
        let _ = writeln!(out, "{:width$}  {first:pad$}  {second}", "NAME");
        for r in &snap.rows {
            let _ = writeln!(
                out,
                "{:width$}  {:pad$}  {}",
                r.name, r.cells[0], r.cells[1]
            );
        }
    }
    if snap.names_only {
        // A plugin identity is never run for a listing (#19): nothing to unlock either.
        let how = match crate::keys::identity::plugin_in_use() {
            Ok(Some(p)) => format!(
                "`list` does not run your identity's plugin ({})",
                p.binaries()
            ),
            _ => format!(
                "to see them, `aisecrets unlock` (or set AISECRETS_IDENTITY) as a recipient of `{env}`"
            ),
        };
        output::status(&format!(
            "names only: when and by whom each was set are sealed with the values; {how}"
        ));
    }
    output::stdout(out.as_bytes())?;
    Ok(exit::OK)
}
