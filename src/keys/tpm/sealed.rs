//! A sealed object as the identity file keeps it (#19): its public and private areas, as
//! `TPM2_Load` takes them, and the name of the storage key it was sealed under.
//!
//! The file is input: what is read here is checked against itself (sizes) and, where it
//! decides what aisecrets does, against the TPM (`TPM2_Load` refuses a public area that is
//! not the private area's, so an edited one never loads).

use super::NO_DA;
use super::wire::{Malformed, Reader};

/// A sealed object: its `TPM2B_PUBLIC` and `TPM2B_PRIVATE`, size prefixes included, as
/// `TPM2_Load` takes them, and the name of the storage key it was sealed under.
pub struct Sealed {
    /// The public area (`TPM2B_PUBLIC`).
    pub public: Vec<u8>,
    /// The private area, encrypted and integrity-protected by the parent (`TPM2B_PRIVATE`).
    pub private: Vec<u8>,
    /// The parent's name as a `TPM2B_NAME`: the storage key whose public point keys the
    /// session salt is checked against it, so a stand-in for the TPM is refused before the
    /// PIN is used.
    pub parent: Vec<u8>,
}

impl Sealed {
    /// The three, one after the other.
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        [
            self.public.as_slice(),
            self.private.as_slice(),
            self.parent.as_slice(),
        ]
        .concat()
    }

    /// Parses what [`Sealed::to_bytes`] wrote.
    ///
    /// # Errors
    /// Sizes that do not add up to the bytes given.
    pub fn from_bytes(b: &[u8]) -> Result<Self, Malformed> {
        let mut r = Reader::new(b);
        let public = r.sized()?;
        let private = r.sized()?;
        let parent = r.sized()?;
        if !r.rest().is_empty() || public.is_empty() || private.is_empty() || parent.is_empty() {
            return Err(Malformed("sealed object"));
        }
        Ok(Self {
            public: prefixed(public),
            private: prefixed(private),
            parent: prefixed(parent),
        })
    }

    /// Whether the object needs a PIN: it was made without `noDA` (Part 2 §8.3), so the
    /// TPM counts wrong authorizations against it. Read from its public area, which the
    /// TPM binds to the private one, not from the file's `pin`/`nopin` word.
    ///
    /// # Errors
    /// The public area is too short to hold its attributes.
    pub fn needs_pin(&self) -> Result<bool, Malformed> {
        let mut r = Reader::new(&self.public);
        let mut area = Reader::new(r.sized()?);
        let (_type, _name_alg) = (area.u16()?, area.u16()?);
        Ok(area.u32()? & NO_DA == 0)
    }
}

/// A `TPM2B_*` again: `body` (read with its size, so under 64 KiB) after its u16 size.
pub(super) fn prefixed(body: &[u8]) -> Vec<u8> {
    let len = u16::try_from(body.len()).unwrap_or(u16::MAX);
    [&len.to_be_bytes()[..], body].concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_round_trip_and_junk() {
        let s = Sealed {
            public: vec![0, 2, 1, 2],
            private: vec![0, 1, 9],
            parent: vec![0, 1, 7],
        };
        let back = Sealed::from_bytes(&s.to_bytes()).unwrap();
        assert_eq!(
            (back.public, back.private, back.parent),
            (s.public, s.private, s.parent)
        );
        assert!(Sealed::from_bytes(&[0, 1, 1, 0, 1, 1, 0, 1, 1, 9]).is_err());
        assert!(Sealed::from_bytes(&[0, 2, 1]).is_err());
        assert!(Sealed::from_bytes(&[0, 1, 1, 0, 1, 1, 7]).is_err());
        assert!(Sealed::from_bytes(&[]).is_err());
    }

    #[test]
    fn the_pin_is_read_from_the_public_area() {
        let with = |attrs: u32| Sealed {
            public: [&[0, 8, 0, 8, 0, 0x0B][..], &attrs.to_be_bytes()].concat(),
            private: vec![0, 1, 9],
            parent: vec![0, 1, 7],
        };
        assert_eq!(with(0x52).needs_pin(), Ok(true));
        assert_eq!(with(0x452).needs_pin(), Ok(false));
        let short = Sealed {
            public: vec![0, 2, 0, 8],
            ..with(0)
        };
        assert!(short.needs_pin().is_err());
    }
}
