//! `aisecrets audit [--since DATE] [--json] [--verify]`.

use std::fmt::Write as _;

use serde_json::Value;

use crate::base::error::{Error, Result};
use crate::cli::AuditArgs;
use crate::{base::exit, base::output, project::audit};

/// Runs `audit`.
pub(super) fn run(args: &AuditArgs) -> Result<u8> {
    let (log, lines) = audit::read()?;
    if args.verify {
        return match audit::verify(&log, &lines) {
            Ok(n) => {
                output::status(&format!("{}: {n} lines, chain intact", log.display()));
                Ok(exit::OK)
            }
            Err(why) => {
                output::status(&format!("aisecrets: audit log {}: {why}", log.display()));
                Ok(exit::ERROR)
            }
        };
    }
    let since = args.since.as_deref().map(parse_since).transpose()?;
    let events: Vec<Value> = lines
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|e| {
            since
                .as_ref()
                .is_none_or(|s| e["time"].as_str().is_some_and(|t| t >= s.as_str()))
        })
        .collect();
    let mut out = String::new();
    if args.json {
        out = serde_json::to_string_pretty(&events).unwrap_or_default();
        out.push('\n');
    } else {
        for e in &events {
            let names: Vec<&str> = e["names"]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "{}  {:<10} {:<8} {}{}  {}{}",
                e["time"].as_str().unwrap_or(""),
                e["action"].as_str().unwrap_or(""),
                e["env"].as_str().unwrap_or("-"),
                names.join(","),
                e["command"]
                    .as_str()
                    .map(|c| format!("  ({c})"))
                    .unwrap_or_default(),
                e["outcome"].as_str().unwrap_or(""),
                agent_note(e),
            );
        }
    }
    output::stdout(out.as_bytes())?;
    Ok(exit::OK)
}

/// `  [agent claude-code: "the reason"]` for a line recorded under a coding agent (#16),
/// sanitised: both came from outside.
fn agent_note(e: &Value) -> String {
    let agent = e["agent"].as_str();
    let reason = e["reason"].as_str();
    if agent.is_none() && reason.is_none() {
        return String::new();
    }
    let mut note = format!("  [agent {}", output::sanitize(agent.unwrap_or("-"), 40));
    if let Some(r) = reason {
        let _ = write!(note, ": \"{}\"", output::sanitize(r, 200));
    }
    note.push(']');
    note
}

/// `2026-11-28` or an RFC 3339 time, as the log's `time` format for comparison.
fn parse_since(s: &str) -> Result<String> {
    let full = if s.len() == 10 {
        format!("{s}T00:00:00Z")
    } else {
        s.to_owned()
    };
    let t = humantime::parse_rfc3339_weak(&full).map_err(|_| {
        Error::Usage(format!(
            "--since `{}`: expected a date like 2026-11-28 or 2026-11-28T10:00:00Z",
            crate::base::output::sanitize(s, 40)
        ))
    })?;
    Ok(humantime::format_rfc3339_seconds(t).to_string())
}
