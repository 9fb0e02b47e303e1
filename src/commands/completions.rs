//! `aisecrets completions SHELL`.

use crate::base::error::Result;
use crate::cli::CompletionsArgs;
use crate::{base::exit, base::output, cli::docs};

/// Runs `completions`.
pub(super) fn run(args: &CompletionsArgs) -> Result<u8> {
    output::stdout(&docs::completion(args.shell))?;
    Ok(exit::OK)
}
