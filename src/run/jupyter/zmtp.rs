//! ZMTP 3.x framing, as far as a relay needs it (rfc.zeromq.org spec 37): the 64-byte
//! greeting (ours is fixed: ZMTP 3.1, NULL, no padding or filler of the peer's passes on;
//! the peer's is checked to be ZMTP 3 with the NULL mechanism, the only one Jupyter uses),
//! then frames: a flags byte (MORE, LONG, COMMAND), a 1- or 8-byte size, the body. Commands
//! are read whole and passed to the caller, which forwards only the ones it knows; message
//! frames are collected until one without MORE, and the whole message goes to the caller.
//! Works on any byte stream: TCP towards the client, a Unix socket towards the kernel.

use std::io::{self, BufReader, BufWriter, Read, Write};

use zeroize::Zeroizing;

/// More frames of this message follow.
const MORE: u8 = 0x01;
/// The size is 8 bytes, not 1.
const LONG: u8 = 0x02;
/// A command, not a message frame.
const COMMAND: u8 = 0x04;

/// The greeting's length in ZMTP 3.x.
const GREETING: usize = 64;

/// The largest frame the relay carries: far above any notebook output (an image, a plot);
/// a claim above it ends the connection before anything is allocated.
const MAX_FRAME: u64 = 64 << 20;
/// The largest message (all frames).
const MAX_MESSAGE: u64 = 256 << 20;

/// One frame of a message.
pub(super) type Frame = Zeroizing<Vec<u8>>;

fn invalid(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_owned())
}

/// The greeting we send to either side: signature, version 3.1, NULL, not as-server, and
/// zero filler; nothing of the other side's greeting goes through.
fn our_greeting() -> [u8; GREETING] {
    let mut g = [0u8; GREETING];
    g[0] = 0xFF;
    g[9] = 0x7F;
    g[10] = 3;
    g[11] = 1;
    g[12..16].copy_from_slice(b"NULL");
    g
}

/// Sends our greeting on `to` and reads the peer's from `from`, refusing what is not
/// ZMTP 3.x with the NULL mechanism. libzmq sends its signature and waits for ours before
/// sending the rest, so ours goes first, whole.
pub(super) fn greeting(from: &mut impl Read, to: &mut impl Write) -> io::Result<()> {
    to.write_all(&our_greeting())?;
    to.flush()?;
    let mut buf = [0u8; GREETING];
    from.read_exact(&mut buf)?;
    if buf[0] != 0xFF || buf[9] & 0x01 != 0x01 {
        return Err(invalid("not a ZMTP peer"));
    }
    if buf[10] < 3 {
        return Err(invalid("not ZMTP 3"));
    }
    if &buf[12..32] != b"NULL\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0" {
        return Err(invalid("not the NULL mechanism"));
    }
    Ok(())
}

/// What the next read brought.
pub(super) enum Read1 {
    /// A command frame (its body: name length, name, data).
    Command(Frame),
    /// A whole message.
    Message(Vec<Frame>),
    /// The peer closed the connection.
    End,
}

/// Reads frames from one side of a connection.
pub(super) struct Reader<R: Read>(BufReader<R>);

impl<R: Read> Reader<R> {
    pub(super) fn new(s: R) -> Self {
        Self(BufReader::with_capacity(64 * 1024, s))
    }

    /// The body of `size` bytes, grown as the bytes arrive (a claim is not a promise).
    fn body(&mut self, size: u64) -> io::Result<Frame> {
        let len = usize::try_from(size).map_err(|_| invalid("frame too large"))?;
        let mut body = Zeroizing::new(Vec::with_capacity(len.min(64 * 1024)));
        let mut chunk = [0u8; 16 * 1024];
        while body.len() < len {
            let want = (len - body.len()).min(chunk.len());
            self.0.read_exact(&mut chunk[..want])?;
            if body.capacity() - body.len() < want {
                // Grow by doubling, inside a zeroizing buffer, so no copy of a value is
                // left behind in a freed allocation.
                let mut bigger =
                    Zeroizing::new(Vec::with_capacity((body.capacity() * 2).clamp(want, len)));
                bigger.extend_from_slice(&body);
                body = bigger;
            }
            body.extend_from_slice(&chunk[..want]);
        }
        chunk.fill(0);
        Ok(body)
    }

    /// Whether bytes read from the stream wait in the buffer.
    pub(super) fn buffered(&self) -> bool {
        !self.0.buffer().is_empty()
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
            if size > MAX_FRAME || total > MAX_MESSAGE {
                return Err(invalid("message too large"));
            }
            let body = self.body(size)?;
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
pub(super) struct Writer<W: Write>(BufWriter<W>);

impl<W: Write> Writer<W> {
    pub(super) fn new(s: W) -> Self {
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
    use std::net::TcpStream;

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

    #[test]
    fn a_frame_claim_is_capped_and_not_allocated_before_its_bytes() {
        let (mut a, b) = pair();
        // 1 GiB claimed: refused before any allocation.
        a.write_all(&[LONG]).unwrap();
        a.write_all(&(1u64 << 30).to_be_bytes()).unwrap();
        assert!(Reader::new(b).next().is_err());
        // 32 MiB claimed, 3 bytes sent: the read ends with the connection, with a buffer
        // of the bytes that came (grown as they came).
        let (mut a, b) = pair();
        a.write_all(&[LONG]).unwrap();
        a.write_all(&(32u64 << 20).to_be_bytes()).unwrap();
        a.write_all(b"abc").unwrap();
        drop(a);
        let e = Reader::new(b).next().err().unwrap();
        assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
    }
}
