//! `aisecrets trust [--env E] [--yes] [--print]`: show an environment's key id and
//! recipients and pin it; or print the `AISECRETS_TRUST` value for machines with no memory.

use crate::backend;
use crate::base::error::{Error, Result};
use crate::cli::TrustArgs;
use crate::project::Project;
use crate::project::trust::FirstUse;
use crate::{base::exit, base::output, base::prompt, project::trust};

/// Runs `trust`.
pub(super) fn run(args: &TrustArgs) -> Result<u8> {
    let project = Project::require(&super::cwd()?)?;
    let envs = match args.env.env.as_deref() {
        Some(e) => {
            project.env(e)?;
            vec![e.to_owned()]
        }
        None if args.print => project.env_names(),
        None => vec![project.pick_env(None)?],
    };
    if args.print {
        let value = trust::print_value(
            &project,
            &envs,
            &crate::backend::vault::settings_of(&project, &envs)?,
        )?.ok_or_else(|| {
            Error::Failed("no trusted environment of this project here: run `aisecrets trust --env ENV` first".into())
        })?;
        output::stdout(format!("{value}\n").as_bytes())?;
        return Ok(exit::OK);
    }
    for env in &envs {
        let mut backend = backend::of(&project, env, super::ask)?;
        let trusted = backend.trust(if args.yes { show } else { show_and_confirm })?;
        output::status(&trusted);
    }
    // `[proxy.NAME]` rules say where keys may go under `run --proxy` (#15).
    if !trust::proxy_trusted(&project)? {
        let what = FirstUse {
            text: trust::describe_proxy(&project.manifest.proxy),
            question: "Let `run --proxy` send these keys to these hosts?",
            no_terminal: Error::Failed(
                "the [proxy.NAME] rules need your approval: run `aisecrets trust` in a terminal, or `aisecrets trust --yes`".into(),
            ),
            declined: "host rules not trusted",
        };
        if args.yes {
            show(what)
        } else {
            show_and_confirm(what)
        }?;
        trust::pin_proxy(&project)?;
        output::status("aisecrets: the [proxy.NAME] host rules are trusted here");
    }
    Ok(exit::OK)
}

/// `trust --yes`: shows what is trusted, asks nothing.
fn show(what: FirstUse) -> Result<()> {
    output::status(&what.text);
    Ok(())
}

/// `trust`: shows what is trusted and asks.
fn show_and_confirm(what: FirstUse) -> Result<()> {
    output::status(&what.text);
    if prompt::confirm(what.question)? {
        Ok(())
    } else {
        Err(Error::Prompt(what.declined))
    }
}
