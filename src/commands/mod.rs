//! Dispatch: one module per subcommand, each with `run(args) -> Result<u8>`.

mod agent;
mod audit;
mod completions;
mod edit;
mod export;
mod get;
mod git;
mod identity;
mod import;
mod init;
mod jupyter;
mod list;
mod lock;
mod mcp;
mod recipients;
mod request_access;
mod rm;
mod rotate;
mod run;
mod scan;
mod set;
mod status;
mod sync;
mod trust;
mod unlock;

use std::path::PathBuf;

use crate::base::error::{Error, Result};
use crate::base::exit::Outcome;
use crate::cli::{Cli, Command};
use crate::project::Project;

/// Runs the parsed command line and returns how it ends (`run` may end in a signal).
pub(crate) fn dispatch(cli: Cli) -> Result<Outcome> {
    // Every command that works on a project makes sure this clone merges secrets files
    // with the driver (#13); git's own calls (drivers, hook) and user-only commands do not.
    let on_project = matches!(
        cli.command,
        Command::Set(_)
            | Command::Get(_)
            | Command::Rm(_)
            | Command::List(_)
            | Command::Import(_)
            | Command::Export(_)
            | Command::Run(_)
            | Command::Rotate(_)
            | Command::Push(_)
            | Command::Pull(_)
            | Command::Recipients(_)
            | Command::RequestAccess(_)
            | Command::Trust(_)
            | Command::Edit(_)
            | Command::Status(_)
    );
    // The project found here is handed on to `run` (read and parsed once, #14); the other
    // commands find it again.
    let found = if on_project {
        cwd()
            .ok()
            .and_then(|cwd| Project::find(&cwd).ok().flatten())
    } else {
        None
    };
    if let Some(project) = &found {
        git::auto_setup(project);
    }
    let code = match cli.command {
        Command::Run(a) => return run::run(&a, found),
        Command::Identity(c) => identity::run(c),
        Command::Init(a) => init::run(&a),
        Command::Set(a) => set::run(&a),
        Command::Get(a) => get::run(&a),
        Command::Rm(a) => rm::run(&a),
        Command::List(a) => list::run(&a),
        Command::Import(a) => import::run(&a),
        Command::Export(a) => export::run(&a),
        Command::Rotate(a) => rotate::run(&a),
        Command::Push(a) => sync::run(&a, sync::Direction::Push),
        Command::Pull(a) => sync::run(&a, sync::Direction::Pull),
        Command::Recipients(c) => recipients::run(c),
        Command::RequestAccess(a) => request_access::run(&a),
        Command::Trust(a) => trust::run(&a),
        Command::Edit(a) => edit::run(&a),
        Command::Scan(a) => scan::run(&a).map_err(|e| Error::CouldNotRun(Box::new(e))),
        Command::Git(c) => git::run(c),
        Command::Audit(a) => audit::run(&a),
        Command::Unlock(a) => unlock::run(&a),
        Command::Lock => lock::run(),
        Command::Status(a) => status::run(&a),
        Command::Completions(a) => completions::run(&a),
        Command::Mcp => return mcp::run(),
        Command::Agent(c) => agent::run(c),
        Command::Jupyter(c) => return jupyter::run(c),
    };
    code.map(Outcome::Exit)
}

/// Under a coding agent (see [`crate::base::agent`]), `get`, `export`, `edit` and `run`
/// without `--mask` would show it a value: refused with one line naming the way that does
/// not (#16), unless `[agents] allow_commands` in the user's config lists the command.
/// Returns the agent the command runs under, unless the user's exception covers it (then,
/// as without an agent, `None`).
fn agent_guard(command: &str, masked: bool) -> Result<Option<String>> {
    let Some(agent) = crate::base::agent::detect() else {
        return Ok(None);
    };
    if crate::base::config::load()?
        .agents
        .allow_commands
        .iter()
        .any(|c| c == command)
    {
        return Ok(None);
    }
    if masked {
        return Ok(Some(agent));
    }
    Err(Error::Failed(format!(
        "`aisecrets {command}` would show secret values to the coding agent this runs under ({agent}): \
         let it use them through `aisecrets mcp` (set up with `aisecrets agent setup`), \
         `aisecrets run --agent --reason TEXT -- CMD` or `aisecrets run --mask --reason TEXT -- CMD`; to allow it, add \"{command}\" to [agents] allow_commands in config.toml"
    )))
}

fn cwd() -> Result<PathBuf> {
    std::env::current_dir().map_err(|e| Error::io("read", "the current folder", e))
}

/// The project around the current folder and the environment picked by `flag`.
fn project_env(flag: Option<&str>) -> Result<(Project, String)> {
    project_env_in(None, flag)
}

/// [`project_env`] with the project already `found` around the current folder, if it was.
fn project_env_in(found: Option<Project>, flag: Option<&str>) -> Result<(Project, String)> {
    let project = match found {
        Some(project) => project,
        None => Project::require(&cwd()?)?,
    };
    let env = project.pick_env(flag)?;
    Ok((project, env))
}

/// The command layer's decision on a first use of an environment on this machine (an
/// unpinned data key or Vault settings): shown and asked on the terminal; with no terminal,
/// the error that names `aisecrets trust` and `AISECRETS_TRUST`. Passed down to the
/// backends, which never prompt themselves.
fn ask(first: crate::project::trust::FirstUse) -> Result<()> {
    if !crate::base::prompt::has_terminal() {
        return Err(first.no_terminal);
    }
    crate::base::output::status(&first.text);
    if crate::base::prompt::confirm(first.question)? {
        Ok(())
    } else {
        Err(Error::Prompt(first.declined))
    }
}
