//! Output printed in pieces (#18): a kernel that prints a value three characters at a time
//! (`print(k[i:i+3], end="", flush=True)`, as streaming LLM tokens come) sends it across
//! several `stream` messages, each too short to hold a value. Here each (parent message,
//! stream name) keeps `run --mask`'s streaming state: a trailing part of a message that may
//! begin a value (in any form) is held back and goes out with the next piece, masked, or on
//! its own after [`HOLD`] or before the next other message of the same cell. Messages stay
//! in kernel form (signed with the kernel's key), for `wire::to_client` to mask and sign.

use std::time::{Duration, Instant};

use serde_json::Value;
use zeroize::Zeroizing;

use super::wire;
use super::zmtp::Frame;
use crate::base::mask::{Masker, Stream};

/// How long held-back output waits for the rest.
pub(super) const HOLD: Duration = Duration::from_millis(200);

/// Streams with output held back, by (parent msg_id, stream name).
pub(super) struct Carry<'m> {
    masker: &'m Masker,
    held: Vec<Held<'m>>,
}

struct Held<'m> {
    parent: String,
    name: String,
    stream: Stream<'m>,
    /// The last message of this stream (kernel form), to send what is released in.
    template: Vec<Frame>,
    since: Instant,
    n: u32,
}

fn text_of(frame: &[u8]) -> Option<Value> {
    serde_json::from_slice(frame)
        .ok()
        .or_else(|| serde_json::from_str(&String::from_utf8_lossy(frame)).ok())
}

impl<'m> Carry<'m> {
    pub(super) fn new(masker: &'m Masker) -> Self {
        Self {
            masker,
            held: Vec::new(),
        }
    }

    /// When the oldest held output is due, if any is held.
    pub(super) fn due_at(&self) -> Option<Instant> {
        self.held.iter().map(|h| h.since + HOLD).min()
    }

    /// The messages to send for `frames` from the kernel (signed with `key`): a stream
    /// message with its tail held back, or the output held for its cell, then the message.
    pub(super) fn take(&mut self, frames: Vec<Frame>, key: &[u8]) -> Vec<Vec<Frame>> {
        let Some(d) = wire::delimiter(&frames) else {
            return vec![frames];
        };
        if !wire::verify(key, &frames[d + 1], &frames[d + 2..d + 6]) {
            return vec![frames]; // dropped by to_client
        }
        let header = text_of(&frames[d + 2]);
        let parent = text_of(&frames[d + 3])
            .and_then(|p| p.get("msg_id").and_then(Value::as_str).map(str::to_owned))
            .unwrap_or_default();
        let is_stream = header
            .as_ref()
            .and_then(|h| h.get("msg_type"))
            .and_then(Value::as_str)
            == Some("stream");
        let content = text_of(&frames[d + 5]);
        let piece = content.as_ref().and_then(|c| {
            Some((
                c.get("name")?.as_str()?.to_owned(),
                c.get("text")?.as_str()?.to_owned(),
            ))
        });
        let (true, Some((name, text)), Some(mut content)) = (is_stream, piece, content) else {
            // Another message of a cell with output held: that output goes first.
            let mut out = self.release(|h| h.parent == parent, key);
            out.push(frames);
            return out;
        };
        let i = match self
            .held
            .iter()
            .position(|h| h.parent == parent && h.name == name)
        {
            Some(i) => i,
            None => {
                self.held.push(Held {
                    parent,
                    name,
                    stream: self.masker.stream(),
                    template: Vec::new(),
                    since: Instant::now(),
                    n: 0,
                });
                self.held.len() - 1
            }
        };
        let h = &mut self.held[i];
        let now = h.stream.feed(text.as_bytes(), false);
        content["text"] = Value::String(String::from_utf8_lossy(&now).into_owned());
        let mut frames = frames;
        frames[d + 5] = Zeroizing::new(serde_json::to_vec(&content).unwrap_or_default());
        frames[d + 1] = Zeroizing::new(wire::sign(key, &frames[d + 2..d + 6]));
        h.since = Instant::now();
        h.template = frames.clone();
        if !h.stream.holding() {
            self.held.swap_remove(i);
        }
        if now.is_empty() {
            return Vec::new();
        }
        vec![frames]
    }

