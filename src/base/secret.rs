//! Secret names and values: the naming rules, the value limits, and a value type that
//! zeroizes itself and never prints.

use std::fmt;

use zeroize::Zeroizing;

use crate::base::error::{Error, Result};
use crate::base::output;

/// The largest value aisecrets stores.
pub const MAX_VALUE_LEN: usize = 1 << 20;

/// The rule for secret names, quoted in errors.
pub const NAME_RULE: &str = "names match [A-Za-z_][A-Za-z0-9_]*";
const RESERVED_RULE: &str = "names starting with AISECRETS_ are reserved for aisecrets itself";
const ENV_RULE: &str = "environment names are 1-64 of [a-z0-9_-], starting with a letter or digit";
const RECIPIENT_RULE: &str =
    "recipient names are 1-64 of letters, digits and . _ @ + -, starting with a letter or digit";

/// Checks a secret's name: `[A-Za-z_][A-Za-z0-9_]*`, at most 256 bytes, not `AISECRETS_*`.
pub fn check_name(name: &str) -> Result<()> {
    let mut bytes = name.bytes();
    let ok = matches!(bytes.next(), Some(b'A'..=b'Z' | b'a'..=b'z' | b'_'))
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && name.len() <= 256;
    if !ok {
        return Err(invalid("secret", name, NAME_RULE));
    }
    if name.to_ascii_uppercase().starts_with("AISECRETS_") {
        return Err(invalid("secret", name, RESERVED_RULE));
    }
    Ok(())
}

/// Checks an environment's name; it becomes part of a file name, so the rule is strict.
pub fn check_env_name(name: &str) -> Result<()> {
    let mut bytes = name.bytes();
    let ok = matches!(bytes.next(), Some(b'a'..=b'z' | b'0'..=b'9'))
        && bytes.all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-'))
        && name.len() <= 64;
    if ok {
        Ok(())
    } else {
        Err(invalid("environment", name, ENV_RULE))
    }
}

/// Whether `name` is a valid recipient name.
#[must_use]
pub fn valid_recipient_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_alphanumeric())
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'@' | b'+' | b'-'))
        && name.len() <= 64
}

/// Checks a recipient's name.
pub fn check_recipient_name(name: &str) -> Result<()> {
    if valid_recipient_name(name) {
        Ok(())
    } else {
        Err(invalid("recipient", name, RECIPIENT_RULE))
    }
}

fn invalid(kind: &'static str, name: &str, rule: &'static str) -> Error {
    Error::InvalidName {
        kind,
        name: output::sanitize(name, 64),
        rule,
    }
}

/// A secret value: UTF-8 without NUL, at most [`MAX_VALUE_LEN`] bytes, wiped on drop.
/// It has no `Debug` or `Display`: the only way out is [`SecretValue::expose`]. Nor has it
/// `PartialEq`: compare with [`SecretValue::ct_eq`], whose time does not depend on where
/// two values differ (#14).
#[derive(Clone)]
pub struct SecretValue(Zeroizing<String>);

impl SecretValue {
    /// Checks and wraps a value for the secret `name` (used in errors only).
    pub fn new(name: &str, value: Zeroizing<String>) -> Result<Self> {
        if value.len() > MAX_VALUE_LEN {
            return Err(Error::BadValue {
                name: name.to_owned(),
                reason: format!("it is {} bytes, over the 1 MiB limit", value.len()),
            });
        }
        if value.contains('\0') {
            return Err(Error::BadValue {
                name: name.to_owned(),
                reason: "it contains a NUL byte, which no environment variable can hold".into(),
            });
        }
        Ok(Self(value))
    }

    /// Checks raw bytes (from stdin or a file) and wraps them.
    pub fn from_bytes(name: &str, bytes: Zeroizing<Vec<u8>>) -> Result<Self> {
        if bytes.len() > MAX_VALUE_LEN {
            return Err(Error::BadValue {
                name: name.to_owned(),
                reason: format!("it is {} bytes, over the 1 MiB limit", bytes.len()),
            });
        }
        match std::str::from_utf8(&bytes) {
            Ok(s) => Self::new(name, Zeroizing::new(s.to_owned())),
            Err(_) => Err(Error::BadValue {
                name: name.to_owned(),
                reason: "it is not UTF-8 text (store binary data base64-encoded)".into(),
            }),
        }
    }

    /// The plaintext. Keep call sites narrow: this is the one door out.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether both hold the same value, in time that depends on the lengths only.
    #[must_use]
    pub fn ct_eq(&self, other: &Self) -> bool {
        use subtle::ConstantTimeEq as _;
        // subtle compares slices of different lengths as unequal without looking further.
        bool::from(self.0.as_bytes().ct_eq(other.0.as_bytes()))
    }
}

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretValue([REDACTED])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_rule() {
        for good in ["A", "_", "OPENAI_API_KEY", "hf_token", "A1_B2"] {
            assert!(check_name(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "1ABC",
            "A-B",
            "A B",
            "A=B",
            "A.B",
            "Ä",
            "ОPENAI",
            " A",
            "AISECRETS_X",
        ] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn values_refuse_nul_and_size() {
        assert!(SecretValue::new("A", Zeroizing::new("a\0b".into())).is_err());
        assert!(SecretValue::new("A", Zeroizing::new("x".repeat(MAX_VALUE_LEN + 1))).is_err());
        assert!(SecretValue::new("A", Zeroizing::new("x".repeat(MAX_VALUE_LEN))).is_ok());
        let v = SecretValue::new("A", Zeroizing::new("sk-FAKE".into())).unwrap();
        assert!(!format!("{v:?}").contains("sk-FAKE"));
    }

    #[test]
    fn ct_eq_compares_whole_values() {
        let v = |s: &str| SecretValue::new("A", Zeroizing::new(s.to_owned())).unwrap();
        assert!(v("sk-FAKE-1").ct_eq(&v("sk-FAKE-1")));
        assert!(v("").ct_eq(&v("")));
        assert!(!v("sk-FAKE-1").ct_eq(&v("sk-FAKE-2")));
        assert!(!v("sk-FAKE").ct_eq(&v("sk-FAKE-1")));
        assert!(!v("sk-FAKE-1").ct_eq(&v("sk-FAKE")));
        assert!(!v("").ct_eq(&v("x")));
    }
}
