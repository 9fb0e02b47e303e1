//! Jupyter messages on the wire (the messaging spec's "wire protocol"): routing ids up to the
//! `<IDS|MSG>` delimiter, the HMAC-SHA256 signature (lowercase hex) of the four JSON parts
//! that follow (header, parent header, metadata, content), then binary buffers. A message
//! from one side is checked with that side's key and signed again with the other side's;
//! one from the kernel is masked first: every JSON string (and object key) of the four
//! parts, and the bytes of every other frame.

use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::zmtp::Frame;
use crate::base::mask::Masker;

const DELIMITER: &[u8] = b"<IDS|MSG>";

/// The signature of the four JSON parts with `key`; empty when the key is (Jupyter's "no
/// authentication").
pub(super) fn sign(key: &[u8], parts: &[Frame]) -> Vec<u8> {
    if key.is_empty() {
        return Vec::new();
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    for p in parts {
        mac.update(p);
    }
    crate::base::hex::encode(&mac.finalize().into_bytes()).into_bytes()
}

/// Whether `sig` is the signature of `parts` with `key`.
pub(super) fn verify(key: &[u8], sig: &[u8], parts: &[Frame]) -> bool {
    let want = sign(key, parts);
    want.len() == sig.len() && bool::from(want.ct_eq(sig))
}

/// Where the delimiter is, if this is a Jupyter message with its four JSON parts.
pub(super) fn delimiter(frames: &[Frame]) -> Option<usize> {
    let d = frames.iter().position(|f| f.as_slice() == DELIMITER)?;
    (frames.len() >= d + 6).then_some(d)
}

/// A message from the client on its way to the kernel: checked with the client's key and
/// signed with the kernel's. Other messages (the heartbeat's, a ZMTP 3.0 subscription) go
/// as they are. `None`: dropped (a bad signature).
pub(super) fn to_kernel(
    mut frames: Vec<Frame>,
    client: &[u8],
    kernel: &[u8],
) -> Option<Vec<Frame>> {
    let Some(d) = delimiter(&frames) else {
        return Some(frames);
    };
    if !verify(client, &frames[d + 1], &frames[d + 2..d + 6]) {
        return None;
    }
    frames[d + 1] = Zeroizing::new(sign(kernel, &frames[d + 2..d + 6]));
    Some(frames)
}

/// A message from the kernel on its way to the client: checked with the kernel's key,
/// masked, and signed with the client's. `None`: dropped (a bad signature, or JSON parts
/// that are not JSON, which could not be masked reliably).
pub(super) fn to_client(
    frames: Vec<Frame>,
    kernel: &[u8],
    client: &[u8],
    masker: &Masker,
) -> Option<Vec<Frame>> {
    let Some(d) = delimiter(&frames) else {
        return Some(frames.iter().map(|f| mask_bytes(masker, f)).collect());
    };
    if !verify(kernel, &frames[d + 1], &frames[d + 2..d + 6]) {
        return None;
    }
    let mut out: Vec<Frame> = Vec::with_capacity(frames.len());
    for f in &frames[..d] {
        out.push(mask_bytes(masker, f));
    }
    out.push(Zeroizing::new(DELIMITER.to_vec()));
    out.push(Zeroizing::new(Vec::new())); // the signature, below
    for f in &frames[d + 2..d + 6] {
        out.push(mask_json(masker, f)?);
    }
    for f in &frames[d + 6..] {
        out.push(mask_bytes(masker, f));
    }
    out[d + 1] = Zeroizing::new(sign(client, &out[d + 2..d + 6]));
    Some(out)
}

/// `bytes` with every value masked, in each form `run --mask` knows.
fn mask_bytes(masker: &Masker, bytes: &[u8]) -> Frame {
    masker.stream().feed(bytes, true)
}

fn mask_str(masker: &Masker, s: &str) -> String {
    let out = mask_bytes(masker, s.as_bytes());
    match std::str::from_utf8(&out) {
        Ok(t) => t.to_owned(),
        Err(_) => String::from_utf8_lossy(&out).into_owned(),
    }
}

/// A JSON part with every string masked, decoded first so that escapes (`\u0073k-...`)
/// cannot hide a value, and encoded again.
/// Text that is not UTF-8 (Python's surrogate escapes, as a traceback of a Latin-1 file
/// name has) is read lossily, as jupyter_client does (`decode("utf8", "replace")`).
fn mask_json(masker: &Masker, bytes: &[u8]) -> Option<Frame> {
    let mut v: Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(_) => serde_json::from_str(&String::from_utf8_lossy(bytes)).ok()?,
    };
    walk(masker, &mut v);
    serde_json::to_vec(&v).ok().map(Zeroizing::new)
}

