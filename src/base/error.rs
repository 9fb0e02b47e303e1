//! The typed errors of aisecrets: what failed, with names and paths, never values.
//!
//! Each variant renders as one lowercase line; `Error::hint` (in `cli::hint`, at the user's
//! edge) says what to do next, and
//! [`Error::exit_code`] maps it onto the exit-code table in `exit.rs`.

use std::path::PathBuf;

use crate::base::exit;

/// A result with the crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong, with enough context to act on and never a secret value.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No `aisecrets.toml` in the current folder or above it.
    #[error("no aisecrets project in {} or any folder above it", .cwd.display())]
    NoProject {
        /// Where the search started.
        cwd: PathBuf,
    },
    /// The manifest could not be understood.
    #[error("{}: {reason}", .path.display())]
    Manifest {
        /// The manifest file.
        path: PathBuf,
        /// What is wrong with it (never a value).
        reason: String,
    },
    /// An environment name that the manifest does not declare.
    #[error("no environment `{env}` in this project (known: {})", list_or_none(.known))]
    UnknownEnv {
        /// The name asked for.
        env: String,
        /// The environments the manifest declares.
        known: Vec<String>,
    },
    /// `init` of an environment that exists already.
    #[error("environment `{env}` already exists in {}", .path.display())]
    EnvExists {
        /// The environment.
        env: String,
        /// The manifest.
        path: PathBuf,
    },
    /// A name that breaks the naming rule for secrets, environments or recipients.
    #[error("invalid {kind} name `{name}`: {rule}")]
    InvalidName {
        /// Secret, environment or recipient.
        kind: &'static str,
        /// The offending name, sanitised for the terminal.
        name: String,
        /// The rule it breaks.
        rule: &'static str,
    },
    /// A value that cannot be stored.
    #[error("value of `{name}` refused: {reason}")]
    BadValue {
        /// The secret's name.
        name: String,
        /// Why (NUL byte, size, encoding); never the value.
        reason: String,
    },
    /// The same name twice in one input.
    #[error("duplicate name `{name}` in {source_desc}")]
    DuplicateName {
        /// The repeated name.
        name: String,
        /// Where it was found.
        source_desc: String,
    },
    /// A dotenv file that does not parse.
    #[error("{source_desc} line {line}: {reason}")]
    Dotenv {
        /// The file (or `standard input`).
        source_desc: String,
        /// One-based line number.
        line: usize,
        /// What is wrong; never the line's text, which may hold a value.
        reason: &'static str,
    },
    /// `set NAME VALUE`: a value typed on the command line, refused and never shown (#13).
    #[error(
        "`set` takes no value on the command line: other users see argv in `ps`, and your shell has \
         probably saved the value in its history"
    )]
    ValueInArgv {
        /// The secret's name, sanitised.
        name: String,
    },
    /// Names a git merge left with two values (`[conflicts]`): never used until resolved,
    /// so neither side is picked silently (#13).
    #[error(
        "{}: a git merge left {} with two values (one from each branch); nothing was used",
        .path.display(),
        .names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
    )]
    Conflicted {
        /// The environment.
        env: String,
        /// Its file.
        path: PathBuf,
        /// The names in conflict.
        names: Vec<String>,
    },
    /// A secret that the environment does not hold.
    /// Built by [`Error::no_such_secret`] only, so `get`, `run --only`, `rm`, `rotate` and
    /// Vault environments say it the same way (#13).
    #[error("no secret `{name}` in environment `{env}`{}", suggestion(.similar))]
    NoSuchSecret {
        /// The name asked for.
        name: String,
        /// The environment.
        env: String,
        /// A close match, if any.
        similar: Option<String>,
        /// The names the environment holds (shown in the hint when there are few).
        known: Vec<String>,
    },
    /// An encrypted environment file that is truncated, edited, forged or of another format.
    #[error("{}: {reason}; nothing was used", .path.display())]
    Corrupt {
        /// The environment file.
        path: PathBuf,
        /// What check failed.
        reason: String,
    },
    /// An environment file that git merged as text (no aisecrets driver in that clone).
    #[error(
        "{}: git merged it as text and left conflict markers (this clone had no aisecrets merge driver); nothing was used",
        .path.display()
    )]
    ConflictMarkers {
        /// The environment file.
        path: PathBuf,
    },
    /// None of the user's identities is a recipient of the environment.
    #[error(
        "no identity of yours can open environment `{env}` ({}); its recipients are: {}",
        .path.display(),
        list_or_none(.recipients)
    )]
    NotARecipient {
        /// The environment.
        env: String,
        /// Its file.
        path: PathBuf,
        /// Recipient names from the manifest.
        recipients: Vec<String>,
        /// What to do next (built by `file::not_a_recipient`): `request-access` first.
        next: String,
    },
    /// No identity configured at all.
    #[error("no identity found (looked for {})", .path.display())]
    NoIdentity {
        /// Where the stored identity would be.
        path: PathBuf,
    },
    /// `identity new` where one exists already.
    #[error("an identity already exists at {}; refusing to overwrite it", .path.display())]
    IdentityExists {
        /// The existing identity file.
        path: PathBuf,
    },
    /// An identity that cannot be parsed or used.
    #[error("{source_desc}: {reason}")]
    BadIdentity {
        /// `AISECRETS_IDENTITY`, a file path, or the stored identity.
        source_desc: String,
        /// What is wrong, never key material.
        reason: String,
    },
    /// A recipient public key that cannot be parsed.
    #[error("recipient `{name}`: {reason}")]
    BadRecipient {
        /// The recipient's name.
        name: String,
        /// What is wrong with the key.
        reason: String,
    },
    /// The passphrase did not open the identity.
    #[error("wrong passphrase for {}", .path.display())]
    WrongPassphrase {
        /// The identity file.
        path: PathBuf,
    },
    /// Every try at the passphrase on the terminal was wrong.
    #[error("wrong passphrase for {}, {tries} tries", .path.display())]
    PassphraseTries {
        /// The identity file.
        path: PathBuf,
        /// How many were typed.
        tries: u8,
    },
    /// Input was needed and there is no terminal to ask on.
    #[error("{what} needs a terminal to ask on, and there is none: {hint}")]
    NoTerminal {
        /// What we wanted to ask for.
        what: String,
        /// What to do instead.
        hint: String,
    },
    /// The user gave up at a prompt, or gave an unusable answer.
    #[error("{0}")]
    Prompt(&'static str),
    /// A TPM-bound identity cannot be made or opened: no TPM, a wrong PIN, a lockout, or
    /// a file sealed to another machine's TPM (#19).
    #[error("{what}: {todo}")]
    Tpm {
        /// What failed (never a PIN or a key).
        what: String,
        /// What to do.
        todo: String,
    },
    /// Reading or writing a file failed.
    #[error("cannot {action} {}", .path.display())]
    Io {
        /// What we were doing: read, write, create, lock...
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A file that must be a regular file is something else, or a symlink we must not follow.
    #[error("{}: {reason}", .path.display())]
    UnsafePath {
        /// The path.
        path: PathBuf,
        /// Why it is refused.
        reason: &'static str,
    },
    /// The command given to `run` could not be started.
    #[error("cannot run `{program}`")]
    Spawn {
        /// The program name as given.
        program: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A value cannot be written in the requested export format.
    #[error("`{name}` cannot be exported as {format}: {reason}")]
    Export {
        /// The secret's name.
        name: String,
        /// The format.
        format: &'static str,
        /// Why.
        reason: &'static str,
    },
    /// The environment's data key is not the one this user trusted, and no proof links them.
    #[error(
        "{}: environment `{env}` has data key {found}, not the key {pinned} you trusted, and nothing proves a teammate made it; nothing was used",
        .path.display()
    )]
    Untrusted {
        /// The environment.
        env: String,
        /// Its file.
        path: PathBuf,
        /// The pinned key id.
        pinned: String,
        /// The key id found.
        found: String,
    },
    /// The data key descends from the pinned one through a chain that git history shows
    /// was forked: the pinned key had already been replaced by another (#12).
    #[error(
        "{}: environment `{env}` {fork}: a removed member may have forked it; nothing was used",
        .path.display()
    )]
    Forked {
        /// The environment.
        env: String,
        /// Its file.
        path: PathBuf,
        /// Which keys: found, branched from, the successor history shows, and where.
        fork: String,
    },
    /// This repository's pin was made for another project id (#12).
    #[error(
        "{}: project.id is {found}, but you trusted `{env}` in this folder as project {pinned}; nothing was used",
        .path.display()
    )]
    ProjectChanged {
        /// The environment.
        env: String,
        /// The manifest.
        path: PathBuf,
        /// The id pinned.
        pinned: String,
        /// The id the manifest claims now.
        found: String,
    },
    /// A manifest or environment file another user owns (#12).
    #[error("{} is owned by {owner}, not by you, and another user's file could say anything; refusing to use it", .path.display())]
    NotOwned {
        /// The file.
        path: PathBuf,
        /// Its owner's name and uid.
        owner: String,
        /// The folder to accept in `safe_directories`.
        folder: PathBuf,
    },
    /// First use of a Vault environment with no pin and no terminal to ask on (#12).
    #[error(
        "the Vault environment `{env}` (address {address}) is not trusted in this folder yet and there is no terminal to ask on; nothing was sent"
    )]
    NoVaultPin {
        /// The environment.
        env: String,
        /// The address the manifest names.
        address: String,
    },
    /// First open with no pin and no terminal to ask on.
    #[error(
        "environment `{env}` ({}) is not trusted in this folder yet and there is no terminal to ask on: \
         run `aisecrets trust --env {env}` in a terminal, or set AISECRETS_TRUST (`aisecrets trust --print` on a trusted machine shows the value)",
        .path.display()
    )]
    NoPin {
        /// The environment.
        env: String,
        /// Its file.
        path: PathBuf,
    },
    /// The manifest's recipients changed in ways this user has not approved.
    #[error("recipients of `{env}` changed in aisecrets.toml without your approval: {}", .changes.join("; "))]
    NotApproved {
        /// The environment.
        env: String,
        /// One line per change.
        changes: Vec<String>,
    },
    /// A name `run` refuses to inject.
    #[error(
        "refusing to inject {}: such names hand over code execution or network traffic to whoever sets them",
        .names.iter().map(|(n, c)| format!("{n} ({c})")).collect::<Vec<_>>().join(", ")
    )]
    DangerousNames {
        /// The names, each with its class (see `policy`).
        names: Vec<(String, &'static str)>,
    },
    /// A secret's value is in the child's command line.
    #[error(
        "the value of `{name}` is in the command line, where trackers (W&B, MLflow) and `ps` record it"
    )]
    SecretInArgv {
        /// The secret's name.
        name: String,
    },
    /// The user's config file is wrong.
    #[error("{}: {reason}", .path.display())]
    Config {
        /// The config file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// Nothing could be cached.
    #[error("cannot cache the unlocked identity: {0}")]
    NoCache(String),
    /// A check (scan) could not run: exit 2, not 1, which means findings.
    #[error("{0}")]
    CouldNotRun(Box<Error>),
    /// A request that cannot be carried out as asked (an unknown name or scope, a missing
    /// RAM filesystem...): exit 1, unlike [`Error::Usage`].
    #[error("{0}")]
    Failed(String),
    /// Bad command-line usage that clap could not catch.
    #[error("{0}")]
    Usage(String),
    /// Talking to OpenBao/Vault failed: what failed, and what to do.
    #[error("{what}")]
    Vault {
        /// What failed (never a value or a token).
        what: String,
        /// What to do.
        hint: String,
    },
}

fn list_or_none(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_owned()
    } else {
        items.join(", ")
    }
}

fn suggestion(similar: &Option<String>) -> String {
    similar
        .as_ref()
        .map(|s| format!(" (did you mean `{s}`?)"))
        .unwrap_or_default()
}

impl Error {
    /// Wraps an I/O error with the file and action it belongs to.
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            action,
            path: path.into(),
            source,
        }
    }

    /// Builds a [`Error::Corrupt`] for `path`.
    pub fn corrupt(path: impl Into<PathBuf>, reason: impl Into<String>) -> Self {
        Self::Corrupt {
            path: path.into(),
            reason: reason.into(),
        }
    }

    /// The process exit code for this error.
    #[must_use]
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Usage(_) | Self::CouldNotRun(_) | Self::ValueInArgv { .. } => exit::USAGE,
            Self::Spawn { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
                exit::NOT_FOUND
            }
            Self::Spawn { .. } => exit::NOT_EXECUTABLE,
            _ => exit::ERROR,
        }
    }
}
