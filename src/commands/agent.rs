//! `aisecrets agent setup [claude|codex|cursor|copilot|gemini]`: registers `aisecrets mcp`
//! with coding agents in this project (their project-level MCP config, merged with what is
//! there) and tells them, in the file each reads (`CLAUDE.md`, `AGENTS.md`, `GEMINI.md`), to
//! use it instead of reading secrets: a note appended once, never overwriting (#16). Running
//! it again changes nothing. Prints what it wrote.

use std::path::Path;

use serde_json::{Value, json};

use crate::base::error::{Error, Result};
use crate::cli::{AgentCommand, AgentKind, AgentSetupArgs};
use crate::{base::exit, base::files, base::output};

/// The line that marks our note in an instructions file, so it goes in once.
const NOTE_MARK: &str = "<!-- aisecrets: agent note -->";

/// The note agents read.
const NOTE: &str = "<!-- aisecrets: agent note -->
## Secrets (aisecrets)

This project's secrets are managed by aisecrets. Use them through the `aisecrets` MCP
server, never by reading them:

- `run` (MCP tool) runs a command with secrets injected; its output comes back masked.
- `list_secrets` shows names; `request_secret` asks the human to type a missing value.
- Do not read `.env` files or `secrets/`, print the environment (`env`, `printenv`), run
  `aisecrets get`/`export`, or put a secret value into a file, a command line or a commit.
- Outside MCP: `aisecrets run --mask --reason \"why\" -- CMD`.
";

/// Runs `agent ...`.
pub(super) fn run(command: AgentCommand) -> Result<u8> {
    match command {
        AgentCommand::Setup(a) => setup(&a),
    }
}

fn setup(args: &AgentSetupArgs) -> Result<u8> {
    let project = crate::project::Project::require(&super::cwd()?)?;
    let root = &project.root;
    let agents = if args.agents.is_empty() {
        vec![
            AgentKind::Claude,
            AgentKind::Codex,
            AgentKind::Cursor,
            AgentKind::Copilot,
            AgentKind::Gemini,
        ]
    } else {
        args.agents.clone()
    };
    let mut wrote = Vec::new();
    let mut notes = Vec::new();
    for agent in agents {
        let (config, note) = match agent {
            AgentKind::Claude => (
                json_server(root, ".mcp.json", "mcpServers", false)?,
                "CLAUDE.md",
            ),
            AgentKind::Codex => (codex(root)?, "AGENTS.md"),
            AgentKind::Cursor => (
                json_server(root, ".cursor/mcp.json", "mcpServers", false)?,
                "AGENTS.md",
            ),
            AgentKind::Copilot => (
                json_server(root, ".vscode/mcp.json", "servers", true)?,
                "AGENTS.md",
            ),
            AgentKind::Gemini => (
                json_server(root, ".gemini/settings.json", "mcpServers", false)?,
                "GEMINI.md",
            ),
        };
        wrote.push(config);
        if !notes.contains(&note) {
            notes.push(note);
        }
    }
    for note in notes {
        wrote.push(append_note(root, note)?);
    }
    for line in wrote {
        output::status(&line);
    }
    Ok(exit::OK)
}

/// Adds `aisecrets` to the JSON object `key` of `rel` (created if missing), keeping the rest.
fn json_server(root: &Path, rel: &str, key: &str, typed: bool) -> Result<String> {
    let path = root.join(rel);
    let mut doc: Value = match read(&path)? {
        Some(text) => serde_json::from_str(&text).map_err(|_| {
            Error::Failed(format!(
                "{} is not valid JSON: fix it, then run `aisecrets agent setup` again",
                path.display()
            ))
        })?,
        None => json!({}),
    };
    let mut server = json!({ "command": "aisecrets", "args": ["mcp"] });
    if typed {
        server["type"] = json!("stdio");
    }
    let Some(obj) = doc.as_object_mut() else {
        return Err(Error::Failed(format!(
            "{} is not a JSON object: fix it, then run `aisecrets agent setup` again",
            path.display()
        )));
    };
    let servers = obj.entry(key).or_insert_with(|| json!({}));
    let Some(servers) = servers.as_object_mut() else {
        return Err(Error::Failed(format!(
            "`{key}` in {} is not a JSON object: fix it, then run `aisecrets agent setup` again",
            path.display()
        )));
    };
    if servers.get("aisecrets") == Some(&server) {
        return Ok(format!("{rel}: aisecrets already registered"));
    }
    servers.insert("aisecrets".into(), server);
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    write(&path, &text)?;
    Ok(format!("{rel}: registered `aisecrets mcp`"))
}

/// `[mcp_servers.aisecrets]` in `.codex/config.toml`, keeping the rest of the file.
fn codex(root: &Path) -> Result<String> {
    let rel = ".codex/config.toml";
    let path = root.join(rel);
    let text = read(&path)?.unwrap_or_default();
    let mut doc: toml_edit::DocumentMut = text.parse().map_err(|_| {
        Error::Failed(format!(
            "{} is not valid TOML: fix it, then run `aisecrets agent setup` again",
            path.display()
        ))
    })?;
    let servers = doc
        .entry("mcp_servers")
        .or_insert_with(|| {
            let mut t = toml_edit::Table::new();
            t.set_implicit(true);
            toml_edit::Item::Table(t)
        })
        .as_table_mut()
        .ok_or_else(|| {
            Error::Failed(format!(
                "`mcp_servers` in {} is not a table",
                path.display()
            ))
        })?;
    let present = servers.get("aisecrets").and_then(|s| {
        Some((
            s.get("command")?.as_str()? == "aisecrets",
            s.get("args")?
                .as_array()?
                .iter()
                .filter_map(|a| a.as_str())
                .eq(["mcp"]),
        ))
    });
    if present == Some((true, true)) {
        return Ok(format!("{rel}: aisecrets already registered"));
    }
    let mut t = toml_edit::Table::new();
    t["command"] = toml_edit::value("aisecrets");
    let mut args = toml_edit::Array::new();
    args.push("mcp");
    t["args"] = toml_edit::value(args);
    servers.insert("aisecrets", toml_edit::Item::Table(t));
    write(&path, &doc.to_string())?;
    Ok(format!("{rel}: registered `aisecrets mcp`"))
}

/// Appends [`NOTE`] to `rel` unless it is there already; never rewrites what is there.
fn append_note(root: &Path, rel: &str) -> Result<String> {
    let path = root.join(rel);
    let text = read(&path)?;
    if text.as_deref().is_some_and(|t| t.contains(NOTE_MARK)) {
        return Ok(format!("{rel}: note already there"));
    }
    files::refuse_symlink(&path)?;
    let mut add = String::new();
    if let Some(t) = &text
        && !t.is_empty()
    {
        if !t.ends_with('\n') {
            add.push('\n');
        }
        add.push('\n');
    }
    add.push_str(NOTE);
    use std::io::Write as _;
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(&path)
        .map_err(|e| Error::io("open", &path, e))?;
    f.write_all(add.as_bytes())
        .map_err(|e| Error::io("write", &path, e))?;
    Ok(format!(
        "{rel}: {} the note telling agents to use aisecrets",
        if text.is_some() { "appended" } else { "wrote" }
    ))
}

/// A project file's text, `None` when missing; never through a symlink.
fn read(path: &Path) -> Result<Option<String>> {
    match files::read_project_file(path, 1 << 20) {
        Ok(b) => Ok(Some(String::from_utf8_lossy(&b).into_owned())),
        Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

fn write(path: &Path, text: &str) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io("create", dir, e))?;
    }
    files::write_atomic(path, text.as_bytes(), 0o644)
}
