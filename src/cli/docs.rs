//! Completions and the man page, generated from the clap definition. The committed copies
//! in `completions/` and `man/` are checked against these by a test.

use clap::CommandFactory;
use clap_mangen::roff::{Roff, bold, roman};

use crate::cli::Cli;

/// The completion script for `shell`.
#[must_use]
pub fn completion(shell: clap_complete::Shell) -> Vec<u8> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "aisecrets", &mut out);
    out
}

/// The file name a completion script is committed under.
#[must_use]
pub fn completion_file(shell: clap_complete::Shell) -> &'static str {
    use clap_complete::Shell;
    match shell {
        Shell::Bash => "aisecrets.bash",
        Shell::Zsh => "_aisecrets",
        Shell::Fish => "aisecrets.fish",
        Shell::PowerShell => "_aisecrets.ps1",
        Shell::Elvish => "aisecrets.elv",
        _ => "aisecrets.unknown",
    }
}

const EXIT_STATUS: &[(&str, &str)] = &[
    ("0", "Success."),
    (
        "1",
        "An error: a broken or forged file, a missing secret, no identity that opens the environment.",
    ),
    ("2", "A usage error: an unknown command, flag or value."),
    (
        "126, 127",
        "run: the command could not be executed, or was not found.",
    ),
    (
        "other",
        "run: the child's own exit status, or 128 plus the number of the signal that killed it.",
    ),
];

const ENVIRONMENT: &[(&str, &str)] = &[
    (
        "AISECRETS_IDENTITY",
        "An age identity (AGE-SECRET-KEY-1...) to use instead of the stored one; for CI. Never passed to children.",
    ),
    (
        "AISECRETS_IDENTITY_FILE",
        "A file holding the identity: made by age-keygen, or an OpenSSH private key (ssh-ed25519, ssh-rsa).",
    ),
    (
        "AISECRETS_HOME",
        "One folder for all of the user's own files (identity, trust, audit, config).",
    ),
    (
        "AISECRETS_ENV",
        "The environment used when --env is not given.",
    ),
    (
        "AISECRETS_SCRYPT_WORK_FACTOR",
        "log2 of the scrypt work factor for new identities (default 18); tests set it low.",
    ),
    (
        "VAULT_ADDR, VAULT_TOKEN, VAULT_NAMESPACE, VAULT_CACERT, VAULT_CAPATH, VAULT_CLIENT_TIMEOUT",
        "For environments kept in OpenBao/Vault, as the vault CLI reads them (BAO_* too); VAULT_ADDR wins over the manifest's address.",
    ),
    (
        "VAULT_ROLE_ID, VAULT_SECRET_ID, VAULT_JWT",
        "AppRole login, and a JWT for login with the environment's jwt_role; tried after VAULT_TOKEN and ~/.vault-token.",
    ),
    (
        "CLAUDECODE, CLAUDE_CODE_ENTRYPOINT, CODEX_SANDBOX, CODEX_SANDBOX_NETWORK_DISABLED, CODEX_THREAD_ID, CODEX_CI, CURSOR_AGENT, COPILOT_CLI, GEMINI_CLI, AISECRETS_AGENT",
        "Markers of a coding agent (Claude Code, Codex, Cursor, Copilot CLI, Gemini CLI; AISECRETS_AGENT=NAME by hand): get, export, edit and run without --mask refuse, and run needs --reason. [agents] allow_commands in config.toml makes exceptions.",
    ),
    ("USER", "The default recipient name for init."),
    (
        "XDG_CONFIG_HOME",
        "Where the user folder lives when AISECRETS_HOME is unset ($XDG_CONFIG_HOME/aisecrets).",
    ),
];

const FILES: &[(&str, &str)] = &[
    (
        "aisecrets.toml",
        "The project manifest at the repository's root: project id, environments and their recipients. Committed; found by walking up from the current folder.",
    ),
    (
        "secrets/ENV.toml",
        "One encrypted environment: names in the clear, each value sealed, the data key wrapped by age. Committed.",
    ),
    (
        "$XDG_CONFIG_HOME/aisecrets/identity.age",
        "Your age identity, passphrase-protected unless made with --no-passphrase; mode 0600. Never committed.",
    ),
    (
        "$XDG_CONFIG_HOME/aisecrets/identity.pub",
        "Your public key.",
    ),
];

const EXAMPLES: &[(&str, &str)] = &[
    (
        "Make your identity, start a project and add a secret:",
        "aisecrets identity new\naisecrets init\naisecrets set OPENAI_API_KEY",
    ),
    (
        "Run a training script with the secrets in its environment:",
        "aisecrets run -- python train.py",
    ),
    (
        "Use another environment:",
        "printf %s \"$KEY\" | aisecrets set HF_TOKEN --env prod\naisecrets run --env prod -- python serve.py",
    ),
    (
        "In CI, with the identity from the CI secret store:",
        "AISECRETS_IDENTITY=\"$SECRET\" aisecrets run -- pytest",
    ),
    (
        "Let coding agents use the secrets without seeing them (MCP), allowing one name:",
        "aisecrets agent setup claude\nprintf '[agents]\\nallow = [\"OPENAI_API_KEY\"]\\n' >> ~/.config/aisecrets/config.toml",
    ),
];

fn section(roff: &mut Roff, title: &str, items: &[(&str, &str)], code: bool) {
    roff.control("SH", [title]);
    for (term, text) in items {
        if code {
            roff.text([roman(*term)]);
            roff.control("PP", []);
            roff.control("RS", ["4"]);
            roff.control("nf", []);
            for line in text.lines() {
                roff.text([bold(line)]);
            }
            roff.control("fi", []);
            roff.control("RE", []);
            roff.control("PP", []);
        } else {
            roff.control("TP", []);
            roff.text([bold(*term)]);
            roff.text([roman(*text)]);
        }
    }
}

/// The man page `aisecrets.1`.
#[must_use]
pub fn man_page() -> Vec<u8> {
    let man = clap_mangen::Man::new(Cli::command())
        .date("")
        .source(concat!("aisecrets ", env!("CARGO_PKG_VERSION")));
    let mut out = Vec::new();
    let render = |out: &mut Vec<u8>| -> std::io::Result<()> {
        man.render_title(out)?;
        man.render_name_section(out)?;
        man.render_synopsis_section(out)?;
        man.render_description_section(out)?;
        man.render_options_section(out)?;
        man.render_subcommands_section(out)?;
        let mut roff = Roff::new();
        section(&mut roff, "EXIT STATUS", EXIT_STATUS, false);
        section(&mut roff, "ENVIRONMENT", ENVIRONMENT, false);
        section(&mut roff, "FILES", FILES, false);
        section(&mut roff, "EXAMPLES", EXAMPLES, true);
        roff.to_writer(out)?;
        man.render_version_section(out)
    };
    render(&mut out).expect("writing to a Vec cannot fail");
    out
}
