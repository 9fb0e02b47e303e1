//! The Jupyter kernel against the attacks of the #18 security review: a second local user,
//! a coding agent, a planted module in the notebook's folder, text that is not UTF-8, a
//! kernel that traps SIGTERM, an interrupt of a shell command. Driven by the real
//! jupyter_client and ipykernel (jupyter_attack.py).

use std::path::Path;

use serde_json::{Value, json};

use crate::util::{self, HF, OPENAI, World};

const KERNEL: &str = "aisecrets-project-dev";

fn jupyter(w: &World, args: &[&str]) -> util::Cmd {
    let mut all = vec!["jupyter"];
    all.extend(args);
    w.cmd(all)
        .env("JUPYTER_DATA_DIR", w.path("jupyter-data"))
        .env("JUPYTER_RUNTIME_DIR", w.path("jupyter-runtime"))
        .env_remove("VIRTUAL_ENV")
}

fn script(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/integration")
        .join(name)
}

/// Runs jupyter_attack.py with `plan` (the kernel and cwd filled in unless given).
fn attack(w: &World, mut plan: Value) -> Value {
    if plan.get("kernel").is_none() {
        plan["kernel"] = json!(KERNEL);
    }
    if plan.get("cwd").is_none() {
        plan["cwd"] = json!(w.project);
    }
    let plan_path = w.path("attack-plan.json");
    let result_path = w.path("attack-result.json");
    std::fs::write(&plan_path, plan.to_string()).unwrap();
    let base = w.command(["x"]);
    let mut c = std::process::Command::new("python3");
    c.arg(script("jupyter_attack.py"))
        .arg(&plan_path)
        .arg(&result_path);
    c.current_dir(&w.project);
    for (k, v) in base.get_envs() {
        match v {
            Some(v) => c.env(k, v),
            None => c.env_remove(k),
        };
    }
    c.env("JUPYTER_DATA_DIR", w.path("jupyter-data"))
        .env("JUPYTER_RUNTIME_DIR", w.path("jupyter-runtime"))
        .env("IPYTHONDIR", w.path("ipython"))
        .env_remove("VIRTUAL_ENV");
    let out = c.output().expect("python3 runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the attack driver failed: {stderr}");
    serde_json::from_slice(&std::fs::read(&result_path).unwrap()).unwrap()
}

fn installed() -> World {
    let w = World::with_secrets();
    jupyter(&w, &["install", "--env", "dev"]).ok();
    w
}

/// Review #1: the kernel's sockets are `ipc` files in the run's 0700 RAM folder, not TCP
/// ports on loopback that every local user can reach (iopub needs no key): uid 65534
/// reaches none of them. Seen failing on the TCP relay: "reached 5 of 5".
#[test]
fn jupyter_kernel_sockets_are_out_of_reach_of_other_users() {
    let w = installed();
    let r = attack(
        &w,
        json!({
            "cells": [["print", "import os\nprint(os.environ['OPENAI_API_KEY'])", 30]],
            "probe": ["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups",
                      "/usr/bin/python3", script("jupyter_probe.py"), "{transport}", "{ip}", "{ports}"],
        }),
    );
    let probe = r["probe"].as_str().unwrap();
    assert!(probe.contains("reached 0 of 5"), "{probe}");
    assert!(
        r["cells"]["print"]["text"]
            .as_str()
            .unwrap()
            .contains("[REDACTED:OPENAI_API_KEY]")
    );
    let conn = r["kernel"]["conn"].as_str().unwrap();
    assert!(!conn.is_empty());
}

