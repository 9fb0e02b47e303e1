//! The bottom layer: what every other layer may use, and which uses nothing above it.
//! Errors and exit codes, secret names and values, terminal-safe output and prompts, the
//! user's own config, the user folder and files written atomically, the clock, hex, dotenv
//! text, the `--mask` filter, and the start-up hardening of aisecrets' own process.
//!
//! Inside it, too, the modules are one-way: `exit`, `time`, `hex` and `mask` use none of the
//! others; `error` uses only `exit`; `files` and `output` use `error`; `secret` uses those;
//! `user`, `prompt`, `dotenv`, `config` and `hardening` sit on top.

pub mod agent;
pub mod config;
pub mod dotenv;
pub mod error;
pub mod exit;
pub mod files;
pub mod hardening;
pub mod hex;
pub mod mask;
pub mod output;
pub mod pinentry;
pub mod prompt;
pub mod secret;
pub mod time;
pub mod user;
