//! aisecrets keeps an AI project's secrets encrypted in the project's own git repository
//! and hands them to the one process that needs them: `aisecrets run -- python train.py`.
//!
//! The library holds everything; the binary only calls [`main`].
#![deny(rustdoc::broken_intra_doc_links)]

pub mod audit;
pub mod child;
pub mod cli;
mod commands;
pub mod config;
pub mod crypto;
pub mod docs;
pub mod dotenv;
pub mod error;
pub mod exit;
pub mod git;
pub mod hardening;
pub mod identity;
pub mod keycache;
pub mod mask;
pub mod output;
pub mod policy;
pub mod prompt;
pub mod ramdir;
pub mod rekey_history;
pub mod rotation;
pub mod scan;
pub mod secret;
pub mod store;
pub mod trust;
pub mod user;
pub mod vault;

use std::process::ExitCode;

use clap::Parser;

/// Parses the command line, runs it, reports any error, and returns the exit code.
#[must_use]
pub fn main() -> ExitCode {
    // Before anything else, and before any secret is read: no core file, not dumpable, and
    // the credential variables out of our own environment (#12).
    hardening::harden();
    hardening::scrub();
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            if let Some(line) = cli::explain_run_error(&e) {
                output::status(&line);
                return ExitCode::from(exit::USAGE);
            }
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            });
        }
    };
    // Plaintext folders left by a killed aisecrets (edit, run) go first.
    #[cfg(unix)]
    ramdir::sweep_stale();
    match commands::dispatch(cli) {
        Ok(code) => {
            // The child died of the terminal's Ctrl-C (or Ctrl-\\): die of it too, now that
            // everything is dropped and wiped, so a shell loop around us stops.
            #[cfg(unix)]
            {
                let sig = child::RERAISE.load(std::sync::atomic::Ordering::SeqCst);
                if sig != 0 {
                    let _ = signal_hook::low_level::emulate_default_handler(sig);
                }
            }
            ExitCode::from(code)
        }
        Err(e) => {
            report(&e);
            ExitCode::from(e.exit_code())
        }
    }
}

/// Prints `aisecrets: error: ...` with the cause chain and what to do, all on one line.
fn report(e: &error::Error) {
    let mut line = format!("aisecrets: error: {e}");
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        line.push_str(": ");
        line.push_str(&s.to_string());
        source = s.source();
    }
    if let Some(hint) = e.hint() {
        line.push_str("; ");
        line.push_str(&hint);
    }
    output::status(&line);
}
