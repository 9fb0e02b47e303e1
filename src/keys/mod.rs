//! Keys: the user's identity (where it lives, how it opens), the unlock cache, and all
//! cryptography (the data key, sealed values, age and its recipients).

pub mod cache;
pub mod crypto;
pub mod identity;
