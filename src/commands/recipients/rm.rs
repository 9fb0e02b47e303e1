//! `recipients rm NAME`: a new data key for every environment they could read, every value
//! resealed and marked exposed to them. What they already read cannot be taken back. The
//! new `AISECRETS_TRUST` value for CI is printed on stdout (#12).

use crate::base::error::{Error, Result};
use crate::cli::RecipientsRmArgs;
use crate::project::Project;
use crate::{base::exit, base::output, keys::identity, project::trust};

/// Runs `recipients rm`.
pub(super) fn run(args: &RecipientsRmArgs) -> Result<u8> {
    let project = Project::require(&super::super::cwd()?)?;
    let name = args.name.as_str();
    let envs: Vec<String> = super::target_envs(&project, args.env.env.as_deref())?
        .into_iter()
        .filter(|e| {
            project
                .env(e)
                .is_ok_and(|d| d.recipients.contains_key(name))
        })
        .collect();
    if envs.is_empty() {
        let all: Vec<&str> = project
            .manifest
            .environments
            .values()
            .flat_map(|d| d.recipients.keys().map(String::as_str))
            .collect();
        let similar = output::did_you_mean(name, all.iter().copied());
        return Err(Error::Failed(format!(
            "`{}` is not a recipient of {}{}",
            output::sanitize(name, 64),
            args.env
                .env
                .as_deref()
                .map_or("any environment".to_owned(), |e| format!("`{e}`")),
            similar
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default()
        )));
    }
    for env in &envs {
        trust::require_approved(&project, env)?;
    }
    let keys = identity::load()?;
    let mut plans = Vec::new();
    for env in &envs {
        let mut target = project.env(env)?.recipients.clone();
        target.remove(name);
        plans.push(super::Plan {
            env: env.clone(),
            target,
            removed: vec![name.to_owned()],
        });
    }
    let exposed = super::apply_all(&project, &keys, &plans, None)?;
    output::status(&format!(
        "removed {name} from {}: new data keys, so they cannot open the current files.\n\
         {exposed} secret(s) they could read are marked exposed: rotate them (`aisecrets status` lists where), then commit",
        envs.join(", ")
    ));
    // CI has no memory: its AISECRETS_TRUST still names the old key, which {name} knew,
    // so it would follow a new key {name} made from it. The new value goes to stdout
    // (`aisecrets recipients rm NAME | gh secret set AISECRETS_TRUST` works).
    if let Some(value) = trust::print_value(
        &project,
        &project.env_names(),
        &crate::backend::vault::settings_of(&project, &project.env_names())?,
    )? {
        output::stdout(format!("{value}\n").as_bytes())?;
        output::status(&format!(
            "CI: replace AISECRETS_TRUST in your CI's secret store (GitHub: Settings > Secrets and variables > Actions) with the line printed above (`aisecrets trust --print` prints it again): the old value would still accept a data key {name} could make"
        ));
    }
    Ok(exit::OK)
}
