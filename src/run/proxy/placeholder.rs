//! Placeholders: what the child holds instead of a real key under `run --proxy` (#15). Same
//! prefix and the same length as the real value, so SDK shape checks pass and swapping one
//! for the other never changes a length; the body is random, drawn from the classes of
//! characters the value's body uses, and unique per run.

use rand::seq::SliceRandom;

const LOWER: &[u8] = b"abcdefghijklmnopqrstuvwxyz";
const UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const DIGITS: &[u8] = b"0123456789";

/// The prefix kept as it is: up to the last `-` or `_` among the first 16 characters
/// (`sk-proj-`, `sk-ant-api03-`, `hf_`, `ghp_`), none for values without one.
#[must_use]
pub fn prefix_len(value: &str) -> usize {
    let head = &value.as_bytes()[..value.len().min(16)];
    head.iter()
        .rposition(|b| *b == b'-' || *b == b'_')
        .map_or(0, |i| i + 1)
}

/// A placeholder for `value`: its prefix, then a random body of the same length drawn from
/// the character classes the body holds. Never equal to the value, nor to any of `taken`.
#[must_use]
pub fn make(value: &str, taken: &[String]) -> String {
    let p = prefix_len(value);
    let (head, body) = value.split_at(p);
    let mut alphabet: Vec<u8> = Vec::new();
    for (class, set) in [
        (u8::is_ascii_lowercase as fn(&u8) -> bool, LOWER),
        (u8::is_ascii_uppercase, UPPER),
        (u8::is_ascii_digit, DIGITS),
    ] {
        if body.as_bytes().iter().any(class) {
            alphabet.extend_from_slice(set);
        }
    }
    for extra in [b'-', b'_', b'.', b'/', b'+', b'='] {
        if body.as_bytes().contains(&extra) && !alphabet.contains(&extra) {
            alphabet.push(extra);
        }
    }
    if alphabet.is_empty() {
        alphabet.extend_from_slice(LOWER);
    }
    let mut rng = rand::thread_rng();
    let mut tries = 0;
    // Non-ASCII bodies get an ASCII body of the same byte length.
    let n = body.len();
    loop {
        let fresh: String = head
            .chars()
            .chain((0..n).map(|_| char::from(*alphabet.choose(&mut rng).unwrap_or(&b'x'))))
            .collect();
        if fresh != value && !taken.contains(&fresh) {
            return fresh;
        }
        tries += 1;
        if tries > 64 {
            // A body too short to differ: lengthen it rather than hand over the value.
            return format!("{fresh}x");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{make, prefix_len};

    #[test]
    fn same_prefix_same_length_random_body() {
        let real = "sk-proj-FAKEabc123DEF456ghi789JKL012mno345";
        let a = make(real, &[]);
        let b = make(real, std::slice::from_ref(&a));
        assert_eq!(a.len(), real.len());
        assert!(a.starts_with("sk-proj-"));
        assert_ne!(a, real);
        assert_ne!(a, b);
        assert_eq!(prefix_len("hf_FAKEabc"), 3);
        assert_eq!(prefix_len("sk-ant-api03-xyz"), 13);
        assert_eq!(prefix_len("abcdef"), 0);
        let hex = make("0123456789abcdef0123", &[]);
        assert!(
            hex.bytes()
                .all(|c| c.is_ascii_hexdigit() || c.is_ascii_lowercase())
        );
    }
}
