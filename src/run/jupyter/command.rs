//! The ZMTP commands the relay forwards (#18): READY (rebuilt: the socket type, and the
//! identity masked), SUBSCRIBE, CANCEL, PING, PONG and ERROR (its reason masked) — what
//! libzmq's sockets that Jupyter uses exchange. Anything else (an unknown command, a
//! property of the peer's choosing) stops here, so no bytes of the kernel's reach the client
//! unmasked.

use zeroize::Zeroizing;

use super::zmtp::Frame;
use crate::base::mask::Masker;

/// The command `body` (name length, name, data) to forward, masked when `masker` is given
/// (kernel to client); `None`: not forwarded.
pub(super) fn filter(body: &[u8], masker: Option<&Masker>) -> Option<Frame> {
    let (&len, rest) = body.split_first()?;
    let len = usize::from(len);
    if rest.len() < len {
        return None;
    }
    let (name, data) = rest.split_at(len);
    let mask = |b: &[u8]| -> Vec<u8> {
        match masker {
            Some(m) => m.stream().feed(b, true).to_vec(),
            None => b.to_vec(),
        }
    };
    let out = match name {
        b"READY" => ready(data, &mask)?,
        b"SUBSCRIBE" | b"CANCEL" => mask(data),
        b"PING" | b"PONG" => {
            // PING: a 2-byte TTL and a context of up to 16 bytes, which PONG echoes; a
            // context masking would change goes empty.
            let masked = mask(data);
            if masked == data {
                masked
            } else if name == b"PING" && data.len() >= 2 {
                data[..2].to_vec()
            } else {
                Vec::new()
            }
        }
        b"ERROR" => {
            let (&n, reason) = data.split_first()?;
            let reason = mask(reason.get(..usize::from(n))?);
            let reason = &reason[..reason.len().min(255)];
            let mut d = vec![u8::try_from(reason.len()).ok()?];
            d.extend_from_slice(reason);
            d
        }
        _ => return None,
    };
    let mut frame = Zeroizing::new(Vec::with_capacity(1 + len + out.len()));
    frame.push(u8::try_from(len).ok()?);
    frame.extend_from_slice(name);
    frame.extend_from_slice(&out);
    Some(frame)
}

/// READY's metadata, rebuilt from the two properties Jupyter's sockets use.
fn ready(mut data: &[u8], mask: &dyn Fn(&[u8]) -> Vec<u8>) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    while !data.is_empty() {
        let (&n, rest) = data.split_first()?;
        let name = rest.get(..usize::from(n))?;
        let rest = &rest[usize::from(n)..];
        let size = u32::from_be_bytes(rest.get(..4)?.try_into().ok()?);
        let size = usize::try_from(size).ok()?;
        let value = rest.get(4..4 + size)?;
        data = &rest[4 + size..];
        let value = if name.eq_ignore_ascii_case(b"Socket-Type") {
            if !matches!(
                value,
                b"ROUTER" | b"DEALER" | b"PUB" | b"SUB" | b"XPUB" | b"XSUB" | b"REQ" | b"REP"
            ) {
                return None;
            }
            value.to_vec()
        } else if name.eq_ignore_ascii_case(b"Identity") {
            let v = mask(value);
            v[..v.len().min(255)].to_vec()
        } else {
            continue;
        };
        out.push(n);
        out.extend_from_slice(name);
        out.extend_from_slice(&u32::try_from(value.len()).ok()?.to_be_bytes());
        out.extend_from_slice(&value);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ready_cmd(props: &[(&[u8], &[u8])]) -> Vec<u8> {
        let mut b = vec![5];
        b.extend_from_slice(b"READY");
        for (n, v) in props {
            b.push(u8::try_from(n.len()).unwrap());
            b.extend_from_slice(n);
            b.extend_from_slice(&u32::try_from(v.len()).unwrap().to_be_bytes());
            b.extend_from_slice(v);
        }
        b
    }

    #[test]
    fn only_known_commands_pass_and_ready_is_rebuilt_masked() {
        let value = "sk-proj-FAKE0command0test0000";
        let m = Masker::new([("OPENAI_API_KEY", value)].into_iter());
        let body = ready_cmd(&[
            (b"Socket-Type", b"ROUTER"),
            (b"Identity", value.as_bytes()),
            (b"X-Leak", value.as_bytes()),
        ]);
        let out = filter(&body, Some(&m)).unwrap();
        let text = String::from_utf8_lossy(&out);
        assert!(!text.contains(value) && !text.contains("X-Leak"), "{text}");
        assert!(text.contains("Socket-Type") && text.contains("[REDACTED:OPENAI_API_KEY]"));
        let mut unknown = vec![4];
        unknown.extend_from_slice(b"LEAK");
        unknown.extend_from_slice(value.as_bytes());
        assert!(filter(&unknown, Some(&m)).is_none());
        let mut err = vec![5];
        err.extend_from_slice(b"ERROR");
        err.push(u8::try_from(value.len()).unwrap());
        err.extend_from_slice(value.as_bytes());
        let out = filter(&err, Some(&m)).unwrap();
        assert!(!String::from_utf8_lossy(&out).contains(value));
        let bad_type = ready_cmd(&[(b"Socket-Type", value.as_bytes())]);
        assert!(filter(&bad_type, Some(&m)).is_none());
    }
}
