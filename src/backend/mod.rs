//! Where an environment lives: an encrypted file in the repository (`file`) or an
//! OpenBao/Vault KV secret (`vault`).

pub mod file;
pub mod vault;
