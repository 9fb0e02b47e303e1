//! The tools of `aisecrets mcp` (#16) and which secrets an agent may use.
//!
//! - `list_secrets {env?}`: names, environments, scopes, when set and by whom, and whether
//!   the agent may use each; never a value, never a fingerprint of one.
//! - `run {command, secrets?, scope?, env?, reason}`: the command (argv; no shell unless the
//!   argv names one) with the secrets injected, exactly as `aisecrets run --mask` would run
//!   it ([`super::super::run::execute`]); returns the exit status and the masked output, cut
//!   at [`OUTPUT_LIMIT`] with a note.
//! - `request_secret {name, reason, env?}`: the human types the value into the prompt program
//!   ([`crate::base::pinentry`]), outside the agent's channel; it is stored as `set` stores
//!   it; the agent learns only whether it was set.
//!
//! Which names an agent may use: those in `[agents] allow` and the scopes of `[agents]
//! allow_scopes` of the user's config, narrowed by the manifest's `[agents]` when it has
//! one. With `[agents] confirm = true`, any other name (within the manifest's narrowing) is
//! put to the human through the prompt program (`CONFIRM`) at each use. Everything else is
//! refused, by every tool.

use std::ffi::OsString;

use serde_json::{Value, json};

use crate::backend::{self, Change, Purpose};
use crate::base::error::{Error, Result};
use crate::base::exit::Outcome;
use crate::base::pinentry::{self, Answer};
use crate::base::secret::{self, SecretValue};
use crate::base::{agent, output};
use crate::cli::{EnvArg, RunArgs};
use crate::project::agents::{Access, Policy};
use crate::project::{Project, audit};
use crate::run::child::Capture;

/// The most output `run` returns (bytes, after masking).
pub(super) const OUTPUT_LIMIT: usize = 64 * 1024;

/// The server's state across calls.
#[derive(Default)]
pub(super) struct Server {
    /// The client's name from `initialize`, for the audit log when no marker is set.
    client: Option<String>,
    /// A signal that stopped a run: the server ends with it.
    pub(super) stopped: Option<Outcome>,
}

/// The tools, as `tools/list` describes them.
pub(super) fn list() -> Value {
    let env =
        json!({ "type": "string", "description": "Environment (default: the project's default)" });
    json!([
        {
            "name": "list_secrets",
            "description": "List the project's secret names (never values): environments, scopes, when each was set and by whom, and whether you may use it. Use a secret through the `run` tool; never read .env files or print the environment.",
            "inputSchema": { "type": "object", "properties": { "env": env }, "additionalProperties": false },
            "annotations": { "readOnlyHint": true }
        },
        {
            "name": "run",
            "description": "Run a command (argv list, no shell unless you name one) with secrets injected as environment variables, like `aisecrets run --mask`. Returns the exit status and the output with every secret value replaced by [REDACTED:NAME]. You never see the values; do not try to print them.",
            "inputSchema": {
                "type": "object",
                "properties": {
                    "command": { "type": "array", "items": { "type": "string" }, "minItems": 1, "description": "The program and its arguments" },
                    "secrets": { "type": "array", "items": { "type": "string" }, "description": "Secret names to inject (default: every one you may use)" },
                    "scope": { "type": "string", "description": "Inject the secrets of this [scopes.NAME] of aisecrets.toml instead" },
                    "env": env,
                    "reason": { "type": "string", "description": "Why the command needs the secrets (recorded in the audit log)" }
                },
                "required": ["command", "reason"],
                "additionalProperties": false
            }
        },
        {
            "name": "request_secret",
            "description": "Ask the human to provide the value of a secret NAME: they type it into a prompt on their screen, outside this conversation, and it is stored encrypted. You learn only whether it was set. Never ask the human to paste a value into the chat.",
            "inputSchema": {
                "type": "object",
                "properties": {
                    "name": { "type": "string", "description": "The secret's name, like OPENAI_API_KEY" },
                    "reason": { "type": "string", "description": "Why it is needed (shown to the human, recorded in the audit log)" },
                    "env": env
                },
                "required": ["name", "reason"],
                "additionalProperties": false
            }
        }
    ])
}

impl Server {
    /// Answers `initialize`.
    pub(super) fn initialize(&mut self, params: &Value) -> Value {
        self.client = params
            .pointer("/clientInfo/name")
            .and_then(Value::as_str)
            .map(|n| {
                n.chars()
                    .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
                    .take(40)
                    .collect()
            });
        json!({
            "protocolVersion": super::version(params),
            "capabilities": { "tools": { "listChanged": false } },
            "serverInfo": { "name": "aisecrets", "version": env!("CARGO_PKG_VERSION") },
            "instructions": "Secrets of this project are used through these tools, never read: do not open .env or secrets/ files, print the environment, or run `aisecrets get`. Use `run` to run a command with secrets injected (its output is masked), `list_secrets` to see names, and `request_secret` to have the human type a missing value."
        })
    }

