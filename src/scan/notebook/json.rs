//! The JSON reader of the notebook filter (#18): it finds the places under
//! `cells[*].outputs` (string tokens, arrays of strings, keys, base64 data of binary MIME
//! types) without building a document, so that everything else is kept byte for byte.

use zeroize::Zeroizing;

/// Nesting deeper than this is treated as not JSON (no stack overflow on a hostile file).
const MAX_DEPTH: usize = 512;

/// Where a value sits in the notebook.
#[derive(Clone, Copy, PartialEq, Eq)]
enum At {
    /// The document.
    Top,
    /// The `cells` array.
    Cells,
    /// One cell.
    Cell,
    /// Anywhere under a cell's `outputs`.
    Outputs,
    /// The value of a binary MIME type under `outputs` (`"image/png": "iVBOR..."`).
    Binary,
    /// Anywhere else.
    Other,
}

/// One place to redact: a string token, or the strings of one array (one text to Jupyter).
pub(super) struct Unit {
    /// (start, end) of each string token, quotes included, in order.
    pub(super) tokens: Vec<(usize, usize)>,
    /// The data of a binary MIME type (base64, by nbformat's rules).
    pub(super) binary: bool,
}

/// Whether nbformat stores data of MIME type `mime` as base64 text: everything but text,
/// JSON, JavaScript and SVG (nbformat's `_is_json_mime` and the types it splits into lines).
fn binary_mime(mime: &[u8]) -> bool {
    let Ok(mime) = std::str::from_utf8(mime) else {
        return false;
    };
    let mime = mime.to_ascii_lowercase();
    mime.contains('/')
        && !(mime.starts_with("text/")
            || mime == "application/json"
            || mime.ends_with("+json")
            || mime == "application/javascript"
            || mime == "image/svg+xml")
}

/// The places under `cells[*].outputs` of the notebook `doc`, in order; `None` when it is
/// not JSON.
pub(super) fn units(doc: &[u8]) -> Option<Vec<Unit>> {
    let mut walk = Walk {
        b: doc,
        i: 0,
        units: Vec::new(),
    };
    walk.document().ok()?;
    Some(walk.units)
}

/// A JSON reader that notes the string tokens under `cells[*].outputs`.
struct Walk<'a> {
    b: &'a [u8],
    i: usize,
    units: Vec<Unit>,
}

/// Not JSON.
struct Invalid;

