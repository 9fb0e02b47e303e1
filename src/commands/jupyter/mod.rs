//! `aisecrets jupyter install | list | uninstall` and the hidden `jupyter kernel` that a
//! kernelspec runs (#18). The kernel is `run` with a Jupyter relay beside the child: the same
//! selection, trust checks and `--mask` of its own output, through `run`'s one code path.

mod spec;

use std::ffi::OsString;
use std::path::Path;

use crate::base::error::{Error, Result};
use crate::base::exit::Outcome;
use crate::cli::{EnvArg, JupyterCommand, JupyterKernelArgs, RunArgs};
use crate::project::Project;
use crate::run::jupyter::Plan;
use crate::run::ramdir::RamDir;

/// How long a kernel has to end after SIGTERM (the client died, or we are stopped) before
/// its process group is killed.
const KILL_GRACE: std::time::Duration = std::time::Duration::from_secs(3);

/// Runs `jupyter ...`.
pub(super) fn run(command: JupyterCommand) -> Result<Outcome> {
    let code = match command {
        JupyterCommand::Install(a) => spec::install(&a),
        JupyterCommand::List => spec::list(),
        JupyterCommand::Uninstall(a) => spec::uninstall(&a.name),
        JupyterCommand::Kernel(a) => return kernel(a),
    };
    code.map(Outcome::Exit)
}

/// The kernel: binds the client's ports, writes the kernel's connection file into a RAM
/// folder, and runs the kernel's command as `run --mask` would, with the relay beside it.
fn kernel(args: JupyterKernelArgs) -> Result<Outcome> {
    // The client that started us, as early as we can know it: one that dies before the
    // relay runs is noticed too.
    let parent = nix::unistd::getppid();
    // Under a coding agent, the kernel is `run --mask` under an agent: it needs the reason
    // the kernelspec was installed with (`jupyter install --reason`), and `[agents]` rules
    // apply to it as to `run` (checked in `run::guarded`).
    if let Some(agent) = super::agent_guard("run", true)?
        && args.reason.as_deref().is_none_or(|r| r.trim().is_empty())
    {
        return Err(Error::Usage(format!(
            "a Jupyter kernel under a coding agent ({agent}) needs a reason for the audit log: install it with `aisecrets jupyter install --reason TEXT`"
        )));
    }
    let project = Project::load(&args.project).map_err(|e| match e {
        Error::Io { .. } => Error::Failed(format!(
            "no aisecrets project in {} any more: install the kernel again from the project (aisecrets jupyter install)",
            args.project.display()
        )),
        other => other,
    })?;
    // A wrong environment or scope says so before any port is taken.
    project.env(&args.env)?;
    let dir = RamDir::create("run")?;
    let plan = Plan::bind(&args.connection_file, &dir, parent)?;
    let ours = plan.kernel_file().to_owned();
    let mut replaced = false;
    let command: Vec<OsString> = args
        .command
        .into_iter()
        .map(|a| {
            if Path::new(&a) == args.connection_file {
                replaced = true;
                ours.clone().into_os_string()
            } else {
                a
            }
        })
        .collect();
    if !replaced {
        return Err(Error::Usage(
            "the kernel command must take the connection file (… -f {connection_file} -- PYTHON -m ipykernel_launcher -f {connection_file}); install the kernel again with `aisecrets jupyter install`".into(),
        ));
    }
    let run_args = RunArgs {
        env: EnvArg {
            env: Some(args.env),
        },
        only: None,
        scope: args.scope,
        mask: true,
        allow_argv: false,
        jail: false,
        agent: false,
        reason: args.reason,
        vault_token: false,
        proxy: None,
        egress: None,
        command,
    };
    crate::run::group::set_kernel_mode(KILL_GRACE);
    let outcome = super::run::guarded(&run_args, Some(project), Some(plan));
    drop(dir);
    outcome
}
