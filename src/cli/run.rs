//! `run`'s arguments, the quick parse that builds only them for an `aisecrets run` line
//! (#14), and the one-line error for an option of `run` written after the command (#13).

use std::ffi::OsString;

use clap::{Args, Parser, ValueHint};

use super::{Cli, Command, EnvArg};

impl Cli {
    /// Parses `args` (the program name first). `run` is the command whose start-up is
    /// measured (#14): clap would otherwise build all 34 commands' arguments on every
    /// start, so `aisecrets run ...` is first parsed against `run`'s own arguments only. Any
    /// line that this does not parse (help, `--version`, a mistake) goes through the whole
    /// tree, so every message is the usual one; a unit test checks both ways agree.
    ///
    /// # Errors
    /// clap's error for a line the whole tree does not accept.
    pub fn try_parse_run_first(args: Vec<OsString>) -> Result<Self, clap::Error> {
        use clap::FromArgMatches;
        if args.get(1).is_some_and(|a| a == "run") {
            let only_run = clap::Command::new("aisecrets")
                .subcommand(<RunArgs as Args>::augment_args(clap::Command::new("run")));
            if let Ok(m) = only_run.try_get_matches_from(&args)
                && let Some(("run", sub)) = m.subcommand()
                && let Ok(run) = RunArgs::from_arg_matches(sub)
            {
                return Ok(Self {
                    command: Command::Run(run),
                });
            }
        }
        <Self as Parser>::try_parse_from(args)
    }
}

/// Arguments of `run`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("proxying").args(["proxy", "agent"]).multiple(true)))]
pub struct RunArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub env: EnvArg,
    /// Give the command only these secrets (comma-separated names).
    #[arg(
        long,
        value_name = "A,B",
        value_delimiter = ',',
        conflicts_with = "scope"
    )]
    pub only: Option<Vec<String>>,
    /// Give the command only the secrets of this scope from aisecrets.toml ([scopes.NAME]).
    #[arg(long, value_name = "NAME")]
    pub scope: Option<String>,
    /// Replace every secret value in the command's output with [REDACTED:NAME].
    // Help text is plain text, not Markdown: the brackets are not a link.
    #[allow(rustdoc::broken_intra_doc_links)]
    #[arg(long)]
    pub mask: bool,
    /// Allow a secret value to appear in the command line (trackers record command lines).
    #[arg(long)]
    pub allow_argv: bool,
    // `run --jail` and `run --agent` (#15).
    /// Linux: run the command in a jail: no network except through aisecrets' proxy (none
    /// at all without --proxy), and no access to the aisecrets home, the identity,
    /// ~/.vault-token, the keyring or other runs' files; refuses to start where the kernel
    /// cannot confine it.
    #[arg(long)]
    pub jail: bool,
    /// The preset for coding agents: --proxy --jail --mask, with each proxied request's
    /// host and secret name in the audit log.
    #[arg(long)]
    pub agent: bool,
    /// Why the command needs the secrets, for the audit log; required under a coding agent.
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
    /// Give the command VAULT_TOKEN: a child token of yours limited to the run (TTL and
    /// policies from [environments.ENV.child_token]), revoked when it exits.
    #[arg(long)]
    pub vault_token: bool,
    // --- #15 `run --proxy` (engineer proxy): `--proxy`, `--proxy=strict`, `--egress=strict`.
    /// Give keys with a host rule as placeholders; a local proxy puts the real key on the
    /// wire, only toward that key's hosts. `--proxy=strict` also withholds keys without a rule.
    #[arg(
        long,
        value_name = "strict",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "on",
        value_parser = ["on", "strict"]
    )]
    pub proxy: Option<String>,
    /// With --proxy (or --agent): refuse connections to hosts without a host rule (no
    /// tunnel, no plain HTTP).
    #[arg(
        long,
        value_name = "strict",
        require_equals = true,
        value_parser = ["strict"],
        requires = "proxying"
    )]
    pub egress: Option<String>,
    // --- end #15 --proxy.
    // Words before the command that start with `-` are options of `run` (an unknown one is
    // a usage error), never the command: `run --mistyped -- cmd` must not run a program
    // called `--mistyped` (#13), so no `allow_hyphen_values` here.
    /// The command and its arguments, after `--`.
    #[arg(
        value_name = "CMD",
        required = true,
        num_args = 1..,
        trailing_var_arg = true,
        value_hint = ValueHint::CommandWithArguments
    )]
    pub command: Vec<OsString>,
}

