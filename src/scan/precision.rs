//! What is not a secret: placeholders, references to secrets kept elsewhere, published
//! documentation keys, hashes and identifiers; and what looks random enough to be one.

/// Keys that providers publish in their documentation (never live).
const DOCUMENTED: &[&str] = &[
    "AKIAIOSFODNN7EXAMPLE",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
    "sk_test_BQokikJOvBiI2HlWgH4olfQ2",
    "sk_test_26PHem9AhJZvU623DfE1x4sd",
    "rk_test_26PHem9AhJZvU623DfE1x4sd",
];

/// Words that mark a placeholder (matched case-insensitively inside the value).
const MARKERS: &[&str] = &[
    "example",
    "changeme",
    "change_me",
    "change-me",
    "placeholder",
    "dummy",
    "redacted",
    "xxxx",
    "your_",
    "your-",
    "yourkey",
    "yourtoken",
    "insert",
    "replace_",
    "replaceme",
    "sample",
    "notreal",
    "not_real",
    "not-a-real",
];

/// Whether `v` holds a key a provider publishes in its documentation.
#[must_use]
pub fn documented(v: &str) -> bool {
    DOCUMENTED.iter().any(|d| v.contains(d))
}

/// Whether `v` (a candidate secret, or the part of a key after its fixed prefix) is a
/// placeholder: a run of one character, an elision, a template, a marker word, a redacted
/// value, a published documentation key.
#[must_use]
pub fn placeholder(v: &str) -> bool {
    let lower = v.to_ascii_lowercase();
    if DOCUMENTED.iter().any(|d| v.contains(d)) || MARKERS.iter().any(|m| lower.contains(m)) {
        return true;
    }
    if v.contains("...")
        || v.contains('\u{2026}')
        || v.contains("**")
        || v.contains("<")
        || v.contains('>')
    {
        return true;
    }
    if ["${", "{{", "%(", "$(", "#{"].iter().any(|t| v.contains(t)) {
        return true;
    }
    // `test` as a word of its own (`test_key`, `my-test-token`), not inside random text.
    if word(&lower, "test") || word(&lower, "fake") && !v.contains("FAKE") {
        return true;
    }
    longest_run(v.as_bytes()) >= 6
}

/// Whether `w` stands in `s` as a word: not between two letters.
fn word(s: &str, w: &str) -> bool {
    s.match_indices(w).any(|(i, _)| {
        let before = s[..i].chars().next_back();
        let after = s[i + w.len()..].chars().next();
        !before.is_some_and(|c| c.is_ascii_alphabetic())
            && !after.is_some_and(|c| c.is_ascii_alphabetic())
    })
}

fn longest_run(b: &[u8]) -> usize {
    let mut best = 0;
    let mut run = 0;
    for (i, c) in b.iter().enumerate() {
        run = if i > 0 && b[i - 1] == *c { run + 1 } else { 1 };
        best = best.max(run);
    }
    best
}

/// Whether the text after an assignment refers to a secret kept elsewhere: environment
/// lookups, Kubernetes references, Vault paths, CI secret expressions, templates.
#[must_use]
pub fn reference(tail: &str) -> bool {
    let t = tail.to_ascii_lowercase();
    [
        "getenv",
        "environ",
        "process.env",
        "env(",
        "env[",
        "env.",
        "secretkeyref",
        "valuefrom",
        "vault:",
        "vault kv",
        "secret/data/",
        "kv/data/",
        "${",
        "{{",
        "secrets.",
        "ssm:",
        "arn:aws:",
        "lookup(",
        "var.",
        "local.",
        "data.",
        "input(",
        "getpass",
        "keyring.",
        "prompt(",
        "config[",
        "settings.",
        "os.",
    ]
    .iter()
    .any(|r| t.contains(r))
}

/// Whether `v` is a hash or an identifier, not a secret: digests with their algorithm
/// (`sha256:`, `sha512-`), UUIDs, base64 images, public keys.
#[must_use]
pub fn identifier(v: &str) -> bool {
    let lower = v.to_ascii_lowercase();
    if [
        "sha1",
        "sha256",
        "sha384",
        "sha512",
        "md5",
        "blake2",
        "data:image",
        "ssh-rsa",
        "ssh-ed25519",
        "ecdsa-sha2",
        "age1",
        "pk_live_",
        "pk_test_",
    ]
    .iter()
    .any(|p| lower.starts_with(p))
    {
        return true;
    }
    uuid(v)
}

