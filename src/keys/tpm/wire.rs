//! TPM 2.0 wire format: building commands and reading responses, big-endian as the TCG
//! "TPM 2.0 Library, Part 1: Architecture" §18 and "Part 3: Commands" lay them out.
//!
//! A response is input from a device or a socket: every read here is bounds-checked and
//! returns an error instead of panicking, whatever the bytes (a fuzz target drives
//! [`Response::parse`] and [`Reader`]).

use zeroize::Zeroizing;

/// `TPM_ST_NO_SESSIONS`: a command or response without an authorization area.
pub const ST_NO_SESSIONS: u16 = 0x8001;
/// `TPM_ST_SESSIONS`: a command or response with one.
pub const ST_SESSIONS: u16 = 0x8002;
/// `TPM_RS_PW`: the password session handle.
const RS_PW: u32 = 0x4000_0009;
/// The largest response read (`TPM_MAX_COMMAND_SIZE` is 4096 on every TPM we know).
pub const MAX_RESPONSE: usize = 8192;
/// A response header: tag, size, response code.
pub const HEADER: usize = 10;

/// A malformed response: shorter than it says, or with a field past its end.
#[derive(Debug, PartialEq, Eq)]
pub struct Malformed(pub &'static str);

impl std::fmt::Display for Malformed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "malformed TPM response ({})", self.0)
    }
}

impl std::error::Error for Malformed {}

/// A command being built; the buffer is zeroed on drop, as it may hold a PIN or a key.
pub struct Command {
    buf: Zeroizing<Vec<u8>>,
}

impl Command {
    /// A command with `code`, with an authorization area when `sessions`.
    #[must_use]
    pub fn new(code: u32, sessions: bool) -> Self {
        let mut c = Self {
            buf: Zeroizing::new(Vec::with_capacity(256)),
        };
        c.u16(if sessions {
            ST_SESSIONS
        } else {
            ST_NO_SESSIONS
        });
        c.u32(0); // size, set by `finish`
        c.u32(code);
        c
    }

    /// Appends a big-endian u8.
    pub fn u8(&mut self, v: u8) -> &mut Self {
        self.buf.push(v);
        self
    }

    /// Appends a big-endian u16.
    pub fn u16(&mut self, v: u16) -> &mut Self {
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }

    /// Appends a big-endian u32.
    pub fn u32(&mut self, v: u32) -> &mut Self {
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }

    /// Appends raw bytes.
    pub fn bytes(&mut self, b: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(b);
        self
    }

    /// Appends a `TPM2B_*`: a u16 size, then the bytes (callers keep them under 64 KiB).
    pub fn sized(&mut self, b: &[u8]) -> &mut Self {
        self.u16(u16::try_from(b.len()).unwrap_or(u16::MAX));
        self.bytes(&b[..b.len().min(usize::from(u16::MAX))])
    }

    /// Appends a `TPM2B_*` whose body is built by `f` (its size is patched in after).
    pub fn sized_with(&mut self, f: impl FnOnce(&mut Self)) -> &mut Self {
        let at = self.buf.len();
        self.u16(0);
        f(self);
        let len = u16::try_from(self.buf.len() - at - 2).unwrap_or(u16::MAX);
        self.buf[at..at + 2].copy_from_slice(&len.to_be_bytes());
        self
    }

    /// Appends an authorization area with one password session holding `password`
    /// (`TPMS_AUTH_COMMAND`, Part 1 §19.8.4).
    pub fn password_auth(&mut self, password: &[u8]) -> &mut Self {
        let area = 4 + 2 + 1 + 2 + password.len();
        self.u32(u32::try_from(area).unwrap_or(u32::MAX));
        self.u32(RS_PW).u16(0).u8(0).sized(password)
    }

    /// Appends an authorization area holding one session's `TPMS_AUTH_COMMAND`.
    pub fn auth_area(&mut self, area: &[u8]) -> &mut Self {
        self.u32(u32::try_from(area.len()).unwrap_or(u32::MAX));
        self.bytes(area)
    }

    /// The finished command bytes, with the size field set.
    #[must_use]
    pub fn finish(mut self) -> Zeroizing<Vec<u8>> {
        let len = u32::try_from(self.buf.len()).unwrap_or(u32::MAX);
        self.buf[2..6].copy_from_slice(&len.to_be_bytes());
        self.buf
    }
}

/// A bounds-checked reader over response bytes.
pub struct Reader<'a> {
    data: &'a [u8],
}

impl<'a> Reader<'a> {
    /// A reader over `data`.
    #[must_use]
    pub fn new(data: &'a [u8]) -> Self {
        Self { data }
    }

