//! `aisecrets git setup`, and the drivers git calls: `git textconv` (diff), `git merge`, and
//! the notebook filter (`git clean-notebook`, `git smudge-notebook`).

mod merge;
mod notebook;
pub(super) mod record;
mod setup;
mod textconv;

use crate::base::error::Result;
use crate::cli::GitCommand;

/// Runs a git subcommand.
pub(crate) fn run(cmd: GitCommand) -> Result<u8> {
    match cmd {
        GitCommand::Setup => setup::run(),
        GitCommand::Textconv { file } => textconv::run(&file),
        GitCommand::CleanNotebook { path } => notebook::clean(path.as_deref()),
        GitCommand::SmudgeNotebook => notebook::smudge(),
        GitCommand::Merge {
            base,
            ours,
            theirs,
            path,
        } => merge::run(&base, &ours, &theirs, path.as_deref()),
    }
}

/// The clone-local driver setup that every project command does (#13); see [`setup::auto`].
pub(super) fn auto_setup(project: &crate::project::Project) {
    setup::auto(project);
}

/// The project the notebook filter and the pre-commit hook check; see [`setup::repo_project`].
pub(super) fn repo_project(top: &std::path::Path) -> Result<Option<crate::project::Project>> {
    setup::repo_project(top)
}

/// Everything `git setup` does, for `init` in a git repository; returns what it wrote.
pub(super) fn full_setup(
    project: &crate::project::Project,
    top: &std::path::Path,
) -> Result<Vec<&'static str>> {
    setup::full(project, top)
}

/// The opened data key of an environment file, if this user's identity opens it without
/// asking (drivers run inside git, with nobody to ask).
fn open_key(file: &crate::backend::file::EnvFile) -> Option<crate::keys::seal::DataKey> {
    let keys = crate::keys::identity::load_if_open().ok()??;
    let key = crate::keys::wrap::unwrap_data_key(&file.data_key, keys.identities()).ok()?;
    (key.key_id() == file.key_id).then_some(key)
}
