# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_aisecrets_global_optspecs
    string join \n h/help V/version
end

function __fish_aisecrets_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_aisecrets_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_aisecrets_using_subcommand
    set -l cmd (__fish_aisecrets_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c aisecrets -n "__fish_aisecrets_needs_command" -s h -l help -d 'Print help'
complete -c aisecrets -n "__fish_aisecrets_needs_command" -s V -l version -d 'Print version'
complete -c aisecrets -n "__fish_aisecrets_needs_command" -f -a "identity" -d 'Make or show your own age identity'
complete -c aisecrets -n "__fish_aisecrets_needs_command" -f -a "init" -d 'Start a project here (aisecrets.toml + secrets/<env>.toml), or add an environment'
complete -c aisecrets -n "__fish_aisecrets_needs_command" -f -a "set" -d 'Set a secret; the value comes from stdin when piped, else a hidden prompt'
complete -c aisecrets -n "__fish_aisecrets_needs_command" -f -a "get" -d 'Print a secret\'s value and a newline on stdout'
complete -c aisecrets -n "__fish_aisecrets_needs_command" -f -a "rm" -d 'Remove a secret'
complete -c aisecrets -n "__fish_aisecrets_needs_command" -f -a "list" -d 'List secret names with when and by whom each was set; never values'
complete -c aisecrets -n "__fish_aisecrets_needs_command" -f -a "import" -d 'Import NAME=value lines from a dotenv file ("-" for stdin)'
complete -c aisecrets -n "__fish_aisecrets_needs_command" -f -a "export" -d 'Print every secret of an environment as dotenv, JSON or shell'
complete -c aisecrets -n "__fish_aisecrets_needs_command" -f -a "run" -d 'Run a command with the environment\'s secrets as environment variables'
complete -c aisecrets -n "__fish_aisecrets_needs_command" -f -a "rotate" -d 'Set a new value for a secret (after revoking the old one) and clear its exposed mark'
complete -c aisecrets -n "__fish_aisecrets_needs_command" -f -a "push" -d 'Copy every secret of an environment into a Vault one (--env dev --to prod), showing the changes first'
complete -c aisecrets -n "__fish_aisecrets_needs_command" -f -a "pull" -d 'Copy every secret of a Vault environment into another one (--env prod --to dev), showing the changes first'
complete -c aisecrets -n "__fish_aisecrets_needs_command" -f -a "recipients" -d 'Who can open which environment: list, add, remove, approve requests, acknowledge changes'
complete -c aisecrets -n "__fish_aisecrets_needs_command" -f -a "request-access" -d 'Ask for access: record your public key in aisecrets.toml as pending, then commit it'
complete -c aisecrets -n "__fish_aisecrets_needs_command" -f -a "trust" -d 'Show an environment\'s key id and recipients and trust (pin) it'
complete -c aisecrets -n "__fish_aisecrets_needs_command" -f -a "edit" -d 'Edit an environment as NAME=value lines in $VISUAL/$EDITOR (a copy in RAM, re-encrypted on save)'
complete -c aisecrets -n "__fish_aisecrets_needs_command" -f -a "scan" -d 'Find this project\'s secret values and well-known key shapes in files (exit 1 on findings)'
complete -c aisecrets -n "__fish_aisecrets_needs_command" -f -a "git" -d 'Git integration: `git setup` installs the diff and merge drivers, the notebook filter and the pre-commit hook'
complete -c aisecrets -n "__fish_aisecrets_needs_command" -f -a "audit" -d 'Show the local audit log, or check that no line was removed or altered'
complete -c aisecrets -n "__fish_aisecrets_needs_command" -f -a "unlock" -d 'Open your identity once and keep it in the OS keyring until a time limit'
complete -c aisecrets -n "__fish_aisecrets_needs_command" -f -a "lock" -d 'Forget the unlocked identity in every keyring'
complete -c aisecrets -n "__fish_aisecrets_needs_command" -f -a "status" -d 'Show the project, environment, identity, and the unlock cache'
complete -c aisecrets -n "__fish_aisecrets_needs_command" -f -a "completions" -d 'Print a shell completion script on stdout'
complete -c aisecrets -n "__fish_aisecrets_needs_command" -f -a "mcp" -d 'Serve coding agents over MCP (stdio): list secrets, run commands with them, ask you for a value; never show one'
complete -c aisecrets -n "__fish_aisecrets_needs_command" -f -a "agent" -d 'Coding agents: `agent setup` registers `aisecrets mcp` with an agent in this project'
complete -c aisecrets -n "__fish_aisecrets_needs_command" -f -a "jupyter" -d 'Jupyter kernels with this project\'s secrets, whose outputs never show a value'
complete -c aisecrets -n "__fish_aisecrets_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand identity; and not __fish_seen_subcommand_from new show help" -s h -l help -d 'Print help'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand identity; and not __fish_seen_subcommand_from new show help" -s V -l version -d 'Print version'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand identity; and not __fish_seen_subcommand_from new show help" -f -a "new" -d 'Make a new identity (passphrase-protected unless --no-passphrase) and print its public key'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand identity; and not __fish_seen_subcommand_from new show help" -f -a "show" -d 'Print your public key alone on stdout'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand identity; and not __fish_seen_subcommand_from new show help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand identity; and __fish_seen_subcommand_from new" -l no-passphrase -d 'Store the identity unencrypted (for machines without a person at a terminal)'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand identity; and __fish_seen_subcommand_from new" -l tpm -d 'Seal the identity to this machine\'s TPM 2.0, with a PIN the TPM rate-limits: a copied file opens nowhere else. The TPM is found as tpm2-tools finds it (TPM2TOOLS_TCTI, TCTI, else /dev/tpmrm0)'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand identity; and __fish_seen_subcommand_from new" -l no-pin -d 'With --tpm: no PIN (for unattended machines)'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand identity; and __fish_seen_subcommand_from new" -s h -l help -d 'Print help'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand identity; and __fish_seen_subcommand_from new" -s V -l version -d 'Print version'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand identity; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand identity; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand identity; and __fish_seen_subcommand_from help" -f -a "new" -d 'Make a new identity (passphrase-protected unless --no-passphrase) and print its public key'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand identity; and __fish_seen_subcommand_from help" -f -a "show" -d 'Print your public key alone on stdout'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand identity; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand init" -s e -l env -d 'The environment to create' -r
complete -c aisecrets -n "__fish_aisecrets_using_subcommand init" -l name -d 'Your recipient name in the manifest [default: $USER]' -r
complete -c aisecrets -n "__fish_aisecrets_using_subcommand init" -s h -l help -d 'Print help'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand init" -s V -l version -d 'Print version'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand set" -s e -l env -d 'Environment to use [default: $AISECRETS_ENV, the manifest\'s default_env, or dev]' -r
complete -c aisecrets -n "__fish_aisecrets_using_subcommand set" -s h -l help -d 'Print help'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand set" -s V -l version -d 'Print version'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand get" -s e -l env -d 'Environment to use [default: $AISECRETS_ENV, the manifest\'s default_env, or dev]' -r
complete -c aisecrets -n "__fish_aisecrets_using_subcommand get" -s h -l help -d 'Print help'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand get" -s V -l version -d 'Print version'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand rm" -s e -l env -d 'Environment to use [default: $AISECRETS_ENV, the manifest\'s default_env, or dev]' -r
complete -c aisecrets -n "__fish_aisecrets_using_subcommand rm" -s h -l help -d 'Print help'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand rm" -s V -l version -d 'Print version'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand list" -s e -l env -d 'Environment to use [default: $AISECRETS_ENV, the manifest\'s default_env, or dev]' -r
complete -c aisecrets -n "__fish_aisecrets_using_subcommand list" -l json -d 'Print JSON'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand list" -s h -l help -d 'Print help'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand list" -s V -l version -d 'Print version'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand import" -s e -l env -d 'Environment to use [default: $AISECRETS_ENV, the manifest\'s default_env, or dev]' -r
complete -c aisecrets -n "__fish_aisecrets_using_subcommand import" -s h -l help -d 'Print help'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand import" -s V -l version -d 'Print version'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand export" -s e -l env -d 'Environment to use [default: $AISECRETS_ENV, the manifest\'s default_env, or dev]' -r
complete -c aisecrets -n "__fish_aisecrets_using_subcommand export" -s f -l format -d 'Output format' -r -f -a "dotenv\t'`NAME=\'value\'` lines that dotenv parsers (and `aisecrets import`) read back'
json\t'One JSON object, names sorted'
shell\t'`export NAME=\'value\'` lines for `eval` in a POSIX shell'"
complete -c aisecrets -n "__fish_aisecrets_using_subcommand export" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand export" -s V -l version -d 'Print version'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand run" -s e -l env -d 'Environment to use [default: $AISECRETS_ENV, the manifest\'s default_env, or dev]' -r
complete -c aisecrets -n "__fish_aisecrets_using_subcommand run" -l only -d 'Give the command only these secrets (comma-separated names)' -r
complete -c aisecrets -n "__fish_aisecrets_using_subcommand run" -l scope -d 'Give the command only the secrets of this scope from aisecrets.toml ([scopes.NAME])' -r
complete -c aisecrets -n "__fish_aisecrets_using_subcommand run" -l reason -d 'Why the command needs the secrets, for the audit log; required under a coding agent' -r
complete -c aisecrets -n "__fish_aisecrets_using_subcommand run" -l proxy -d 'Give keys with a host rule as placeholders; a local proxy puts the real key on the wire, only toward that key\'s hosts. `--proxy=strict` also withholds keys without a rule' -r -f -a "on\t''
strict\t''"
complete -c aisecrets -n "__fish_aisecrets_using_subcommand run" -l egress -d 'With --proxy (or --agent): refuse connections to hosts without a host rule (no tunnel, no plain HTTP)' -r -f -a "strict\t''"
complete -c aisecrets -n "__fish_aisecrets_using_subcommand run" -l mask -d 'Replace every secret value in the command\'s output with [REDACTED:NAME]'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand run" -l allow-argv -d 'Allow a secret value to appear in the command line (trackers record command lines)'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand run" -l jail -d 'Linux: run the command in a jail: no network except through aisecrets\' proxy (none at all without --proxy), and no access to the aisecrets home, the identity, ~/.vault-token, the keyring or other runs\' files; refuses to start where the kernel cannot confine it'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand run" -l agent -d 'The preset for coding agents: --proxy --jail --mask, with each proxied request\'s host and secret name in the audit log'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand run" -l vault-token -d 'Give the command VAULT_TOKEN: a child token of yours limited to the run (TTL and policies from [environments.ENV.child_token]), revoked when it exits'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand run" -s h -l help -d 'Print help'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand run" -s V -l version -d 'Print version'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand rotate" -s e -l env -d 'Environment to use [default: $AISECRETS_ENV, the manifest\'s default_env, or dev]' -r
complete -c aisecrets -n "__fish_aisecrets_using_subcommand rotate" -s h -l help -d 'Print help'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand rotate" -s V -l version -d 'Print version'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand push" -s e -l env -d 'Environment to use [default: $AISECRETS_ENV, the manifest\'s default_env, or dev]' -r
complete -c aisecrets -n "__fish_aisecrets_using_subcommand push" -l to -d 'The environment to copy into' -r
complete -c aisecrets -n "__fish_aisecrets_using_subcommand push" -s n -l dry-run -d 'Show what would change and change nothing'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand push" -l prune -d 'Also remove the names that only the target has'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand push" -s y -l yes -d 'Do not ask for confirmation on a terminal'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand push" -s h -l help -d 'Print help'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand push" -s V -l version -d 'Print version'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand pull" -s e -l env -d 'Environment to use [default: $AISECRETS_ENV, the manifest\'s default_env, or dev]' -r
complete -c aisecrets -n "__fish_aisecrets_using_subcommand pull" -l to -d 'The environment to copy into' -r
complete -c aisecrets -n "__fish_aisecrets_using_subcommand pull" -s n -l dry-run -d 'Show what would change and change nothing'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand pull" -l prune -d 'Also remove the names that only the target has'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand pull" -s y -l yes -d 'Do not ask for confirmation on a terminal'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand pull" -s h -l help -d 'Print help'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand pull" -s V -l version -d 'Print version'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand recipients; and not __fish_seen_subcommand_from list add rm approve ack help" -s h -l help -d 'Print help'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand recipients; and not __fish_seen_subcommand_from list add rm approve ack help" -s V -l version -d 'Print version'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand recipients; and not __fish_seen_subcommand_from list add rm approve ack help" -f -a "list" -d 'List each environment\'s recipients with key fingerprints, and pending requests'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand recipients; and not __fish_seen_subcommand_from list add rm approve ack help" -f -a "add" -d 'Add a recipient (every environment unless --env); only the data key is rewrapped'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand recipients; and not __fish_seen_subcommand_from list add rm approve ack help" -f -a "rm" -d 'Remove a recipient: new data keys, values resealed and marked exposed; prints the new AISECRETS_TRUST value for CI'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand recipients; and not __fish_seen_subcommand_from list add rm approve ack help" -f -a "approve" -d 'Add a pending access request (from `aisecrets request-access`) as a recipient'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand recipients; and not __fish_seen_subcommand_from list add rm approve ack help" -f -a "ack" -d 'Review and approve recipient changes made to aisecrets.toml outside aisecrets'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand recipients; and not __fish_seen_subcommand_from list add rm approve ack help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand recipients; and __fish_seen_subcommand_from list" -s e -l env -d 'Environment to use [default: $AISECRETS_ENV, the manifest\'s default_env, or dev]' -r
complete -c aisecrets -n "__fish_aisecrets_using_subcommand recipients; and __fish_seen_subcommand_from list" -l json -d 'Print JSON'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand recipients; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand recipients; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand recipients; and __fish_seen_subcommand_from add" -s e -l env -d 'Environment to use [default: $AISECRETS_ENV, the manifest\'s default_env, or dev]' -r
complete -c aisecrets -n "__fish_aisecrets_using_subcommand recipients; and __fish_seen_subcommand_from add" -s h -l help -d 'Print help'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand recipients; and __fish_seen_subcommand_from add" -s V -l version -d 'Print version'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand recipients; and __fish_seen_subcommand_from rm" -s e -l env -d 'Environment to use [default: $AISECRETS_ENV, the manifest\'s default_env, or dev]' -r
complete -c aisecrets -n "__fish_aisecrets_using_subcommand recipients; and __fish_seen_subcommand_from rm" -s h -l help -d 'Print help'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand recipients; and __fish_seen_subcommand_from rm" -s V -l version -d 'Print version'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand recipients; and __fish_seen_subcommand_from approve" -s e -l env -d 'Environment to use [default: $AISECRETS_ENV, the manifest\'s default_env, or dev]' -r
complete -c aisecrets -n "__fish_aisecrets_using_subcommand recipients; and __fish_seen_subcommand_from approve" -s h -l help -d 'Print help'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand recipients; and __fish_seen_subcommand_from approve" -s V -l version -d 'Print version'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand recipients; and __fish_seen_subcommand_from ack" -s e -l env -d 'Environment to use [default: $AISECRETS_ENV, the manifest\'s default_env, or dev]' -r
complete -c aisecrets -n "__fish_aisecrets_using_subcommand recipients; and __fish_seen_subcommand_from ack" -l yes -d 'Approve without asking (after reading what it shows)'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand recipients; and __fish_seen_subcommand_from ack" -s h -l help -d 'Print help'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand recipients; and __fish_seen_subcommand_from ack" -s V -l version -d 'Print version'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand recipients; and __fish_seen_subcommand_from help" -f -a "list" -d 'List each environment\'s recipients with key fingerprints, and pending requests'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand recipients; and __fish_seen_subcommand_from help" -f -a "add" -d 'Add a recipient (every environment unless --env); only the data key is rewrapped'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand recipients; and __fish_seen_subcommand_from help" -f -a "rm" -d 'Remove a recipient: new data keys, values resealed and marked exposed; prints the new AISECRETS_TRUST value for CI'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand recipients; and __fish_seen_subcommand_from help" -f -a "approve" -d 'Add a pending access request (from `aisecrets request-access`) as a recipient'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand recipients; and __fish_seen_subcommand_from help" -f -a "ack" -d 'Review and approve recipient changes made to aisecrets.toml outside aisecrets'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand recipients; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand request-access" -l name -d 'The name to ask under [default: $USER]' -r
complete -c aisecrets -n "__fish_aisecrets_using_subcommand request-access" -s h -l help -d 'Print help'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand request-access" -s V -l version -d 'Print version'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand trust" -s e -l env -d 'Environment to use [default: $AISECRETS_ENV, the manifest\'s default_env, or dev]' -r
complete -c aisecrets -n "__fish_aisecrets_using_subcommand trust" -l yes -d 'Trust without asking (after checking the key id with a teammate)'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand trust" -l print -d 'Print the AISECRETS_TRUST value of your pins in this repository (for CI) instead: data keys and Vault settings'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand trust" -s h -l help -d 'Print help'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand trust" -s V -l version -d 'Print version'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand edit" -s e -l env -d 'Environment to use [default: $AISECRETS_ENV, the manifest\'s default_env, or dev]' -r
complete -c aisecrets -n "__fish_aisecrets_using_subcommand edit" -s h -l help -d 'Print help'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand edit" -s V -l version -d 'Print version'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand scan" -l history -d 'Scan every blob reachable in REV-RANGE (default: all of HEAD\'s history), each once, with the first commit and path holding it and whether it is still in HEAD' -r
complete -c aisecrets -n "__fish_aisecrets_using_subcommand scan" -l staged -d 'Scan what is staged for commit (the index), not the working tree'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand scan" -l json -d 'Print findings as JSON (file, line, column, kind, provider, secret, commit); values are never printed'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand scan" -s h -l help -d 'Print help'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand scan" -s V -l version -d 'Print version'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand git; and not __fish_seen_subcommand_from setup textconv clean-notebook smudge-notebook merge help" -s h -l help -d 'Print help'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand git; and not __fish_seen_subcommand_from setup textconv clean-notebook smudge-notebook merge help" -s V -l version -d 'Print version'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand git; and not __fish_seen_subcommand_from setup textconv clean-notebook smudge-notebook merge help" -f -a "setup" -d 'Install .gitattributes, the diff and merge drivers, the notebook filter, the pre-commit hook and .gitignore lines'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand git; and not __fish_seen_subcommand_from setup textconv clean-notebook smudge-notebook merge help" -f -a "textconv" -d 'The diff driver (textconv): names with keyed fingerprints of their values'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand git; and not __fish_seen_subcommand_from setup textconv clean-notebook smudge-notebook merge help" -f -a "clean-notebook" -d 'The clean filter for notebooks: cell outputs with secret values and key shapes redacted'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand git; and not __fish_seen_subcommand_from setup textconv clean-notebook smudge-notebook merge help" -f -a "smudge-notebook" -d 'The smudge side of the notebook filter: the blob unchanged'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand git; and not __fish_seen_subcommand_from setup textconv clean-notebook smudge-notebook merge help" -f -a "merge" -d 'The merge driver: a three-way merge by secret name'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand git; and not __fish_seen_subcommand_from setup textconv clean-notebook smudge-notebook merge help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand git; and __fish_seen_subcommand_from setup" -s h -l help -d 'Print help'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand git; and __fish_seen_subcommand_from setup" -s V -l version -d 'Print version'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand git; and __fish_seen_subcommand_from textconv" -s h -l help -d 'Print help'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand git; and __fish_seen_subcommand_from textconv" -s V -l version -d 'Print version'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand git; and __fish_seen_subcommand_from clean-notebook" -s h -l help -d 'Print help'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand git; and __fish_seen_subcommand_from clean-notebook" -s V -l version -d 'Print version'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand git; and __fish_seen_subcommand_from smudge-notebook" -s h -l help -d 'Print help'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand git; and __fish_seen_subcommand_from smudge-notebook" -s V -l version -d 'Print version'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand git; and __fish_seen_subcommand_from merge" -s h -l help -d 'Print help'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand git; and __fish_seen_subcommand_from merge" -s V -l version -d 'Print version'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand git; and __fish_seen_subcommand_from help" -f -a "setup" -d 'Install .gitattributes, the diff and merge drivers, the notebook filter, the pre-commit hook and .gitignore lines'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand git; and __fish_seen_subcommand_from help" -f -a "textconv" -d 'The diff driver (textconv): names with keyed fingerprints of their values'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand git; and __fish_seen_subcommand_from help" -f -a "clean-notebook" -d 'The clean filter for notebooks: cell outputs with secret values and key shapes redacted'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand git; and __fish_seen_subcommand_from help" -f -a "smudge-notebook" -d 'The smudge side of the notebook filter: the blob unchanged'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand git; and __fish_seen_subcommand_from help" -f -a "merge" -d 'The merge driver: a three-way merge by secret name'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand git; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand audit" -l since -d 'Only events at or after this time (2026-11-28 or 2026-11-28T10:00:00Z)' -r
complete -c aisecrets -n "__fish_aisecrets_using_subcommand audit" -l json -d 'Print JSON'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand audit" -l verify -d 'Check the hash chain; exit 1 naming the first removed or altered line'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand audit" -s h -l help -d 'Print help'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand audit" -s V -l version -d 'Print version'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand unlock" -l for -d 'How long to keep it, like 90s, 30m or 8h [default: the config\'s unlock_for, else 8h]' -r
complete -c aisecrets -n "__fish_aisecrets_using_subcommand unlock" -s h -l help -d 'Print help'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand unlock" -s V -l version -d 'Print version'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand lock" -s h -l help -d 'Print help'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand lock" -s V -l version -d 'Print version'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand status" -s e -l env -d 'Environment to use [default: $AISECRETS_ENV, the manifest\'s default_env, or dev]' -r
complete -c aisecrets -n "__fish_aisecrets_using_subcommand status" -l json -d 'Print JSON'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand status" -s h -l help -d 'Print help'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand status" -s V -l version -d 'Print version'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand completions" -s h -l help -d 'Print help'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand completions" -s V -l version -d 'Print version'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand mcp" -s h -l help -d 'Print help'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand mcp" -s V -l version -d 'Print version'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand agent; and not __fish_seen_subcommand_from setup help" -s h -l help -d 'Print help'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand agent; and not __fish_seen_subcommand_from setup help" -s V -l version -d 'Print version'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand agent; and not __fish_seen_subcommand_from setup help" -f -a "setup" -d 'Register `aisecrets mcp` with coding agents in this project and tell them (in AGENTS.md or CLAUDE.md, appended) to use it; idempotent'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand agent; and not __fish_seen_subcommand_from setup help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand agent; and __fish_seen_subcommand_from setup" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand agent; and __fish_seen_subcommand_from setup" -s V -l version -d 'Print version'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand agent; and __fish_seen_subcommand_from help" -f -a "setup" -d 'Register `aisecrets mcp` with coding agents in this project and tell them (in AGENTS.md or CLAUDE.md, appended) to use it; idempotent'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand agent; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand jupyter; and not __fish_seen_subcommand_from install list uninstall kernel help" -s h -l help -d 'Print help'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand jupyter; and not __fish_seen_subcommand_from install list uninstall kernel help" -s V -l version -d 'Print version'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand jupyter; and not __fish_seen_subcommand_from install list uninstall kernel help" -f -a "install" -d 'Install a Jupyter kernel (a kernelspec) that runs Python with this project\'s secrets and masks every secret value in what it sends to the notebook'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand jupyter; and not __fish_seen_subcommand_from install list uninstall kernel help" -f -a "list" -d 'List the kernels aisecrets installed: name, project, environment, where'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand jupyter; and not __fish_seen_subcommand_from install list uninstall kernel help" -f -a "uninstall" -d 'Remove a kernel that aisecrets installed'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand jupyter; and not __fish_seen_subcommand_from install list uninstall kernel help" -f -a "kernel" -d 'The kernel as Jupyter starts it (from kernel.json); not for direct use'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand jupyter; and not __fish_seen_subcommand_from install list uninstall kernel help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand jupyter; and __fish_seen_subcommand_from install" -s e -l env -d 'Environment whose secrets the kernel gets [default: $AISECRETS_ENV, the manifest\'s default_env, or dev]' -r
complete -c aisecrets -n "__fish_aisecrets_using_subcommand jupyter; and __fish_seen_subcommand_from install" -l scope -d 'Give the kernel only the secrets of this scope from aisecrets.toml ([scopes.NAME])' -r
complete -c aisecrets -n "__fish_aisecrets_using_subcommand jupyter; and __fish_seen_subcommand_from install" -l name -d 'The kernelspec\'s name [default: aisecrets-PROJECT-ENV]' -r
complete -c aisecrets -n "__fish_aisecrets_using_subcommand jupyter; and __fish_seen_subcommand_from install" -l python -d 'The Python to run the kernel with; it must import ipykernel [default: python3 on PATH]' -r -F
complete -c aisecrets -n "__fish_aisecrets_using_subcommand jupyter; and __fish_seen_subcommand_from install" -l reason -d 'Why the kernel needs the secrets; needed under a coding agent, where the kernel follows `run`\'s rules for agents. Goes into kernel.json and to the audit log of every start' -r
complete -c aisecrets -n "__fish_aisecrets_using_subcommand jupyter; and __fish_seen_subcommand_from install" -l sys-prefix -d 'Install into the active virtualenv ($VIRTUAL_ENV/share/jupyter/kernels) instead of your Jupyter data folder ($JUPYTER_DATA_DIR, else ~/.local/share/jupyter), like `ipykernel install --sys-prefix`'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand jupyter; and __fish_seen_subcommand_from install" -s h -l help -d 'Print help'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand jupyter; and __fish_seen_subcommand_from install" -s V -l version -d 'Print version'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand jupyter; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand jupyter; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand jupyter; and __fish_seen_subcommand_from uninstall" -s h -l help -d 'Print help'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand jupyter; and __fish_seen_subcommand_from uninstall" -s V -l version -d 'Print version'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand jupyter; and __fish_seen_subcommand_from kernel" -l project -d 'The project\'s folder' -r -f -a "(__fish_complete_directories)"
complete -c aisecrets -n "__fish_aisecrets_using_subcommand jupyter; and __fish_seen_subcommand_from kernel" -l env -d 'The environment' -r
complete -c aisecrets -n "__fish_aisecrets_using_subcommand jupyter; and __fish_seen_subcommand_from kernel" -l scope -d 'The scope, if any' -r
complete -c aisecrets -n "__fish_aisecrets_using_subcommand jupyter; and __fish_seen_subcommand_from kernel" -l reason -d 'Why the kernel needs the secrets (from `jupyter install --reason`)' -r
complete -c aisecrets -n "__fish_aisecrets_using_subcommand jupyter; and __fish_seen_subcommand_from kernel" -s f -l connection-file -d 'The connection file Jupyter gives ({connection_file})' -r -F
complete -c aisecrets -n "__fish_aisecrets_using_subcommand jupyter; and __fish_seen_subcommand_from kernel" -s h -l help -d 'Print help'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand jupyter; and __fish_seen_subcommand_from kernel" -s V -l version -d 'Print version'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand jupyter; and __fish_seen_subcommand_from help" -f -a "install" -d 'Install a Jupyter kernel (a kernelspec) that runs Python with this project\'s secrets and masks every secret value in what it sends to the notebook'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand jupyter; and __fish_seen_subcommand_from help" -f -a "list" -d 'List the kernels aisecrets installed: name, project, environment, where'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand jupyter; and __fish_seen_subcommand_from help" -f -a "uninstall" -d 'Remove a kernel that aisecrets installed'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand jupyter; and __fish_seen_subcommand_from help" -f -a "kernel" -d 'The kernel as Jupyter starts it (from kernel.json); not for direct use'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand jupyter; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand help; and not __fish_seen_subcommand_from identity init set get rm list import export run rotate push pull recipients request-access trust edit scan git audit unlock lock status completions mcp agent jupyter help" -f -a "identity" -d 'Make or show your own age identity'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand help; and not __fish_seen_subcommand_from identity init set get rm list import export run rotate push pull recipients request-access trust edit scan git audit unlock lock status completions mcp agent jupyter help" -f -a "init" -d 'Start a project here (aisecrets.toml + secrets/<env>.toml), or add an environment'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand help; and not __fish_seen_subcommand_from identity init set get rm list import export run rotate push pull recipients request-access trust edit scan git audit unlock lock status completions mcp agent jupyter help" -f -a "set" -d 'Set a secret; the value comes from stdin when piped, else a hidden prompt'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand help; and not __fish_seen_subcommand_from identity init set get rm list import export run rotate push pull recipients request-access trust edit scan git audit unlock lock status completions mcp agent jupyter help" -f -a "get" -d 'Print a secret\'s value and a newline on stdout'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand help; and not __fish_seen_subcommand_from identity init set get rm list import export run rotate push pull recipients request-access trust edit scan git audit unlock lock status completions mcp agent jupyter help" -f -a "rm" -d 'Remove a secret'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand help; and not __fish_seen_subcommand_from identity init set get rm list import export run rotate push pull recipients request-access trust edit scan git audit unlock lock status completions mcp agent jupyter help" -f -a "list" -d 'List secret names with when and by whom each was set; never values'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand help; and not __fish_seen_subcommand_from identity init set get rm list import export run rotate push pull recipients request-access trust edit scan git audit unlock lock status completions mcp agent jupyter help" -f -a "import" -d 'Import NAME=value lines from a dotenv file ("-" for stdin)'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand help; and not __fish_seen_subcommand_from identity init set get rm list import export run rotate push pull recipients request-access trust edit scan git audit unlock lock status completions mcp agent jupyter help" -f -a "export" -d 'Print every secret of an environment as dotenv, JSON or shell'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand help; and not __fish_seen_subcommand_from identity init set get rm list import export run rotate push pull recipients request-access trust edit scan git audit unlock lock status completions mcp agent jupyter help" -f -a "run" -d 'Run a command with the environment\'s secrets as environment variables'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand help; and not __fish_seen_subcommand_from identity init set get rm list import export run rotate push pull recipients request-access trust edit scan git audit unlock lock status completions mcp agent jupyter help" -f -a "rotate" -d 'Set a new value for a secret (after revoking the old one) and clear its exposed mark'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand help; and not __fish_seen_subcommand_from identity init set get rm list import export run rotate push pull recipients request-access trust edit scan git audit unlock lock status completions mcp agent jupyter help" -f -a "push" -d 'Copy every secret of an environment into a Vault one (--env dev --to prod), showing the changes first'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand help; and not __fish_seen_subcommand_from identity init set get rm list import export run rotate push pull recipients request-access trust edit scan git audit unlock lock status completions mcp agent jupyter help" -f -a "pull" -d 'Copy every secret of a Vault environment into another one (--env prod --to dev), showing the changes first'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand help; and not __fish_seen_subcommand_from identity init set get rm list import export run rotate push pull recipients request-access trust edit scan git audit unlock lock status completions mcp agent jupyter help" -f -a "recipients" -d 'Who can open which environment: list, add, remove, approve requests, acknowledge changes'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand help; and not __fish_seen_subcommand_from identity init set get rm list import export run rotate push pull recipients request-access trust edit scan git audit unlock lock status completions mcp agent jupyter help" -f -a "request-access" -d 'Ask for access: record your public key in aisecrets.toml as pending, then commit it'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand help; and not __fish_seen_subcommand_from identity init set get rm list import export run rotate push pull recipients request-access trust edit scan git audit unlock lock status completions mcp agent jupyter help" -f -a "trust" -d 'Show an environment\'s key id and recipients and trust (pin) it'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand help; and not __fish_seen_subcommand_from identity init set get rm list import export run rotate push pull recipients request-access trust edit scan git audit unlock lock status completions mcp agent jupyter help" -f -a "edit" -d 'Edit an environment as NAME=value lines in $VISUAL/$EDITOR (a copy in RAM, re-encrypted on save)'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand help; and not __fish_seen_subcommand_from identity init set get rm list import export run rotate push pull recipients request-access trust edit scan git audit unlock lock status completions mcp agent jupyter help" -f -a "scan" -d 'Find this project\'s secret values and well-known key shapes in files (exit 1 on findings)'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand help; and not __fish_seen_subcommand_from identity init set get rm list import export run rotate push pull recipients request-access trust edit scan git audit unlock lock status completions mcp agent jupyter help" -f -a "git" -d 'Git integration: `git setup` installs the diff and merge drivers, the notebook filter and the pre-commit hook'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand help; and not __fish_seen_subcommand_from identity init set get rm list import export run rotate push pull recipients request-access trust edit scan git audit unlock lock status completions mcp agent jupyter help" -f -a "audit" -d 'Show the local audit log, or check that no line was removed or altered'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand help; and not __fish_seen_subcommand_from identity init set get rm list import export run rotate push pull recipients request-access trust edit scan git audit unlock lock status completions mcp agent jupyter help" -f -a "unlock" -d 'Open your identity once and keep it in the OS keyring until a time limit'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand help; and not __fish_seen_subcommand_from identity init set get rm list import export run rotate push pull recipients request-access trust edit scan git audit unlock lock status completions mcp agent jupyter help" -f -a "lock" -d 'Forget the unlocked identity in every keyring'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand help; and not __fish_seen_subcommand_from identity init set get rm list import export run rotate push pull recipients request-access trust edit scan git audit unlock lock status completions mcp agent jupyter help" -f -a "status" -d 'Show the project, environment, identity, and the unlock cache'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand help; and not __fish_seen_subcommand_from identity init set get rm list import export run rotate push pull recipients request-access trust edit scan git audit unlock lock status completions mcp agent jupyter help" -f -a "completions" -d 'Print a shell completion script on stdout'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand help; and not __fish_seen_subcommand_from identity init set get rm list import export run rotate push pull recipients request-access trust edit scan git audit unlock lock status completions mcp agent jupyter help" -f -a "mcp" -d 'Serve coding agents over MCP (stdio): list secrets, run commands with them, ask you for a value; never show one'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand help; and not __fish_seen_subcommand_from identity init set get rm list import export run rotate push pull recipients request-access trust edit scan git audit unlock lock status completions mcp agent jupyter help" -f -a "agent" -d 'Coding agents: `agent setup` registers `aisecrets mcp` with an agent in this project'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand help; and not __fish_seen_subcommand_from identity init set get rm list import export run rotate push pull recipients request-access trust edit scan git audit unlock lock status completions mcp agent jupyter help" -f -a "jupyter" -d 'Jupyter kernels with this project\'s secrets, whose outputs never show a value'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand help; and not __fish_seen_subcommand_from identity init set get rm list import export run rotate push pull recipients request-access trust edit scan git audit unlock lock status completions mcp agent jupyter help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand help; and __fish_seen_subcommand_from identity" -f -a "new" -d 'Make a new identity (passphrase-protected unless --no-passphrase) and print its public key'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand help; and __fish_seen_subcommand_from identity" -f -a "show" -d 'Print your public key alone on stdout'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand help; and __fish_seen_subcommand_from recipients" -f -a "list" -d 'List each environment\'s recipients with key fingerprints, and pending requests'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand help; and __fish_seen_subcommand_from recipients" -f -a "add" -d 'Add a recipient (every environment unless --env); only the data key is rewrapped'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand help; and __fish_seen_subcommand_from recipients" -f -a "rm" -d 'Remove a recipient: new data keys, values resealed and marked exposed; prints the new AISECRETS_TRUST value for CI'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand help; and __fish_seen_subcommand_from recipients" -f -a "approve" -d 'Add a pending access request (from `aisecrets request-access`) as a recipient'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand help; and __fish_seen_subcommand_from recipients" -f -a "ack" -d 'Review and approve recipient changes made to aisecrets.toml outside aisecrets'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand help; and __fish_seen_subcommand_from git" -f -a "setup" -d 'Install .gitattributes, the diff and merge drivers, the notebook filter, the pre-commit hook and .gitignore lines'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand help; and __fish_seen_subcommand_from git" -f -a "textconv" -d 'The diff driver (textconv): names with keyed fingerprints of their values'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand help; and __fish_seen_subcommand_from git" -f -a "clean-notebook" -d 'The clean filter for notebooks: cell outputs with secret values and key shapes redacted'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand help; and __fish_seen_subcommand_from git" -f -a "smudge-notebook" -d 'The smudge side of the notebook filter: the blob unchanged'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand help; and __fish_seen_subcommand_from git" -f -a "merge" -d 'The merge driver: a three-way merge by secret name'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand help; and __fish_seen_subcommand_from agent" -f -a "setup" -d 'Register `aisecrets mcp` with coding agents in this project and tell them (in AGENTS.md or CLAUDE.md, appended) to use it; idempotent'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand help; and __fish_seen_subcommand_from jupyter" -f -a "install" -d 'Install a Jupyter kernel (a kernelspec) that runs Python with this project\'s secrets and masks every secret value in what it sends to the notebook'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand help; and __fish_seen_subcommand_from jupyter" -f -a "list" -d 'List the kernels aisecrets installed: name, project, environment, where'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand help; and __fish_seen_subcommand_from jupyter" -f -a "uninstall" -d 'Remove a kernel that aisecrets installed'
complete -c aisecrets -n "__fish_aisecrets_using_subcommand help; and __fish_seen_subcommand_from jupyter" -f -a "kernel" -d 'The kernel as Jupyter starts it (from kernel.json); not for direct use'