    /// The next `n` bytes.
    ///
    /// # Errors
    /// Fewer than `n` bytes are left.
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], Malformed> {
        if self.data.len() < n {
            return Err(Malformed("a field runs past its end"));
        }
        let (head, rest) = self.data.split_at(n);
        self.data = rest;
        Ok(head)
    }

    /// A big-endian u8.
    ///
    /// # Errors
    /// The response ends first.
    pub fn u8(&mut self) -> Result<u8, Malformed> {
        Ok(self.take(1)?[0])
    }

    /// A big-endian u16.
    ///
    /// # Errors
    /// The response ends first.
    pub fn u16(&mut self) -> Result<u16, Malformed> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    /// A big-endian u32.
    ///
    /// # Errors
    /// The response ends first.
    pub fn u32(&mut self) -> Result<u32, Malformed> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A `TPM2B_*`'s body.
    ///
    /// # Errors
    /// The size runs past the end.
    pub fn sized(&mut self) -> Result<&'a [u8], Malformed> {
        let n = self.u16()?;
        self.take(usize::from(n))
    }

    /// What is left.
    #[must_use]
    pub fn rest(&self) -> &'a [u8] {
        self.data
    }
}

/// A parsed response: its code, and its body after the header.
pub struct Response<'a> {
    /// The tag (`TPM_ST_SESSIONS` or `TPM_ST_NO_SESSIONS`).
    pub tag: u16,
    /// The response code; 0 is success.
    pub code: u32,
    /// Handles, parameters and authorization area, as the command defines them.
    pub body: &'a [u8],
}

impl<'a> Response<'a> {
    /// Parses a whole response: the size in the header must be the length read.
    ///
    /// # Errors
    /// Shorter than a header, a size that does not match, or an unknown tag.
    pub fn parse(data: &'a [u8]) -> Result<Self, Malformed> {
        let mut r = Reader::new(data);
        let tag = r.u16()?;
        let size = r.u32()?;
        let code = r.u32()?;
        if usize::try_from(size).ok() != Some(data.len()) {
            return Err(Malformed("its size field does not match its length"));
        }
        if tag != ST_SESSIONS && tag != ST_NO_SESSIONS {
            return Err(Malformed("unknown tag"));
        }
        Ok(Self {
            tag,
            code,
            body: r.rest(),
        })
    }

    /// The response parameters: after `handles` handles, and (with sessions) the
    /// parameter size, which bounds them.
    ///
    /// # Errors
    /// The body is shorter than its handles or its parameter size says.
    pub fn params(&self, handles: usize) -> Result<(Vec<u32>, Reader<'a>), Malformed> {
        let mut r = Reader::new(self.body);
        let mut hs = Vec::with_capacity(handles);
        for _ in 0..handles {
            hs.push(r.u32()?);
        }
        if self.tag == ST_SESSIONS {
            let n = r.u32()?;
            let n = usize::try_from(n).map_err(|_| Malformed("parameter size"))?;
            return Ok((hs, Reader::new(r.take(n)?)));
        }
        Ok((hs, r))
    }
}

impl<'a> Response<'a> {
    /// With sessions and no handles: the raw parameter bytes (for the response HMAC), and
    /// the authorization area after them.
    ///
    /// # Errors
    /// Not a response with sessions, or shorter than its sizes say.
    pub fn split(&self) -> Result<(&'a [u8], &'a [u8]), Malformed> {
        if self.tag != ST_SESSIONS {
            return Err(Malformed("no authorization area"));
        }
        let mut r = Reader::new(self.body);
        let n = usize::try_from(r.u32()?).map_err(|_| Malformed("parameter size"))?;
        let params = r.take(n)?;
        Ok((params, r.rest()))
    }
}

/// The total size a response header announces, to know how much more to read from a
/// stream; `None` when it is out of bounds.
#[must_use]
pub fn announced_size(header: &[u8; HEADER]) -> Option<usize> {
    let size = u32::from_be_bytes([header[2], header[3], header[4], header[5]]);
    usize::try_from(size)
        .ok()
        .filter(|n| (HEADER..=MAX_RESPONSE).contains(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_carry_their_size_and_password_area() {
        let mut c = Command::new(0x15E, true);
        c.u32(0x8000_0001).password_auth(b"1234");
        let bytes = c.finish();
        assert_eq!(&bytes[0..2], &ST_SESSIONS.to_be_bytes());
        assert_eq!(
            u32::from_be_bytes(bytes[2..6].try_into().unwrap()) as usize,
            bytes.len()
        );
        assert_eq!(&bytes[14..18], &13u32.to_be_bytes());
        assert!(bytes.ends_with(&[0, 4, b'1', b'2', b'3', b'4']));
    }

    #[test]
    fn malformed_responses_are_errors_not_panics() {
        assert!(Response::parse(b"").is_err());
        assert!(Response::parse(&[0x80, 0x01, 0, 0, 0, 10, 0, 0]).is_err());
        assert!(Response::parse(&[0x80, 0x01, 0, 0, 0, 99, 0, 0, 0, 0]).is_err());
        assert!(Response::parse(&[0x12, 0x34, 0, 0, 0, 10, 0, 0, 0, 0]).is_err());
        let ok = [0x80, 0x02, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0];
        let r = Response::parse(&ok).unwrap();
        assert!(r.params(0).is_err(), "parameter size past the end");
        let mut rd = Reader::new(&[0, 5, 1]);
        assert!(rd.sized().is_err());
        assert!(announced_size(&[0x80, 1, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]).is_none());
        assert!(announced_size(&[0x80, 1, 0, 0, 0, 3, 0, 0, 0, 0]).is_none());
    }
}
