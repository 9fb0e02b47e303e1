//! `aisecrets jupyter install | list | uninstall` and the kernel it installs (#18), driven by
//! the real `jupyter_client` and `ipykernel` (scripts/install-test-deps) through
//! jupyter_driver.py, with a hermetic JUPYTER_DATA_DIR and JUPYTER_RUNTIME_DIR.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use sha2::Digest;

use crate::trust_hardening::{copy_project, second_project};
use crate::util::{self, HF, OPENAI, World};

/// The kernel `install` names by default in a world (the project folder is `project`).
const KERNEL: &str = "aisecrets-project-dev";

/// The Jupyter folders of this world: data (kernelspecs) and runtime (connection files).
fn data_dir(w: &World) -> PathBuf {
    w.path("jupyter-data")
}

fn jupyter(w: &World, args: &[&str]) -> util::Cmd {
    let mut all = vec!["jupyter"];
    all.extend(args);
    w.cmd(all)
        .env("JUPYTER_DATA_DIR", data_dir(w))
        .env("JUPYTER_RUNTIME_DIR", w.path("jupyter-runtime"))
        .env_remove("VIRTUAL_ENV")
}

fn spec(w: &World, name: &str) -> Value {
    let path = data_dir(w).join("kernels").join(name).join("kernel.json");
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn sha256_hex(s: &str) -> String {
    sha2::Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Runs jupyter_driver.py on the installed kernel; returns its result and stderr (where
/// the kernel's own output goes, as to a notebook server's log).
fn drive(w: &World, control: &str) -> (Value, String) {
    let plan = json!({
        "kernel": KERNEL,
        "cwd": w.project,
        "secrets": [OPENAI, HF],
        "control": control,
    });
    let plan_path = w.path("plan.json");
    let result_path = w.path("result.json");
    std::fs::write(&plan_path, plan.to_string()).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/integration/jupyter_driver.py");
    // The hermetic environment of `aisecrets` commands, for jupyter_client to hand on.
    let base = w.command(["x"]);
    let mut c = std::process::Command::new("python3");
    c.arg(script).arg(&plan_path).arg(&result_path);
    c.current_dir(&w.project);
    for (k, v) in base.get_envs() {
        match v {
            Some(v) => c.env(k, v),
            None => c.env_remove(k),
        };
    }
    c.env("JUPYTER_DATA_DIR", data_dir(w))
        .env("JUPYTER_RUNTIME_DIR", w.path("jupyter-runtime"))
        .env("IPYTHONDIR", w.path("ipython"))
        .env_remove("VIRTUAL_ENV");
    let out = c.output().expect("python3 runs");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "the Jupyter driver failed (are PyPI jupyter_client and ipykernel installed? scripts/install-test-deps): {stderr}"
    );
    let result = serde_json::from_slice(&std::fs::read(&result_path).unwrap()).unwrap();
    (result, stderr)
}

/// The text of a cell's outputs (the JSON of their contents).
fn text(r: &Value, cell: &str) -> String {
    r["cells"][cell]["text"].as_str().unwrap().to_owned()
}

/// #18: one kernel session from `aisecrets jupyter install`, driven by jupyter_client: the
/// code sees the real value (its hash), every output (stream, execute_result, HTML
/// display_data, error and traceback, base64/hex/URL/JSON forms, stderr) reaches the client
/// masked, and no frame the client receives on any channel holds a value in any form `--mask`
/// knows, while the same search finds a control value the kernel prints unmasked. Interrupt,
/// restart (graceful and by SIGKILL; still masked) and shutdown (aisecrets, the kernel and the
/// RAM folder gone) work, and a client that dies takes aisecrets and its kernel with it.
#[test]
fn jupyter_kernel_masks_every_output_and_interrupt_restart_shutdown_work() {
    let w = World::with_secrets();
    jupyter(&w, &["install", "--env", "dev"])
        .ok()
        .stderr_has(&format!("installed kernel `{KERNEL}`"));
    let control = "sk-proj-FAKE0control0value00000000";
    let started = std::time::Instant::now();
    let (r, stderr) = drive(&w, control);
    eprintln!("jupyter session: {:.1} s", started.elapsed().as_secs_f64());

    // Inside the kernel the value is the real one.
    assert!(
        text(&r, "hash").contains(&format!("sha={}", sha256_hex(OPENAI))),
        "{r}"
    );
    // What the client sees of it is the mask, in every kind of output.
    let masked = "[REDACTED:OPENAI_API_KEY]";
    for cell in ["print", "environ", "html", "base64", "forms", "raise"] {
        assert!(
            text(&r, cell).contains(masked),
            "{cell}: {}",
            text(&r, cell)
        );
    }
    assert!(text(&r, "environ").contains("[REDACTED:HF_TOKEN]"));
    assert!(text(&r, "environ").contains("execute_result"));
    assert!(text(&r, "html").contains(&format!("<b>{masked}</b>")));
    assert!(text(&r, "html").contains("text/html"));
    assert!(text(&r, "forms").contains("[REDACTED:HF_TOKEN]"));
    let raised = &r["cells"]["raise"];
    assert_eq!(raised["status"], json!("error"));
    assert_eq!(raised["ename"], json!("ValueError"));
    assert_eq!(raised["evalue"], json!(format!("the key is {masked}")));
    assert!(text(&r, "raise").contains("traceback"));
    // No frame on any channel holds a value in any form; the search finds the control.
    assert!(r["frames"].as_u64().unwrap() > 50, "{}", r["frames"]);
    assert_eq!(r["leaks"], json!([]), "a secret reached the client");
    let found: Vec<&str> = r["control_leaks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    for form in [
        "plain",
        "base64 ",
        "base64url ",
        "base64url-unpadded",
        "hex",
        "HEX",
        "url-encoded",
        "json-escaped",
    ] {
        assert!(
            found.iter().any(|l| l.contains(&format!("as {form}"))),
            "the search does not find the control as {form}: {found:?}"
        );
    }
    // The kernel's own stderr (the server's log) is masked too.
    assert!(stderr.contains(&format!("log: {masked}")), "{stderr}");
    assert!(!stderr.contains(OPENAI) && !stderr.contains(HF));
    // The kernel has its own connection file (in a RAM folder) and its own key.
    let kernel = &r["kernel"];
    assert_ne!(kernel["conn"], r["client_connection_file"]);
    assert!(kernel["conn"].as_str().unwrap().contains("/aisecrets-run-"));
    assert_ne!(kernel["key"], r["client_key"]);
    assert_eq!(kernel["key"].as_str().unwrap().len(), 64);

    let int = &r["interrupt"];
    assert_eq!(int["status"], json!("error"), "{int}");
    assert_eq!(int["ename"], json!("KeyboardInterrupt"));
    assert!(int["seconds"].as_f64().unwrap() < 10.0, "{int}");

    let restart = &r["restart"];
    for k in [
        "old_aisecrets_gone",
        "old_kernel_gone",
        "old_ramdir_gone",
        "new_pid",
    ] {
        assert_eq!(restart[k], json!(true), "{k}: {restart}");
    }
    assert_eq!(restart["cell"]["status"], json!("ok"));
    assert!(restart["cell"]["text"].as_str().unwrap().contains(masked));

    // Restart by SIGKILL to aisecrets' process group (`restart_kernel(now=True)`).
    let killed = &r["kill_restart"];
    for k in ["old_aisecrets_gone", "old_kernel_gone", "old_ramdir_gone"] {
        assert_eq!(killed[k], json!(true), "{k}: {killed}");
    }
    assert!(killed["cell"]["text"].as_str().unwrap().contains(masked));

    // A client that dies without a shutdown takes aisecrets and the kernel with it.
    let died = &r["client_died"];
    for k in ["started", "aisecrets_gone", "kernel_gone", "ramdir_gone"] {
        assert_eq!(died[k], json!(true), "{k}: {died}");
    }

    let down = &r["shutdown"];
    for k in ["aisecrets_gone", "kernel_gone", "ramdir_gone"] {
        assert_eq!(down[k], json!(true), "{k}: {down}");
    }
}

/// #18: install writes a kernelspec that runs aisecrets by absolute path with the project,
/// env and Python; list shows it; uninstall removes it; the errors are one line each.
#[test]
fn jupyter_install_list_uninstall_round_trip_and_one_line_errors() {
    let w = World::with_secrets();
    w.append_manifest("\n[scopes.llm]\nsecrets = [\"OPENAI_API_KEY\"]\n");
    jupyter(&w, &["install", "--scope", "llm", "--name", "mine"]).ok();
    let s = spec(&w, "mine");
    let argv: Vec<&str> = s["argv"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert!(Path::new(argv[0]).is_absolute() && argv[0].ends_with("aisecrets"));
    assert_eq!(&argv[1..4], ["jupyter", "kernel", "--project"]);
    let root = std::fs::canonicalize(&w.project).unwrap();
    assert_eq!(argv[4], root.to_str().unwrap());
    assert_eq!(&argv[5..9], ["--env", "dev", "--scope", "llm"]);
    let python = argv[argv.iter().position(|a| *a == "--").unwrap() + 1];
    assert!(Path::new(python).is_absolute(), "{python}");
    assert!(argv.ends_with(&["-m", "ipykernel_launcher", "-f", "{connection_file}"]));
    assert_eq!(s["interrupt_mode"], json!("signal"));
    assert_eq!(s["language"], json!("python"));
    assert_eq!(
        s["display_name"],
        json!("Python (aisecrets: project/dev, scope llm)")
    );
    // Again: replaced, not refused. A default name too.
    jupyter(&w, &["install", "--scope", "llm", "--name", "mine"]).ok();
    jupyter(&w, &["install"]).ok();
    assert_eq!(
        spec(&w, KERNEL)["display_name"],
        json!("Python (aisecrets: project/dev)")
    );

    let listed = jupyter(&w, &["list"]).ok().stdout_str();
    let lines: Vec<&str> = listed.lines().collect();
    assert_eq!(lines.len(), 2, "{listed}");
    assert!(
        lines[0].starts_with(&format!("{KERNEL}\t{}\tdev\t", root.display())),
        "{listed}"
    );
    assert!(
        lines[1].starts_with("mine\t") && lines[1].contains("\tdev:llm\t"),
        "{listed}"
    );

    // --sys-prefix: the virtualenv's folder, and an error without one.
    let venv = w.path("venv");
    jupyter(&w, &["install", "--sys-prefix", "--name", "invenv"])
        .env("VIRTUAL_ENV", &venv)
        .ok();
    assert!(
        venv.join("share/jupyter/kernels/invenv/kernel.json")
            .is_file()
    );
    let listed = jupyter(&w, &["list"])
        .env("VIRTUAL_ENV", &venv)
        .ok()
        .stdout_str();
    assert!(listed.contains("invenv\t"), "{listed}");
    jupyter(&w, &["install", "--sys-prefix"])
        .fails(2)
        .one_line_error()
        .stderr_has("VIRTUAL_ENV");

    // One-line errors that say what to do.
    jupyter(&w, &["install", "--env", "nope"])
        .fails(1)
        .one_line_error()
        .stderr_has("nope");
    jupyter(&w, &["install", "--scope", "nope"])
        .fails(1)
        .one_line_error()
        .stderr_has("declare [scopes.NAME]");
    jupyter(&w, &["install", "--python", "/nonexistent/python3"])
        .fails(1)
        .one_line_error()
        .stderr_has("pass the path of a Python interpreter");
    // A real Python without ipykernel: a bare virtualenv.
    let bare = w.path("bare");
    let made = std::process::Command::new("python3")
        .args(["-m", "venv", "--without-pip"])
        .arg(&bare)
        .status()
        .unwrap();
    assert!(made.success());
    let bare_python = bare.join("bin/python3");
    jupyter(&w, &["install", "--python", bare_python.to_str().unwrap()])
        .fails(1)
        .one_line_error()
        .stderr_has("cannot import ipykernel")
        .stderr_has("-m pip install ipykernel");
    jupyter(&w, &["install"])
        .env("PATH", w.path("empty-path"))
        .fails(1)
        .one_line_error()
        .stderr_has("python3 is not on PATH");
    jupyter(&w, &["install", "--name", "a b"])
        .fails(2)
        .one_line_error()
        .stderr_has("kernel name");

    // A kernelspec aisecrets did not write is neither replaced nor removed.
    let plain = data_dir(&w).join("kernels/plain");
    std::fs::create_dir_all(&plain).unwrap();
    let theirs = r#"{"argv": ["python3", "-m", "ipykernel_launcher", "-f", "{connection_file}"], "display_name": "Python 3", "language": "python"}"#;
    std::fs::write(plain.join("kernel.json"), theirs).unwrap();
    jupyter(&w, &["uninstall", "plain"])
        .fails(1)
        .one_line_error()
        .stderr_has("was not written by aisecrets");
    jupyter(&w, &["install", "--name", "plain"])
        .fails(1)
        .one_line_error()
        .stderr_has("pick another --name");
    assert_eq!(
        std::fs::read_to_string(plain.join("kernel.json")).unwrap(),
        theirs
    );
    assert!(!jupyter(&w, &["list"]).ok().stdout_str().contains("plain"));

    jupyter(&w, &["uninstall", "mine"])
        .ok()
        .stderr_has("removed kernel `mine`");
    assert!(!data_dir(&w).join("kernels/mine").exists());
    jupyter(&w, &["uninstall", "mine"])
        .fails(1)
        .one_line_error()
        .stderr_has("aisecrets jupyter list");
    jupyter(&w, &["uninstall", KERNEL]).ok();
    let out = jupyter(&w, &["list"]).ok();
    assert!(out.stdout_str().is_empty());
    assert!(out.stderr_str().contains("aisecrets jupyter install"));
}

/// A connection file as jupyter_client writes one, on free ports.
fn connection_file(w: &World) -> PathBuf {
    let probes: Vec<std::net::TcpListener> = (0..5)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    let port = |i: usize| probes[i].local_addr().unwrap().port();
    let info = json!({
        "shell_port": port(0), "iopub_port": port(1), "stdin_port": port(2),
        "control_port": port(3), "hb_port": port(4), "ip": "127.0.0.1",
        "key": "a0b1c2d3-e4f5", "transport": "tcp", "signature_scheme": "hmac-sha256",
        "kernel_name": KERNEL,
    });
    let path = w.path("kernel-conn.json");
    std::fs::write(&path, info.to_string()).unwrap();
    path
}

/// #18: a kernel is started as `run` is, with run's trust checks: the same setup as
/// trust_hardening's `another_projects_files_copied_in_are_new_here` (a writer of the
/// repository copies another project's files in, so that a kernel of this folder would
/// get that project's values) is refused with run's own error, and so is a fresh clone
/// never trusted here; nothing starts, and the kernel's ports stay free.
#[test]
fn jupyter_kernel_of_an_untrusted_repository_is_refused_as_run_is() {
    const B_VALUE: &str = "sk-proj-FAKE0canary0projectB0000000";
    let mut w = World::with_secrets();
    w.canary(B_VALUE);
    jupyter(&w, &["install"]).ok();
    let argv: Vec<String> = spec(&w, KERNEL)["argv"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_owned())
        .collect();
    let conn = connection_file(&w);
    let kernel_args: Vec<String> = argv[1..]
        .iter()
        .map(|a| a.replace("{connection_file}", conn.to_str().unwrap()))
        .collect();
    let b = w.path("b");
    second_project(&w, &b, B_VALUE);
    copy_project(&b, &w.project);
    w.cmd(&kernel_args)
        .fails(1)
        .one_line_error()
        .stderr_has("you trusted `dev` in this folder as project")
        .stderr_has("aisecrets trust");
    // A clone of the repository never opened here: a first use, refused without a terminal.
    let a2 = w.path("a2");
    copy_project(&w.project, &a2);
    let mut clone_args = kernel_args.clone();
    let root = std::fs::canonicalize(&w.project).unwrap();
    for a in &mut clone_args {
        if Path::new(a.as_str()) == root {
            *a = a2.to_str().unwrap().to_owned();
        }
    }
    w.cmd(&clone_args)
        .dir(&a2)
        .fails(1)
        .one_line_error()
        .stderr_has("not trusted in this folder yet")
        .stderr_has("AISECRETS_TRUST");
    // Nothing holds the client's ports.
    let info: Value = serde_json::from_slice(&std::fs::read(&conn).unwrap()).unwrap();
    std::net::TcpListener::bind(("127.0.0.1", info["shell_port"].as_u64().unwrap() as u16))
        .expect("the refused kernel left no listener");
}

/// #18, as a new user types it (README: `--python .venv/bin/python`): a relative `--python`
/// is taken from the current folder and written absolute, a bare name is looked up on PATH,
/// and `--name` is lowercased as Jupyter and `ipykernel install` do. Before the fix the
/// relative path failed with "No such file or directory" (the probe runs in `/`).
#[test]
fn jupyter_install_takes_a_relative_or_bare_python_and_lowercases_the_name() {
    let w = World::with_secrets();
    let out = std::process::Command::new("python3")
        .args(["-c", "import sys; sys.stdout.write(sys.executable)"])
        .output()
        .unwrap();
    let real = String::from_utf8(out.stdout).unwrap();
    std::os::unix::fs::symlink(&real, w.project.join("py")).unwrap();
    jupyter(&w, &["install", "--name", "Rel", "--python", "./py"]).ok();
    let s = spec(&w, "rel");
    let argv = s["argv"].as_array().unwrap();
    let python = argv[argv.iter().position(|a| a == "--").unwrap() + 1]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(Path::new(&python).is_absolute(), "{python}");
    jupyter(&w, &["install", "--name", "bare", "--python", "python3"]).ok();
    assert!(data_dir(&w).join("kernels/bare/kernel.json").is_file());
    jupyter(&w, &["install", "--python", "no-such-python-here"])
        .fails(1)
        .one_line_error()
        .stderr_has("pass the path of a Python interpreter");
    jupyter(&w, &["uninstall", "REL"]).ok();
    assert!(!data_dir(&w).join("kernels/rel").exists());
}
