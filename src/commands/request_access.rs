//! `aisecrets request-access [--name NAME]`: record your public key in aisecrets.toml as a
//! pending request, for a member to approve after you commit it.

use crate::base::error::{Error, Result};
use crate::cli::RequestAccessArgs;
use crate::project::Project;
use crate::project::manifest;
use crate::{base::exit, base::output, base::secret, keys::identity, project::trust};

/// Runs `request-access`.
pub(super) fn run(args: &RequestAccessArgs) -> Result<u8> {
    let project = Project::require(&super::cwd()?)?;
    let (name, source) = match &args.name {
        Some(n) => (n.clone(), None),
        None => {
            let (n, source) = crate::base::user::name_and_source();
            (n, Some(source))
        }
    };
    secret::check_recipient_name(&name)?;
    let public = identity::public_key()?;
    let taken = project.manifest.environments.iter().find_map(|(env, d)| {
        d.recipients
            .get(&name)
            .filter(|k| k.trim() != public)
            .map(|_| env.clone())
    });
    if let Some(env) = taken {
        return Err(Error::Failed(format!(
            "`{name}` is already a recipient of `{env}` with another key: pick another name with --name"
        )));
    }
    let everywhere = !project.manifest.environments.is_empty()
        && project
            .manifest
            .environments
            .values()
            .all(|d| d.recipients.values().any(|k| k.trim() == public));
    if everywhere {
        output::status("you are already a recipient of every environment here; nothing to ask for");
        return Ok(exit::OK);
    }
    manifest::edit(&project.root, |doc| {
        manifest::set_pending(doc, &name, Some(&public));
        Ok(())
    })?;
    let named = source
        .map(|s| format!(", a name from {s}: `--name` picks another"))
        .unwrap_or_default();
    output::status(&format!(
        "recorded your request as `{name}` ({}{named}) in aisecrets.toml.\n\
         next: commit and push it, then ask a member to run `aisecrets recipients approve {name}`",
        trust::fingerprint(&public)
    ));
    Ok(exit::OK)
}
