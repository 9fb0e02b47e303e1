//! The command line, as clap derive types. Doc comments are the help text.

pub mod docs;
mod hint;
mod jupyter;
mod run;

pub use jupyter::{JupyterCommand, JupyterInstallArgs, JupyterKernelArgs, JupyterUninstallArgs};
pub use run::{RunArgs, explain_run_error};

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueHint};

use crate::base::dotenv::ExportFormat;

/// Keep an AI project's secrets encrypted in its git repo, and hand them to the one
/// process that needs them: `aisecrets run -- python train.py`.
#[derive(Debug, Parser)]
#[command(
    name = "aisecrets",
    version,
    help_expected = true,
    propagate_version = true
)]
#[command(
    after_help = "Start with `aisecrets identity new`, then `aisecrets init` in your repository."
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Make or show your own age identity.
    #[command(subcommand)]
    Identity(IdentityCommand),
    /// Start a project here (aisecrets.toml + secrets/<env>.toml), or add an environment.
    // Help text is plain text, not Markdown: `<env>` is not an HTML tag.
    #[allow(rustdoc::invalid_html_tags)]
    Init(InitArgs),
    /// Set a secret; the value comes from stdin when piped, else a hidden prompt.
    Set(SetArgs),
    /// Print a secret's value and a newline on stdout.
    Get(NameArgs),
    /// Remove a secret.
    Rm(NameArgs),
    /// List secret names with when and by whom each was set; never values.
    List(ListArgs),
    /// Import NAME=value lines from a dotenv file ("-" for stdin).
    Import(ImportArgs),
    /// Print every secret of an environment as dotenv, JSON or shell.
    Export(ExportArgs),
    /// Run a command with the environment's secrets as environment variables.
    Run(RunArgs),
    /// Set a new value for a secret (after revoking the old one) and clear its exposed mark.
    Rotate(NameArgs),
    /// Copy every secret of an environment into a Vault one (--env dev --to prod), showing the changes first.
    Push(SyncArgs),
    /// Copy every secret of a Vault environment into another one (--env prod --to dev), showing the changes first.
    Pull(SyncArgs),
    /// Who can open which environment: list, add, remove, approve requests, acknowledge changes.
    #[command(subcommand)]
    Recipients(RecipientsCommand),
    /// Ask for access: record your public key in aisecrets.toml as pending, then commit it.
    RequestAccess(RequestAccessArgs),
    /// Show an environment's key id and recipients and trust (pin) it.
    Trust(TrustArgs),
    /// Edit an environment as NAME=value lines in $VISUAL/$EDITOR (a copy in RAM, re-encrypted on save).
    Edit(EnvOnlyArgs),
    /// Find this project's secret values and well-known key shapes in files (exit 1 on findings).
    Scan(ScanArgs),
    /// Git integration: `git setup` installs the diff and merge drivers, the notebook filter and the pre-commit hook.
    #[command(subcommand)]
    Git(GitCommand),
    /// Show the local audit log, or check that no line was removed or altered.
    Audit(AuditArgs),
    /// Open your identity once and keep it in the OS keyring until a time limit.
    Unlock(UnlockArgs),
    /// Forget the unlocked identity in every keyring.
    Lock,
    /// Show the project, environment, identity, and the unlock cache.
    Status(StatusArgs),
    /// Print a shell completion script on stdout.
    Completions(CompletionsArgs),
    /// Serve coding agents over MCP (stdio): list secrets, run commands with them, ask you
    /// for a value; never show one.
    Mcp,
    /// Coding agents: `agent setup` registers `aisecrets mcp` with an agent in this project.
    #[command(subcommand)]
    Agent(AgentCommand),
    /// Jupyter kernels with this project's secrets, whose outputs never show a value.
    #[command(subcommand)]
    Jupyter(JupyterCommand),
}

/// `aisecrets agent ...`
#[derive(Debug, Subcommand)]
pub enum AgentCommand {
    /// Register `aisecrets mcp` with coding agents in this project and tell them (in
    /// AGENTS.md or CLAUDE.md, appended) to use it; idempotent.
    Setup(AgentSetupArgs),
}

/// Arguments of `agent setup`.
#[derive(Debug, Args)]
pub struct AgentSetupArgs {
    /// The agents to set up [default: all of them].
    #[arg(value_enum)]
    pub agents: Vec<AgentKind>,
}