    /// The agent for the audit log: a marker in the environment, else the MCP client's name.
    fn agent(&self) -> String {
        agent::detect()
            .unwrap_or_else(|| format!("mcp:{}", self.client.as_deref().unwrap_or("client")))
    }

    /// Answers `tools/call`: a tool's failure is a result with `isError`, not a protocol error.
    pub(super) fn call(&mut self, params: &Value) -> std::result::Result<Value, (i64, String)> {
        let name = params.get("name").and_then(Value::as_str).unwrap_or("");
        let args = params.get("arguments").cloned().unwrap_or(json!({}));
        let done = match name {
            "list_secrets" => self.list_secrets(&args),
            "run" => self.run(&args),
            "request_secret" => self.request_secret(&args),
            _ => return Err((-32602, format!("no tool `{}`", super::sanitize(name)))),
        };
        audit::set_context(None, None);
        Ok(match done {
            Ok((text, structured)) => json!({
                "content": [{ "type": "text", "text": text }],
                "structuredContent": structured,
                "isError": false
            }),
            Err(e) => json!({
                "content": [{ "type": "text", "text": format!("aisecrets: {}", e.one_line()) }],
                "isError": true
            }),
        })
    }

    fn list_secrets(&mut self, args: &Value) -> Result<(String, Value)> {
        let (project, env) = project_env(args)?;
        let policy = Policy::of(&project)?;
        let mut backend = backend::of(&project, &env, never_ask)?;
        let snap = backend.read(Purpose::Names)?;
        let mut items = Vec::new();
        let mut text = format!("secrets of environment `{env}` (values are never shown):\n");
        for row in &snap.rows {
            let access = policy.access(&row.name).as_str();
            let scopes: Vec<&str> = project
                .manifest
                .scopes
                .iter()
                .filter(|(_, s)| s.secrets.contains(&row.name))
                .map(|(n, _)| n.as_str())
                .collect();
            // The hosts `run --proxy`/`--agent` would put the real value on the wire for (#15):
            // the manifest's rule, else the provider's built-in one by the name (no value read).
            let proxy_hosts: Vec<String> = match project.manifest.proxy.get(&row.name) {
                Some(d) => d.hosts.clone(),
                None => crate::run::proxy::Rule::built_in(&row.name, "")
                    .map(|r| r.hosts)
                    .unwrap_or_default(),
            };
            let set_at = row.json.get("set_at").cloned().unwrap_or(Value::Null);
            let set_by = row.json.get("set_by").cloned().unwrap_or(Value::Null);
            text.push_str(&format!(
                "- {}  set {} by {}  scopes: {}  agent: {access}  proxy: {}\n",
                row.name,
                set_at.as_str().unwrap_or("?"),
                set_by.as_str().unwrap_or("?"),
                if scopes.is_empty() {
                    "-".to_owned()
                } else {
                    scopes.join(",")
                },
                if proxy_hosts.is_empty() {
                    "-".to_owned()
                } else {
                    proxy_hosts.join(",")
                },
            ));
            items.push(json!({
                "name": row.name, "set_at": set_at, "set_by": set_by,
                "scopes": scopes, "agent_access": access,
                "proxy_rule": !proxy_hosts.is_empty(), "proxy_hosts": proxy_hosts,
            }));
        }
        drop(snap);
        let envs = project.env_names();
        text.push_str(&format!("environments: {}\n", envs.join(", ")));
        audit::set_context(None, Some(&self.agent()));
        audit::record("mcp-list", Some((&project, &env)), &[], None, "ok");
        Ok((
            text,
            json!({ "env": env, "environments": envs, "secrets": items }),
        ))
    }

