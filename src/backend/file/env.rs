//! The encrypted-file store behind the backend seam: [`Env`] implements
//! [`crate::backend::Backend`] over [`open`](super::open) and
//! [`modify`](super::modify).

use crate::backend::{Backend, Change, Description, Purpose, Row, Snapshot, Values};
use crate::base::error::{Error, Result};
use crate::base::output;
use crate::base::secret::SecretValue;
use crate::keys::identity::{self, Keys};
use crate::project::Project;
use crate::project::trust::{self, Ask, FirstUse};

use super::OpenEnv;

/// An environment kept in an encrypted file of the repository.
pub struct Env<'a> {
    project: &'a Project,
    env: String,
    ask: Ask,
    /// The user's keys, loaded (and checked against the recipients) on first use.
    keys: Option<Keys>,
}

impl<'a> Env<'a> {
    /// The file environment `env` of `project`; `ask` decides a first use.
    #[must_use]
    pub fn new(project: &'a Project, env: &str, ask: Ask) -> Self {
        Self {
            project,
            env: env.to_owned(),
            ask,
            keys: None,
        }
    }

    fn keys(&mut self) -> Result<&Keys> {
        let (project, env) = (self.project, &self.env);
        match &mut self.keys {
            Some(keys) => Ok(keys),
            slot @ None => Ok(slot.insert(super::keys_for(project, env)?)),
        }
    }

    /// `list` without an identity that opens now (none, locked, or not a recipient): the
    /// names, which are in the clear (#13).
    fn names_only(&self) -> Result<Snapshot> {
        // The checks of every other open: no link on the way, not another user's file.
        let (path, file) = super::read_env(self.project, &self.env)?;
        if file.project != self.project.id() || file.env != self.env {
            return Err(Error::corrupt(
                &path,
                "it belongs to another project or environment",
            ));
        }
        let mut snap = Snapshot::new(&self.env, ["SET AT", "SET BY"]);
        snap.names_only = true;
        snap.rows = file
            .secrets
            .keys()
            .map(|name| Row {
                name: name.clone(),
                cells: [String::new(), String::new()],
                json: serde_json::json!({ "name": name, "set_at": null, "set_by": null }),
            })
            .collect();
        Ok(snap)
    }
}

/// The snapshot of an opened file: values, their metadata, and the names in conflict.
fn snapshot(mut open: OpenEnv, env: &str) -> Snapshot {
    let conflicts = open.file.conflicts.keys().cloned().collect();
    let mut snap = Snapshot::new(env, ["SET AT", "SET BY"])
        .with_conflicts(conflicts, std::mem::take(&mut open.path));
    for (name, o) in std::mem::take(&mut open.values) {
        let set_at = output::timestamp(o.meta.set_at);
        snap.rows.push(Row {
            json: serde_json::json!({ "name": name, "set_at": set_at, "set_by": o.meta.set_by }),
            cells: [set_at, o.meta.set_by.clone()],
            name: name.clone(),
        });
        snap.values.insert(name.clone(), o.value);
        snap.meta.insert(name, o.meta);
    }
    snap
}

impl Backend for Env<'_> {
    fn env(&self) -> &str {
        &self.env
    }

    fn prepare(&mut self) -> Result<()> {
        self.keys().map(|_| ())
    }

    fn remote(&self) -> bool {
        false
    }

    fn read(&mut self, purpose: Purpose) -> Result<Snapshot> {
        let (project, ask) = (self.project, self.ask);
        if purpose == Purpose::Names && self.keys.is_none() {
            // Names are in the clear; when and by whom are sealed with each value. Without
            // an identity that opens now, list the names (#13).
            let opened = match identity::load_if_open()? {
                Some(keys) => match super::open(project, &self.env, &keys, ask) {
                    Ok(open) => Some(open),
                    Err(Error::NotARecipient { .. }) => None,
                    Err(e) => return Err(e),
                },
                None => None,
            };
            return match opened {
                Some(open) => Ok(snapshot(open, &self.env)),
                None => self.names_only(),
            };
        }
        let env = self.env.clone();
        let keys = self.keys()?;
        let open = super::open(project, &env, keys, ask)?;
        Ok(snapshot(open, &env))
    }

    fn update(
        &mut self,
        change: &mut dyn FnMut(&mut dyn Values) -> Result<bool>,
    ) -> Result<Option<u64>> {
        let (project, ask, env) = (self.project, self.ask, self.env.clone());
        let keys = self.keys()?;
        super::modify(project, &env, keys, ask, |open| Ok(((), change(open)?)))?;
        Ok(None)
    }

    fn trust(&mut self, ask: Ask) -> Result<String> {
        let (project, env) = (self.project, self.env.clone());
        let keys = self.keys()?;
        let open = super::open_untrusted(project, &env, keys)?;
        ask(FirstUse {
            text: trust::describe(project, &env, open.key()),
            question: "Trust this key and these recipients? [y/N] ",
            no_terminal: Error::NoPin {
                env: env.clone(),
                path: open.path.clone(),
            },
            declined: "not trusted; nothing was changed",
        })?;
        let recipients = project.env(&env)?.recipients.clone();
        trust::pin(project, &env, open.key(), Some(recipients))?;
        Ok(format!("trusted `{env}` (key {})", open.key().key_id()))
    }

    fn describe(&self) -> Result<Description> {
        let path = self.project.env_path(&self.env)?;
        let file = path
            .strip_prefix(&self.project.root)
            .unwrap_or(&path)
            .display()
            .to_string();
        let recipients: Vec<&String> = self.project.env(&self.env)?.recipients.keys().collect();
        let line = format!(
            "{} ({file}; recipients: {})",
            self.env,
            recipients
                .iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
        Ok(Description {
            remote: None,
            location: None,
            json: serde_json::json!({ "name": self.env, "file": file, "recipients": recipients }),
            line,
        })
    }
}

impl Values for OpenEnv {
    fn value(&self, name: &str) -> Option<&SecretValue> {
        self.values.get(name).map(|o| &o.value)
    }

    fn set(&mut self, name: &str, value: SecretValue) -> Result<Change> {
        OpenEnv::set(self, name, value)
    }

    fn remove(&mut self, name: &str) -> Result<()> {
        OpenEnv::remove(self, name)
    }
}