/// The coding agents `agent setup` knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AgentKind {
    /// Claude Code: .mcp.json and CLAUDE.md.
    Claude,
    /// OpenAI Codex: .codex/config.toml and AGENTS.md.
    Codex,
    /// Cursor: .cursor/mcp.json and AGENTS.md.
    Cursor,
    /// GitHub Copilot in VS Code: .vscode/mcp.json and AGENTS.md.
    Copilot,
    /// Gemini CLI: .gemini/settings.json and GEMINI.md.
    Gemini,
}

/// `aisecrets recipients ...`
#[derive(Debug, Subcommand)]
pub enum RecipientsCommand {
    /// List each environment's recipients with key fingerprints, and pending requests.
    List(RecipientsListArgs),
    /// Add a recipient (every environment unless --env); only the data key is rewrapped.
    Add(RecipientsAddArgs),
    /// Remove a recipient: new data keys, values resealed and marked exposed; prints the
    /// new AISECRETS_TRUST value for CI.
    Rm(RecipientsRmArgs),
    /// Add a pending access request (from `aisecrets request-access`) as a recipient.
    Approve(RecipientsApproveArgs),
    /// Review and approve recipient changes made to aisecrets.toml outside aisecrets.
    Ack(RecipientsAckArgs),
}

/// Arguments of `recipients list`.
#[derive(Debug, Args)]
pub struct RecipientsListArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub env: EnvArg,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `recipients add`.
#[derive(Debug, Args)]
pub struct RecipientsAddArgs {
    /// A name for them, e.g. bob.
    #[arg(value_name = "NAME")]
    pub name: String,
    /// Their public key: age1..., "ssh-ed25519 ...", "ssh-rsa ...".
    #[arg(value_name = "KEY")]
    pub key: String,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub env: EnvArg,
}

/// Arguments of `recipients rm`.
#[derive(Debug, Args)]
pub struct RecipientsRmArgs {
    /// The recipient's name.
    #[arg(value_name = "NAME")]
    pub name: String,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub env: EnvArg,
}

/// Arguments of `recipients approve`.
#[derive(Debug, Args)]
pub struct RecipientsApproveArgs {
    /// The name the request was made under.
    #[arg(value_name = "NAME")]
    pub name: String,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub env: EnvArg,
}

/// Arguments of `recipients ack`.
#[derive(Debug, Args)]
pub struct RecipientsAckArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub env: EnvArg,
    /// Approve without asking (after reading what it shows).
    #[arg(long)]
    pub yes: bool,
}

/// Arguments of `request-access`.
#[derive(Debug, Args)]
pub struct RequestAccessArgs {
    /// The name to ask under [default: $USER].
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
}

/// Arguments of `trust`.
#[derive(Debug, Args)]
pub struct TrustArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub env: EnvArg,
    /// Trust without asking (after checking the key id with a teammate).
    #[arg(long)]
    pub yes: bool,
    /// Print the AISECRETS_TRUST value of your pins in this repository (for CI) instead:
    /// data keys and Vault settings.
    #[arg(long, conflicts_with = "yes")]
    pub print: bool,
}

/// Just the environment.
#[derive(Debug, Args)]
pub struct EnvOnlyArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub env: EnvArg,
}

/// Arguments of `scan`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Scan what is staged for commit (the index), not the working tree.
    #[arg(long, conflicts_with = "paths")]
    pub staged: bool,
    /// Scan every blob reachable in REV-RANGE (default: all of HEAD's history), each once,
    /// with the first commit and path holding it and whether it is still in HEAD.
    #[arg(
        long,
        value_name = "REV-RANGE",
        num_args = 0..=1,
        default_missing_value = "HEAD",
        conflicts_with_all = ["paths", "staged"]
    )]
    pub history: Option<String>,
    /// Print findings as JSON (file, line, column, kind, provider, secret, commit); values
    /// are never printed.
    #[arg(long)]
    pub json: bool,
    /// Files or folders to scan [default: the current folder].
    #[arg(value_name = "PATH", value_hint = ValueHint::AnyPath)]
    pub paths: Vec<PathBuf>,
}

