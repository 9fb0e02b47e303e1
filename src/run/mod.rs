//! `run`'s machinery: the child process (environment, process group, signals, exit status),
//! the RAM folders for file secrets, and the names `run` refuses to inject.

pub mod child;
pub mod policy;
pub mod ramdir;
