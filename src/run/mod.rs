//! `run`'s machinery: the child process (environment, process group, signals, exit status),
//! the signals held back while credentials are taken, the RAM folders for file secrets,
//! the names `run` refuses to inject, the jail of `run --jail` (#15), and the relay that
//! masks a Jupyter kernel's messages (#18).

pub mod child;
pub mod editor;
pub mod group;
#[cfg(target_os = "linux")]
pub mod jail;
pub mod jupyter;
pub mod policy;
pub mod proxy;
pub mod ramdir;
mod reap;
#[cfg(target_os = "linux")]
mod spawn;
pub mod stop;