    /// The held output that is due, in messages of its own.
    pub(super) fn due(&mut self, key: &[u8]) -> Vec<Vec<Frame>> {
        let now = Instant::now();
        self.release(|h| h.since + HOLD <= now, key)
    }

    /// All held output (the kernel's side closed).
    pub(super) fn all(&mut self, key: &[u8]) -> Vec<Vec<Frame>> {
        self.release(|_| true, key)
    }

    /// Releases the streams `which` picks, each in a copy of its last message (a new
    /// msg_id) whose text is what was held, masked where it holds a whole value.
    fn release(&mut self, which: impl Fn(&Held<'_>) -> bool, key: &[u8]) -> Vec<Vec<Frame>> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < self.held.len() {
            if !which(&self.held[i]) {
                i += 1;
                continue;
            }
            let mut h = self.held.swap_remove(i);
            let text = h.stream.release();
            h.n += 1;
            if let Some(m) = rebuilt(&h.template, &text, h.n, key) {
                out.push(m);
            }
        }
        out
    }
}

/// `template` with `text` as its content's text and a new msg_id, signed with `key`.
fn rebuilt(template: &[Frame], text: &[u8], n: u32, key: &[u8]) -> Option<Vec<Frame>> {
    let d = wire::delimiter(template)?;
    let mut frames = template.to_vec();
    let mut header = text_of(&frames[d + 2])?;
    let id = header.get("msg_id").and_then(Value::as_str).unwrap_or("");
    header["msg_id"] = Value::String(format!("{id}-held{n}"));
    let mut content = text_of(&frames[d + 5])?;
    content["text"] = Value::String(String::from_utf8_lossy(text).into_owned());
    frames[d + 2] = Zeroizing::new(serde_json::to_vec(&header).ok()?);
    frames[d + 5] = Zeroizing::new(serde_json::to_vec(&content).ok()?);
    frames[d + 1] = Zeroizing::new(wire::sign(key, &frames[d + 2..d + 6]));
    Some(frames)
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALUE: &str = "sk-proj-FAKE0pieces0test0000";

    fn stream_msg(key: &[u8], id: &str, text: &str) -> Vec<Frame> {
        let parts: Vec<Frame> = [
            format!(r#"{{"msg_type":"stream","msg_id":"{id}"}}"#),
            r#"{"msg_id":"cell1"}"#.to_owned(),
            "{}".to_owned(),
            serde_json::json!({"name": "stdout", "text": text}).to_string(),
        ]
        .iter()
        .map(|s| Zeroizing::new(s.as_bytes().to_vec()))
        .collect();
        let mut f = vec![
            Zeroizing::new(b"stream.stdout".to_vec()),
            Zeroizing::new(b"<IDS|MSG>".to_vec()),
            Zeroizing::new(wire::sign(key, &parts)),
        ];
        f.extend(parts);
        f
    }

    #[test]
    fn a_value_printed_in_pieces_comes_out_masked() {
        let m = Masker::new([("OPENAI_API_KEY", VALUE)].into_iter());
        let mut carry = Carry::new(&m);
        let mut sent = String::new();
        for (i, piece) in VALUE.as_bytes().chunks(3).enumerate() {
            let piece = std::str::from_utf8(piece).unwrap();
            for out in carry.take(stream_msg(b"k", &format!("m{i}"), piece), b"k") {
                let c: Value = serde_json::from_slice(&out[6]).unwrap();
                sent.push_str(c["text"].as_str().unwrap());
                assert!(wire::verify(b"k", &out[2], &out[3..7]));
            }
        }
        // A tail that may begin a value is held; nothing more comes: it goes after HOLD.
        let now = carry.take(stream_msg(b"k", "t", " sk-pr"), b"k");
        let c: Value = serde_json::from_slice(&now[0][6]).unwrap();
        assert_eq!(c["text"], " ");
        sent.push(' ');
        assert!(carry.due_at().is_some());
        std::thread::sleep(HOLD);
        for out in carry.due(b"k") {
            let c: Value = serde_json::from_slice(&out[6]).unwrap();
            sent.push_str(c["text"].as_str().unwrap());
        }
        assert!(sent.ends_with(" sk-pr"), "{sent}");
        assert!(!sent.contains(VALUE), "{sent}");
        assert!(sent.contains("[REDACTED:OPENAI_API_KEY]"), "{sent}");
        assert!(carry.due_at().is_none());
    }
}
