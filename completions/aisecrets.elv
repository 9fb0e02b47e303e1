
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
            cand unlock 'Open your identity once and keep it in the OS keyring until a time limit'
            cand lock 'Forget the unlocked identity in every keyring'
            cand status 'Show the project, environment, identity, and the unlock cache'
            cand completions 'Print a shell completion script on stdout'
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
            cand unlock 'Open your identity once and keep it in the OS keyring until a time limit'
            cand lock 'Forget the unlocked identity in every keyring'
            cand status 'Show the project, environment, identity, and the unlock cache'
            cand completions 'Print a shell completion script on stdout'
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
        &'aisecrets;help;unlock'= {
        }
        &'aisecrets;help;lock'= {
        }
        &'aisecrets;help;status'= {
        }
        &'aisecrets;help;completions'= {
        }
        &'aisecrets;help;help'= {
        }
    ]
    $completions[$command]
}