/// An unknown option of `run` (`run --sandbox -- cmd`): one line saying that options go
/// before `--` and the command after it, with clap's suggestion, instead of clap's tip to
/// pass it as a value, which would run a program called `--sandbox` (#13).
#[must_use]
pub fn explain_run_error(e: &clap::Error) -> Option<String> {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if e.kind() != ErrorKind::UnknownArgument
        || std::env::args_os().nth(1).is_none_or(|a| a != "run")
    {
        return None;
    }
    let text = |k| match e.get(k) {
        Some(ContextValue::String(s)) => Some(s.clone()),
        Some(ContextValue::Strings(v)) => v.first().cloned(),
        _ => None,
    };
    let arg = text(ContextKind::InvalidArg)?;
    let similar = text(ContextKind::SuggestedArg)
        .map(|s| format!(" (did you mean `{s}`?)"))
        .unwrap_or_default();
    Some(format!(
        "aisecrets: error: `run` has no option `{}`{similar}; options go before `--` and the command after it: \
         `aisecrets run [OPTIONS] -- CMD [ARGS...]` (`aisecrets run --help` lists the options)",
        crate::base::output::sanitize(&arg, 64)
    ))
}

#[cfg(test)]
mod tests {
    /// The quick parse of `run` gives what the whole tree gives, and leaves to it what it
    /// does not parse (#14).
    #[test]
    fn quick_run_parse_agrees_with_the_whole_tree() {
        use clap::Parser;
        let lines: &[&[&str]] = &[
            &["run", "--", "python", "train.py"],
            &["run", "python", "-c", "print(1)"],
            &[
                "run", "--env", "prod", "--only", "A,B", "--mask", "--", "sh", "-c", "x",
            ],
            &["run", "-e", "dev", "--reason", "why", "--", "true"],
            &["run", "--proxy", "--", "curl", "-s", "https://x"],
            &["run", "--agent", "--jail", "--", "true"],
            &["run", "--only", "NOPE", "true"],
            // The command's own flags, even those aisecrets also has.
            &["run", "python", "--version"],
            &["run", "--mask", "python", "--help"],
            &["run", "--", "--env", "x"],
        ];
        for line in lines {
            let args: Vec<std::ffi::OsString> = std::iter::once("aisecrets")
                .chain(line.iter().copied())
                .map(Into::into)
                .collect();
            let quick = super::Cli::try_parse_run_first(args.clone()).map(|c| format!("{c:?}"));
            let whole = super::Cli::try_parse_from(args).map(|c| format!("{c:?}"));
            assert_eq!(quick.ok(), whole.ok(), "{line:?}");
        }
        // Help, version and mistakes come from the whole tree.
        for line in [
            &["run", "--help"][..],
            &["run", "--version"],
            &["run", "--nope", "--", "true"],
            &["run"],
        ] {
            let args: Vec<std::ffi::OsString> = std::iter::once("aisecrets")
                .chain(line.iter().copied())
                .map(Into::into)
                .collect();
            let quick = super::Cli::try_parse_run_first(args.clone())
                .map(|_| ())
                .unwrap_err();
            let whole = super::Cli::try_parse_from(args).map(|_| ()).unwrap_err();
            assert_eq!(quick.kind(), whole.kind(), "{line:?}");
            assert_eq!(quick.to_string(), whole.to_string(), "{line:?}");
        }
    }
}