fn walk(masker: &Masker, v: &mut Value) {
    match v {
        Value::String(s) => *s = mask_str(masker, s),
        Value::Array(items) => items.iter_mut().for_each(|i| walk(masker, i)),
        Value::Object(map) => {
            let old = std::mem::take(map);
            for (k, mut item) in old {
                walk(masker, &mut item);
                map.insert(mask_str(masker, &k), item);
            }
        }
        // A number is masked by its text (`{"id": 123456789012}`): if that holds a value,
        // the number becomes the masked string.
        Value::Number(n) => {
            let text = n.to_string();
            let masked = mask_str(masker, &text);
            if masked != text {
                *v = Value::String(masked);
            }
        }
        Value::Null | Value::Bool(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALUE: &str = "sk-proj-FAKE0wire0test00000000";

    fn msg(key: &[u8], content: &str) -> Vec<Frame> {
        let parts: Vec<Frame> = [r#"{"msg_type":"stream"}"#, "{}", "{}", content]
            .iter()
            .map(|s| Zeroizing::new(s.as_bytes().to_vec()))
            .collect();
        let mut f = vec![
            Zeroizing::new(b"topic".to_vec()),
            Zeroizing::new(DELIMITER.to_vec()),
            Zeroizing::new(sign(key, &parts)),
        ];
        f.extend(parts);
        f.push(Zeroizing::new(format!("buf {VALUE}").into_bytes()));
        f
    }

    #[test]
    fn kernel_messages_are_masked_and_signed_with_the_clients_key() {
        let m = Masker::new([("OPENAI_API_KEY", VALUE)].into_iter());
        // An escaped value in the JSON text is decoded, then masked.
        let escaped = VALUE.replace('s', "\\u0073");
        let content = format!(r#"{{"text":"{escaped} and {VALUE}","{VALUE}":1}}"#);
        let out = to_client(msg(b"kernel", &content), b"kernel", b"client", &m).unwrap();
        let all: Vec<u8> = out.iter().flat_map(|f| f.to_vec()).collect();
        assert!(!String::from_utf8_lossy(&all).contains(VALUE));
        assert!(String::from_utf8_lossy(&out[6]).contains("[REDACTED:OPENAI_API_KEY]"));
        assert!(verify(b"client", &out[2], &out[3..7]));
        assert!(!verify(b"kernel", &out[2], &out[3..7]));
    }

    #[test]
    fn a_bad_signature_is_dropped_both_ways() {
        let m = Masker::new(std::iter::empty());
        assert!(to_client(msg(b"other", "{}"), b"kernel", b"client", &m).is_none());
        assert!(to_kernel(msg(b"other", "{}"), b"client", b"kernel").is_none());
        let ok = to_kernel(msg(b"client", "{}"), b"client", b"kernel").unwrap();
        assert!(verify(b"kernel", &ok[2], &ok[3..7]));
    }

    #[test]
    fn text_that_is_not_utf8_is_read_lossily_and_numbers_are_masked() {
        let m = Masker::new([("ACCOUNT_ID", "987654321012")].into_iter());
        let mut content = b"{\"text\":\"caf\xe9 \",\"id\":987654321012}".to_vec();
        content.extend_from_slice(b"");
        let mut frames = msg(b"kernel", "{}");
        frames[6] = Zeroizing::new(content);
        frames[2] = Zeroizing::new(sign(b"kernel", &frames[3..7]));
        let out = to_client(frames, b"kernel", b"client", &m).expect("forwarded, not dropped");
        let text = String::from_utf8_lossy(&out[6]).into_owned();
        assert!(text.contains("caf\u{fffd}"), "{text}");
        assert!(
            !text.contains("987654321012") && text.contains("[REDACTED:ACCOUNT_ID]"),
            "{text}"
        );
    }
}
