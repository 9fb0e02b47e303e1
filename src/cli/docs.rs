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
    ("0", "Success; for scan, nothing was found."),
    (
        "1",
        "An error: a broken or forged file, a missing secret, no identity that opens the environment. scan: findings (or an environment file staged with an unresolved merge). audit --verify: a line of the log was removed or altered.",
    ),
    (
        "2",
        "A usage error: an unknown command, flag or value, or a secret value in run's command line without --allow-argv. scan: the scan could not run.",
    ),
    (
        "126, 127",
        "run: the command could not be executed, or was not found.",
    ),
    (
        "other",
        "run: the child's own exit status, or 128 plus the number of the signal that killed it.",
    ),
];

/// Every variable aisecrets reads. A test checks that each `AISECRETS_*`, `VAULT_*` and
/// `BAO_*` name the source reads is listed here.
const ENVIRONMENT: &[(&str, &str)] = &[
    (
        "AISECRETS_IDENTITY",
        "An age identity (AGE-SECRET-KEY-1...) to use instead of the stored one; for CI. Taken out of the environment at start-up; never passed to children.",
    ),
    (
        "AISECRETS_IDENTITY_FILE",
        "A file holding the identity: made by age-keygen, an OpenSSH private key (ssh-ed25519, ssh-rsa), an age plugin's identity file (AGE-PLUGIN-...), or a TPM-bound identity from identity new --tpm.",
    ),
    (
        "AISECRETS_TRUST",
        "Trust pins for machines with no memory (CI), comma-separated, as aisecrets trust --print prints them: PROJECT/ENV=KEY_ID:VERIFIER[:2] for an encrypted environment, PROJECT/ENV=vault:SHA256 for a Vault one. Used where this user has no pin of their own.",
    ),
    (
        "AISECRETS_HOME",
        "One folder for all of the user's own files (identity, trust, audit log, config).",
    ),
    (
        "AISECRETS_ENV",
        "The environment used when --env is not given.",
    ),
    (
        "AISECRETS_JAIL",
        "Set to 1 by run --jail and run --agent in the child's environment: the command runs in the jail. aisecrets itself does not read it.",
    ),
    (
        "AISECRETS_KEYRING",
        "Where unlock keeps the opened identity: auto (the default), secret-service, keyutils, keychain, credential-manager, or none to turn caching off. Overrides keyring in config.toml.",
    ),
    (
        "TPM2TOOLS_TCTI, TCTI",
        "Where the TPM of a TPM-bound identity is, as tpm2-tools read them: device:PATH (or a bare path), swtpm:host=HOST,port=PORT or swtpm:path=SOCKET. Default /dev/tpmrm0.",
    ),
    (
        "JUPYTER_DATA_DIR",
        "Where jupyter install writes kernelspecs (kernels/NAME), as Jupyter reads it; else $XDG_DATA_HOME/jupyter, else ~/.local/share/jupyter.",
    ),
    (
        "AISECRETS_VAULT_ALLOW_HTTP",
        "1 allows a plain http:// address for a Vault server that is not on loopback (the token then crosses the network in clear).",
    ),
    (
        "AISECRETS_SCRYPT_WORK_FACTOR",
        "log2 of the scrypt work factor for new identities (default 18); tests set it low.",
    ),
    (
        "AISECRETS_TEST_PLUGIN_TIMEOUT",
        "Internal, for the tests: seconds (under the default 60) an age plugin of the identity gets to answer when there is no terminal.",
    ),
    (
        "VAULT_ADDR, VAULT_TOKEN, VAULT_NAMESPACE, VAULT_CACERT, VAULT_CAPATH, VAULT_CLIENT_TIMEOUT",
        "For environments kept in OpenBao/Vault, as the vault CLI reads them, each with its BAO_* name (BAO_ADDR...) as a fallback; VAULT_ADDR wins over the manifest's address. The token is taken out of the environment at start-up.",
    ),
    (
        "VAULT_ROLE_ID, VAULT_SECRET_ID, VAULT_JWT",
        "AppRole login, and a JWT for login with the environment's jwt_role (BAO_* too); tried after VAULT_TOKEN and ~/.vault-token. Taken out of the environment at start-up.",
    ),
    (
        "CLAUDECODE, CLAUDE_CODE_ENTRYPOINT, CODEX_SANDBOX, CODEX_SANDBOX_NETWORK_DISABLED, CODEX_THREAD_ID, CODEX_CI, CURSOR_AGENT, COPILOT_CLI, GEMINI_CLI, AISECRETS_AGENT",
        "Markers of a coding agent (Claude Code, Codex, Cursor, Copilot CLI, Gemini CLI; AISECRETS_AGENT=NAME by hand): get, export, edit and run without --mask refuse, and run needs --reason. [agents] allow_commands in config.toml makes exceptions.",
    ),
    (
        "ACTIONS_ID_TOKEN_REQUEST_URL, ACTIONS_ID_TOKEN_REQUEST_TOKEN, VAULT_JWT_AUDIENCE",
        "In GitHub Actions with id-token: write and no VAULT_JWT, the job's OIDC token is fetched for the jwt_role login, for the audience VAULT_JWT_AUDIENCE (default vault).",
    ),
    (
        "VISUAL, EDITOR",
        "The editor of edit, in that order (else vi), run through the shell as git runs it.",
    ),
    (
        "USER",
        "The default recipient name for init and request-access, and the user in the audit log (else git config user.name, else the login name).",
    ),
    (
        "HOME, XDG_CONFIG_HOME, XDG_STATE_HOME",
        "Where the user's files live when AISECRETS_HOME is unset: $XDG_CONFIG_HOME/aisecrets (else ~/.config/aisecrets), the audit log in $XDG_STATE_HOME/aisecrets (else ~/.local/state/aisecrets), and ~/.vault-token.",
    ),
    (
        "XDG_RUNTIME_DIR",
        "The RAM folder (tmpfs) for edit's copy and run's file secrets, else /dev/shm; nothing is written there on a disk.",
    ),
    (
        "DBUS_SESSION_BUS_ADDRESS",
        "The session bus on which unlock looks for the Secret Service; without it the kernel keyring is used.",
    ),
    (
        "PATH",
        "Where age plugins (age-plugin-*) are looked for; a relative folder in it is refused.",
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
    (
        "$XDG_CONFIG_HOME/aisecrets/config.toml",
        "Your settings: unlock_for, keyring, allow_names, safe_directories, [cache] allow_shared_keyring.",
    ),
    (
        "$XDG_CONFIG_HOME/aisecrets/trust.toml",
        "Your pins, per repository folder and environment: the data key and recipients you accepted, the Vault settings you accepted.",
    ),
    (
        "$XDG_STATE_HOME/aisecrets/audit.jsonl",
        "The local audit log, a hash chain (with audit.head); audit --verify checks it.",
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

/// The command line as the man pages show it: without clap's `help` subcommand (each page
/// documents `--help` instead).
fn man_command() -> clap::Command {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    cmd
}

fn man(cmd: clap::Command) -> clap_mangen::Man {
    clap_mangen::Man::new(cmd)
        .date("")
        .source(concat!("aisecrets ", env!("CARGO_PKG_VERSION")))
}

/// The man page `aisecrets.1`.
#[must_use]
pub fn man_page() -> Vec<u8> {
    let man = man(man_command());
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

/// Exit statuses that a subcommand's own page repeats from `aisecrets(1)`.
const SUB_EXIT_STATUS: &[(&str, &[(&str, &str)])] = &[
    (
        "aisecrets-run",
        &[
            (
                "0-255",
                "The command's own exit status, or 128 plus the number of the signal that killed it.",
            ),
            (
                "126, 127",
                "The command could not be executed, or was not found.",
            ),
            (
                "1, 2",
                "Before the command starts: an error of aisecrets (1), a usage error or a secret value in the command line without --allow-argv (2).",
            ),
        ],
    ),
    (
        "aisecrets-scan",
        &[
            ("0", "Nothing was found."),
            (
                "1",
                "Findings, or an environment file staged with an unresolved merge.",
            ),
            ("2", "The scan could not run."),
        ],
    ),
    (
        "aisecrets-audit",
        &[
            ("0", "Success; with --verify, the chain is intact."),
            (
                "1",
                "With --verify, a line was removed or altered; otherwise an error.",
            ),
        ],
    ),
];

/// The page of one subcommand, `NAME.1` where NAME is its display name
/// (`aisecrets-recipients-add`), as git names its pages.
fn sub_page(cmd: &clap::Command, parent: &str) -> Vec<u8> {
    let name = cmd.get_display_name().unwrap_or(cmd.get_name()).to_owned();
    let man = man(cmd.clone());
    let mut out = Vec::new();
    let render = |out: &mut Vec<u8>| -> std::io::Result<()> {
        man.render_title(out)?;
        man.render_name_section(out)?;
        man.render_synopsis_section(out)?;
        man.render_description_section(out)?;
        man.render_options_section(out)?;
        if cmd.get_subcommands().any(|s| !s.is_hide_set()) {
            man.render_subcommands_section(out)?;
        }
        if cmd.get_after_help().is_some() || cmd.get_after_long_help().is_some() {
            man.render_extra_section(out)?;
        }
        let mut roff = Roff::new();
        if let Some((_, codes)) = SUB_EXIT_STATUS.iter().find(|(n, _)| *n == name) {
            section(&mut roff, "EXIT STATUS", codes, false);
        } else {
            roff.control("SH", ["EXIT STATUS"]);
            roff.text([
                roman("0 on success, 1 on an error, 2 on a usage error; see "),
                bold("aisecrets"),
                roman("(1)."),
            ]);
        }
        roff.control("SH", ["SEE ALSO"]);
        let mut see = vec![bold("aisecrets"), roman("(1)")];
        if parent != "aisecrets" {
            see.extend([roman(", "), bold(parent.to_owned()), roman("(1)")]);
        }
        roff.text(see);
        roff.to_writer(out)?;
        man.render_version_section(out)
    };
    render(&mut out).expect("writing to a Vec cannot fail");
    out
}

/// Every man page, as (file name, contents): `aisecrets.1`, then one page per visible
/// subcommand, nested ones included, so that each name in a SUBCOMMANDS list is a page.
#[must_use]
pub fn man_pages() -> Vec<(String, Vec<u8>)> {
    fn walk(cmd: &clap::Command, out: &mut Vec<(String, Vec<u8>)>) {
        let parent = cmd.get_display_name().unwrap_or(cmd.get_name());
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            let name = sub.get_display_name().unwrap_or(sub.get_name());
            out.push((format!("{name}.1"), sub_page(sub, parent)));
            walk(sub, out);
        }
    }
    let mut out = vec![("aisecrets.1".to_owned(), man_page())];
    walk(&man_command(), &mut out);
    out
}
