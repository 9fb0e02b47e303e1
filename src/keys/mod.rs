//! Keys: the user's identity (where it lives, how it opens), the unlock cache, and all
//! cryptography: value sealing under the data key (`seal`), and age with its recipients
//! (`wrap`), the PATH rule for age plugins (`plugin_path`), and the TPM 2.0 commands a
//! TPM-bound identity needs (`tpm`).

pub mod cache;
pub mod identity;
pub mod plugin_path;
pub mod seal;
pub mod tpm;
pub mod wrap;
