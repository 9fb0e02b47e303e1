//! What to do next after an error: the hint line `aisecrets: error: ...` ends with.
//!
//! It lives at the user's edge, above every layer, because a hint may look around (the
//! branch of an unfinished merge, where the user's config file is), while `base::error`
//! itself uses nothing but the exit-code table.

use crate::base::config;
use crate::base::error::Error;
use crate::git;

impl Error {
    /// The whole error on one line, as the CLI and the MCP server report it: what failed,
    /// each cause, and what to do (never a value: errors carry names and paths only).
    #[must_use]
    pub fn one_line(&self) -> String {
        let mut line = self.to_string();
        let mut source = std::error::Error::source(self);
        while let Some(s) = source {
            line.push_str(": ");
            line.push_str(&s.to_string());
            source = s.source();
        }
        if let Some(hint) = self.hint() {
            line.push_str("; ");
            line.push_str(&hint);
        }
        line
    }

    /// What the user can do about it, when there is something to say.
    #[must_use]
    pub fn hint(&self) -> Option<String> {
        Some(match self {
            Self::NoProject { .. } => "run `aisecrets init` in the repository's root".to_owned(),
            Self::UnknownEnv { .. } => {
                "pick one with --env NAME, or add it with `aisecrets init --env NAME`".to_owned()
            }
            Self::NoSuchSecret { env, known, .. } if known.is_empty() => {
                format!("environment `{env}` holds no secret yet: add one with `aisecrets set NAME --env {env}`")
            }
            Self::NoSuchSecret { known, .. } if known.len() <= 12 => {
                format!("known: {}", known.join(", "))
            }
            Self::NoSuchSecret { env, .. } => {
                format!("see the names with `aisecrets list --env {env}`")
            }
            Self::ConflictMarkers { path } => {
                // Redo the merge with the driver, rather than throw one side away (#13).
                let dir = path.parent().unwrap_or(std::path::Path::new("."));
                let branch = git::merge_sides(dir)
                    .map(|(_, theirs)| {
                        theirs.split(' ').next().unwrap_or("BRANCH").to_owned()
                    })
                    .unwrap_or_else(|| "BRANCH".to_owned());
                format!(
                    "redo the merge with the driver, which merges by name: `git merge --abort && aisecrets git setup && git merge {branch}` \
                     (if the merge is already committed: `git reset --merge HEAD~1` instead of `git merge --abort`)"
                )
            }
            Self::Corrupt { .. } => {
                "restore the file from git (`git checkout -- FILE`) and ask who changed it".to_owned()
            }
            Self::NotARecipient { next, .. } => next.clone(),
            Self::Conflicted { env, path, .. } => format!(
                "pick one value for each with `aisecrets edit --env {env}` (it shows both, labelled), \
                 then `git add {}` and commit",
                path.display()
            ),
            Self::NoIdentity { .. } => "run `aisecrets identity new`, or set AISECRETS_IDENTITY or \
                 AISECRETS_IDENTITY_FILE"
                .to_owned(),
            Self::IdentityExists { .. } => {
                "`aisecrets identity show` prints its public key; move the file away first to make a new one"
                    .to_owned()
            }
            Self::Forked { env, path, .. } => format!(
                "ask your team who made each key (`git log -p {}`); if this one is right, run `aisecrets trust --env {env}`",
                path.display()
            ),
            Self::ProjectChanged { env, .. } => format!(
                "check who changed it and why (`git log -p aisecrets.toml`); if the change is right, run `aisecrets trust --env {env}`"
            ),
            Self::NotOwned { folder, .. } => format!(
                "if you trust that user, add the folder to your own config ({}): safe_directories = [\"{}\"]",
                config::path().map(|p| p.display().to_string()).unwrap_or_else(|_| "config.toml".into()),
                folder.display()
            ),
            Self::NoVaultPin { env, .. } => format!(
                "check the address and paths with `aisecrets trust --env {env}` in a terminal, or set AISECRETS_TRUST (`aisecrets trust --print --env {env}` on a trusted machine shows the value)"
            ),
            Self::Untrusted { env, .. } => format!(
                "if a teammate really made a new key, check its id with them, then run `aisecrets trust --env {env}`"
            ),
            Self::NotApproved { .. } => {
                "review them and run `aisecrets recipients ack`, or undo an unwanted change (`git checkout -- aisecrets.toml`); aisecrets never encrypts to an unapproved key".to_owned()
            }
            Self::DangerousNames { names } => format!(
                "if you really mean it, allow them by exact name in your own config ({}): allow_names = [{}]; nothing in the repository can allow them",
                config::path().map(|p| p.display().to_string()).unwrap_or_else(|_| "config.toml".into()),
                names.iter().map(|(n, _)| format!("\"{n}\"")).collect::<Vec<_>>().join(", ")
            ),
            Self::SecretInArgv { name } => format!(
                "read it from the environment variable {name} instead, or pass --allow-argv if you must"
            ),
            Self::ValueInArgv { name } => format!(
                "type it at the hidden prompt of `aisecrets set {name}`, or pipe it: \
                 `printf %s \"$VALUE\" | aisecrets set {name}`; then delete it from your shell history \
                 (bash: `history -d N`, zsh: edit ~/.zsh_history), and rotate it if others use this machine"
            ),
            Self::WrongPassphrase { .. } => "try again; nothing was changed or cached".to_owned(),
            Self::PassphraseTries { .. } => "run the command again to retry; nothing was changed or cached".to_owned(),
            Self::NoCache(_) => "commands will ask for the passphrase (or the TPM PIN) each time; in CI use AISECRETS_IDENTITY".to_owned(),
            Self::CouldNotRun(inner) => return inner.hint(),
            Self::Vault { hint, .. } if !hint.is_empty() => hint.clone(),
            Self::InvalidName { kind: "secret", .. } => {
                "rename it, e.g. OPENAI_API_KEY: letters, digits and _, not starting with a digit"
                    .to_owned()
            }
            Self::Spawn { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
                "check the command's name and your PATH".to_owned()
            }
            _ => return None,
        })
    }
}