/// `aisecrets git ...`
#[derive(Debug, Subcommand)]
pub enum GitCommand {
    /// Install .gitattributes, the diff and merge drivers, the notebook filter, the pre-commit hook and .gitignore lines.
    Setup,
    /// The diff driver (textconv): names with keyed fingerprints of their values.
    #[command(hide = true)]
    Textconv {
        /// The file git hands over.
        file: PathBuf,
    },
    /// The clean filter for notebooks: cell outputs with secret values and key shapes redacted.
    #[command(hide = true)]
    CleanNotebook {
        /// The notebook's path in the repository (%f).
        path: Option<PathBuf>,
    },
    /// The smudge side of the notebook filter: the blob unchanged.
    #[command(hide = true)]
    SmudgeNotebook,
    /// The merge driver: a three-way merge by secret name.
    #[command(hide = true)]
    Merge {
        /// The common ancestor (%O).
        base: PathBuf,
        /// Ours (%A); the result is written here.
        ours: PathBuf,
        /// Theirs (%B).
        theirs: PathBuf,
        /// The path in the repository (%P).
        path: Option<String>,
    },
}

/// Arguments of `audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Only events at or after this time (2026-11-28 or 2026-11-28T10:00:00Z).
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// Check the hash chain; exit 1 naming the first removed or altered line.
    #[arg(long)]
    pub verify: bool,
}

/// Arguments of `unlock`.
#[derive(Debug, Args)]
pub struct UnlockArgs {
    /// How long to keep it, like 90s, 30m or 8h [default: the config's unlock_for, else 8h].
    #[arg(long = "for", value_name = "DURATION", value_parser = parse_duration)]
    pub duration: Option<std::time::Duration>,
}

fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    crate::base::config::parse_duration(s).map_err(|e| e.to_string())
}

/// Arguments of `status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub env: EnvArg,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `aisecrets identity ...`
#[derive(Debug, Subcommand)]
pub enum IdentityCommand {
    /// Make a new identity (passphrase-protected unless --no-passphrase) and print its public key.
    New(IdentityNewArgs),
    /// Print your public key alone on stdout.
    Show,
}

/// Arguments of `identity new`.
#[derive(Debug, Args)]
pub struct IdentityNewArgs {
    /// Store the identity unencrypted (for machines without a person at a terminal).
    #[arg(long, conflicts_with = "tpm")]
    pub no_passphrase: bool,
    /// Seal the identity to this machine's TPM 2.0, with a PIN the TPM rate-limits: a
    /// copied file opens nowhere else. The TPM is found as tpm2-tools finds it
    /// (TPM2TOOLS_TCTI, TCTI, else /dev/tpmrm0).
    #[arg(long)]
    pub tpm: bool,
    /// With --tpm: no PIN (for unattended machines).
    #[arg(long, requires = "tpm")]
    pub no_pin: bool,
}

/// The environment flag shared by most commands.
#[derive(Debug, Args, Clone)]
pub struct EnvArg {
    /// Environment to use [default: $AISECRETS_ENV, the manifest's default_env, or dev].
    #[arg(long, short = 'e', value_name = "NAME")]
    pub env: Option<String>,
}

/// Arguments of `push` and `pull`.
#[derive(Debug, Args)]
pub struct SyncArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub env: EnvArg,
    /// The environment to copy into.
    #[arg(long, value_name = "NAME")]
    pub to: String,
    /// Show what would change and change nothing.
    #[arg(long, short = 'n')]
    pub dry_run: bool,
    /// Also remove the names that only the target has.
    #[arg(long)]
    pub prune: bool,
    /// Do not ask for confirmation on a terminal.
    #[arg(long, short = 'y')]
    pub yes: bool,
}

/// Arguments of `init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// The environment to create.
    #[arg(long, short = 'e', value_name = "NAME", default_value = "dev")]
    pub env: String,
    /// Your recipient name in the manifest [default: $USER].
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
}

/// A secret's name and the environment.
#[derive(Debug, Args)]
pub struct NameArgs {
    /// The secret's name, e.g. OPENAI_API_KEY.
    #[arg(value_name = "NAME")]
    pub name: String,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub env: EnvArg,
}

/// Arguments of `set`.
#[derive(Debug, Args)]
pub struct SetArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub name: NameArgs,
    /// A value typed on the command line: refused with the reason, never used or shown.
    #[arg(hide = true, value_name = "VALUE", num_args = 0.., allow_hyphen_values = true)]
    pub value_in_argv: Vec<OsString>,
}

/// Arguments of `list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub env: EnvArg,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The dotenv file, or "-" for standard input.
    #[arg(value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub file: PathBuf,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub env: EnvArg,
}

/// Arguments of `export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub env: EnvArg,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value = "dotenv")]
    pub format: ExportFormat,
}

/// Arguments of `completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn cli_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
