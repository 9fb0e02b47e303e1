//! The kernelspecs aisecrets writes (`kernels/<name>/kernel.json` in the user's Jupyter data
//! folder or the active virtualenv's), and listing and removing them. Ours carry
//! `metadata.aisecrets`; a kernelspec without it is never touched.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::base::error::{Error, Result};
use crate::base::output::sanitize;
use crate::base::{exit, files, output};
use crate::cli::JupyterInstallArgs;
use crate::run::jupyter::python;

/// The largest kernel.json read.
const MAX_SPEC: u64 = 256 * 1024;

/// The user's Jupyter data folder, as jupyter_core finds it on Linux.
fn user_data_dir() -> Result<PathBuf> {
    let var = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(d) = var("JUPYTER_DATA_DIR") {
        return Ok(d);
    }
    if let Some(d) = var("XDG_DATA_HOME") {
        return Ok(d.join("jupyter"));
    }
    dirs::home_dir()
        .map(|h| h.join(".local/share/jupyter"))
        .ok_or_else(|| {
            Error::Failed("cannot find your home folder: set HOME or JUPYTER_DATA_DIR".into())
        })
}

/// The active virtualenv's Jupyter data folder, if there is one.
fn venv_data_dir() -> Option<PathBuf> {
    std::env::var_os("VIRTUAL_ENV")
        .filter(|v| !v.is_empty())
        .map(|v| PathBuf::from(v).join("share/jupyter"))
}

/// Where kernelspecs are looked for: the user's folder, then the virtualenv's.
fn kernel_dirs() -> Result<Vec<PathBuf>> {
    let mut dirs = vec![user_data_dir()?.join("kernels")];
    dirs.extend(venv_data_dir().map(|d| d.join("kernels")));
    Ok(dirs)
}

/// `metadata.aisecrets` of the kernelspec in `dir`, if it is one of ours; `Err(())` if
/// there is a kernelspec there that is not.
fn ours(dir: &Path) -> std::result::Result<Option<Value>, ()> {
    let file = dir.join("kernel.json");
    if !file.exists() && !dir.exists() {
        return Ok(None);
    }
    let spec: Option<Value> = files::read_regular(&file, MAX_SPEC)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    match spec.as_ref().and_then(|s| s.pointer("/metadata/aisecrets")) {
        Some(meta) if meta.is_object() => Ok(Some(meta.clone())),
        _ => Err(()),
    }
}

/// A kernelspec name Jupyter accepts: ASCII letters, digits, `-`, `.`, `_`.
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
}

