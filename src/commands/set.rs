//! `aisecrets set NAME`: the value from piped stdin or a hidden prompt, never argv.

use zeroize::Zeroizing;

use crate::backend::{self, Change};
use crate::base::error::{Error, Result};
use crate::base::secret::{self, SecretValue};
use crate::cli::SetArgs;
use crate::{base::exit, base::output, base::prompt};

/// Runs `set`.
pub(super) fn run(args: &SetArgs) -> Result<u8> {
    if !args.value_in_argv.is_empty() {
        // Never echo it: it is (probably) a secret, and it is already in argv and history.
        return Err(Error::ValueInArgv {
            name: output::sanitize(&args.name.name, 64),
        });
    }
    let args = &args.name;
    secret::check_name(&args.name)?;
    let (project, env) = super::project_env(args.env.env.as_deref())?;
    let mut backend = backend::of(&project, &env, super::ask)?;
    // Unlock or log in before asking for the value: a wrong token, an unreachable server or
    // a key that is not a recipient is found before anyone types a secret.
    backend.prepare()?;
    let value = read_value(&args.name)?;
    let (change, version) = backend::update(backend.as_mut(), |values| {
        let c = values.set(&args.name, value.clone())?;
        Ok((c, c != Change::Unchanged))
    })?;
    let place = match (backend.describe()?.remote, version) {
        (Some(at), Some(v)) => format!(" ({at}, version {v})"),
        _ => String::new(),
    };
    let what = match change {
        Change::Added => "added",
        Change::Changed => "changed",
        Change::Unchanged => "unchanged (same value)",
    };
    crate::project::audit::record(
        "set",
        Some((&project, &env)),
        std::slice::from_ref(&args.name),
        None,
        what,
    );
    output::status(&format!("{}: {what} in {env}{place}", args.name));
    Ok(exit::OK)
}

/// Reads a value for `name`: piped stdin, else a hidden prompt. Empty values are refused,
/// so an empty pipe never wipes a secret.
pub(super) fn read_value(name: &str) -> Result<SecretValue> {
    let value = if prompt::stdin_is_terminal() {
        let v = prompt::hidden(
            &format!("Value for {name} (hidden): "),
            "the value",
            "pipe the value on standard input: `printf %s \"$VALUE\" | aisecrets set NAME`",
        )?;
        let v = age::secrecy::ExposeSecret::expose_secret(&v).to_owned();
        SecretValue::new(name, Zeroizing::new(v))?
    } else {
        SecretValue::from_bytes(name, prompt::read_stdin_value()?)?
    };
    if value.expose().is_empty() {
        return Err(Error::BadValue {
            name: name.to_owned(),
            reason: "it is empty (to delete a secret, use `aisecrets rm NAME`)".into(),
        });
    }
    Ok(value)
}