/// Review #2: under a coding agent the kernel follows `run`'s rules: without the reason
/// `jupyter install --reason` keeps it refuses with one line; `[agents] allow` limits what
/// it gets. Seen failing: the kernel handed out HF_TOKEN under CLAUDECODE=1.
#[test]
fn jupyter_kernel_under_a_coding_agent_follows_run_rules() {
    let w = World::with_secrets();
    std::fs::write(
        w.home.join("config.toml"),
        "[agents]\nallow = [\"OPENAI_API_KEY\"]\n",
    )
    .unwrap();
    jupyter(&w, &["install"])
        .env("CLAUDECODE", "1")
        .fails(2)
        .stderr_has("needs --reason TEXT");
    jupyter(&w, &["install", "--name", "noreason"]).ok();
    jupyter(&w, &["install", "--reason", "notebook on the eval set"])
        .env("CLAUDECODE", "1")
        .ok();
    let spec: Value = serde_json::from_slice(
        &std::fs::read(
            w.path("jupyter-data/kernels")
                .join(KERNEL)
                .join("kernel.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let argv: Vec<String> = spec["argv"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_owned())
        .collect();
    // The kernel command of the spec, run directly with a connection file of free ports.
    let ports: Vec<u16> = (0..5)
        .map(|_| {
            std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port()
        })
        .collect();
    let conn = w.path("conn.json");
    std::fs::write(
        &conn,
        json!({"ip": "127.0.0.1", "transport": "tcp", "key": "k", "signature_scheme": "hmac-sha256",
               "shell_port": ports[0], "iopub_port": ports[1], "stdin_port": ports[2],
               "control_port": ports[3], "hb_port": ports[4]})
        .to_string(),
    )
    .unwrap();
    let dash = argv.iter().position(|a| a == "--").unwrap();
    let mut args: Vec<String> = argv[1..=dash]
        .iter()
        .map(|a| a.replace("{connection_file}", conn.to_str().unwrap()))
        .collect();
    let code = "import os, sys\nprint('OPENAI' + str('OPENAI_API_KEY' in os.environ), 'HF' + str('HF_TOKEN' in os.environ))";
    args.extend([
        "python3".into(),
        "-c".into(),
        code.into(),
        conn.to_str().unwrap().into(),
    ]);
    let out = w.cmd(&args).env("CLAUDECODE", "1").ok().stdout_str();
    assert!(out.contains("OPENAITrue HFFalse"), "{out}");
    // A kernelspec without a reason: refused under the agent, in one line.
    let noreason: Vec<String> = args
        .iter()
        .enumerate()
        .filter(|(i, a)| !(a.as_str() == "--reason" || (*i > 0 && args[i - 1] == "--reason")))
        .map(|(_, a)| a.clone())
        .collect();
    w.cmd(&noreason)
        .env("CLAUDECODE", "1")
        .fails(2)
        .stderr_has("jupyter install --reason");
    let _ = (OPENAI, HF);
}

/// Review #3 and #6: a notebook folder with a planted `ipykernel_launcher.py` (the kernel
/// starts there) and a project folder with a planted `ipykernel.py` (install probes the
/// Python there): neither runs. Seen failing: the planted launcher wrote the values, and
/// the planted ipykernel ran at install.
#[test]
fn jupyter_planted_modules_in_the_notebook_or_project_folder_do_not_run() {
    let w = World::with_secrets();
    let stolen = w.path("stolen.txt");
    std::fs::write(
        w.project.join("ipykernel.py"),
        format!("open({:?}, 'a').write('install ran\\n')\n", stolen),
    )
    .unwrap();
    let out = jupyter(&w, &["install"]).ok();
    let _ = out;
    assert!(!stolen.exists(), "the planted ipykernel.py ran at install");
    std::fs::remove_file(w.project.join("ipykernel.py")).unwrap();
    let notebooks = w.path("notebooks");
    std::fs::create_dir_all(&notebooks).unwrap();
    std::fs::write(
        notebooks.join("ipykernel_launcher.py"),
        format!(
            "import os\nopen({:?}, 'a').write(os.environ.get('OPENAI_API_KEY', 'none') + '\\n')\nimport runpy, sys\nsys.path.pop(0)\nrunpy.run_module('ipykernel_launcher', run_name='__main__')\n",
            stolen
        ),
    )
    .unwrap();
    let r = attack(
        &w,
        json!({"cwd": notebooks, "cells": [["cwd", "import os\nprint(os.getcwd())", 30]]}),
    );
    assert!(!stolen.exists(), "the planted ipykernel_launcher.py ran");
    assert!(
        r["cells"]["cwd"]["text"]
            .as_str()
            .unwrap()
            .contains("notebooks")
    );
}

/// Review #4: text that is not UTF-8 (a surrogate-escaped string in an error) reaches the
/// client, decoded lossily, instead of dropping the message and hanging the cell. Seen
/// failing: the cell timed out.
#[test]
fn jupyter_text_that_is_not_utf8_is_forwarded_lossily() {
    let w = installed();
    let r = attack(
        &w,
        json!({"cells": [["bad", "raise ValueError('caf\\udce9 ' + __import__('os').environ['OPENAI_API_KEY'])", 20]]}),
    );
    let c = &r["cells"]["bad"];
    assert_eq!(c["status"], json!("error"), "{c}");
    let text = c["text"].as_str().unwrap();
    assert!(text.contains("caf\\ufffd"), "{text}");
    assert!(
        text.contains("[REDACTED:OPENAI_API_KEY]") && !text.contains(OPENAI),
        "{text}"
    );
}

/// Review #5: a kernel that traps SIGTERM still goes when its client dies, and on
/// `restart_kernel(now=True)`. Seen failing: the trapping kernel kept running.
#[test]
fn jupyter_kernel_that_traps_sigterm_goes_with_its_client() {
    let w = installed();
    let trap = "import signal\nsignal.signal(signal.SIGTERM, lambda *a: None)";
    let r = attack(&w, json!({"orphan": [trap]}));
    let o = &r["orphan"];
    assert_eq!(o["started"], json!(true), "{o}");
    assert_eq!(o["kernel_gone"], json!(true), "{o}");
    assert_eq!(o["aisecrets_gone"], json!(true), "{o}");
    let r = attack(
        &w,
        json!({"cells": [["trap", trap, 30]], "kill_restart": true}),
    );
    assert_eq!(r["kill_restart"]["old_kernel_gone"], json!(true), "{r}");
}

/// Review #9: an interrupt reaches the kernel's process group, so a shell command the cell
/// runs is interrupted too. Seen failing: the cell waited the 15 s of `sleep 15`.
#[test]
fn jupyter_interrupt_reaches_a_shell_command_of_the_cell() {
    let w = installed();
    let r = attack(&w, json!({"interrupt": "import os\nos.system('sleep 15')"}));
    let s = r["interrupt"]["seconds"].as_f64().unwrap();
    assert!(s < 8.0, "interrupt took {s:.1} s");
}

/// Review #7: a value printed in pieces (`print(k[i:i+3], end='', flush=True)`, as
/// streaming LLM tokens come) spans several stream messages; the relay holds back a tail
/// that may begin a value, so the notebook's joined output never shows it. Seen failing:
/// the joined text held the value.
#[test]
fn jupyter_a_value_printed_in_pieces_is_masked() {
    let w = installed();
    let code = "import os, sys, time\nk = os.environ['OPENAI_API_KEY']\nfor i in range(0, len(k), 3):\n    print(k[i:i+3], end='', flush=True)\n    time.sleep(0.05)\nprint(' end', flush=True)";
    let r = attack(&w, json!({"cells": [["pieces", code, 30]]}));
    let outputs = r["cells"]["pieces"]["outputs"].as_array().unwrap();
    let joined: String = outputs
        .iter()
        .filter_map(|o| o["content"]["text"].as_str())
        .collect();
    assert!(outputs.len() > 1, "{joined}");
    assert!(!joined.contains(OPENAI), "{joined}");
    assert!(
        joined.contains("[REDACTED:OPENAI_API_KEY]") && joined.ends_with(" end\n"),
        "{joined}"
    );
}