    fn run(&mut self, args: &Value) -> Result<(String, Value)> {
        let reason = reason(args)?;
        let command: Vec<OsString> = args
            .get("command")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(OsString::from)
                    .collect()
            })
            .unwrap_or_default();
        if command.is_empty() {
            return Err(Error::Usage(
                "run needs `command`: the program and its arguments, as a list".into(),
            ));
        }
        let (project, env) = project_env(args)?;
        let policy = Policy::of(&project)?;
        let secrets = strings(args.get("secrets"));
        let scope = args.get("scope").and_then(Value::as_str);
        let names: Vec<String> = match (&secrets, scope) {
            (Some(_), Some(_)) => {
                return Err(Error::Usage("give `secrets` or `scope`, not both".into()));
            }
            (Some(s), None) => s.clone(),
            (None, Some(sc)) => {
                let decl = project.manifest.scopes.get(sc).ok_or_else(|| {
                    Error::Failed(format!(
                        "no scope `{}` in aisecrets.toml (known: {})",
                        output::sanitize(sc, 64),
                        project
                            .manifest
                            .scopes
                            .keys()
                            .cloned()
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                })?;
                decl.secrets.clone()
            }
            (None, None) => policy.allowed.iter().cloned().collect(),
        };
        if names.is_empty() {
            return Err(Error::Failed(
                "no secret is allowed for coding agents: the user lists them in config.toml, [agents] allow = [NAMES] or allow_scopes = [SCOPES]".into(),
            ));
        }
        for n in &names {
            secret::check_name(n)?;
        }
        let agent = self.agent();
        policy.check(&names, &agent, &env, &reason, &command)?;
        audit::set_context(Some(&reason), Some(&agent));
        let run_args = RunArgs {
            env: EnvArg {
                env: Some(env.clone()),
            },
            only: Some(names.clone()),
            scope: None,
            mask: true,
            allow_argv: false,
            jail: false,
            agent: false,
            reason: Some(reason),
            vault_token: false,
            proxy: None,
            egress: None,
            command,
        };
        let capture = Capture::new(OUTPUT_LIMIT);
        let outcome = super::super::run::execute(&run_args, Some(&capture), None, None)?;
        let code = match outcome {
            Outcome::Exit(c) => i64::from(c),
            Outcome::Signal(sig) => {
                self.stopped = Some(outcome);
                128 + i64::from(sig)
            }
        };
        let (bytes, cut) = capture.take();
        let out = String::from_utf8_lossy(&bytes).into_owned();
        let mut text = format!("exit status: {code}\n");
        if !out.is_empty() {
            text.push_str("output (secret values replaced by [REDACTED:NAME]):\n");
            text.push_str(&out);
            if !out.ends_with('\n') {
                text.push('\n');
            }
        }
        if cut {
            text.push_str(&format!(
                "[output cut at {} KiB: write it to a file and read the part you need]\n",
                OUTPUT_LIMIT / 1024
            ));
        }
        Ok((
            text,
            json!({ "exit_status": code, "output": out, "truncated": cut, "secrets": names }),
        ))
    }

    fn request_secret(&mut self, args: &Value) -> Result<(String, Value)> {
        let reason = reason(args)?;
        let name = args.get("name").and_then(Value::as_str).unwrap_or("");
        secret::check_name(name)?;
        let (project, env) = project_env(args)?;
        let policy = Policy::of(&project)?;
        if policy.access(name) == Access::Refused {
            return Err(policy.refusal(name));
        }
        let agent = self.agent();
        let mut backend = backend::of(&project, &env, never_ask)?;
        // Unlock before asking, as `set` does: a locked key is found before anyone types.
        backend.prepare()?;
        let desc = format!(
            "The coding agent ({agent}) asks you to set {name} in environment {env} of {}.\n\nReason given: {}\n\nType the value (it is stored encrypted; the agent never sees it), or cancel.",
            project.root.display(),
            output::sanitize(&reason, 300),
        );
        let program = policy.pinentry.clone();
        let typed = match pinentry::get_pin(&program, &desc, &format!("{name}:"))? {
            Answer::Cancelled => None,
            Answer::Given(bytes) if bytes.is_empty() => None,
            Answer::Given(bytes) => Some(bytes),
        };
        audit::set_context(Some(&reason), Some(&agent));
        let Some(bytes) = typed else {
            audit::record(
                "mcp-request",
                Some((&project, &env)),
                &[name.to_owned()],
                None,
                "cancelled",
            );
            return Ok((
                format!("{name} was not set: the human cancelled (nothing changed)"),
                json!({ "name": name, "env": env, "set": false }),
            ));
        };
        let value = SecretValue::from_bytes(name, bytes)?;
        let (change, _) = backend::update(backend.as_mut(), |values| {
            let c = values.set(name, value.clone())?;
            Ok((c, c != Change::Unchanged))
        })?;
        let what = match change {
            Change::Added => "added",
            Change::Changed => "changed",
            Change::Unchanged => "unchanged (same value)",
        };
        audit::record(
            "set",
            Some((&project, &env)),
            &[name.to_owned()],
            None,
            what,
        );
        Ok((
            format!("{name} was set in {env} ({what}); use it through the `run` tool"),
            json!({ "name": name, "env": env, "set": true }),
        ))
    }
}

/// A first use of an environment is never decided through the agent: pin it in a terminal
/// (`aisecrets trust`) first.
fn never_ask(first: crate::project::trust::FirstUse) -> Result<()> {
    Err(first.no_terminal)
}

fn project_env(args: &Value) -> Result<(Project, String)> {
    let env = args.get("env").and_then(Value::as_str);
    super::super::project_env(env)
}

fn reason(args: &Value) -> Result<String> {
    match args.get("reason").and_then(Value::as_str).map(str::trim) {
        Some(r) if !r.is_empty() => Ok(r.to_owned()),
        _ => Err(Error::Usage(
            "`reason` is required: say why the secrets are needed (it goes to the audit log)"
                .into(),
        )),
    }
}

fn strings(v: Option<&Value>) -> Option<Vec<String>> {
    v.and_then(Value::as_array).map(|a| {
        a.iter()
            .filter_map(Value::as_str)
            .map(|s| s.trim().to_owned())
            .collect()
    })
}
