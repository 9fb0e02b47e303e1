//! Just enough HTTP/1.1 for the proxy (#15): a message head, and its body relayed as it
//! arrives (by `Content-Length`, chunks, or to the end), through a [`SwapStream`] for
//! responses. Each piece is flushed as it comes, so server-sent events stay live.

use std::io::{self, BufRead, Read, Write};

use super::swap::SwapStream;

/// The longest head accepted.
const MAX_HEAD: usize = 64 * 1024;

/// A request or response head.
pub(super) struct Head {
    /// The first line, without CRLF.
    pub(super) line: String,
    /// Headers in order.
    pub(super) headers: Vec<(String, Vec<u8>)>,
}

impl Head {
    /// The first value of `name`.
    pub(super) fn get(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_slice())
    }

    /// Whether a header `name` holds `token` (comma-separated, any case).
    pub(super) fn has_token(&self, name: &str, token: &str) -> bool {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .flat_map(|(_, v)| v.split(|b| *b == b','))
            .any(|t| t.trim_ascii().eq_ignore_ascii_case(token.as_bytes()))
    }

    /// Drops every header `name`.
    pub(super) fn remove(&mut self, name: &str) {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    }

    /// The head as bytes.
    pub(super) fn bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        out.extend_from_slice(self.line.as_bytes());
        out.extend_from_slice(b"\r\n");
        for (n, v) in &self.headers {
            out.extend_from_slice(n.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(v);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"\r\n");
        out
    }

    /// How the body is framed.
    pub(super) fn framing(&self) -> Framing {
        if self.has_token("transfer-encoding", "chunked") {
            return Framing::Chunked;
        }
        match self
            .get("content-length")
            .and_then(|v| std::str::from_utf8(v).ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
        {
            Some(n) => Framing::Length(n),
            None => Framing::ToEnd,
        }
    }
}

/// How a body ends.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Framing {
    /// No body.
    None,
    /// This many bytes.
    Length(u64),
    /// Chunked transfer coding.
    Chunked,
    /// Until the connection closes (responses only).
    ToEnd,
}

/// Reads a head; `None` at a clean end of the connection.
pub(super) fn read_head(r: &mut impl BufRead) -> io::Result<Option<Head>> {
    let mut raw = Vec::with_capacity(512);
    loop {
        let before = raw.len();
        let n = r
            .take((MAX_HEAD - raw.len()) as u64 + 1)
            .read_until(b'\n', &mut raw)?;
        if n == 0 {
            if raw.is_empty() {
                return Ok(None);
            }
            return Err(bad("the connection closed inside a head"));
        }
        if raw.len() > MAX_HEAD {
            return Err(bad("a head longer than 64 KiB"));
        }
        let line = &raw[before..];
        if (line == b"\r\n" || line == b"\n") && before > 0 {
            break;
        }
        if (line == b"\r\n" || line == b"\n") && before == 0 {
            // Tolerate a stray CRLF between messages.
            raw.clear();
        }
    }
    let text = String::from_utf8_lossy(&raw);
    let mut lines = text.split('\n').map(|l| l.trim_end_matches('\r'));
    let line = lines.next().unwrap_or_default().to_owned();
    let mut headers = Vec::new();
    for l in lines.filter(|l| !l.is_empty()) {
        let (n, v) = l
            .split_once(':')
            .ok_or_else(|| bad("a header line without a colon"))?;
        headers.push((n.trim().to_owned(), v.trim().as_bytes().to_vec()));
    }
    Ok(Some(Head { line, headers }))
}

/// An `InvalidData` error.
pub(super) fn bad(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_owned())
}

/// Copies a body from `r` to `w` as framed, swapping through `swap` when given.
pub(super) fn relay(
    r: &mut impl BufRead,
    w: &mut impl Write,
    framing: Framing,
    mut swap: Option<SwapStream<'_>>,
) -> io::Result<()> {
    let mut buf = vec![0u8; 16 * 1024];
    let mut pass = |w: &mut dyn Write, piece: &[u8], eof: bool, chunked: bool| -> io::Result<()> {
        let out = match swap.as_mut() {
            Some(s) => s.feed(piece, eof).to_vec(),
            None => piece.to_vec(),
        };
        if out.is_empty() {
            return Ok(());
        }
        if chunked {
            write!(w, "{:x}\r\n", out.len())?;
            w.write_all(&out)?;
            w.write_all(b"\r\n")?;
        } else {
            w.write_all(&out)?;
        }
        w.flush()
    };
    match framing {
        Framing::None => Ok(()),
        Framing::Length(mut left) => {
            while left > 0 {
                let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
                let n = r.read(&mut buf[..want])?;
                if n == 0 {
                    return Err(bad("the body ended early"));
                }
                left -= n as u64;
                pass(w, &buf[..n], left == 0, false)?;
            }
            Ok(())
        }
        Framing::ToEnd => loop {
            let n = r.read(&mut buf)?;
            pass(w, &buf[..n], n == 0, false)?;
            if n == 0 {
                return Ok(());
            }
        },
        Framing::Chunked => {
            loop {
                let mut line = Vec::new();
                r.take(1024).read_until(b'\n', &mut line)?;
                let size_text = String::from_utf8_lossy(&line);
                let size_text = size_text.trim().split(';').next().unwrap_or("").trim();
                let mut left = u64::from_str_radix(size_text, 16)
                    .map_err(|_| bad("a malformed chunk size"))?;
                if left == 0 {
                    pass(w, &[], true, true)?;
                    // Trailers, up to the empty line.
                    w.write_all(b"0\r\n")?;
                    loop {
                        let mut t = Vec::new();
                        r.take(8192).read_until(b'\n', &mut t)?;
                        w.write_all(&t)?;
                        if t.is_empty() || t == b"\r\n" || t == b"\n" {
                            break;
                        }
                    }
                    return w.flush();
                }
                while left > 0 {
                    let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
                    let n = r.read(&mut buf[..want])?;
                    if n == 0 {
                        return Err(bad("a chunk ended early"));
                    }
                    left -= n as u64;
                    pass(w, &buf[..n], false, true)?;
                }
                let mut crlf = Vec::new();
                r.take(2).read_until(b'\n', &mut crlf)?;
            }
        }
    }
}
