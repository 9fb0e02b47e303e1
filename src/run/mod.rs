//! `run`'s machinery: the child process (environment, process group, signals, exit status),
//! the signals held back while credentials are taken, the RAM folders for file secrets,
//! the names `run` refuses to inject, and the jail of `run --jail` (#15).

pub mod child;
#[cfg(target_os = "linux")]
pub mod jail;
pub mod policy;
pub mod proxy;
pub mod ramdir;
pub mod stop;
