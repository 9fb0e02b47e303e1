//! #16: coding agents. `aisecrets mcp` driven by the official MCP Python SDK (PyPI `mcp`,
//! installed by scripts/install-test-deps) over stdio; agent detection on the CLI; the
//! reason and agent in the audit log; `agent setup`.

use std::path::Path;

use serde_json::{Value, json};
use sha2::Digest;

use crate::util::{self, HF, OPENAI, World};

/// A value typed into the scripted prompt program by "the human".
const TYPED: &str = "sk-FAKE-typed0by0the0human0000000042";

/// The user's config.toml.
fn config(w: &World, text: &str) {
    std::fs::write(w.home.join("config.toml"), text).unwrap();
}

/// A prompt program speaking Assuan: answers GETPIN with `pin` (percent-escaped as pinentry
/// does), or cancels when `pin` is `None`; CONFIRM says yes unless `pin` is `None`. It
/// notes each command it got (never the value) in `log`.
fn prompt_program(w: &World, pin: Option<&str>) -> String {
    let path = w.path("fake-pinentry");
    let log = w.path("pinentry.log");
    let answer = match pin {
        Some(p) => format!(
            "printf 'D %s\\nOK\\n' '{}'",
            p.replace('%', "%25").replace('\'', "")
        ),
        None => "echo 'ERR 83886179 Operation cancelled <Pinentry>'".to_owned(),
    };
    let confirm = if pin.is_some() {
        "echo OK"
    } else {
        "echo 'ERR 83886194 Not confirmed <Pinentry>'"
    };
    let script = format!(
        "#!/bin/sh\necho 'OK Pleased to meet you'\nwhile IFS= read -r line; do\n  echo \"${{line%% *}}\" >> '{}'\n  case \"$line\" in\n    GETPIN*) {answer} ;;\n    CONFIRM*) {confirm} ;;\n    BYE*) echo OK; exit 0 ;;\n    *) echo OK ;;\n  esac\ndone\n",
        log.display()
    );
    std::fs::write(&path, script).unwrap();
    let mut p = std::fs::metadata(&path).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut p, 0o755);
    std::fs::set_permissions(&path, p).unwrap();
    path.display().to_string()
}

/// Runs the Python client on `calls`; returns its result object, after checking that no
/// message carried any of `secrets` in any form.
fn client(w: &World, calls: Value, extra_env: &[(&str, &str)], secrets: &[&str]) -> Value {
    let result = client_unchecked(w, calls, extra_env, secrets);
    assert_eq!(result["leaks"], json!([]), "a secret reached the client");
    result
}

/// [`client`] without the leak assertion (for the control that the tap sees everything).
fn client_unchecked(
    w: &World,
    calls: Value,
    extra_env: &[(&str, &str)],
    secrets: &[&str],
) -> Value {
    let base = w.command(["mcp"]);
    let mut env: serde_json::Map<String, Value> = base
        .get_envs()
        .filter_map(|(k, v)| Some((k.to_str()?.to_owned(), json!(v?.to_str()?))))
        .collect();
    for var in ["PATH", "LANG", "TMPDIR"] {
        if let Ok(v) = std::env::var(var) {
            env.entry(var).or_insert(json!(v));
        }
    }
    for (k, v) in extra_env {
        env.insert((*k).to_owned(), json!(v));
    }
    let plan = json!({
        "server": [util::bin(), "mcp"],
        "cwd": w.project,
        "env": env,
        "calls": calls,
        "secrets": secrets,
    });
    let plan_path = w.path("plan.json");
    let result_path = w.path("result.json");
    std::fs::write(&plan_path, plan.to_string()).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/integration/mcp_client.py");
    let out = std::process::Command::new("python3")
        .arg(script)
        .arg(&plan_path)
        .arg(&result_path)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "the MCP client failed (is PyPI `mcp` installed? scripts/install-test-deps): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let result: Value = serde_json::from_slice(&std::fs::read(&result_path).unwrap()).unwrap();
    assert!(result["messages"].as_u64().unwrap() >= 2);
    result
}

