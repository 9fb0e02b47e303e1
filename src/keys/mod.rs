//! Keys: the user's identity (where it lives, how it opens), the unlock cache, and all
//! cryptography: value sealing under the data key (`seal`), and age with its recipients
//! (`wrap`), and the PATH rule for age plugins (`plugin_path`).

pub mod cache;
pub mod identity;
pub mod plugin_path;
pub mod seal;
pub mod wrap;
