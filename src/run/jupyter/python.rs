//! The Python a Jupyter kernel runs: `--python` (a path, relative to the current folder, or a
//! bare name looked up on PATH), else `python3` on PATH, asked for its own
//! absolute path (`sys.executable`, so a pyenv shim resolves to the interpreter and a
//! virtualenv's python stays the virtualenv's; not canonicalised, which would leave the
//! virtualenv) and checked to be 3.11 or newer (the kernel runs with `-P`) and to import
//! ipykernel. The probe runs in `/` with `-P` from 3.11 on, so no module planted in the
//! project folder (an `ipykernel.py`) runs or answers for it.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::base::error::{Error, Result};
use crate::base::output::sanitize;

/// The interpreter to write into a kernelspec: `explicit`, else `python3` on PATH; it must
/// run and import ipykernel.
pub fn interpreter(explicit: Option<&Path>) -> Result<PathBuf> {
    let candidate = match explicit {
        Some(p) => {
            // A bare name (`python3.12`) is looked up on PATH, as a shell would; a path is
            // made absolute here, because the probes below run in `/`.
            let bare = p.components().count() == 1 && !p.is_absolute() && !p.is_file();
            let found = if bare {
                on_path(&p.to_string_lossy())
            } else {
                None
            };
            let p = match found {
                Some(f) => f,
                None => std::path::absolute(p).unwrap_or_else(|_| p.to_owned()),
            };
            if !p.is_file() {
                return Err(Error::Failed(format!(
                    "--python {}: no such file; pass the path of a Python interpreter",
                    sanitize(&p.display().to_string(), 200)
                )));
            }
            p
        }
        None => on_path("python3").ok_or_else(|| {
            Error::Failed(
                "python3 is not on PATH: install Python 3 with ipykernel, or pass --python PATH"
                    .into(),
            )
        })?,
    };
    let shown = sanitize(&candidate.display().to_string(), 200);
    // Older Pythons refuse `-P`: the version is checked first, by code that imports
    // nothing, run in `/` (sys.path[0] of `-c` is the working folder).
    let out = Command::new(&candidate)
        .args([
            "-c",
            "import sys; sys.exit(0 if sys.version_info >= (3, 11) else 3)",
        ])
        .current_dir("/")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map_err(|e| {
            Error::Failed(format!(
                "cannot run {shown} ({e}); pass --python with the path of a Python interpreter"
            ))
        })?;
    if out.code() == Some(3) {
        return Err(Error::Failed(format!(
            "{shown} is older than Python 3.11, which the kernel needs (it runs with -P, so the notebook's folder cannot shadow ipykernel): pass --python with Python 3.11 or newer"
        )));
    }
    let out = Command::new(&candidate)
        .args([
            "-P",
            "-c",
            "import sys, ipykernel; sys.stdout.write(sys.executable)",
        ])
        .current_dir("/")
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| {
            Error::Failed(format!(
                "cannot run {shown} ({e}); pass --python with the path of a Python interpreter"
            ))
        })?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        if err.contains("ModuleNotFoundError") || err.contains("ImportError") {
            return Err(Error::Failed(format!(
                "{shown} cannot import ipykernel: install it with `{shown} -m pip install ipykernel`, or pass --python with one that has it"
            )));
        }
        return Err(Error::Failed(format!(
            "{shown} did not run as Python (exit {}); pass --python with the path of a Python 3 interpreter",
            out.status
        )));
    }
    let exe = PathBuf::from(OsString::from(
        String::from_utf8_lossy(&out.stdout).into_owned(),
    ));
    if exe.is_absolute() && executable(&exe) {
        Ok(exe)
    } else {
        std::path::absolute(&candidate).map_err(|e| Error::io("resolve", candidate.clone(), e))
    }
}

/// Whether `p` is an executable regular file.
fn executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    p.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// The first executable `name` on PATH.
fn on_path(name: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .filter(|d| d.is_absolute())
        .map(|d| d.join(name))
        .find(|p| {
            p.metadata()
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}