fn audit_lines(w: &World) -> Vec<Value> {
    let text = std::fs::read_to_string(w.home.join("audit.jsonl")).unwrap_or_default();
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn sha256_hex(s: &str) -> String {
    sha2::Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// #16: tools/list, each tool called; the child of `run` gets the secret (its hash checked
/// inside the child), prints it plain, base64, hex and URL-encoded, and the client sees only
/// `[REDACTED:...]`; the audit line has the reason and the agent; no message carries a value.
#[test]
fn mcp_tools_list_and_run_injects_masks_and_audits() {
    let w = World::with_secrets();
    config(
        &w,
        &format!(
            "[agents]\nallow = [\"OPENAI_API_KEY\"]\npinentry = \"{}\"\n",
            prompt_program(&w, Some(TYPED))
        ),
    );
    let child = format!(
        "import base64,hashlib,os,urllib.parse\n\
         v=os.environ['OPENAI_API_KEY']\n\
         print('hash-ok' if hashlib.sha256(v.encode()).hexdigest()=='{}' else 'hash-bad')\n\
         print('plain', v)\nprint('b64', base64.b64encode(v.encode()).decode())\n\
         print('hex', v.encode().hex())\nprint('url', urllib.parse.quote(v, safe=''))\n\
         print('hf' if 'HF_TOKEN' in os.environ else 'no-hf')\n",
        sha256_hex(OPENAI)
    );
    let r = client(
        &w,
        json!([
            ["list_secrets", {}],
            ["run", {"command": ["python3", "-c", child], "secrets": ["OPENAI_API_KEY"], "reason": "train the model"}],
            ["request_secret", {"name": "OPENAI_API_KEY", "reason": "rotate it"}],
        ]),
        &[("CLAUDECODE", "1")],
        &[OPENAI, HF, TYPED],
    );
    assert_eq!(r["tools"], json!(["list_secrets", "run", "request_secret"]));
    let list = &r["results"][0];
    assert_eq!(list["is_error"], json!(false), "{list}");
    let text = list["text"].as_str().unwrap();
    assert!(
        text.contains("OPENAI_API_KEY") && text.contains("HF_TOKEN"),
        "{text}"
    );
    assert!(text.contains("agent: allowed") && text.contains("agent: refused"));
    let run = &r["results"][1];
    assert_eq!(run["is_error"], json!(false), "{run}");
    let out = run["text"].as_str().unwrap();
    assert!(out.contains("exit status: 0"), "{out}");
    assert!(
        out.contains("hash-ok"),
        "the child did not get the secret: {out}"
    );
    assert!(
        out.contains("no-hf"),
        "only the asked-for secret is injected: {out}"
    );
    for form in ["plain", "b64", "hex", "url"] {
        assert!(
            out.contains(&format!("{form} [REDACTED:OPENAI_API_KEY]")),
            "{form} not masked: {out}"
        );
    }
    assert_eq!(run["structured"]["exit_status"], json!(0));
    assert_eq!(r["results"][2]["is_error"], json!(false));
    let lines = audit_lines(&w);
    let run_line = lines
        .iter()
        .find(|l| l["action"] == "run")
        .expect("a run line");
    assert_eq!(run_line["reason"], json!("train the model"));
    assert_eq!(run_line["agent"], json!("claude-code"));
    assert_eq!(run_line["names"], json!(["OPENAI_API_KEY"]));
    // Control: the tap sees what the server sends (a name is in list_secrets' reply, and
    // hex of it too once it is printed so).
    let seen = client_unchecked(&w, json!([["list_secrets", {}]]), &[], &["HF_TOKEN"]);
    assert_ne!(seen["leaks"], json!([]), "the leak check sees nothing");
    // `aisecrets audit` shows them.
    w.cmd(["audit"])
        .ok()
        .stdout_str()
        .contains("[agent claude-code: \"train the model\"]")
        .then_some(())
        .expect("audit shows the agent and the reason");
}

/// #16: request_secret with a scripted prompt program: the typed value reaches the encrypted
/// file (and opens), no MCP message carries it; a cancel changes nothing.
#[test]
fn mcp_request_secret_stores_the_typed_value_and_cancel_changes_nothing() {
    let mut w = World::with_secrets();
    w.canary(TYPED);
    config(
        &w,
        &format!(
            "[agents]\nallow = [\"NEW_KEY\", \"OTHER_KEY\"]\npinentry = \"{}\"\n",
            prompt_program(&w, None)
        ),
    );
    let before = std::fs::read(w.dev_file()).unwrap();
    let r = client(
        &w,
        json!([["request_secret", {"name": "OTHER_KEY", "reason": "needed for eval"}]]),
        &[],
        &[OPENAI, HF],
    );
    let res = &r["results"][0];
    assert_eq!(res["is_error"], json!(false), "{res}");
    assert!(res["text"].as_str().unwrap().contains("cancelled"));
    assert_eq!(res["structured"]["set"], json!(false));
    assert_eq!(
        std::fs::read(w.dev_file()).unwrap(),
        before,
        "cancel changed the file"
    );

    config(
        &w,
        &format!(
            "[agents]\nallow = [\"NEW_KEY\"]\npinentry = \"{}\"\n",
            prompt_program(&w, Some(TYPED))
        ),
    );
    let r = client(
        &w,
        json!([["request_secret", {"name": "NEW_KEY", "reason": "the eval needs it"}]]),
        &[],
        &[OPENAI, HF, TYPED],
    );
    let res = &r["results"][0];
    assert_eq!(res["is_error"], json!(false), "{res}");
    assert_eq!(res["structured"]["set"], json!(true));
    let file = std::fs::read_to_string(w.dev_file()).unwrap();
    assert!(file.contains("NEW_KEY") && !file.contains(TYPED));
    let got = w.cmd(["get", "NEW_KEY"]).reveals().ok().stdout_str();
    assert_eq!(got.trim_end(), TYPED);
    let log = std::fs::read_to_string(w.path("pinentry.log")).unwrap();
    assert!(log.contains("GETPIN") && log.contains("SETDESC"), "{log}");
    let set = audit_lines(&w)
        .into_iter()
        .rfind(|l| l["action"] == "set")
        .unwrap();
    assert_eq!(set["reason"], json!("the eval needs it"));
    assert_eq!(set["agent"], json!("mcp:mcp"));
}

/// #16: a secret the user's config does not allow for agents is refused by every tool, and
/// the manifest's [agents] only narrows.
#[test]
fn mcp_refuses_a_secret_not_allowed_by_every_tool() {
    let w = World::with_secrets();
    config(
        &w,
        &format!(
            "[agents]\nallow = [\"OPENAI_API_KEY\"]\npinentry = \"{}\"\n",
            prompt_program(&w, Some(TYPED))
        ),
    );
    let r = client(
        &w,
        json!([
            ["run", {"command": ["true"], "secrets": ["HF_TOKEN"], "reason": "x"}],
            ["run", {"command": ["env"], "reason": "everything"}],
            ["request_secret", {"name": "HF_TOKEN", "reason": "x"}],
            ["list_secrets", {}],
            ["run", {"command": ["true"], "secrets": ["OPENAI_API_KEY"]}],
        ]),
        &[],
        &[OPENAI, HF, TYPED],
    );
    let res = &r["results"];
    assert_eq!(res[0]["is_error"], json!(true));
    assert!(
        res[0]["text"]
            .as_str()
            .unwrap()
            .contains("HF_TOKEN is not allowed")
    );
    // No names: only the allowed ones are injected.
    assert_eq!(res[1]["is_error"], json!(false));
    let env_out = res[1]["text"].as_str().unwrap();
    assert!(
        env_out.contains("OPENAI_API_KEY=[REDACTED:OPENAI_API_KEY]"),
        "{env_out}"
    );
    assert!(!env_out.contains("HF_TOKEN="), "{env_out}");
    assert_eq!(res[2]["is_error"], json!(true));
    assert!(
        !w.path("pinentry.log").exists(),
        "refused before asking the human"
    );
    let list = res[3]["structured"]["secrets"].as_array().unwrap();
    let hf = list.iter().find(|s| s["name"] == "HF_TOKEN").unwrap();
    assert_eq!(hf["agent_access"], json!("refused"));
    // Which have a proxy host rule (#15): Hugging Face's built-in one, by the name.
    assert_eq!(hf["proxy_rule"], json!(true));
    assert!(
        hf["proxy_hosts"]
            .as_array()
            .unwrap()
            .contains(&json!("huggingface.co")),
        "{hf}"
    );
    // A reason is required.
    assert_eq!(res[4]["is_error"], json!(true));
    assert!(res[4]["text"].as_str().unwrap().contains("reason"));

    // The manifest narrows: OPENAI_API_KEY allowed by the user but left out of the project's.
    let manifest = w.project.join("aisecrets.toml");
    let mut text = std::fs::read_to_string(&manifest).unwrap();
    text.push_str("\n[agents]\nallow = [\"SOMETHING_ELSE\"]\n");
    std::fs::write(&manifest, text).unwrap();
    let r = client(
        &w,
        json!([["run", {"command": ["true"], "secrets": ["OPENAI_API_KEY"], "reason": "x"}]]),
        &[],
        &[OPENAI, HF],
    );
    assert_eq!(r["results"][0]["is_error"], json!(true));
    assert!(
        r["results"][0]["text"]
            .as_str()
            .unwrap()
            .contains("leaves it out")
    );
}

/// #16: per-use confirmation: with `[agents] confirm = true`, a name not allowed is put to
/// the human through the prompt program; a no refuses it.
#[test]
fn mcp_confirm_asks_the_human_for_a_name_not_allowed() {
    let w = World::with_secrets();
    config(
        &w,
        &format!(
            "[agents]\nconfirm = true\npinentry = \"{}\"\n",
            prompt_program(&w, Some(TYPED))
        ),
    );
    let r = client(
        &w,
        json!([["run", {"command": ["true"], "secrets": ["HF_TOKEN"], "reason": "upload"}]]),
        &[],
        &[OPENAI, HF],
    );
    assert_eq!(
        r["results"][0]["is_error"],
        json!(false),
        "{}",
        r["results"][0]
    );
    assert!(
        std::fs::read_to_string(w.path("pinentry.log"))
            .unwrap()
            .contains("CONFIRM")
    );
    config(
        &w,
        &format!(
            "[agents]\nconfirm = true\npinentry = \"{}\"\n",
            prompt_program(&w, None)
        ),
    );
    let r = client(
        &w,
        json!([["run", {"command": ["true"], "secrets": ["HF_TOKEN"], "reason": "upload"}]]),
        &[],
        &[OPENAI, HF],
    );
    assert_eq!(r["results"][0]["is_error"], json!(true));
    assert!(
        r["results"][0]["text"]
            .as_str()
            .unwrap()
            .contains("declined")
    );
}

/// #16: the run tool's output is capped, with a note.
#[test]
fn mcp_run_output_is_capped_with_a_note() {
    let w = World::with_secrets();
    config(&w, "[agents]\nallow = [\"OPENAI_API_KEY\"]\n");
    let r = client(
        &w,
        json!([["run", {"command": ["python3", "-c", "print('x' * 200000)"], "reason": "big"}]]),
        &[],
        &[OPENAI, HF],
    );
    let res = &r["results"][0];
    assert_eq!(res["structured"]["truncated"], json!(true));
    assert!(
        res["text"]
            .as_str()
            .unwrap()
            .contains("[output cut at 64 KiB")
    );
}

/// #16: with an agent's marker in the environment, `get` exits non-zero without the value
/// (naming `aisecrets mcp`); export and edit too; `run` without --mask is refused, and
/// without --reason; with both, the reason is in the audit log. The config can allow one.
#[test]
fn under_an_agent_get_is_refused_and_run_needs_mask_and_reason() {
    let w = World::with_secrets();
    for marker in [
        ("CLAUDECODE", "1"),
        ("GEMINI_CLI", "1"),
        ("CODEX_SANDBOX", "seatbelt"),
        ("CURSOR_AGENT", "1"),
        ("COPILOT_CLI", "1"),
    ] {
        let out = w
            .cmd(["get", "OPENAI_API_KEY"])
            .env(marker.0, marker.1)
            .fails(1)
            .one_line_error()
            .stderr_has("aisecrets mcp");
        assert!(out.stdout_str().is_empty());
    }
    w.cmd(["export"]).env("CLAUDECODE", "1").fails(1);
    w.cmd(["edit"]).env("CLAUDECODE", "1").fails(1);
    w.cmd(["run", "--", "true"])
        .env("CLAUDECODE", "1")
        .fails(1)
        .stderr_has("run --mask");
    w.cmd(["run", "--mask", "--", "true"])
        .env("CLAUDECODE", "1")
        .fails(2)
        .stderr_has("--reason");
    // Without any [agents] rule the plain CLI runs masked, and the reason is audited.
    let out = w
        .cmd([
            "run",
            "--mask",
            "--reason",
            "first look",
            "--",
            "sh",
            "-c",
            "echo $OPENAI_API_KEY",
        ])
        .env("CLAUDECODE", "1")
        .ok()
        .stdout_str();
    assert_eq!(out, "[REDACTED:OPENAI_API_KEY]\n");
    let last = audit_lines(&w).pop().unwrap();
    assert_eq!(last["reason"], json!("first look"));
    assert_eq!(last["agent"], json!("claude-code"));
    // Once the user writes [agents], what the agent may use is that config, as through MCP.
    config(&w, "[agents]\nallow = [\"OPENAI_API_KEY\"]\n");
    w.cmd([
        "run", "--mask", "--reason", "x", "--only", "HF_TOKEN", "--", "true",
    ])
    .env("CLAUDECODE", "1")
    .fails(1)
    .stderr_has("HF_TOKEN is not allowed");
    let out = w
        .cmd([
            "run",
            "--mask",
            "--reason",
            "run the tests",
            "--",
            "sh",
            "-c",
            "echo ${HF_TOKEN:-no-hf}; echo $OPENAI_API_KEY",
        ])
        .env("CLAUDECODE", "1")
        .ok()
        .stdout_str();
    assert_eq!(out, "no-hf\n[REDACTED:OPENAI_API_KEY]\n");
    let last = audit_lines(&w).pop().unwrap();
    assert_eq!(last["action"], json!("run"));
    assert_eq!(last["reason"], json!("run the tests"));
    assert_eq!(last["agent"], json!("claude-code"));
    assert_eq!(last["names"], json!(["OPENAI_API_KEY"]));
    // Without a marker nothing changes; an exception in the user's config lets `get` pass.
    w.cmd(["get", "OPENAI_API_KEY"]).reveals().ok();
    config(&w, "[agents]\nallow_commands = [\"get\"]\n");
    w.cmd(["get", "OPENAI_API_KEY"])
        .env("CLAUDECODE", "1")
        .reveals()
        .ok();
}

/// #16: `agent setup` twice gives the same files; an existing AGENTS.md keeps its content.
#[test]
fn agent_setup_is_idempotent_and_appends_to_agents_md() {
    let w = World::new();
    let agents_md = w.project.join("AGENTS.md");
    std::fs::write(&agents_md, "# Our rules\n\nBe nice.\n").unwrap();
    std::fs::create_dir_all(w.project.join(".cursor")).unwrap();
    std::fs::write(
        w.project.join(".cursor/mcp.json"),
        r#"{"mcpServers": {"other": {"command": "x"}}}"#,
    )
    .unwrap();
    let files = [
        ".mcp.json",
        ".codex/config.toml",
        ".cursor/mcp.json",
        ".vscode/mcp.json",
        ".gemini/settings.json",
        "AGENTS.md",
        "CLAUDE.md",
        "GEMINI.md",
    ];
    let out = w.cmd(["agent", "setup"]).ok();
    assert!(out.stderr_str().contains(".mcp.json: registered"));
    let first: Vec<String> = files
        .iter()
        .map(|f| std::fs::read_to_string(w.project.join(f)).unwrap())
        .collect();
    assert!(first[5].starts_with("# Our rules\n\nBe nice.\n"));
    assert!(first[5].contains("aisecrets"));
    assert!(first[2].contains("\"other\"") && first[2].contains("aisecrets"));
    assert!(first[1].contains("[mcp_servers.aisecrets]"));
    let out = w.cmd(["agent", "setup"]).ok();
    assert!(out.stderr_str().contains("already"));
    let second: Vec<String> = files
        .iter()
        .map(|f| std::fs::read_to_string(w.project.join(f)).unwrap())
        .collect();
    assert_eq!(first, second);
    w.cmd(["agent", "setup", "claude"]).ok();
}

/// #16: the raw protocol (one JSON-RPC message per line), and SIGTERM between calls still
/// ends the server after a `run` call (whose signal handling holds SIGTERM while it runs).
#[test]
fn mcp_speaks_line_json_rpc_and_sigterm_after_a_run_ends_it() {
    use std::io::{BufRead, BufReader, Write};
    let w = World::with_secrets();
    config(&w, "[agents]\nallow = [\"OPENAI_API_KEY\"]\n");
    let mut c = w.command(["mcp"]);
    c.stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null());
    let mut child = c.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut ask = |msg: Value| -> Value {
        writeln!(stdin, "{msg}").unwrap();
        stdin.flush().unwrap();
        serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap()
    };
    let init = ask(
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-03-26", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}}}),
    );
    assert_eq!(init["result"]["protocolVersion"], json!("2025-03-26"));
    assert_eq!(init["result"]["serverInfo"]["name"], json!("aisecrets"));
    let unknown = ask(json!({"jsonrpc": "2.0", "id": 2, "method": "resources/read", "params": {}}));
    assert_eq!(unknown["error"]["code"], json!(-32601));
    let run = ask(
        json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {
        "name": "run", "arguments": {"command": ["printenv", "OPENAI_API_KEY"], "reason": "check"}}}),
    );
    let text = run["result"]["content"][0]["text"].as_str().unwrap();
    assert!(
        text.contains("[REDACTED:OPENAI_API_KEY]") && !text.contains(OPENAI),
        "{text}"
    );
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(i32::try_from(child.id()).unwrap()),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    util::wait_for("the server to end on SIGTERM", || {
        child.try_wait().unwrap().is_some()
    });
    drop(stdin);
}
