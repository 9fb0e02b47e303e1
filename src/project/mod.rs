//! The project: the committed manifest (`aisecrets.toml`, untrusted input), who owns the
//! repository, the user's trust pins for it, the rekey history, and the audit log.

pub mod agents;
pub mod audit;
pub mod manifest;
pub mod owner;
pub mod trust;
pub mod vault_decl;

pub use manifest::Project;
