
use builtin;
use str;

set edit:completion:arg-completer[aisecrets] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'aisecrets'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'aisecrets'= {
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand identity 'Make or show your own age identity'
            cand init 'Start a project here (aisecrets.toml + secrets/<env>.toml), or add an environment'
            cand set 'Set a secret; the value comes from stdin when piped, else a hidden prompt'
            cand get 'Print a secret''s value and a newline on stdout'
            cand rm 'Remove a secret'
            cand list 'List secret names with when and by whom each was set; never values'
            cand import 'Import NAME=value lines from a dotenv file ("-" for stdin)'
            cand export 'Print every secret of an environment as dotenv, JSON or shell'
            cand run 'Run a command with the environment''s secrets as environment variables'
            cand rotate 'Set a new value for a secret (after revoking the old one) and clear its exposed mark'
            cand push 'Copy every secret of an environment into a Vault one (--env dev --to prod), showing the changes first'
            cand pull 'Copy every secret of a Vault environment into another one (--env prod --to dev), showing the changes first'
            cand recipients 'Who can open which environment: list, add, remove, approve requests, acknowledge changes'
            cand request-access 'Ask for access: record your public key in aisecrets.toml as pending, then commit it'
            cand trust 'Show an environment''s key id and recipients and trust (pin) it'
            cand edit 'Edit an environment as NAME=value lines in $VISUAL/$EDITOR (a copy in RAM, re-encrypted on save)'
            cand scan 'Find this project''s secret values and well-known key shapes in files (exit 1 on findings)'
            cand git 'Git integration: `git setup` installs the diff and merge drivers, the notebook filter and the pre-commit hook'
            cand audit 'Show the local audit log, or check that no line was removed or altered'
            cand unlock 'Open your identity once and keep it in the OS keyring until a time limit'
            cand lock 'Forget the unlocked identity in every keyring'
            cand status 'Show the project, environment, identity, and the unlock cache'
            cand completions 'Print a shell completion script on stdout'
            cand mcp 'Serve coding agents over MCP (stdio): list secrets, run commands with them, ask you for a value; never show one'
            cand agent 'Coding agents: `agent setup` registers `aisecrets mcp` with an agent in this project'
            cand jupyter 'Jupyter kernels with this project''s secrets, whose outputs never show a value'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'aisecrets;identity'= {
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand new 'Make a new identity (passphrase-protected unless --no-passphrase) and print its public key'
            cand show 'Print your public key alone on stdout'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'aisecrets;identity;new'= {
            cand --no-passphrase 'Store the identity unencrypted (for machines without a person at a terminal)'
            cand --tpm 'Seal the identity to this machine''s TPM 2.0, with a PIN the TPM rate-limits: a copied file opens nowhere else. The TPM is found as tpm2-tools finds it (TPM2TOOLS_TCTI, TCTI, else /dev/tpmrm0)'
            cand --no-pin 'With --tpm: no PIN (for unattended machines)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'aisecrets;identity;show'= {
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'aisecrets;identity;help'= {
            cand new 'Make a new identity (passphrase-protected unless --no-passphrase) and print its public key'
            cand show 'Print your public key alone on stdout'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'aisecrets;identity;help;new'= {
        }
        &'aisecrets;identity;help;show'= {
        }
        &'aisecrets;identity;help;help'= {
        }
        &'aisecrets;init'= {
            cand -e 'The environment to create'
            cand --env 'The environment to create'
            cand --name 'Your recipient name in the manifest [default: $USER]'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'aisecrets;set'= {
            cand -e 'Environment to use [default: $AISECRETS_ENV, the manifest''s default_env, or dev]'
            cand --env 'Environment to use [default: $AISECRETS_ENV, the manifest''s default_env, or dev]'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'aisecrets;get'= {
            cand -e 'Environment to use [default: $AISECRETS_ENV, the manifest''s default_env, or dev]'
            cand --env 'Environment to use [default: $AISECRETS_ENV, the manifest''s default_env, or dev]'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'aisecrets;rm'= {
            cand -e 'Environment to use [default: $AISECRETS_ENV, the manifest''s default_env, or dev]'
            cand --env 'Environment to use [default: $AISECRETS_ENV, the manifest''s default_env, or dev]'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'aisecrets;list'= {
            cand -e 'Environment to use [default: $AISECRETS_ENV, the manifest''s default_env, or dev]'
            cand --env 'Environment to use [default: $AISECRETS_ENV, the manifest''s default_env, or dev]'
            cand --json 'Print JSON'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'aisecrets;import'= {
            cand -e 'Environment to use [default: $AISECRETS_ENV, the manifest''s default_env, or dev]'
            cand --env 'Environment to use [default: $AISECRETS_ENV, the manifest''s default_env, or dev]'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'aisecrets;export'= {
            cand -e 'Environment to use [default: $AISECRETS_ENV, the manifest''s default_env, or dev]'
            cand --env 'Environment to use [default: $AISECRETS_ENV, the manifest''s default_env, or dev]'
            cand -f 'Output format'
            cand --format 'Output format'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'aisecrets;run'= {
            cand -e 'Environment to use [default: $AISECRETS_ENV, the manifest''s default_env, or dev]'
            cand --env 'Environment to use [default: $AISECRETS_ENV, the manifest''s default_env, or dev]'
            cand --only 'Give the command only these secrets (comma-separated names)'
            cand --scope 'Give the command only the secrets of this scope from aisecrets.toml ([scopes.NAME])'
            cand --reason 'Why the command needs the secrets, for the audit log; required under a coding agent'
            cand --proxy 'Give keys with a host rule as placeholders; a local proxy puts the real key on the wire, only toward that key''s hosts. `--proxy=strict` also withholds keys without a rule'
            cand --egress 'With --proxy (or --agent): refuse connections to hosts without a host rule (no tunnel, no plain HTTP)'
            cand --mask 'Replace every secret value in the command''s output with [REDACTED:NAME]'
            cand --allow-argv 'Allow a secret value to appear in the command line (trackers record command lines)'
            cand --jail 'Linux: run the command in a jail: no network except through aisecrets'' proxy (none at all without --proxy), and no access to the aisecrets home, the identity, ~/.vault-token, the keyring or other runs'' files; refuses to start where the kernel cannot confine it'
            cand --agent 'The preset for coding agents: --proxy --jail --mask, with each proxied request''s host and secret name in the audit log'
            cand --vault-token 'Give the command VAULT_TOKEN: a child token of yours limited to the run (TTL and policies from [environments.ENV.child_token]), revoked when it exits'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'aisecrets;rotate'= {
            cand -e 'Environment to use [default: $AISECRETS_ENV, the manifest''s default_env, or dev]'
            cand --env 'Environment to use [default: $AISECRETS_ENV, the manifest''s default_env, or dev]'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'aisecrets;push'= {
            cand -e 'Environment to use [default: $AISECRETS_ENV, the manifest''s default_env, or dev]'
            cand --env 'Environment to use [default: $AISECRETS_ENV, the manifest''s default_env, or dev]'
            cand --to 'The environment to copy into'
            cand -n 'Show what would change and change nothing'
            cand --dry-run 'Show what would change and change nothing'
            cand --prune 'Also remove the names that only the target has'
            cand -y 'Do not ask for confirmation on a terminal'
            cand --yes 'Do not ask for confirmation on a terminal'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'aisecrets;pull'= {
            cand -e 'Environment to use [default: $AISECRETS_ENV, the manifest''s default_env, or dev]'
            cand --env 'Environment to use [default: $AISECRETS_ENV, the manifest''s default_env, or dev]'
            cand --to 'The environment to copy into'
            cand -n 'Show what would change and change nothing'
            cand --dry-run 'Show what would change and change nothing'
            cand --prune 'Also remove the names that only the target has'
            cand -y 'Do not ask for confirmation on a terminal'
            cand --yes 'Do not ask for confirmation on a terminal'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'aisecrets;recipients'= {
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand list 'List each environment''s recipients with key fingerprints, and pending requests'
            cand add 'Add a recipient (every environment unless --env); only the data key is rewrapped'
            cand rm 'Remove a recipient: new data keys, values resealed and marked exposed; prints the new AISECRETS_TRUST value for CI'
            cand approve 'Add a pending access request (from `aisecrets request-access`) as a recipient'
            cand ack 'Review and approve recipient changes made to aisecrets.toml outside aisecrets'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'aisecrets;recipients;list'= {
            cand -e 'Environment to use [default: $AISECRETS_ENV, the manifest''s default_env, or dev]'
            cand --env 'Environment to use [default: $AISECRETS_ENV, the manifest''s default_env, or dev]'
            cand --json 'Print JSON'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'aisecrets;recipients;add'= {
            cand -e 'Environment to use [default: $AISECRETS_ENV, the manifest''s default_env, or dev]'
            cand --env 'Environment to use [default: $AISECRETS_ENV, the manifest''s default_env, or dev]'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'aisecrets;recipients;rm'= {
            cand -e 'Environment to use [default: $AISECRETS_ENV, the manifest''s default_env, or dev]'
            cand --env 'Environment to use [default: $AISECRETS_ENV, the manifest''s default_env, or dev]'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'aisecrets;recipients;approve'= {
            cand -e 'Environment to use [default: $AISECRETS_ENV, the manifest''s default_env, or dev]'
            cand --env 'Environment to use [default: $AISECRETS_ENV, the manifest''s default_env, or dev]'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'aisecrets;recipients;ack'= {
            cand -e 'Environment to use [default: $AISECRETS_ENV, the manifest''s default_env, or dev]'
            cand --env 'Environment to use [default: $AISECRETS_ENV, the manifest''s default_env, or dev]'
            cand --yes 'Approve without asking (after reading what it shows)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'aisecrets;recipients;help'= {
            cand list 'List each environment''s recipients with key fingerprints, and pending requests'
            cand add 'Add a recipient (every environment unless --env); only the data key is rewrapped'
            cand rm 'Remove a recipient: new data keys, values resealed and marked exposed; prints the new AISECRETS_TRUST value for CI'
            cand approve 'Add a pending access request (from `aisecrets request-access`) as a recipient'
            cand ack 'Review and approve recipient changes made to aisecrets.toml outside aisecrets'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'aisecrets;recipients;help;list'= {
        }
        &'aisecrets;recipients;help;add'= {
        }
        &'aisecrets;recipients;help;rm'= {
        }
        &'aisecrets;recipients;help;approve'= {
        }
        &'aisecrets;recipients;help;ack'= {
        }
        &'aisecrets;recipients;help;help'= {
        }
        &'aisecrets;request-access'= {
            cand --name 'The name to ask under [default: $USER]'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'aisecrets;trust'= {
            cand -e 'Environment to use [default: $AISECRETS_ENV, the manifest''s default_env, or dev]'
            cand --env 'Environment to use [default: $AISECRETS_ENV, the manifest''s default_env, or dev]'
            cand --yes 'Trust without asking (after checking the key id with a teammate)'
            cand --print 'Print the AISECRETS_TRUST value of your pins in this repository (for CI) instead: data keys and Vault settings'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'aisecrets;edit'= {
            cand -e 'Environment to use [default: $AISECRETS_ENV, the manifest''s default_env, or dev]'
            cand --env 'Environment to use [default: $AISECRETS_ENV, the manifest''s default_env, or dev]'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'aisecrets;scan'= {
            cand --history 'Scan every blob reachable in REV-RANGE (default: all of HEAD''s history), each once, with the first commit and path holding it and whether it is still in HEAD'
            cand --staged 'Scan what is staged for commit (the index), not the working tree'
            cand --json 'Print findings as JSON (file, line, column, kind, provider, secret, commit); values are never printed'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'aisecrets;git'= {
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand setup 'Install .gitattributes, the diff and merge drivers, the notebook filter, the pre-commit hook and .gitignore lines'
            cand textconv 'The diff driver (textconv): names with keyed fingerprints of their values'
            cand clean-notebook 'The clean filter for notebooks: cell outputs with secret values and key shapes redacted'
            cand smudge-notebook 'The smudge side of the notebook filter: the blob unchanged'
            cand merge 'The merge driver: a three-way merge by secret name'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'aisecrets;git;setup'= {
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'aisecrets;git;textconv'= {
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'aisecrets;git;clean-notebook'= {
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'aisecrets;git;smudge-notebook'= {
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'aisecrets;git;merge'= {
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'aisecrets;git;help'= {
            cand setup 'Install .gitattributes, the diff and merge drivers, the notebook filter, the pre-commit hook and .gitignore lines'
            cand textconv 'The diff driver (textconv): names with keyed fingerprints of their values'
            cand clean-notebook 'The clean filter for notebooks: cell outputs with secret values and key shapes redacted'
            cand smudge-notebook 'The smudge side of the notebook filter: the blob unchanged'
            cand merge 'The merge driver: a three-way merge by secret name'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'aisecrets;git;help;setup'= {
        }
        &'aisecrets;git;help;textconv'= {
        }
        &'aisecrets;git;help;clean-notebook'= {
        }
        &'aisecrets;git;help;smudge-notebook'= {
        }
        &'aisecrets;git;help;merge'= {
        }
        &'aisecrets;git;help;help'= {
        }
        &'aisecrets;audit'= {
            cand --since 'Only events at or after this time (2026-11-28 or 2026-11-28T10:00:00Z)'
            cand --json 'Print JSON'
            cand --verify 'Check the hash chain; exit 1 naming the first removed or altered line'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'aisecrets;unlock'= {
            cand --for 'How long to keep it, like 90s, 30m or 8h [default: the config''s unlock_for, else 8h]'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'aisecrets;lock'= {
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'aisecrets;status'= {
            cand -e 'Environment to use [default: $AISECRETS_ENV, the manifest''s default_env, or dev]'
            cand --env 'Environment to use [default: $AISECRETS_ENV, the manifest''s default_env, or dev]'
            cand --json 'Print JSON'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'aisecrets;completions'= {
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'aisecrets;mcp'= {
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'aisecrets;agent'= {
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand setup 'Register `aisecrets mcp` with coding agents in this project and tell them (in AGENTS.md or CLAUDE.md, appended) to use it; idempotent'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'aisecrets;agent;setup'= {
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'aisecrets;agent;help'= {
            cand setup 'Register `aisecrets mcp` with coding agents in this project and tell them (in AGENTS.md or CLAUDE.md, appended) to use it; idempotent'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'aisecrets;agent;help;setup'= {
        }
        &'aisecrets;agent;help;help'= {
        }
        &'aisecrets;jupyter'= {
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand install 'Install a Jupyter kernel (a kernelspec) that runs Python with this project''s secrets and masks every secret value in what it sends to the notebook'
            cand list 'List the kernels aisecrets installed: name, project, environment, where'
            cand uninstall 'Remove a kernel that aisecrets installed'
            cand kernel 'The kernel as Jupyter starts it (from kernel.json); not for direct use'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'aisecrets;jupyter;install'= {
            cand -e 'Environment whose secrets the kernel gets [default: $AISECRETS_ENV, the manifest''s default_env, or dev]'
            cand --env 'Environment whose secrets the kernel gets [default: $AISECRETS_ENV, the manifest''s default_env, or dev]'
            cand --scope 'Give the kernel only the secrets of this scope from aisecrets.toml ([scopes.NAME])'
            cand --name 'The kernelspec''s name [default: aisecrets-PROJECT-ENV]'
            cand --python 'The Python to run the kernel with; it must import ipykernel [default: python3 on PATH]'
            cand --reason 'Why the kernel needs the secrets; needed under a coding agent, where the kernel follows `run`''s rules for agents. Goes into kernel.json and to the audit log of every start'
            cand --sys-prefix 'Install into the active virtualenv ($VIRTUAL_ENV/share/jupyter/kernels) instead of your Jupyter data folder ($JUPYTER_DATA_DIR, else ~/.local/share/jupyter), like `ipykernel install --sys-prefix`'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'aisecrets;jupyter;list'= {
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'aisecrets;jupyter;uninstall'= {
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'aisecrets;jupyter;kernel'= {
            cand --project 'The project''s folder'
            cand --env 'The environment'
            cand --scope 'The scope, if any'
            cand --reason 'Why the kernel needs the secrets (from `jupyter install --reason`)'
            cand -f 'The connection file Jupyter gives ({connection_file})'
            cand --connection-file 'The connection file Jupyter gives ({connection_file})'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'aisecrets;jupyter;help'= {
            cand install 'Install a Jupyter kernel (a kernelspec) that runs Python with this project''s secrets and masks every secret value in what it sends to the notebook'
            cand list 'List the kernels aisecrets installed: name, project, environment, where'
            cand uninstall 'Remove a kernel that aisecrets installed'
            cand kernel 'The kernel as Jupyter starts it (from kernel.json); not for direct use'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'aisecrets;jupyter;help;install'= {
        }
        &'aisecrets;jupyter;help;list'= {
        }
        &'aisecrets;jupyter;help;uninstall'= {
        }
        &'aisecrets;jupyter;help;kernel'= {
        }
        &'aisecrets;jupyter;help;help'= {
        }
        &'aisecrets;help'= {
            cand identity 'Make or show your own age identity'
            cand init 'Start a project here (aisecrets.toml + secrets/<env>.toml), or add an environment'
            cand set 'Set a secret; the value comes from stdin when piped, else a hidden prompt'
            cand get 'Print a secret''s value and a newline on stdout'
            cand rm 'Remove a secret'
            cand list 'List secret names with when and by whom each was set; never values'
            cand import 'Import NAME=value lines from a dotenv file ("-" for stdin)'
            cand export 'Print every secret of an environment as dotenv, JSON or shell'
            cand run 'Run a command with the environment''s secrets as environment variables'
            cand rotate 'Set a new value for a secret (after revoking the old one) and clear its exposed mark'
            cand push 'Copy every secret of an environment into a Vault one (--env dev --to prod), showing the changes first'
            cand pull 'Copy every secret of a Vault environment into another one (--env prod --to dev), showing the changes first'
            cand recipients 'Who can open which environment: list, add, remove, approve requests, acknowledge changes'
            cand request-access 'Ask for access: record your public key in aisecrets.toml as pending, then commit it'
            cand trust 'Show an environment''s key id and recipients and trust (pin) it'
            cand edit 'Edit an environment as NAME=value lines in $VISUAL/$EDITOR (a copy in RAM, re-encrypted on save)'
            cand scan 'Find this project''s secret values and well-known key shapes in files (exit 1 on findings)'
            cand git 'Git integration: `git setup` installs the diff and merge drivers, the notebook filter and the pre-commit hook'
            cand audit 'Show the local audit log, or check that no line was removed or altered'
            cand unlock 'Open your identity once and keep it in the OS keyring until a time limit'
            cand lock 'Forget the unlocked identity in every keyring'
            cand status 'Show the project, environment, identity, and the unlock cache'
            cand completions 'Print a shell completion script on stdout'
            cand mcp 'Serve coding agents over MCP (stdio): list secrets, run commands with them, ask you for a value; never show one'
            cand agent 'Coding agents: `agent setup` registers `aisecrets mcp` with an agent in this project'
            cand jupyter 'Jupyter kernels with this project''s secrets, whose outputs never show a value'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'aisecrets;help;identity'= {
            cand new 'Make a new identity (passphrase-protected unless --no-passphrase) and print its public key'
            cand show 'Print your public key alone on stdout'
        }
        &'aisecrets;help;identity;new'= {
        }
        &'aisecrets;help;identity;show'= {
        }
        &'aisecrets;help;init'= {
        }
        &'aisecrets;help;set'= {
        }
        &'aisecrets;help;get'= {
        }
        &'aisecrets;help;rm'= {
        }
        &'aisecrets;help;list'= {
        }
        &'aisecrets;help;import'= {
        }
        &'aisecrets;help;export'= {
        }
        &'aisecrets;help;run'= {
        }
        &'aisecrets;help;rotate'= {
        }
        &'aisecrets;help;push'= {
        }
        &'aisecrets;help;pull'= {
        }
        &'aisecrets;help;recipients'= {
            cand list 'List each environment''s recipients with key fingerprints, and pending requests'
            cand add 'Add a recipient (every environment unless --env); only the data key is rewrapped'
            cand rm 'Remove a recipient: new data keys, values resealed and marked exposed; prints the new AISECRETS_TRUST value for CI'
            cand approve 'Add a pending access request (from `aisecrets request-access`) as a recipient'
            cand ack 'Review and approve recipient changes made to aisecrets.toml outside aisecrets'
        }
        &'aisecrets;help;recipients;list'= {
        }
        &'aisecrets;help;recipients;add'= {
        }
        &'aisecrets;help;recipients;rm'= {
        }
        &'aisecrets;help;recipients;approve'= {
        }
        &'aisecrets;help;recipients;ack'= {
        }
        &'aisecrets;help;request-access'= {
        }
        &'aisecrets;help;trust'= {
        }
        &'aisecrets;help;edit'= {
        }
        &'aisecrets;help;scan'= {
        }
        &'aisecrets;help;git'= {
            cand setup 'Install .gitattributes, the diff and merge drivers, the notebook filter, the pre-commit hook and .gitignore lines'
            cand textconv 'The diff driver (textconv): names with keyed fingerprints of their values'
            cand clean-notebook 'The clean filter for notebooks: cell outputs with secret values and key shapes redacted'
            cand smudge-notebook 'The smudge side of the notebook filter: the blob unchanged'
            cand merge 'The merge driver: a three-way merge by secret name'
        }
        &'aisecrets;help;git;setup'= {
        }
        &'aisecrets;help;git;textconv'= {
        }
        &'aisecrets;help;git;clean-notebook'= {
        }
        &'aisecrets;help;git;smudge-notebook'= {
        }
        &'aisecrets;help;git;merge'= {
        }
        &'aisecrets;help;audit'= {
        }
        &'aisecrets;help;unlock'= {
        }
        &'aisecrets;help;lock'= {
        }
        &'aisecrets;help;status'= {
        }
        &'aisecrets;help;completions'= {
        }
        &'aisecrets;help;mcp'= {
        }
        &'aisecrets;help;agent'= {
            cand setup 'Register `aisecrets mcp` with coding agents in this project and tell them (in AGENTS.md or CLAUDE.md, appended) to use it; idempotent'
        }
        &'aisecrets;help;agent;setup'= {
        }
        &'aisecrets;help;jupyter'= {
            cand install 'Install a Jupyter kernel (a kernelspec) that runs Python with this project''s secrets and masks every secret value in what it sends to the notebook'
            cand list 'List the kernels aisecrets installed: name, project, environment, where'
            cand uninstall 'Remove a kernel that aisecrets installed'
            cand kernel 'The kernel as Jupyter starts it (from kernel.json); not for direct use'
        }
        &'aisecrets;help;jupyter;install'= {
        }
        &'aisecrets;help;jupyter;list'= {
        }
        &'aisecrets;help;jupyter;uninstall'= {
        }
        &'aisecrets;help;jupyter;kernel'= {
        }
        &'aisecrets;help;help'= {
        }
    ]
    $completions[$command]
}
