//! What a coding agent may use (#16): the user's `[agents]` config (trusted, never in a
//! repository), narrowed by the manifest's `[agents]` when it has one (a repository can only
//! take away). Names in `allow` or in a scope of `allow_scopes` are allowed; with `confirm =
//! true` any other name (within the manifest's narrowing) is put to the human through the
//! prompt program at each use; everything else is refused. Used by `aisecrets mcp` and by
//! `aisecrets run` under an agent.

use std::collections::BTreeSet;
use std::ffi::OsString;

use zeroize::Zeroizing;

use crate::base::error::{Error, Result};
use crate::base::pinentry::{self, Answer};
use crate::base::{config, output};
use crate::project::Project;

/// How an agent may use one name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Allowed by the user's config.
    Allowed,
    /// Asked of the human at each use.
    Confirm,
    /// Refused.
    Refused,
}

impl Access {
    /// `allowed`, `confirm` or `refused`, for `list_secrets`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Allowed => "allowed",
            Self::Confirm => "confirm",
            Self::Refused => "refused",
        }
    }
}

/// What the user's config (narrowed by the manifest) lets an agent use.
pub struct Policy {
    /// Allowed without asking.
    pub allowed: BTreeSet<String>,
    /// The manifest's ceiling, when it has `[agents]`.
    ceiling: Option<BTreeSet<String>>,
    /// Ask the human for the rest.
    confirm: bool,
    /// The prompt program.
    pub pinentry: String,
    /// Whether the user's config or the manifest says anything about agents at all.
    configured: bool,
}

impl Policy {
    /// The policy for `project`, from the user's config.
    ///
    /// # Errors
    /// The config cannot be read.
    pub fn of(project: &Project) -> Result<Self> {
        let agents = config::load()?.agents;
        let scope_names = |scopes: &[String]| -> Vec<String> {
            scopes
                .iter()
                .filter_map(|s| project.manifest.scopes.get(s))
                .flat_map(|s| s.secrets.iter().cloned())
                .collect()
        };
        let configured = !agents.allow.is_empty()
            || !agents.allow_scopes.is_empty()
            || agents.confirm
            || project.manifest.agents.is_some();
        let mut allowed: BTreeSet<String> = agents.allow.iter().cloned().collect();
        allowed.extend(scope_names(&agents.allow_scopes));
        let ceiling = project.manifest.agents.as_ref().map(|m| {
            let mut c: BTreeSet<String> = m.allow.iter().flatten().cloned().collect();
            c.extend(scope_names(m.allow_scopes.as_deref().unwrap_or_default()));
            c
        });
        if let Some(c) = &ceiling {
            allowed.retain(|n| c.contains(n));
        }
        Ok(Self {
            allowed,
            ceiling,
            confirm: agents.confirm,
            configured,
            pinentry: agents
                .pinentry
                .unwrap_or_else(|| pinentry::DEFAULT.to_owned()),
        })
    }

    /// Whether the user (or the manifest) set any agent rule: `aisecrets mcp` allows nothing
    /// without one; the plain CLI's `run --mask --reason` then runs as asked (#16).
    #[must_use]
    pub fn configured(&self) -> bool {
        self.configured
    }

    /// Whether an agent may use `name`.
    #[must_use]
    pub fn access(&self, name: &str) -> Access {
        if self.allowed.contains(name) {
            Access::Allowed
        } else if self.confirm && self.ceiling.as_ref().is_none_or(|c| c.contains(name)) {
            Access::Confirm
        } else {
            Access::Refused
        }
    }

    /// The one-line refusal of `name`.
    #[must_use]
    pub fn refusal(&self, name: &str) -> Error {
        let narrowed = self.ceiling.as_ref().is_some_and(|c| !c.contains(name));
        Error::Failed(format!(
            "{name} is not allowed for coding agents{}: only the user can allow it, in config.toml ([agents] allow = [\"{name}\"] or allow_scopes)",
            if narrowed {
                " (aisecrets.toml's [agents] leaves it out)"
            } else {
                ""
            }
        ))
    }

    /// Refuses the names the agent may not use; asks the human about those needing it.
    ///
    /// # Errors
    /// A name refused, the human's no, or a prompt program that does not answer.
    pub fn check(
        &self,
        names: &[String],
        agent: &str,
        env: &str,
        reason: &str,
        command: &[OsString],
    ) -> Result<()> {
        let mut ask = Vec::new();
        for n in names {
            match self.access(n) {
                Access::Allowed => {}
                Access::Confirm => ask.push(n.as_str()),
                Access::Refused => return Err(self.refusal(n)),
            }
        }
        if ask.is_empty() {
            return Ok(());
        }
        let shown: Vec<String> = command
            .iter()
            .map(|a| output::sanitize(&a.to_string_lossy(), 80))
            .collect();
        let desc = Zeroizing::new(format!(
            "The coding agent ({agent}) asks to run\n\n  {}\n\nwith {} of environment {env} injected (it will not see the values).\n\nReason given: {}\n\nAllow this once?",
            output::sanitize(&shown.join(" "), 300),
            ask.join(", "),
            output::sanitize(reason, 300),
        ));
        match pinentry::confirm(&self.pinentry, &desc)? {
            Answer::Given(()) => Ok(()),
            Answer::Cancelled => Err(Error::Failed(format!(
                "the human declined to let the agent use {}",
                ask.join(", ")
            ))),
        }
    }
}
