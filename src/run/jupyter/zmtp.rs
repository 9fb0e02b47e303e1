//! ZMTP 3.x framing, as far as a relay needs it (rfc.zeromq.org spec 37): the 64-byte
//! greeting forwarded as it arrives (checked to be ZMTP 3 with the NULL mechanism, the only
//! one Jupyter uses), then frames: a flags byte (MORE, LONG, COMMAND), a 1- or 8-byte size,
//! the body. Commands (READY, SUBSCRIBE, PING...) pass through untouched; message frames are
//! collected until one without MORE, and the whole message goes to the caller.

use std::io::{self, BufReader, BufWriter, Read, Write};
use std::net::TcpStream;

use zeroize::Zeroizing;

/// More frames of this message follow.
const MORE: u8 = 0x01;
/// The size is 8 bytes, not 1.
const LONG: u8 = 0x02;
/// A command, not a message frame.
const COMMAND: u8 = 0x04;

/// The greeting's length in ZMTP 3.x.
const GREETING: usize = 64;

/// The largest message the relay carries (all frames): far above any notebook output, low
/// enough that a broken peer cannot make us allocate without bound.
const MAX_MESSAGE: u64 = 1 << 30;

/// One frame of a message.
pub(super) type Frame = Zeroizing<Vec<u8>>;

fn invalid(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_owned())
}

/// Copies the greeting from `from` to `to` byte by byte as it comes (libzmq sends its first
/// bytes and waits for the peer's before sending the rest), refusing what is not ZMTP 3.x
/// with the NULL mechanism.
pub(super) fn greeting(from: &mut TcpStream, to: &mut TcpStream) -> io::Result<()> {
    let mut buf = [0u8; GREETING];
    let mut got = 0;
    while got < GREETING {
        let n = from.read(&mut buf[got..])?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        let end = got + n;
        // Signature: 0xFF, 8 bytes of padding, 0x7F; then the major version.
        if buf[0] != 0xFF || (end > 9 && buf[9] & 0x01 != 0x01) {
            return Err(invalid("not a ZMTP peer"));
        }
        if end > 10 && buf[10] < 3 {
            return Err(invalid("not ZMTP 3"));
        }
        if end >= 32 && &buf[12..32] != b"NULL\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0" {
            return Err(invalid("not the NULL mechanism"));
        }
        to.write_all(&buf[got..end])?;
        got = end;
    }
    Ok(())
}

/// What the next read brought.
pub(super) enum Read1 {
    /// A command frame, to pass on as it is.
    Command(Frame),
    /// A whole message.
    Message(Vec<Frame>),
    /// The peer closed the connection.
    End,
}

/// Reads frames from one side of a connection.
pub(super) struct Reader(BufReader<TcpStream>);

impl Reader {
    pub(super) fn new(s: TcpStream) -> Self {
        Self(BufReader::with_capacity(64 * 1024, s))
    }

    /// The next command or whole message.
    pub(super) fn next(&mut self) -> io::Result<Read1> {
        let mut frames = Vec::new();
        let mut total = 0u64;
        loop {
            let mut flags = [0u8; 1];
            match self.0.read_exact(&mut flags) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof && frames.is_empty() => {
                    return Ok(Read1::End);
                }
                Err(e) => return Err(e),
            }
            let flags = flags[0];
            let size = if flags & LONG == 0 {
                let mut b = [0u8; 1];
                self.0.read_exact(&mut b)?;
                u64::from(b[0])
            } else {
                let mut b = [0u8; 8];
                self.0.read_exact(&mut b)?;
                u64::from_be_bytes(b)
            };
            total = total.saturating_add(size);
            if total > MAX_MESSAGE {
                return Err(invalid("message too large"));
            }
            let len = usize::try_from(size).map_err(|_| invalid("frame too large"))?;
            let mut body = Zeroizing::new(vec![0u8; len]);
            self.0.read_exact(&mut body)?;
            if flags & COMMAND != 0 {
                if !frames.is_empty() {
                    return Err(invalid("a command inside a message"));
                }
                return Ok(Read1::Command(body));
            }
            frames.push(body);
            if flags & MORE == 0 {
                return Ok(Read1::Message(frames));
            }
        }
    }
}

/// Writes frames to one side of a connection.
pub(super) struct Writer(BufWriter<TcpStream>);

impl Writer {
    pub(super) fn new(s: TcpStream) -> Self {
        Self(BufWriter::with_capacity(64 * 1024, s))
    }

    fn frame(&mut self, flags: u8, body: &[u8]) -> io::Result<()> {
        if let Ok(short) = u8::try_from(body.len()) {
            self.0.write_all(&[flags, short])?;
        } else {
            self.0.write_all(&[flags | LONG])?;
            self.0.write_all(&(body.len() as u64).to_be_bytes())?;
        }
        self.0.write_all(body)
    }

    /// Sends a command frame.
    pub(super) fn command(&mut self, body: &[u8]) -> io::Result<()> {
        self.frame(COMMAND, body)?;
        self.0.flush()
    }

    /// Sends a message; a message without frames is not sent.
    pub(super) fn message(&mut self, frames: &[Frame]) -> io::Result<()> {
        for (i, f) in frames.iter().enumerate() {
            let more = if i + 1 < frames.len() { MORE } else { 0 };
            self.frame(more, f)?;
        }
        self.0.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair() -> (TcpStream, TcpStream) {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let a = TcpStream::connect(l.local_addr().unwrap()).unwrap();
        let (b, _) = l.accept().unwrap();
        (a, b)
    }

    #[test]
    fn frames_round_trip_short_long_and_commands() {
        let (a, b) = pair();
        let mut w = Writer::new(a);
        let long = Zeroizing::new(vec![7u8; 300]);
        w.command(b"\x05READY").unwrap();
        w.message(&[Zeroizing::new(b"x".to_vec()), long.clone()])
            .unwrap();
        drop(w);
        let mut r = Reader::new(b);
        assert!(matches!(r.next().unwrap(), Read1::Command(c) if c.as_slice() == b"\x05READY"));
        match r.next().unwrap() {
            Read1::Message(m) => {
                assert_eq!(m.len(), 2);
                assert_eq!(m[1].as_slice(), long.as_slice());
            }
            _ => panic!("a message"),
        }
        assert!(matches!(r.next().unwrap(), Read1::End));
    }

    #[test]
    fn a_greeting_that_is_not_zmtp3_null_is_refused() {
        let (mut a, mut b) = pair();
        let (mut c, _d) = pair();
        let mut g = [0u8; 64];
        g[0] = 0xFF;
        g[9] = 0x7F;
        g[10] = 3;
        g[12..17].copy_from_slice(b"CURVE");
        a.write_all(&g).unwrap();
        assert!(greeting(&mut b, &mut c).is_err());
    }
}