fn default_name(project: &str, env: &str, scope: Option<&str>) -> String {
    let raw = match scope {
        Some(s) => format!("aisecrets-{project}-{env}-{s}"),
        None => format!("aisecrets-{project}-{env}"),
    };
    raw.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_') {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}

/// `jupyter install`.
pub(super) fn install(args: &JupyterInstallArgs) -> Result<u8> {
    // A kernel gives its code the secrets: under a coding agent it is `run --mask`, which
    // needs a reason (kept in kernel.json, so every start of the kernel logs it).
    let reason = args.reason.as_deref().filter(|r| !r.trim().is_empty());
    if let Some(agent) = super::super::agent_guard("run", true)?
        && reason.is_none()
    {
        return Err(Error::Usage(format!(
            "installing a Jupyter kernel under a coding agent ({agent}) needs --reason TEXT: why its code needs the secrets (it goes to the audit log at every start)"
        )));
    }
    let (project, env) = super::super::project_env(args.env.as_deref())?;
    if let Some(scope) = &args.scope
        && !project.manifest.scopes.contains_key(scope)
    {
        let known: Vec<&str> = project.manifest.scopes.keys().map(String::as_str).collect();
        return Err(Error::Failed(format!(
            "no scope `{}` in aisecrets.toml (known: {}); declare [scopes.NAME] secrets = [...] or pick one of them",
            sanitize(scope, 64),
            if known.is_empty() {
                "none".to_owned()
            } else {
                known.join(", ")
            }
        )));
    }
    let base = if args.sys_prefix {
        venv_data_dir().ok_or_else(|| {
            Error::Usage(
                "--sys-prefix installs into the active virtualenv, and $VIRTUAL_ENV is not set: activate it, or leave out --sys-prefix to install for your user".into(),
            )
        })?
    } else {
        user_data_dir()?
    };
    let folder = project.root.file_name().map_or_else(
        || "project".to_owned(),
        |n| n.to_string_lossy().into_owned(),
    );
    let name = match &args.name {
        // Jupyter lowercases kernel names (as `ipykernel install --name` does).
        Some(n) if valid_name(n) => n.to_ascii_lowercase(),
        Some(n) => {
            return Err(Error::Usage(format!(
                "--name {}: a kernel name has only ASCII letters, digits, `-`, `.` and `_`",
                sanitize(n, 64)
            )));
        }
        None => default_name(&folder, &env, args.scope.as_deref()),
    };
    let dir = base.join("kernels").join(&name);
    if ours(&dir).is_err() {
        return Err(Error::Failed(format!(
            "a kernel `{name}` that aisecrets did not write is in {}: pick another --name",
            dir.display()
        )));
    }
    let python = python::interpreter(args.python.as_deref())?;
    let exe = std::env::current_exe()
        .and_then(std::fs::canonicalize)
        .map_err(|e| Error::io("find", "the aisecrets program", e))?;
    let root = std::fs::canonicalize(&project.root).unwrap_or_else(|_| project.root.clone());
    let mut argv = vec![
        json!(exe),
        json!("jupyter"),
        json!("kernel"),
        json!("--project"),
        json!(root),
        json!("--env"),
        json!(env),
    ];
    if let Some(s) = &args.scope {
        argv.extend([json!("--scope"), json!(s)]);
    }
    if let Some(r) = reason {
        argv.extend([json!("--reason"), json!(r)]);
    }
    argv.extend(
        [
            "-f",
            "{connection_file}",
            "--",
            &python.to_string_lossy(),
            // Safe path: the notebook's folder (the kernel's working folder) is not put
            // first on sys.path, so a planted `ipykernel_launcher.py` there does not run.
            "-P",
            "-m",
            "ipykernel_launcher",
            "-f",
            "{connection_file}",
        ]
        .map(|a| json!(a)),
    );
    let display = match &args.scope {
        Some(s) => format!("Python (aisecrets: {folder}/{env}, scope {s})"),
        None => format!("Python (aisecrets: {folder}/{env})"),
    };
    let spec = json!({
        "argv": argv,
        "display_name": display,
        "language": "python",
        "interrupt_mode": "signal",
        "metadata": {
            "aisecrets": {
                "project": root,
                "project_id": project.id(),
                "env": env,
                "scope": args.scope,
            }
        }
    });
    std::fs::create_dir_all(&dir).map_err(|e| Error::io("create", &dir, e))?;
    let text = serde_json::to_string_pretty(&spec).expect("a kernelspec serialises");
    files::write_atomic(
        &dir.join("kernel.json"),
        format!("{text}\n").as_bytes(),
        0o644,
    )?;
    output::status(&format!(
        "aisecrets: installed kernel `{name}` (\"{}\") in {}",
        sanitize(&display, 200),
        sanitize(&dir.display().to_string(), 400)
    ));
    Ok(exit::OK)
}

/// `jupyter list`: one line a kernel, `NAME  PROJECT  ENV[:SCOPE]  FOLDER`.
pub(super) fn list() -> Result<u8> {
    let mut found = 0;
    for kernels in kernel_dirs()? {
        let Ok(entries) = std::fs::read_dir(&kernels) else {
            continue;
        };
        let mut names: Vec<_> = entries.flatten().map(|e| e.path()).collect();
        names.sort();
        for dir in names {
            let Ok(Some(meta)) = ours(&dir) else {
                continue;
            };
            let text = |k: &str| meta.get(k).and_then(Value::as_str).unwrap_or("");
            let env = match meta.get("scope").and_then(Value::as_str) {
                Some(s) => format!("{}:{s}", text("env")),
                None => text("env").to_owned(),
            };
            let name = dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            println!(
                "{}\t{}\t{}\t{}",
                sanitize(&name, 128),
                sanitize(text("project"), 400),
                sanitize(&env, 128),
                sanitize(&dir.display().to_string(), 400)
            );
            found += 1;
        }
    }
    if found == 0 {
        output::status(
            "aisecrets: no aisecrets kernels installed (add one with `aisecrets jupyter install`)",
        );
    }
    Ok(exit::OK)
}

/// `jupyter uninstall NAME`.
pub(super) fn uninstall(name: &str) -> Result<u8> {
    let shown = sanitize(name, 64);
    if !valid_name(name) {
        return Err(Error::Usage(format!(
            "no kernel `{shown}`: a kernel name has only ASCII letters, digits, `-`, `.` and `_` (`aisecrets jupyter list` shows them)"
        )));
    }
    let lower = name.to_ascii_lowercase();
    for kernels in kernel_dirs()? {
        let dir = kernels.join(&lower);
        match ours(&dir) {
            Ok(None) => {}
            Ok(Some(_)) => {
                std::fs::remove_dir_all(&dir).map_err(|e| Error::io("remove", &dir, e))?;
                output::status(&format!(
                    "aisecrets: removed kernel `{shown}` from {}",
                    dir.display()
                ));
                return Ok(exit::OK);
            }
            Err(()) => {
                return Err(Error::Failed(format!(
                    "the kernel `{shown}` in {} was not written by aisecrets; remove it with `jupyter kernelspec remove {shown}`",
                    dir.display()
                )));
            }
        }
    }
    Err(Error::Failed(format!(
        "no aisecrets kernel `{shown}`; `aisecrets jupyter list` shows them"
    )))
}
