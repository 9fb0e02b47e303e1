//! `aisecrets list [--json]`: names, when and by whom; never values.

use std::fmt::Write as _;

use crate::cli::ListArgs;
use crate::error::Result;
use crate::{exit, identity, output, store};

/// Runs `list`.
pub(super) fn run(args: &ListArgs) -> Result<u8> {
    let (project, env) = super::project_env(args.env.env.as_deref())?;
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
