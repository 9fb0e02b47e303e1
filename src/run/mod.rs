//! `run`'s machinery: the child process (environment, process group, signals, exit status),
//! the signals held back while credentials are taken, the RAM folders for file secrets,
//! and the names `run` refuses to inject.

pub mod child;
pub mod policy;
pub mod proxy;
pub mod ramdir;
pub mod stop;
