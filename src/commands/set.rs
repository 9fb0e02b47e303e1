//! `aisecrets set NAME`: the value from piped stdin or a hidden prompt, never argv.

use zeroize::Zeroizing;

use crate::backend::file::{self, Change};
use crate::base::error::{Error, Result};
use crate::base::secret::{self, SecretValue};
use crate::cli::SetArgs;
use crate::{backend::vault, base::exit, base::output, base::prompt};

/// Runs `set`.
pub(super) fn run(args: &SetArgs) -> Result<u8> {
    if !args.value_in_argv.is_empty() {
        // Never echo it: it is (probably) a secret, and it is already in argv and history.
        return Err(Error::ValueInArgv {
            name: secret::sanitize(&args.name.name, 64),
        });
    }
    let args = &args.name;
    secret::check_name(&args.name)?;
    let (project, env) = super::project_env(args.env.env.as_deref())?;
    let mut place = String::new();
    let change = if project.vault_decl(&env)?.is_some() {
        // Connect (and log in) before asking for the value: a wrong token or an
        // unreachable server is found before anyone types a secret.
        let (client, decl) = vault::connect_env(&project, &env)?;
        let value = read_value(&args.name)?;
        let (c, version) = vault::kv::update(&client, &decl, |values| {
            let c = match values.get(&args.name) {
                None => Change::Added,
                Some(old) if old.ct_eq(&value) => Change::Unchanged,
                Some(_) => Change::Changed,
            };
            if c != Change::Unchanged {
                values.insert(args.name.clone(), value.clone());
            }
            Ok((c, c != Change::Unchanged))
        })?;
        place = format!(
            " ({} at {}, version {version})",
            decl.location(),
            client.address()
        );
        c
    } else {
        let keys = file::keys_for(&project, &env)?;
        let value = read_value(&args.name)?;
        file::modify(&project, &env, &keys, |open| {
            let c = open.set(&args.name, value)?;
            Ok((c, c != Change::Unchanged))
        })?
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
