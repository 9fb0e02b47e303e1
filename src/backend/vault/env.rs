//! A Vault KV environment behind the backend seam: [`Env`] implements
//! [`crate::backend::Backend`] over [`super::kv`], and is the capability `run`
//! uses for leases and child tokens ([`Backend::vault`]).

use std::collections::BTreeMap;

use crate::backend::{Backend, Change, Description, Purpose, Row, Snapshot, Values};
use crate::base::error::{Error, Result};
use crate::base::secret::{self, SecretValue};
use crate::project::Project;
use crate::project::trust::{self, Ask, FirstUse};

use super::{Client, VaultDecl, kv};

/// An environment kept in OpenBao/Vault KV v2.
pub struct Env<'a> {
    project: &'a Project,
    env: String,
    decl: &'a VaultDecl,
    ask: Ask,
    /// The logged-in client, made on first use (after the settings check).
    client: Option<Client>,
}

impl<'a> Env<'a> {
    /// The Vault environment `env` of `project`, declared by `decl`; `ask` decides a first
    /// use of its settings on this machine.
    #[must_use]
    pub fn new(project: &'a Project, env: &str, decl: &'a VaultDecl, ask: Ask) -> Self {
        Self {
            project,
            env: env.to_owned(),
            decl,
            ask,
            client: None,
        }
    }

    /// The declaration (mount, path, auth).
    #[must_use]
    pub fn decl(&self) -> &VaultDecl {
        self.decl
    }

    /// The logged-in client (after [`Backend::prepare`], `read` or `update`).
    pub fn client(&self) -> Result<&Client> {
        self.client.as_ref().ok_or_else(|| Error::Vault {
            what: format!("not connected to Vault for `{}`", self.env),
            hint: "this is a bug in aisecrets; please report it".into(),
        })
    }

    /// Checks the settings against this user's pin (a first use asks), without logging in:
    /// for `run`, which holds signals from the login on.
    pub fn check_settings(&self) -> Result<()> {
        trust::vault::check(
            self.project,
            &self.env,
            super::settings(self.project, &self.env)?,
            self.ask,
        )
    }

    /// Checks the settings against this user's pin, then logs in: nothing is sent to a
    /// server this user has not accepted.
    fn connect(&mut self) -> Result<&Client> {
        let (project, env, decl, ask) = (self.project, &self.env, self.decl, self.ask);
        match &mut self.client {
            Some(client) => Ok(client),
            slot @ None => {
                trust::vault::check(project, env, super::settings(project, env)?, ask)?;
                Ok(slot.insert(Client::connect(decl)?))
            }
        }
    }

    /// The server's address: the client's once connected, else `VAULT_ADDR` or the
    /// declaration's.
    fn address(&self) -> Option<String> {
        match &self.client {
            Some(c) => Some(c.address().to_owned()),
            None => super::env_var("VAULT_ADDR", "BAO_ADDR").or_else(|| self.decl.address.clone()),
        }
    }
}

impl Backend for Env<'_> {
    fn env(&self) -> &str {
        &self.env
    }

    fn prepare(&mut self) -> Result<()> {
        self.connect().map(|_| ())
    }

    fn remote(&self) -> bool {
        true
    }

    fn read(&mut self, purpose: Purpose) -> Result<Snapshot> {
        let (decl, env) = (self.decl, self.env.clone());
        let leases = &self.project.env(&env)?.leases;
        let client = self.connect()?;
        let snap = kv::read(client, decl)?;
        if purpose == Purpose::HandOn {
            snap.require_written(decl, &env)?;
        }
        if purpose != Purpose::One {
            snap.note_other(decl);
        }
        let address = client.address().to_owned();
        let updated = snap.updated.clone().unwrap_or_default();
        let mut out = Snapshot::new(&env, ["VERSION", "UPDATED"])
            .with_leased(leases.keys().cloned().collect());
        for name in snap.values.keys() {
            out.rows.push(Row {
                name: name.clone(),
                cells: [snap.version.to_string(), updated.clone()],
                json: serde_json::json!({
                    "name": name,
                    "backend": "vault",
                    "address": address,
                    "mount": decl.mount,
                    "path": decl.path,
                    "version": snap.version,
                    "updated_time": updated,
                    "set_at": updated,
                }),
            });
        }
        for (name, l) in leases {
            out.rows.push(Row {
                name: name.clone(),
                cells: ["-".to_owned(), format!("leased from {} by run", l.path)],
                json: serde_json::json!({
                    "name": name,
                    "backend": "vault-lease",
                    "address": address,
                    "path": l.path,
                }),
            });
        }
        out.values = snap.values;
        Ok(out)
    }

    fn update(
        &mut self,
        change: &mut dyn FnMut(&mut dyn Values) -> Result<bool>,
    ) -> Result<Option<u64>> {
        let (decl, env) = (self.decl, self.env.clone());
        let client = self.connect()?;
        let ((), version) = kv::update(client, decl, |values| {
            let changed = change(&mut Kv { env: &env, values })?;
            Ok(((), changed))
        })?;
        Ok(Some(version))
    }

    fn trust(&mut self, ask: Ask) -> Result<String> {
        let settings = super::settings(self.project, &self.env)?;
        let pinned = trust::vault_pin(self.project, &self.env)?;
        ask(FirstUse {
            text: trust::vault::describe(&self.env, &settings, pinned.as_ref()),
            question: "Send your Vault credentials there and use these paths? [y/N] ",
            no_terminal: Error::NoVaultPin {
                env: self.env.clone(),
                address: self.address().unwrap_or_default(),
            },
            declined: "not trusted; nothing was changed",
        })?;
        trust::pin_vault(self.project, &self.env, settings)?;
        Ok(format!("trusted the Vault settings of `{}`", self.env))
    }

    fn describe(&self) -> Result<Description> {
        let address = self.address();
        let location = self.decl.location();
        Ok(Description {
            remote: Some(format!(
                "{location} at {}",
                address.as_deref().unwrap_or("VAULT_ADDR")
            )),
            line: format!(
                "{} (Vault: {location} at {})",
                self.env,
                address.as_deref().unwrap_or("no address: set VAULT_ADDR")
            ),
            json: serde_json::json!({
                "name": self.env,
                "vault": { "address": address, "mount": self.decl.mount, "path": self.decl.path },
                "recipients": [],
            }),
            location: Some(location),
        })
    }

    fn vault(&self) -> Option<&Env<'_>> {
        Some(self)
    }
}

/// The values of a KV secret being changed.
struct Kv<'v> {
    env: &'v str,
    values: &'v mut BTreeMap<String, SecretValue>,
}

impl Values for Kv<'_> {
    fn value(&self, name: &str) -> Option<&SecretValue> {
        self.values.get(name)
    }

    fn set(&mut self, name: &str, value: SecretValue) -> Result<Change> {
        secret::check_name(name)?;
        let change = match self.values.get(name) {
            None => Change::Added,
            Some(old) if old.ct_eq(&value) => return Ok(Change::Unchanged),
            Some(_) => Change::Changed,
        };
        self.values.insert(name.to_owned(), value);
        Ok(change)
    }

    fn remove(&mut self, name: &str) -> Result<()> {
        if self.values.remove(name).is_none() {
            return Err(crate::backend::missing(
                name,
                self.env,
                self.values.keys().map(String::as_str),
            ));
        }
        Ok(())
    }
}
