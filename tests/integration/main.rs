//! The integration tests: the real binary, driven as a user would.
#![allow(unreachable_pub, missing_docs, clippy::unwrap_used)]

mod basics;
mod cache;
mod cache_isolation;
mod examples;
mod format;
mod generated;
mod gitflow;
mod hardening;
mod identity;
mod import_export;
mod integrity;
mod jail;
mod layers;
mod mask_scan;
mod mcp;
mod merging;
mod names;
mod newcomer;
mod plugin;
mod plugin_limits;
mod plugin_path;
mod properties;
mod proxy;
mod review;
mod run;
mod run_extra;
mod scan_catalogue;
mod snapshots;
mod team;
mod trust_hardening;
mod util;
mod vault;
mod vault_signals;
mod walkthrough;
mod writes;
