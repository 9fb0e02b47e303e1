//! `aisecrets mcp`: a Model Context Protocol server over stdio for coding agents (#16). It
//! lets an agent *use* secrets without *seeing* them: three tools ([`tools`]), each checked
//! against the user's `[agents]` config, each call audited with its reason and the agent.
//!
//! The protocol is JSON-RPC 2.0, one message per line on stdin and stdout (the MCP stdio
//! transport). It is spoken here with `serde_json` rather than the official Rust SDK, `rmcp`:
//! `rmcp` is async on tokio (83 crates in its dependency graph with the `server` and
//! `transport-io` features), while aisecrets is synchronous throughout and its one run path
//! ([`super::run::execute`]) forks, forwards signals and masks output on threads of its own.
//! The part of the protocol a tools-only server needs (`initialize`, `ping`, `tools/list`,
//! `tools/call`, notifications) is small and stable, and no other command pays for a runtime.
//!
//! Nothing written to stdout is anything but a protocol message: the child's output is
//! captured ([`crate::run::child::Capture`]), masked, and returned in the tool result;
//! aisecrets' own notes go to stderr. Calls are served one at a time.

mod tools;

use std::io::{BufRead, Read, Write};

use serde_json::{Value, json};

use crate::base::error::{Error, Result};
use crate::base::exit::Outcome;

/// The protocol versions this server speaks, newest first.
const VERSIONS: [&str; 3] = ["2025-06-18", "2025-03-26", "2024-11-05"];

/// The longest request line read (a `run` command line is small; this bounds memory).
const MAX_LINE: usize = 1 << 20;

/// Runs the server until stdin ends (or a signal stops a run).
pub(super) fn run() -> Result<Outcome> {
    // A session of our own, without a controlling terminal: the agent's terminal is the
    // agent's (its TUI owns it), so nothing of ours may prompt there. A locked identity or a
    // first use then fails with the error that says what to do in a terminal of the user's,
    // and the prompt program is a graphical one or is given GPG_TTY. Fails harmlessly when
    // the client made us a process group leader.
    #[cfg(unix)]
    let _ = nix::unistd::setsid();
    // Between calls nothing is held (each call drops its RAM folder, leases and values), so
    // SIGINT, SIGTERM and SIGHUP end the server as usual; during a call, `run` holds or
    // forwards them. (Once `run` has registered its handlers the default action would
    // otherwise be gone for good.)
    let idle = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    #[cfg(unix)]
    for sig in [
        signal_hook::consts::SIGINT,
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGHUP,
    ] {
        signal_hook::flag::register_conditional_default(sig, std::sync::Arc::clone(&idle))
            .map_err(|e| Error::io("install signal handlers for", "mcp", e))?;
    }
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let mut server = tools::Server::default();
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = input
            .by_ref()
            .take(MAX_LINE as u64)
            .read_until(b'\n', &mut line)
            .map_err(|e| Error::io("read", "the MCP client's messages", e))?;
        if n == 0 {
            return Ok(Outcome::Exit(crate::base::exit::OK));
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        idle.store(false, std::sync::atomic::Ordering::SeqCst);
        let reply = match serde_json::from_slice::<Value>(&line) {
            Ok(Value::Array(batch)) => {
                let replies: Vec<Value> = batch
                    .into_iter()
                    .filter_map(|m| handle(&mut server, m))
                    .collect();
                (!replies.is_empty()).then_some(Value::Array(replies))
            }
            Ok(message) => handle(&mut server, message),
            Err(_) => Some(error_reply(&Value::Null, -32700, "parse error")),
        };
        // Idle before the reply goes: a client that stops us on reading it must find the
        // default actions back.
        idle.store(true, std::sync::atomic::Ordering::SeqCst);
        if let Some(r) = reply {
            send(&r)?;
        }
        if let Some(outcome) = server.stopped.take() {
            return Ok(outcome);
        }
    }
}

/// Writes one message and a newline to stdout.
fn send(message: &Value) -> Result<()> {
    let mut text = serde_json::to_vec(message).unwrap_or_default();
    text.push(b'\n');
    let mut out = std::io::stdout().lock();
    out.write_all(&text)
        .and_then(|()| out.flush())
        .map_err(|e| Error::io("write", "the MCP reply", e))
}

/// Answers one request; `None` for a notification or a reply from the client.
fn handle(server: &mut tools::Server, message: Value) -> Option<Value> {
    let id = message.get("id").cloned();
    let Some(method) = message.get("method").and_then(Value::as_str) else {
        // A response to something we never sent, or junk with an id.
        return id.map(|id| error_reply(&id, -32600, "invalid request"));
    };
    let Some(id) = id else {
        return None; // notifications/initialized, notifications/cancelled...
    };
    let params = message.get("params").cloned().unwrap_or(Value::Null);
    let result = match method {
        "initialize" => Ok(server.initialize(&params)),
        "ping" => Ok(json!({})),
        "tools/list" => Ok(json!({ "tools": tools::list() })),
        "tools/call" => server.call(&params),
        _ => Err((-32601, format!("no method `{}`", sanitize(method)))),
    };
    Some(match result {
        Ok(r) => json!({ "jsonrpc": "2.0", "id": id, "result": r }),
        Err((code, msg)) => error_reply(&id, code, &msg),
    })
}

fn error_reply(id: &Value, code: i64, message: &str) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "error": { "code": code, "message": message } })
}

fn sanitize(text: &str) -> String {
    crate::base::output::sanitize(text, 80)
}

/// The protocol version to answer `initialize` with: the client's when spoken here.
fn version(params: &Value) -> &'static str {
    let asked = params.get("protocolVersion").and_then(Value::as_str);
    VERSIONS
        .iter()
        .find(|v| Some(**v) == asked)
        .copied()
        .unwrap_or(VERSIONS[0])
}
