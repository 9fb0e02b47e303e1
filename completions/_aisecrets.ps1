
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'aisecrets' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'aisecrets'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'aisecrets' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('identity', 'identity', [CompletionResultType]::ParameterValue, 'Make or show your own age identity')
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Start a project here (aisecrets.toml + secrets/<env>.toml), or add an environment')
            [CompletionResult]::new('set', 'set', [CompletionResultType]::ParameterValue, 'Set a secret; the value comes from stdin when piped, else a hidden prompt')
            [CompletionResult]::new('get', 'get', [CompletionResultType]::ParameterValue, 'Print a secret''s value and a newline on stdout')
            [CompletionResult]::new('rm', 'rm', [CompletionResultType]::ParameterValue, 'Remove a secret')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List secret names with when and by whom each was set; never values')
            [CompletionResult]::new('import', 'import', [CompletionResultType]::ParameterValue, 'Import NAME=value lines from a dotenv file ("-" for stdin)')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Print every secret of an environment as dotenv, JSON or shell')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Run a command with the environment''s secrets as environment variables')
            [CompletionResult]::new('rotate', 'rotate', [CompletionResultType]::ParameterValue, 'Set a new value for a secret (after revoking the old one) and clear its exposed mark')
            [CompletionResult]::new('push', 'push', [CompletionResultType]::ParameterValue, 'Copy every secret of an environment into a Vault one (--env dev --to prod), showing the changes first')
            [CompletionResult]::new('pull', 'pull', [CompletionResultType]::ParameterValue, 'Copy every secret of a Vault environment into another one (--env prod --to dev), showing the changes first')
            [CompletionResult]::new('recipients', 'recipients', [CompletionResultType]::ParameterValue, 'Who can open which environment: list, add, remove, approve requests, acknowledge changes')
            [CompletionResult]::new('request-access', 'request-access', [CompletionResultType]::ParameterValue, 'Ask for access: record your public key in aisecrets.toml as pending, then commit it')
            [CompletionResult]::new('trust', 'trust', [CompletionResultType]::ParameterValue, 'Show an environment''s key id and recipients and trust (pin) it')
            [CompletionResult]::new('edit', 'edit', [CompletionResultType]::ParameterValue, 'Edit an environment as NAME=value lines in $VISUAL/$EDITOR (a copy in RAM, re-encrypted on save)')
            [CompletionResult]::new('scan', 'scan', [CompletionResultType]::ParameterValue, 'Find this project''s secret values and well-known key shapes in files (exit 1 on findings)')
            [CompletionResult]::new('git', 'git', [CompletionResultType]::ParameterValue, 'Git integration: `git setup` installs the diff and merge drivers, the notebook filter and the pre-commit hook')
            [CompletionResult]::new('audit', 'audit', [CompletionResultType]::ParameterValue, 'Show the local audit log, or check that no line was removed or altered')
            [CompletionResult]::new('unlock', 'unlock', [CompletionResultType]::ParameterValue, 'Open your identity once and keep it in the OS keyring until a time limit')
            [CompletionResult]::new('lock', 'lock', [CompletionResultType]::ParameterValue, 'Forget the unlocked identity in every keyring')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show the project, environment, identity, and the unlock cache')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script on stdout')
            [CompletionResult]::new('mcp', 'mcp', [CompletionResultType]::ParameterValue, 'Serve coding agents over MCP (stdio): list secrets, run commands with them, ask you for a value; never show one')
            [CompletionResult]::new('agent', 'agent', [CompletionResultType]::ParameterValue, 'Coding agents: `agent setup` registers `aisecrets mcp` with an agent in this project')
            [CompletionResult]::new('jupyter', 'jupyter', [CompletionResultType]::ParameterValue, 'Jupyter kernels with this project''s secrets, whose outputs never show a value')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'aisecrets;identity' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('new', 'new', [CompletionResultType]::ParameterValue, 'Make a new identity (passphrase-protected unless --no-passphrase) and print its public key')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Print your public key alone on stdout')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'aisecrets;identity;new' {
            [CompletionResult]::new('--no-passphrase', '--no-passphrase', [CompletionResultType]::ParameterName, 'Store the identity unencrypted (for machines without a person at a terminal)')
            [CompletionResult]::new('--tpm', '--tpm', [CompletionResultType]::ParameterName, 'Seal the identity to this machine''s TPM 2.0, with a PIN the TPM rate-limits: a copied file opens nowhere else. The TPM is found as tpm2-tools finds it (TPM2TOOLS_TCTI, TCTI, else /dev/tpmrm0)')
            [CompletionResult]::new('--no-pin', '--no-pin', [CompletionResultType]::ParameterName, 'With --tpm: no PIN (for unattended machines)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'aisecrets;identity;show' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'aisecrets;identity;help' {
            [CompletionResult]::new('new', 'new', [CompletionResultType]::ParameterValue, 'Make a new identity (passphrase-protected unless --no-passphrase) and print its public key')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Print your public key alone on stdout')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'aisecrets;identity;help;new' {
            break
        }
        'aisecrets;identity;help;show' {
            break
        }
        'aisecrets;identity;help;help' {
            break
        }
        'aisecrets;init' {
            [CompletionResult]::new('-e', '-e', [CompletionResultType]::ParameterName, 'The environment to create')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'The environment to create')
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'Your recipient name in the manifest [default: $USER]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'aisecrets;set' {
            [CompletionResult]::new('-e', '-e', [CompletionResultType]::ParameterName, 'Environment to use [default: $AISECRETS_ENV, the manifest''s default_env, or dev]')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Environment to use [default: $AISECRETS_ENV, the manifest''s default_env, or dev]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'aisecrets;get' {
            [CompletionResult]::new('-e', '-e', [CompletionResultType]::ParameterName, 'Environment to use [default: $AISECRETS_ENV, the manifest''s default_env, or dev]')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Environment to use [default: $AISECRETS_ENV, the manifest''s default_env, or dev]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'aisecrets;rm' {
            [CompletionResult]::new('-e', '-e', [CompletionResultType]::ParameterName, 'Environment to use [default: $AISECRETS_ENV, the manifest''s default_env, or dev]')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Environment to use [default: $AISECRETS_ENV, the manifest''s default_env, or dev]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'aisecrets;list' {
            [CompletionResult]::new('-e', '-e', [CompletionResultType]::ParameterName, 'Environment to use [default: $AISECRETS_ENV, the manifest''s default_env, or dev]')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Environment to use [default: $AISECRETS_ENV, the manifest''s default_env, or dev]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'aisecrets;import' {
            [CompletionResult]::new('-e', '-e', [CompletionResultType]::ParameterName, 'Environment to use [default: $AISECRETS_ENV, the manifest''s default_env, or dev]')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Environment to use [default: $AISECRETS_ENV, the manifest''s default_env, or dev]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'aisecrets;export' {
            [CompletionResult]::new('-e', '-e', [CompletionResultType]::ParameterName, 'Environment to use [default: $AISECRETS_ENV, the manifest''s default_env, or dev]')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Environment to use [default: $AISECRETS_ENV, the manifest''s default_env, or dev]')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'aisecrets;run' {
            [CompletionResult]::new('-e', '-e', [CompletionResultType]::ParameterName, 'Environment to use [default: $AISECRETS_ENV, the manifest''s default_env, or dev]')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Environment to use [default: $AISECRETS_ENV, the manifest''s default_env, or dev]')
            [CompletionResult]::new('--only', '--only', [CompletionResultType]::ParameterName, 'Give the command only these secrets (comma-separated names)')
            [CompletionResult]::new('--scope', '--scope', [CompletionResultType]::ParameterName, 'Give the command only the secrets of this scope from aisecrets.toml ([scopes.NAME])')
            [CompletionResult]::new('--reason', '--reason', [CompletionResultType]::ParameterName, 'Why the command needs the secrets, for the audit log; required under a coding agent')
            [CompletionResult]::new('--proxy', '--proxy', [CompletionResultType]::ParameterName, 'Give keys with a host rule as placeholders; a local proxy puts the real key on the wire, only toward that key''s hosts. `--proxy=strict` also withholds keys without a rule')
            [CompletionResult]::new('--egress', '--egress', [CompletionResultType]::ParameterName, 'With --proxy (or --agent): refuse connections to hosts without a host rule (no tunnel, no plain HTTP)')
            [CompletionResult]::new('--mask', '--mask', [CompletionResultType]::ParameterName, 'Replace every secret value in the command''s output with [REDACTED:NAME]')
            [CompletionResult]::new('--allow-argv', '--allow-argv', [CompletionResultType]::ParameterName, 'Allow a secret value to appear in the command line (trackers record command lines)')
            [CompletionResult]::new('--jail', '--jail', [CompletionResultType]::ParameterName, 'Linux: run the command in a jail: no network except through aisecrets'' proxy (none at all without --proxy), and no access to the aisecrets home, the identity, ~/.vault-token, the keyring or other runs'' files; refuses to start where the kernel cannot confine it')
            [CompletionResult]::new('--agent', '--agent', [CompletionResultType]::ParameterName, 'The preset for coding agents: --proxy --jail --mask, with each proxied request''s host and secret name in the audit log')
            [CompletionResult]::new('--vault-token', '--vault-token', [CompletionResultType]::ParameterName, 'Give the command VAULT_TOKEN: a child token of yours limited to the run (TTL and policies from [environments.ENV.child_token]), revoked when it exits')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'aisecrets;rotate' {
            [CompletionResult]::new('-e', '-e', [CompletionResultType]::ParameterName, 'Environment to use [default: $AISECRETS_ENV, the manifest''s default_env, or dev]')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Environment to use [default: $AISECRETS_ENV, the manifest''s default_env, or dev]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'aisecrets;push' {
            [CompletionResult]::new('-e', '-e', [CompletionResultType]::ParameterName, 'Environment to use [default: $AISECRETS_ENV, the manifest''s default_env, or dev]')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Environment to use [default: $AISECRETS_ENV, the manifest''s default_env, or dev]')
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'The environment to copy into')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Show what would change and change nothing')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Show what would change and change nothing')
            [CompletionResult]::new('--prune', '--prune', [CompletionResultType]::ParameterName, 'Also remove the names that only the target has')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask for confirmation on a terminal')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask for confirmation on a terminal')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'aisecrets;pull' {
            [CompletionResult]::new('-e', '-e', [CompletionResultType]::ParameterName, 'Environment to use [default: $AISECRETS_ENV, the manifest''s default_env, or dev]')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Environment to use [default: $AISECRETS_ENV, the manifest''s default_env, or dev]')
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'The environment to copy into')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Show what would change and change nothing')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Show what would change and change nothing')
            [CompletionResult]::new('--prune', '--prune', [CompletionResultType]::ParameterName, 'Also remove the names that only the target has')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask for confirmation on a terminal')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask for confirmation on a terminal')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'aisecrets;recipients' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List each environment''s recipients with key fingerprints, and pending requests')
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Add a recipient (every environment unless --env); only the data key is rewrapped')
            [CompletionResult]::new('rm', 'rm', [CompletionResultType]::ParameterValue, 'Remove a recipient: new data keys, values resealed and marked exposed; prints the new AISECRETS_TRUST value for CI')
            [CompletionResult]::new('approve', 'approve', [CompletionResultType]::ParameterValue, 'Add a pending access request (from `aisecrets request-access`) as a recipient')
            [CompletionResult]::new('ack', 'ack', [CompletionResultType]::ParameterValue, 'Review and approve recipient changes made to aisecrets.toml outside aisecrets')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'aisecrets;recipients;list' {
            [CompletionResult]::new('-e', '-e', [CompletionResultType]::ParameterName, 'Environment to use [default: $AISECRETS_ENV, the manifest''s default_env, or dev]')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Environment to use [default: $AISECRETS_ENV, the manifest''s default_env, or dev]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'aisecrets;recipients;add' {
            [CompletionResult]::new('-e', '-e', [CompletionResultType]::ParameterName, 'Environment to use [default: $AISECRETS_ENV, the manifest''s default_env, or dev]')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Environment to use [default: $AISECRETS_ENV, the manifest''s default_env, or dev]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'aisecrets;recipients;rm' {
            [CompletionResult]::new('-e', '-e', [CompletionResultType]::ParameterName, 'Environment to use [default: $AISECRETS_ENV, the manifest''s default_env, or dev]')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Environment to use [default: $AISECRETS_ENV, the manifest''s default_env, or dev]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'aisecrets;recipients;approve' {
            [CompletionResult]::new('-e', '-e', [CompletionResultType]::ParameterName, 'Environment to use [default: $AISECRETS_ENV, the manifest''s default_env, or dev]')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Environment to use [default: $AISECRETS_ENV, the manifest''s default_env, or dev]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'aisecrets;recipients;ack' {
            [CompletionResult]::new('-e', '-e', [CompletionResultType]::ParameterName, 'Environment to use [default: $AISECRETS_ENV, the manifest''s default_env, or dev]')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Environment to use [default: $AISECRETS_ENV, the manifest''s default_env, or dev]')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Approve without asking (after reading what it shows)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'aisecrets;recipients;help' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List each environment''s recipients with key fingerprints, and pending requests')
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Add a recipient (every environment unless --env); only the data key is rewrapped')
            [CompletionResult]::new('rm', 'rm', [CompletionResultType]::ParameterValue, 'Remove a recipient: new data keys, values resealed and marked exposed; prints the new AISECRETS_TRUST value for CI')
            [CompletionResult]::new('approve', 'approve', [CompletionResultType]::ParameterValue, 'Add a pending access request (from `aisecrets request-access`) as a recipient')
            [CompletionResult]::new('ack', 'ack', [CompletionResultType]::ParameterValue, 'Review and approve recipient changes made to aisecrets.toml outside aisecrets')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'aisecrets;recipients;help;list' {
            break
        }
        'aisecrets;recipients;help;add' {
            break
        }
        'aisecrets;recipients;help;rm' {
            break
        }
        'aisecrets;recipients;help;approve' {
            break
        }
        'aisecrets;recipients;help;ack' {
            break
        }
        'aisecrets;recipients;help;help' {
            break
        }
        'aisecrets;request-access' {
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'The name to ask under [default: $USER]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'aisecrets;trust' {
            [CompletionResult]::new('-e', '-e', [CompletionResultType]::ParameterName, 'Environment to use [default: $AISECRETS_ENV, the manifest''s default_env, or dev]')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Environment to use [default: $AISECRETS_ENV, the manifest''s default_env, or dev]')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Trust without asking (after checking the key id with a teammate)')
            [CompletionResult]::new('--print', '--print', [CompletionResultType]::ParameterName, 'Print the AISECRETS_TRUST value of your pins in this repository (for CI) instead: data keys and Vault settings')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'aisecrets;edit' {
            [CompletionResult]::new('-e', '-e', [CompletionResultType]::ParameterName, 'Environment to use [default: $AISECRETS_ENV, the manifest''s default_env, or dev]')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Environment to use [default: $AISECRETS_ENV, the manifest''s default_env, or dev]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'aisecrets;scan' {
            [CompletionResult]::new('--history', '--history', [CompletionResultType]::ParameterName, 'Scan every blob reachable in REV-RANGE (default: all of HEAD''s history), each once, with the first commit and path holding it and whether it is still in HEAD')
            [CompletionResult]::new('--staged', '--staged', [CompletionResultType]::ParameterName, 'Scan what is staged for commit (the index), not the working tree')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print findings as JSON (file, line, column, kind, provider, secret, commit); values are never printed')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'aisecrets;git' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('setup', 'setup', [CompletionResultType]::ParameterValue, 'Install .gitattributes, the diff and merge drivers, the notebook filter, the pre-commit hook and .gitignore lines')
            [CompletionResult]::new('textconv', 'textconv', [CompletionResultType]::ParameterValue, 'The diff driver (textconv): names with keyed fingerprints of their values')
            [CompletionResult]::new('clean-notebook', 'clean-notebook', [CompletionResultType]::ParameterValue, 'The clean filter for notebooks: cell outputs with secret values and key shapes redacted')
            [CompletionResult]::new('smudge-notebook', 'smudge-notebook', [CompletionResultType]::ParameterValue, 'The smudge side of the notebook filter: the blob unchanged')
            [CompletionResult]::new('merge', 'merge', [CompletionResultType]::ParameterValue, 'The merge driver: a three-way merge by secret name')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'aisecrets;git;setup' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'aisecrets;git;textconv' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'aisecrets;git;clean-notebook' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'aisecrets;git;smudge-notebook' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'aisecrets;git;merge' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'aisecrets;git;help' {
            [CompletionResult]::new('setup', 'setup', [CompletionResultType]::ParameterValue, 'Install .gitattributes, the diff and merge drivers, the notebook filter, the pre-commit hook and .gitignore lines')
            [CompletionResult]::new('textconv', 'textconv', [CompletionResultType]::ParameterValue, 'The diff driver (textconv): names with keyed fingerprints of their values')
            [CompletionResult]::new('clean-notebook', 'clean-notebook', [CompletionResultType]::ParameterValue, 'The clean filter for notebooks: cell outputs with secret values and key shapes redacted')
            [CompletionResult]::new('smudge-notebook', 'smudge-notebook', [CompletionResultType]::ParameterValue, 'The smudge side of the notebook filter: the blob unchanged')
            [CompletionResult]::new('merge', 'merge', [CompletionResultType]::ParameterValue, 'The merge driver: a three-way merge by secret name')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'aisecrets;git;help;setup' {
            break
        }
        'aisecrets;git;help;textconv' {
            break
        }
        'aisecrets;git;help;clean-notebook' {
            break
        }
        'aisecrets;git;help;smudge-notebook' {
            break
        }
        'aisecrets;git;help;merge' {
            break
        }
        'aisecrets;git;help;help' {
            break
        }
        'aisecrets;audit' {
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'Only events at or after this time (2026-11-28 or 2026-11-28T10:00:00Z)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON')
            [CompletionResult]::new('--verify', '--verify', [CompletionResultType]::ParameterName, 'Check the hash chain; exit 1 naming the first removed or altered line')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'aisecrets;unlock' {
            [CompletionResult]::new('--for', '--for', [CompletionResultType]::ParameterName, 'How long to keep it, like 90s, 30m or 8h [default: the config''s unlock_for, else 8h]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'aisecrets;lock' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'aisecrets;status' {
            [CompletionResult]::new('-e', '-e', [CompletionResultType]::ParameterName, 'Environment to use [default: $AISECRETS_ENV, the manifest''s default_env, or dev]')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Environment to use [default: $AISECRETS_ENV, the manifest''s default_env, or dev]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'aisecrets;completions' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'aisecrets;mcp' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'aisecrets;agent' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('setup', 'setup', [CompletionResultType]::ParameterValue, 'Register `aisecrets mcp` with coding agents in this project and tell them (in AGENTS.md or CLAUDE.md, appended) to use it; idempotent')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'aisecrets;agent;setup' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'aisecrets;agent;help' {
            [CompletionResult]::new('setup', 'setup', [CompletionResultType]::ParameterValue, 'Register `aisecrets mcp` with coding agents in this project and tell them (in AGENTS.md or CLAUDE.md, appended) to use it; idempotent')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'aisecrets;agent;help;setup' {
            break
        }
        'aisecrets;agent;help;help' {
            break
        }
        'aisecrets;jupyter' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('install', 'install', [CompletionResultType]::ParameterValue, 'Install a Jupyter kernel (a kernelspec) that runs Python with this project''s secrets and masks every secret value in what it sends to the notebook')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the kernels aisecrets installed: name, project, environment, where')
            [CompletionResult]::new('uninstall', 'uninstall', [CompletionResultType]::ParameterValue, 'Remove a kernel that aisecrets installed')
            [CompletionResult]::new('kernel', 'kernel', [CompletionResultType]::ParameterValue, 'The kernel as Jupyter starts it (from kernel.json); not for direct use')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'aisecrets;jupyter;install' {
            [CompletionResult]::new('-e', '-e', [CompletionResultType]::ParameterName, 'Environment whose secrets the kernel gets [default: $AISECRETS_ENV, the manifest''s default_env, or dev]')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Environment whose secrets the kernel gets [default: $AISECRETS_ENV, the manifest''s default_env, or dev]')
            [CompletionResult]::new('--scope', '--scope', [CompletionResultType]::ParameterName, 'Give the kernel only the secrets of this scope from aisecrets.toml ([scopes.NAME])')
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'The kernelspec''s name [default: aisecrets-PROJECT-ENV]')
            [CompletionResult]::new('--python', '--python', [CompletionResultType]::ParameterName, 'The Python to run the kernel with; it must import ipykernel [default: python3 on PATH]')
            [CompletionResult]::new('--reason', '--reason', [CompletionResultType]::ParameterName, 'Why the kernel needs the secrets; needed under a coding agent, where the kernel follows `run`''s rules for agents. Goes into kernel.json and to the audit log of every start')
            [CompletionResult]::new('--sys-prefix', '--sys-prefix', [CompletionResultType]::ParameterName, 'Install into the active virtualenv ($VIRTUAL_ENV/share/jupyter/kernels) instead of your Jupyter data folder ($JUPYTER_DATA_DIR, else ~/.local/share/jupyter), like `ipykernel install --sys-prefix`')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'aisecrets;jupyter;list' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'aisecrets;jupyter;uninstall' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'aisecrets;jupyter;kernel' {
            [CompletionResult]::new('--project', '--project', [CompletionResultType]::ParameterName, 'The project''s folder')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'The environment')
            [CompletionResult]::new('--scope', '--scope', [CompletionResultType]::ParameterName, 'The scope, if any')
            [CompletionResult]::new('--reason', '--reason', [CompletionResultType]::ParameterName, 'Why the kernel needs the secrets (from `jupyter install --reason`)')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'The connection file Jupyter gives ({connection_file})')
            [CompletionResult]::new('--connection-file', '--connection-file', [CompletionResultType]::ParameterName, 'The connection file Jupyter gives ({connection_file})')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'aisecrets;jupyter;help' {
            [CompletionResult]::new('install', 'install', [CompletionResultType]::ParameterValue, 'Install a Jupyter kernel (a kernelspec) that runs Python with this project''s secrets and masks every secret value in what it sends to the notebook')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the kernels aisecrets installed: name, project, environment, where')
            [CompletionResult]::new('uninstall', 'uninstall', [CompletionResultType]::ParameterValue, 'Remove a kernel that aisecrets installed')
            [CompletionResult]::new('kernel', 'kernel', [CompletionResultType]::ParameterValue, 'The kernel as Jupyter starts it (from kernel.json); not for direct use')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'aisecrets;jupyter;help;install' {
            break
        }
        'aisecrets;jupyter;help;list' {
            break
        }
        'aisecrets;jupyter;help;uninstall' {
            break
        }
        'aisecrets;jupyter;help;kernel' {
            break
        }
        'aisecrets;jupyter;help;help' {
            break
        }
        'aisecrets;help' {
            [CompletionResult]::new('identity', 'identity', [CompletionResultType]::ParameterValue, 'Make or show your own age identity')
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Start a project here (aisecrets.toml + secrets/<env>.toml), or add an environment')
            [CompletionResult]::new('set', 'set', [CompletionResultType]::ParameterValue, 'Set a secret; the value comes from stdin when piped, else a hidden prompt')
            [CompletionResult]::new('get', 'get', [CompletionResultType]::ParameterValue, 'Print a secret''s value and a newline on stdout')
            [CompletionResult]::new('rm', 'rm', [CompletionResultType]::ParameterValue, 'Remove a secret')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List secret names with when and by whom each was set; never values')
            [CompletionResult]::new('import', 'import', [CompletionResultType]::ParameterValue, 'Import NAME=value lines from a dotenv file ("-" for stdin)')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Print every secret of an environment as dotenv, JSON or shell')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Run a command with the environment''s secrets as environment variables')
            [CompletionResult]::new('rotate', 'rotate', [CompletionResultType]::ParameterValue, 'Set a new value for a secret (after revoking the old one) and clear its exposed mark')
            [CompletionResult]::new('push', 'push', [CompletionResultType]::ParameterValue, 'Copy every secret of an environment into a Vault one (--env dev --to prod), showing the changes first')
            [CompletionResult]::new('pull', 'pull', [CompletionResultType]::ParameterValue, 'Copy every secret of a Vault environment into another one (--env prod --to dev), showing the changes first')
            [CompletionResult]::new('recipients', 'recipients', [CompletionResultType]::ParameterValue, 'Who can open which environment: list, add, remove, approve requests, acknowledge changes')
            [CompletionResult]::new('request-access', 'request-access', [CompletionResultType]::ParameterValue, 'Ask for access: record your public key in aisecrets.toml as pending, then commit it')
            [CompletionResult]::new('trust', 'trust', [CompletionResultType]::ParameterValue, 'Show an environment''s key id and recipients and trust (pin) it')
            [CompletionResult]::new('edit', 'edit', [CompletionResultType]::ParameterValue, 'Edit an environment as NAME=value lines in $VISUAL/$EDITOR (a copy in RAM, re-encrypted on save)')
            [CompletionResult]::new('scan', 'scan', [CompletionResultType]::ParameterValue, 'Find this project''s secret values and well-known key shapes in files (exit 1 on findings)')
            [CompletionResult]::new('git', 'git', [CompletionResultType]::ParameterValue, 'Git integration: `git setup` installs the diff and merge drivers, the notebook filter and the pre-commit hook')
            [CompletionResult]::new('audit', 'audit', [CompletionResultType]::ParameterValue, 'Show the local audit log, or check that no line was removed or altered')
            [CompletionResult]::new('unlock', 'unlock', [CompletionResultType]::ParameterValue, 'Open your identity once and keep it in the OS keyring until a time limit')
            [CompletionResult]::new('lock', 'lock', [CompletionResultType]::ParameterValue, 'Forget the unlocked identity in every keyring')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show the project, environment, identity, and the unlock cache')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script on stdout')
            [CompletionResult]::new('mcp', 'mcp', [CompletionResultType]::ParameterValue, 'Serve coding agents over MCP (stdio): list secrets, run commands with them, ask you for a value; never show one')
            [CompletionResult]::new('agent', 'agent', [CompletionResultType]::ParameterValue, 'Coding agents: `agent setup` registers `aisecrets mcp` with an agent in this project')
            [CompletionResult]::new('jupyter', 'jupyter', [CompletionResultType]::ParameterValue, 'Jupyter kernels with this project''s secrets, whose outputs never show a value')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'aisecrets;help;identity' {
            [CompletionResult]::new('new', 'new', [CompletionResultType]::ParameterValue, 'Make a new identity (passphrase-protected unless --no-passphrase) and print its public key')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Print your public key alone on stdout')
            break
        }
        'aisecrets;help;identity;new' {
            break
        }
        'aisecrets;help;identity;show' {
            break
        }
        'aisecrets;help;init' {
            break
        }
        'aisecrets;help;set' {
            break
        }
        'aisecrets;help;get' {
            break
        }
        'aisecrets;help;rm' {
            break
        }
        'aisecrets;help;list' {
            break
        }
        'aisecrets;help;import' {
            break
        }
        'aisecrets;help;export' {
            break
        }
        'aisecrets;help;run' {
            break
        }
        'aisecrets;help;rotate' {
            break
        }
        'aisecrets;help;push' {
            break
        }
        'aisecrets;help;pull' {
            break
        }
        'aisecrets;help;recipients' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List each environment''s recipients with key fingerprints, and pending requests')
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Add a recipient (every environment unless --env); only the data key is rewrapped')
            [CompletionResult]::new('rm', 'rm', [CompletionResultType]::ParameterValue, 'Remove a recipient: new data keys, values resealed and marked exposed; prints the new AISECRETS_TRUST value for CI')
            [CompletionResult]::new('approve', 'approve', [CompletionResultType]::ParameterValue, 'Add a pending access request (from `aisecrets request-access`) as a recipient')
            [CompletionResult]::new('ack', 'ack', [CompletionResultType]::ParameterValue, 'Review and approve recipient changes made to aisecrets.toml outside aisecrets')
            break
        }
        'aisecrets;help;recipients;list' {
            break
        }
        'aisecrets;help;recipients;add' {
            break
        }
        'aisecrets;help;recipients;rm' {
            break
        }
        'aisecrets;help;recipients;approve' {
            break
        }
        'aisecrets;help;recipients;ack' {
            break
        }
        'aisecrets;help;request-access' {
            break
        }
        'aisecrets;help;trust' {
            break
        }
        'aisecrets;help;edit' {
            break
        }
        'aisecrets;help;scan' {
            break
        }
        'aisecrets;help;git' {
            [CompletionResult]::new('setup', 'setup', [CompletionResultType]::ParameterValue, 'Install .gitattributes, the diff and merge drivers, the notebook filter, the pre-commit hook and .gitignore lines')
            [CompletionResult]::new('textconv', 'textconv', [CompletionResultType]::ParameterValue, 'The diff driver (textconv): names with keyed fingerprints of their values')
            [CompletionResult]::new('clean-notebook', 'clean-notebook', [CompletionResultType]::ParameterValue, 'The clean filter for notebooks: cell outputs with secret values and key shapes redacted')
            [CompletionResult]::new('smudge-notebook', 'smudge-notebook', [CompletionResultType]::ParameterValue, 'The smudge side of the notebook filter: the blob unchanged')
            [CompletionResult]::new('merge', 'merge', [CompletionResultType]::ParameterValue, 'The merge driver: a three-way merge by secret name')
            break
        }
        'aisecrets;help;git;setup' {
            break
        }
        'aisecrets;help;git;textconv' {
            break
        }
        'aisecrets;help;git;clean-notebook' {
            break
        }
        'aisecrets;help;git;smudge-notebook' {
            break
        }
        'aisecrets;help;git;merge' {
            break
        }
        'aisecrets;help;audit' {
            break
        }
        'aisecrets;help;unlock' {
            break
        }
        'aisecrets;help;lock' {
            break
        }
        'aisecrets;help;status' {
            break
        }
        'aisecrets;help;completions' {
            break
        }
        'aisecrets;help;mcp' {
            break
        }
        'aisecrets;help;agent' {
            [CompletionResult]::new('setup', 'setup', [CompletionResultType]::ParameterValue, 'Register `aisecrets mcp` with coding agents in this project and tell them (in AGENTS.md or CLAUDE.md, appended) to use it; idempotent')
            break
        }
        'aisecrets;help;agent;setup' {
            break
        }
        'aisecrets;help;jupyter' {
            [CompletionResult]::new('install', 'install', [CompletionResultType]::ParameterValue, 'Install a Jupyter kernel (a kernelspec) that runs Python with this project''s secrets and masks every secret value in what it sends to the notebook')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the kernels aisecrets installed: name, project, environment, where')
            [CompletionResult]::new('uninstall', 'uninstall', [CompletionResultType]::ParameterValue, 'Remove a kernel that aisecrets installed')
            [CompletionResult]::new('kernel', 'kernel', [CompletionResultType]::ParameterValue, 'The kernel as Jupyter starts it (from kernel.json); not for direct use')
            break
        }
        'aisecrets;help;jupyter;install' {
            break
        }
        'aisecrets;help;jupyter;list' {
            break
        }
        'aisecrets;help;jupyter;uninstall' {
            break
        }
        'aisecrets;help;jupyter;kernel' {
            break
        }
        'aisecrets;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
