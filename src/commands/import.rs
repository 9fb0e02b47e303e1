//! `aisecrets import FILE`: dotenv lines into the environment, in one write.

use std::path::Path;

use zeroize::Zeroizing;

use crate::backend::file::{self, Change};
use crate::base::atomic;
use crate::base::error::{Error, Result};
use crate::cli::ImportArgs;
use crate::{backend::vault, base::dotenv, base::exit, base::output};

/// Runs `import`.
pub(super) fn run(args: &ImportArgs) -> Result<u8> {
    let (project, env) = super::project_env(args.env.env.as_deref())?;
    let (text, desc) = read_input(&args.file)?;
    // Parse everything before touching the environment: a bad line writes nothing.
    let pairs = dotenv::parse(&text, &desc)?;
    let names: Vec<String> = pairs.iter().map(|(n, _)| n.clone()).collect();
    let (added, changed, same) = if project.vault_decl(&env)?.is_some() {
        let (client, decl) = vault::connect_env(&project, &env)?;
        vault::kv::update(&client, &decl, |values| {
            let mut counts = (0, 0, 0);
            for (name, value) in &pairs {
                match values.get(name) {
                    None => counts.0 += 1,
                    Some(old) if old.ct_eq(value) => {
                        counts.2 += 1;
                        continue;
                    }
                    Some(_) => counts.1 += 1,
                }
                values.insert(name.clone(), value.clone());
            }
            Ok((counts, counts.0 + counts.1 > 0))
        })?
        .0
    } else {
        let keys = file::keys_for(&project, &env)?;
        file::modify(&project, &env, &keys, |open| {
            let mut counts = (0, 0, 0);
            for (name, value) in pairs {
                match open.set(&name, value)? {
                    Change::Added => counts.0 += 1,
                    Change::Changed => counts.1 += 1,
                    Change::Unchanged => counts.2 += 1,
                }
            }
            Ok((counts, counts.0 + counts.1 > 0))
        })?
    };
    crate::project::audit::record("import", Some((&project, &env)), &names, None, "ok");
    output::status(&format!(
        "imported into {env}: {added} added, {changed} changed, {same} unchanged"
    ));
    if args.file != Path::new("-") {
        output::status(&format!(
            "{} still holds plaintext: delete it once you have checked the import",
            args.file.display()
        ));
    }
    Ok(exit::OK)
}

fn read_input(path: &Path) -> Result<(Zeroizing<String>, String)> {
    if path == Path::new("-") {
        let bytes = Zeroizing::new(
            std::io::read_to_string(std::io::stdin())
                .map_err(|e| Error::io("read", "standard input", e))?,
        );
        return Ok((bytes, "standard input".to_owned()));
    }
    let bytes = Zeroizing::new(atomic::read_regular(path, 64 << 20)?);
    let text = std::str::from_utf8(&bytes).map_err(|_| Error::Dotenv {
        source_desc: path.display().to_string(),
        line: 0,
        reason: "the file is not UTF-8 text",
    })?;
    Ok((Zeroizing::new(text.to_owned()), path.display().to_string()))
}
