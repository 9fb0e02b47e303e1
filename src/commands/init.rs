//! `aisecrets init`: start a project in the current folder, or add an environment to the
//! project around it.

use crate::backend::file;
use crate::base::error::{Error, Result};
use crate::base::files;
use crate::cli::InitArgs;
use crate::project::Project;
use crate::project::manifest;
use crate::{base::exit, base::output, base::secret, keys::identity, keys::seal};

/// Runs `init`.
pub(super) fn run(args: &InitArgs) -> Result<u8> {
    secret::check_env_name(&args.env)?;
    let (name, source) = match &args.name {
        Some(n) => {
            secret::check_recipient_name(n)?;
            (n.clone(), "--name")
        }
        None => crate::base::user::name_and_source(),
    };
    let public = identity::public_key()?;
    let cwd = super::cwd()?;
    let (root, text, is_new) = match Project::find(&cwd)? {
        Some(p) => {
            if p.manifest.environments.contains_key(&args.env) {
                return Err(Error::EnvExists {
                    env: args.env.clone(),
                    path: p.manifest_path(),
                });
            }
            let text = std::fs::read_to_string(p.manifest_path())
                .map_err(|e| Error::io("read", p.manifest_path(), e))?;
            (p.root, text, false)
        }
        None => (cwd, manifest::new_manifest_text(&seal::random_id(16)), true),
    };
    let _lock = files::lock_dir(&root)?;
    // Read again under the lock, so a concurrent edit of the manifest is not lost.
    let text = if is_new {
        text
    } else {
        let path = root.join(manifest::MANIFEST);
        std::fs::read_to_string(&path).map_err(|e| Error::io("read", &path, e))?
    };
    let text = manifest::add_env(&root, &text, &args.env, &name, &public)?;
    let manifest: manifest::Manifest = toml::from_str(&text).map_err(|e| Error::Manifest {
        path: root.join(manifest::MANIFEST),
        reason: e.message().to_owned(),
    })?;
    let project = Project {
        root: root.clone(),
        manifest,
    };
    let env_path = file::create_env(
        &project,
        &args.env,
        &std::collections::BTreeMap::from([(name.clone(), public)]),
    )?;
    let manifest_path = project.manifest_path();
    if is_new {
        files::create_new(&manifest_path, text.as_bytes(), 0o644)?;
    } else {
        files::write_atomic(&manifest_path, text.as_bytes(), 0o644)?;
    }
    let rel = env_path.strip_prefix(&root).unwrap_or(&env_path);
    let named = if source == "--name" {
        String::new()
    } else {
        format!(", from {source}; `--name` picks another")
    };
    output::status(&format!(
        "{} {} and {} (recipient: {name}{named})\nnext: `aisecrets set NAME --env {env}`, then `aisecrets run --env {env} -- CMD`; commit both files",
        if is_new { "created" } else { "updated" },
        manifest_path.display(),
        rel.display(),
        env = args.env,
    ));
    if let Ok(top) = crate::git::toplevel(&root) {
        // In a git repository: the drivers, the hook and .gitattributes now, so the first
        // merge already goes by name (#13).
        match super::git::full_setup(&project, &top) {
            Ok(changed) if !changed.is_empty() => output::status(&format!(
                "git setup: wrote {}; commit .gitattributes and .gitignore with the rest",
                changed.join(", ")
            )),
            Ok(_) => {}
            Err(e) => output::status(&format!(
                "aisecrets: could not set up git ({e}): run `aisecrets git setup`"
            )),
        }
    } else {
        // The files only work for a team through git (#13).
        output::status(&format!(
            "note: {} is not in a git repository; aisecrets.toml and secrets/ belong in git: `git init`, then `aisecrets git setup`",
            root.display()
        ));
    }
    Ok(exit::OK)
}
