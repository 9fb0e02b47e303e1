//! `aisecrets jupyter ...` (#18): kernels whose secrets come from aisecrets and whose
//! outputs are masked before they reach the notebook.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Args, Subcommand, ValueHint};

/// `aisecrets jupyter ...`
#[derive(Debug, Subcommand)]
pub enum JupyterCommand {
    /// Install a Jupyter kernel (a kernelspec) that runs Python with this project's secrets
    /// and masks every secret value in what it sends to the notebook.
    Install(JupyterInstallArgs),
    /// List the kernels aisecrets installed: name, project, environment, where.
    List,
    /// Remove a kernel that aisecrets installed.
    Uninstall(JupyterUninstallArgs),
    /// The kernel as Jupyter starts it (from kernel.json); not for direct use.
    #[command(hide = true)]
    Kernel(JupyterKernelArgs),
}

/// Arguments of `jupyter install`.
#[derive(Debug, Args)]
pub struct JupyterInstallArgs {
    /// Environment whose secrets the kernel gets [default: $AISECRETS_ENV, the manifest's
    /// default_env, or dev].
    #[arg(long, short = 'e', value_name = "NAME")]
    pub env: Option<String>,
    /// Give the kernel only the secrets of this scope from aisecrets.toml ([scopes.NAME]).
    #[arg(long, value_name = "NAME")]
    pub scope: Option<String>,
    /// The kernelspec's name [default: aisecrets-PROJECT-ENV].
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// The Python to run the kernel with; it must import ipykernel [default: python3 on PATH].
    #[arg(long, value_name = "PATH", value_hint = ValueHint::ExecutablePath)]
    pub python: Option<PathBuf>,
    /// Install into the active virtualenv ($VIRTUAL_ENV/share/jupyter/kernels) instead of
    /// your Jupyter data folder ($JUPYTER_DATA_DIR, else ~/.local/share/jupyter), like
    /// `ipykernel install --sys-prefix`.
    #[arg(long)]
    pub sys_prefix: bool,
    /// Why the kernel needs the secrets; needed under a coding agent, where the kernel
    /// follows `run`'s rules for agents. Goes into kernel.json and to the audit log of every
    /// start.
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
}

/// Arguments of `jupyter uninstall`.
#[derive(Debug, Args)]
pub struct JupyterUninstallArgs {
    /// The kernel's name, as `aisecrets jupyter list` shows it.
    #[arg(value_name = "NAME")]
    pub name: String,
}

/// Arguments of the hidden `jupyter kernel`, as kernel.json gives them.
#[derive(Debug, Args)]
pub struct JupyterKernelArgs {
    /// The project's folder.
    #[arg(long, value_name = "DIR", value_hint = ValueHint::DirPath)]
    pub project: PathBuf,
    /// The environment.
    #[arg(long, value_name = "NAME")]
    pub env: String,
    /// The scope, if any.
    #[arg(long, value_name = "NAME")]
    pub scope: Option<String>,
    /// Why the kernel needs the secrets (from `jupyter install --reason`).
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
    /// The connection file Jupyter gives ({connection_file}).
    #[arg(long, short = 'f', value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub connection_file: PathBuf,
    /// The kernel's command, after `--`; the connection file in it is replaced by the
    /// kernel's own.
    #[arg(value_name = "CMD", required = true, num_args = 1.., trailing_var_arg = true)]
    pub command: Vec<OsString>,
}
