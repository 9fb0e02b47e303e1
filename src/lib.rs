//! aisecrets keeps an AI project's secrets encrypted in the project's own git repository
//! and hands them to the one process that needs them: `aisecrets run -- python train.py`.
//!
//! The library holds everything; the binary only calls [`main`].
//!
//! The modules are layers, and a module uses only those below it:
//!
//! | layer      | holds |
//! |------------|-------|
//! | `cli`, `commands` | the command line (clap types, man page, completions, the hint after an error) and one module per subcommand; the only layer that prompts the user for decisions |
//! | `run`      | the child of `aisecrets run`: environment, signals, exit status, RAM folders, refused names |
//! | `backend`  | where an environment lives: an encrypted file in the repository, or an OpenBao/Vault secret |
//! | `project`  | the committed manifest, who owns the repository, the user's trust pins, rekey history, the audit log |
//! | `keys`     | the identity, the unlock cache, and all cryptography: value sealing (`seal`), age and its recipients (`wrap`) |
//! | `git`, `scan` | the git calls aisecrets makes; the leak scanner |
//! | `base`     | errors and exit codes, secret values, terminal-safe output and prompts, the user's config, the user folder and atomic files, the clock, hex, dotenv, masking, hardening; it uses nothing above it |
#![deny(rustdoc::broken_intra_doc_links)]

// Files, signals, child processes, terminals and the RAM folder use Unix APIs with no
// Windows counterpart yet: say so first, rather than in a hundred `std::os::unix` errors.
#[cfg(not(unix))]
compile_error!(
    "aisecrets does not build on Windows yet: it needs Unix (Linux is supported; macOS is not yet). On Windows, use WSL 2."
);

pub mod backend;
pub mod base;
pub mod cli;
mod commands;
pub mod git;
pub mod keys;
pub mod project;
pub mod run;
pub mod scan;

/// Parses the command line, runs it, reports any error, and returns the exit code.
#[must_use]
pub fn main() -> u8 {
    // Before anything else, and before any secret is read: no core file, not dumpable, and
    // the credential variables out of our own environment (#12).
    base::hardening::harden();
    base::hardening::scrub();
    let cli = match cli::Cli::try_parse_run_first(std::env::args_os().collect()) {
        Ok(cli) => cli,
        Err(e) => {
            if let Some(line) = cli::explain_run_error(&e) {
                base::output::status(&line);
                return base::exit::USAGE;
            }
            let _ = e.print();
            return if e.use_stderr() {
                base::exit::USAGE
            } else {
                base::exit::OK
            };
        }
    };
    // Plaintext folders left by a killed aisecrets (edit, run) go first.
    #[cfg(unix)]
    run::ramdir::sweep_stale();
    match commands::dispatch(cli) {
        Ok(base::exit::Outcome::Exit(code)) => code,
        // Everything below has returned, so every `Drop` has run (leases and tokens revoked,
        // RAM folders removed, values wiped): now die of the signal, so that a shell loop
        // around us stops as it would for the child itself (#14).
        Ok(outcome @ base::exit::Outcome::Signal(sig)) => {
            #[cfg(unix)]
            let _ = signal_hook::low_level::emulate_default_handler(sig);
            #[cfg(not(unix))]
            let _ = sig;
            outcome.code()
        }
        Err(e) => {
            report(&e);
            e.exit_code()
        }
    }
}

/// Prints `aisecrets: error: ...` with the cause chain and what to do, all on one line.
fn report(e: &base::error::Error) {
    base::output::status(&format!("aisecrets: error: {}", e.one_line()));
}
