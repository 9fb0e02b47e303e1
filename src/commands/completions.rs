//! `aisecrets completions SHELL`.

use crate::cli::CompletionsArgs;
use crate::error::Result;
use crate::{docs, exit, output};

/// Runs `completions`.
pub(super) fn run(args: &CompletionsArgs) -> Result<u8> {
    output::stdout(&docs::completion(args.shell))?;
    Ok(exit::OK)
}
