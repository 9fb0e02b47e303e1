//! Swapping equal-length strings in a byte stream: real values back into placeholders in
//! what the upstream answers (#15). Bytes that could start a value are held until the next
//! piece decides, so a value split across chunks is still swapped; since both sides have
//! the same length, a body's length never changes.

use aho_corasick::{AhoCorasick, MatchKind};
use zeroize::Zeroizing;

/// The pairs to swap.
pub(super) struct Swapper {
    ac: Option<AhoCorasick>,
    from: Vec<Zeroizing<Vec<u8>>>,
    to: Vec<Vec<u8>>,
    max_len: usize,
}

impl Swapper {
    /// Swaps each `from` for its `to` (same length).
    pub(super) fn new(pairs: impl Iterator<Item = (Vec<u8>, Vec<u8>)>) -> Self {
        let (from, to): (Vec<Zeroizing<Vec<u8>>>, Vec<Vec<u8>>) = pairs
            .filter(|(f, t)| !f.is_empty() && f.len() == t.len())
            .map(|(f, t)| (Zeroizing::new(f), t))
            .unzip();
        let max_len = from.iter().map(|p| p.len()).max().unwrap_or(0);
        let ac = (!from.is_empty()).then(|| {
            AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostLongest)
                .build(from.iter().map(|p| p.as_slice()))
                .expect("a few keys build")
        });
        Self {
            ac,
            from,
            to,
            max_len,
        }
    }

    /// Swaps in a whole buffer, in place.
    pub(super) fn all(&self, buf: &mut [u8]) {
        let Some(ac) = &self.ac else { return };
        let found: Vec<_> = ac.find_iter(&*buf).collect();
        for m in found {
            buf[m.start()..m.end()].copy_from_slice(&self.to[m.pattern().as_usize()]);
        }
    }

    /// A stream state.
    pub(super) fn stream(&self) -> SwapStream<'_> {
        SwapStream {
            swapper: self,
            buf: Zeroizing::new(Vec::new()),
        }
    }
}

/// One stream being swapped.
pub(super) struct SwapStream<'a> {
    swapper: &'a Swapper,
    buf: Zeroizing<Vec<u8>>,
}

impl SwapStream<'_> {
    /// Feeds `input`; returns what can go on now (everything with `eof`).
    pub(super) fn feed(&mut self, input: &[u8], eof: bool) -> Zeroizing<Vec<u8>> {
        let s = self.swapper;
        self.buf.extend_from_slice(input);
        s.all(&mut self.buf);
        let hold = if eof { 0 } else { held(s, &self.buf) };
        let emit = self.buf.len() - hold;
        Zeroizing::new(self.buf.drain(..emit).collect())
    }
}

/// The longest suffix of `buf` that is a proper prefix of some value.
fn held(s: &Swapper, buf: &[u8]) -> usize {
    let longest = buf.len().min(s.max_len.saturating_sub(1));
    (1..=longest)
        .rev()
        .find(|&k| {
            let tail = &buf[buf.len() - k..];
            s.from.iter().any(|p| p.len() > k && p.starts_with(tail))
        })
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::Swapper;

    #[test]
    fn swaps_across_pieces() {
        let s = Swapper::new([(b"sk-REAL123".to_vec(), b"sk-PLAC456".to_vec())].into_iter());
        let mut st = s.stream();
        let mut out = Vec::new();
        for piece in [&b"a sk-RE"[..], b"AL1", b"23 b sk-", b"x"] {
            out.extend_from_slice(&st.feed(piece, false));
        }
        out.extend_from_slice(&st.feed(b"", true));
        assert_eq!(out, b"a sk-PLAC456 b sk-x");
    }
}
