//! `aisecrets identity new|show`.

use crate::base::error::Result;
use crate::base::user;
use crate::cli::IdentityCommand;
use crate::{base::exit, base::output, keys::identity};

/// Runs an identity subcommand.
pub(super) fn run(cmd: IdentityCommand) -> Result<u8> {
    match cmd {
        IdentityCommand::New(args) => {
            let created = if args.tpm {
                identity::create_tpm(args.no_pin)?
            } else {
                identity::create(args.no_passphrase)?
            };
            let protection = match (args.tpm, args.no_pin, args.no_passphrase) {
                (true, true, _) => "sealed to this machine's TPM, no PIN",
                (true, false, _) => "sealed to this machine's TPM, with your PIN",
                (false, _, true) => "without a passphrase: keep this file private",
                (false, _, false) => "protected by your passphrase",
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