/// 8-4-4-4-12 hex.
fn uuid(v: &str) -> bool {
    let parts: Vec<&str> = v.split('-').collect();
    parts.len() == 5
        && parts.iter().map(|p| p.len()).eq([8, 4, 4, 4, 12])
        && parts
            .iter()
            .all(|p| p.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Upper,
    Lower,
    Digit,
    Other,
}

fn class(c: u8) -> Class {
    match c {
        b'A'..=b'Z' => Class::Upper,
        b'a'..=b'z' => Class::Lower,
        b'0'..=b'9' => Class::Digit,
        _ => Class::Other,
    }
}

/// Shannon entropy in bits per byte.
fn entropy(b: &[u8]) -> f64 {
    let mut counts = [0u32; 256];
    for &c in b {
        counts[c as usize] += 1;
    }
    let n = b.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

/// Changes of character class (upper, lower, digit, other) between neighbours.
/// (Separators such as `_ . - /` are skipped: `settings.openai_api_key` is one class.)
fn switches(b: &[u8]) -> usize {
    let alnum: Vec<Class> = b
        .iter()
        .map(|&c| class(c))
        .filter(|c| *c != Class::Other)
        .collect();
    alnum.windows(2).filter(|w| w[0] != w[1]).count()
}

/// Whether a token (API key, bearer token, secret) looks random: long enough, many distinct
/// characters, high entropy and frequent changes of character class (words, identifiers and
/// variable names change class once per word; random text about every other character).
#[must_use]
pub fn random_token(v: &str) -> bool {
    let b = v.as_bytes();
    if b.len() < 16 || placeholder(v) || identifier(v) {
        return false;
    }
    let distinct = {
        let mut seen = [false; 256];
        b.iter()
            .filter(|&&c| !std::mem::replace(&mut seen[c as usize], true))
            .count()
    };
    #[allow(clippy::cast_precision_loss)]
    let rate = switches(b) as f64 / b.len() as f64;
    distinct >= 10
        && entropy(b) >= 3.2
        && rate >= 0.22
        && (b.iter().any(u8::is_ascii_digit) || mixed_case(b))
}

/// Without digits, random text changes case in both directions and has upper-case pairs;
/// `CamelCaseWords` do not (each capital starts a word).
fn mixed_case(b: &[u8]) -> bool {
    let pairs = |f: fn(&[u8]) -> bool| b.windows(2).filter(|w| f(w)).count();
    pairs(|w| w[0].is_ascii_uppercase() && w[1].is_ascii_uppercase()) >= 2
        && pairs(|w| w[0].is_ascii_lowercase() && w[1].is_ascii_uppercase()) >= 2
}

/// Whether a password looks like a real one: 8 characters or more, not a placeholder or a
/// single word (`password123`, `hunter2hunter2` are still words with a number).
#[must_use]
pub fn real_password(v: &str) -> bool {
    let b = v.as_bytes();
    if b.len() < 8 || placeholder(v) || identifier(v) {
        return false;
    }
    let lower = v.to_ascii_lowercase();
    if [
        "password", "passwd", "secret", "admin", "root", "postgres", "guest", "none", "null",
        "true", "false",
    ]
    .iter()
    .any(|w| lower == *w || lower.trim_end_matches(|c: char| c.is_ascii_digit()) == *w)
    {
        return false;
    }
    let classes = [Class::Upper, Class::Lower, Class::Digit, Class::Other]
        .iter()
        .filter(|c| b.iter().any(|&x| class(x) == **c))
        .count();
    classes >= 3 && switches(b) >= 3 || random_token(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_references_and_identifiers() {
        for p in [
            "XXXXXXXXXXXXXXXXXXXX",
            "<your-key>",
            "sk-...abcd",
            "****abcd",
            "${OPENAI_API_KEY}",
            "changeme",
            "my-example-key-1234",
            "dummy_token_value",
            "AKIAIOSFODNN7EXAMPLE",
            "test_key_123",
            "0000000000000000",
        ] {
            assert!(placeholder(p), "{p}");
        }
        for r in [
            "os.environ[\"K\"]",
            "os.getenv(\"K\")",
            "valueFrom: secretKeyRef",
            "${{ secrets.K }}",
        ] {
            assert!(reference(r), "{r}");
        }
        assert!(identifier("123e4567-e89b-12d3-a456-426614174000"));
        assert!(identifier(
            "sha512-9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
        ));
        for not_random in [
            "OPENAI_API_KEY",
            "settings.openai_api_key",
            "ThisIsMyPasswordValue",
            "abcdefghijklmnop",
        ] {
            assert!(!random_token(not_random), "{not_random}");
        }
        assert!(random_token("q8Zr2LmX9vKp4TwB7nYc"));
        assert!(random_token("9f86d081884c7d659a2feaa0c55ad015"));
        assert!(!real_password("password123"));
        assert!(real_password("Tr0ub4dor&3x"));
    }
}
