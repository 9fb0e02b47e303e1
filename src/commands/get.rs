//! `aisecrets get NAME`: the value and a newline on stdout.

use zeroize::Zeroizing;

use crate::cli::NameArgs;
use crate::error::Result;
use crate::{exit, identity, output, store};

/// Runs `get`.
pub(super) fn run(args: &NameArgs) -> Result<u8> {
    let (project, env) = super::project_env(args.env.env.as_deref())?;
    let keys = identity::load()?;
    let open = store::open(&project, &env, &keys)?;
    let value = open.get(&args.name)?;
    let mut line = Zeroizing::new(String::with_capacity(value.expose().len() + 1));
    line.push_str(value.expose());
    line.push('\n');
    crate::audit::record(
        "get",
        Some((&project, &env)),
        std::slice::from_ref(&args.name),
        None,
        "ok",
    );
    output::stdout(line.as_bytes())?;
    Ok(exit::OK)
}
