//! `aisecrets identity new|show`.

use crate::base::error::Result;
use crate::base::user;
use crate::cli::IdentityCommand;
use crate::{base::exit, base::output, keys::identity};

/// Runs an identity subcommand.
pub(super) fn run(cmd: IdentityCommand) -> Result<u8> {
    match cmd {
        IdentityCommand::New(args) => {
            let created = identity::create(args.no_passphrase)?;
            let protection = if args.no_passphrase {
                "without a passphrase: keep this file private"
            } else {
                "protected by your passphrase"
            };
            output::status(&format!(
                "created {} ({protection})",
                created.path.display()
            ));
            output::stdout(
                format!(
                    "{key}\n\nA teammate adds you to a project with:\n  aisecrets recipients add {name} {key}\n",
                    key = created.public,
                    name = user::name()
                )
                .as_bytes(),
            )?;
        }
        IdentityCommand::Show => {
            output::stdout(format!("{}\n", identity::public_key()?).as_bytes())?;
        }
    }
    Ok(exit::OK)
}