impl Walk<'_> {
    fn document(&mut self) -> Result<(), Invalid> {
        // A UTF-8 byte order mark is kept as it is.
        if self.b.starts_with(b"\xEF\xBB\xBF") {
            self.i = 3;
        }
        self.value(At::Top, 0)?;
        self.ws();
        if self.i == self.b.len() {
            Ok(())
        } else {
            Err(Invalid)
        }
    }

    fn ws(&mut self) {
        while self
            .b
            .get(self.i)
            .is_some_and(|c| matches!(c, b' ' | b'\t' | b'\n' | b'\r'))
        {
            self.i += 1;
        }
    }

    fn value(&mut self, at: At, depth: usize) -> Result<(), Invalid> {
        if depth > MAX_DEPTH {
            return Err(Invalid);
        }
        self.ws();
        match self.b.get(self.i) {
            Some(b'{') => self.object(at, depth),
            Some(b'[') => self.array(at, depth),
            Some(b'"') => {
                let (s, e) = self.string()?;
                if matches!(at, At::Outputs | At::Binary) {
                    self.units.push(Unit {
                        tokens: vec![(s, e)],
                        binary: at == At::Binary,
                    });
                }
                Ok(())
            }
            Some(_) => self.literal(),
            None => Err(Invalid),
        }
    }

    fn object(&mut self, at: At, depth: usize) -> Result<(), Invalid> {
        self.i += 1;
        self.ws();
        if self.b.get(self.i) == Some(&b'}') {
            self.i += 1;
            return Ok(());
        }
        loop {
            self.ws();
            if self.b.get(self.i) != Some(&b'"') {
                return Err(Invalid);
            }
            let (s, e) = self.string()?;
            let raw = &self.b[s + 1..e - 1];
            // Compared decoded: `"output\u0073"` is `outputs` to every JSON reader.
            let decoded = raw.contains(&b'\\').then(|| decode(raw)).flatten();
            let key: &[u8] = decoded.as_deref().map_or(raw, |d| d.as_slice());
            if matches!(at, At::Outputs | At::Binary) {
                // A key under outputs is output too (`{"<value>": 1}` as application/json).
                self.units.push(Unit {
                    tokens: vec![(s, e)],
                    binary: false,
                });
            }
            let inner = match (at, key) {
                (At::Top, b"cells") => At::Cells,
                (At::Outputs, mime) if binary_mime(mime) => At::Binary,
                (At::Cell, b"outputs") | (At::Outputs | At::Binary, _) => At::Outputs,
                _ => At::Other,
            };
            self.ws();
            if self.b.get(self.i) != Some(&b':') {
                return Err(Invalid);
            }
            self.i += 1;
            self.value(inner, depth + 1)?;
            self.ws();
            match self.b.get(self.i) {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    return Ok(());
                }
                _ => return Err(Invalid),
            }
        }
    }

    fn array(&mut self, at: At, depth: usize) -> Result<(), Invalid> {
        self.i += 1;
        let inner = match at {
            At::Cells => At::Cell,
            At::Outputs => At::Outputs,
            At::Binary => At::Binary,
            _ => At::Other,
        };
        self.ws();
        if self.b.get(self.i) == Some(&b']') {
            self.i += 1;
            return Ok(());
        }
        // An array of strings only is one text: its units become one.
        let first = self.units.len();
        let mut strings = true;
        loop {
            self.ws();
            strings &= self.b.get(self.i) == Some(&b'"');
            self.value(inner, depth + 1)?;
            self.ws();
            match self.b.get(self.i) {
                Some(b',') => self.i += 1,
                Some(b']') => {
                    self.i += 1;
                    if strings && self.units.len() > first + 1 {
                        let tokens = self.units.drain(first..).flat_map(|u| u.tokens).collect();
                        self.units.push(Unit {
                            tokens,
                            binary: at == At::Binary,
                        });
                    }
                    return Ok(());
                }
                _ => return Err(Invalid),
            }
        }
    }

    /// A string token: (start, end), quotes included.
    fn string(&mut self) -> Result<(usize, usize), Invalid> {
        let start = self.i;
        self.i += 1;
        loop {
            match self.b.get(self.i) {
                Some(b'"') => {
                    self.i += 1;
                    return Ok((start, self.i));
                }
                Some(b'\\') => self.i += 2,
                Some(c) if *c < 0x20 => return Err(Invalid),
                Some(_) => self.i += 1,
                None => return Err(Invalid),
            }
        }
    }

    /// `true`, `false`, `null` or a number.
    fn literal(&mut self) -> Result<(), Invalid> {
        let start = self.i;
        while self
            .b
            .get(self.i)
            .is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'+' | b'.'))
        {
            self.i += 1;
        }
        let word = &self.b[start..self.i];
        let number = word
            .first()
            .is_some_and(|c| c.is_ascii_digit() || *c == b'-')
            && std::str::from_utf8(word).is_ok_and(|w| w.parse::<f64>().is_ok());
        // NaN and the infinities as Python's json module writes them (nbformat uses it).
        if matches!(
            word,
            b"true" | b"false" | b"null" | b"NaN" | b"Infinity" | b"-Infinity"
        ) || number
        {
            Ok(())
        } else {
            Err(Invalid)
        }
    }
}

/// Decodes a JSON string token's contents; `None` when it does not decode to UTF-8 text
/// (a lone surrogate escape, raw bytes that are not UTF-8).
pub(super) fn decode(raw: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    let mut out = Zeroizing::new(Vec::with_capacity(raw.len()));
    let mut i = 0;
    let hex4 = |at: usize| -> Option<u32> {
        let h = raw.get(at..at + 4)?;
        u32::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok()
    };
    while i < raw.len() {
        let c = raw[i];
        if c != b'\\' {
            out.push(c);
            i += 1;
            continue;
        }
        let e = *raw.get(i + 1)?;
        i += 2;
        let ch = match e {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let hi = hex4(i)?;
                i += 4;
                let code = if (0xD800..0xDC00).contains(&hi) {
                    if raw.get(i..i + 2)? != b"\\u" {
                        return None;
                    }
                    let lo = hex4(i + 2)?;
                    if !(0xDC00..0xE000).contains(&lo) {
                        return None;
                    }
                    i += 6;
                    0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                } else {
                    hi
                };
                char::from_u32(code)?
            }
            _ => return None,
        };
        let mut buf = [0u8; 4];
        out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
    }
    std::str::from_utf8(&out).ok()?;
    Some(out)
}
