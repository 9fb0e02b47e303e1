//! `aisecrets import FILE`: dotenv lines into the environment, in one write.

use std::path::Path;

use zeroize::Zeroizing;

use crate::backend::{self, Change};
use crate::base::error::{Error, Result};
use crate::base::files;
use crate::cli::ImportArgs;
use crate::{base::dotenv, base::exit, base::output};

/// Runs `import`.
pub(super) fn run(args: &ImportArgs) -> Result<u8> {
    let (project, env) = super::project_env(args.env.env.as_deref())?;
    let (text, desc) = read_input(&args.file)?;
    // Parse everything before touching the environment: a bad line writes nothing.
    let pairs = dotenv::parse(&text, &desc)?;
    let names: Vec<String> = pairs.iter().map(|(n, _)| n.clone()).collect();
    let mut backend = backend::of(&project, &env, super::ask)?;
    let ((added, changed, same), _) = backend::update(backend.as_mut(), |values| {
        let mut counts = (0, 0, 0);
        for (name, value) in &pairs {
            match values.set(name, value.clone())? {
                Change::Added => counts.0 += 1,
                Change::Changed => counts.1 += 1,
                Change::Unchanged => counts.2 += 1,
            }
        }
        Ok((counts, counts.0 + counts.1 > 0))
    })?;
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
    let bytes = Zeroizing::new(files::read_regular(path, 64 << 20)?);
    let text = std::str::from_utf8(&bytes).map_err(|_| Error::Dotenv {
        source_desc: path.display().to_string(),
        line: 0,
        reason: "the file is not UTF-8 text",
    })?;
    Ok((Zeroizing::new(text.to_owned()), path.display().to_string()))
}
