//! A salted HMAC session with AES-128-CFB parameter encryption (TPM 2.0 Part 1 §19.6,
//! §21, Annex C.6.2), so that neither the PIN nor the unsealed identity crosses the bus
//! between aisecrets and the TPM in the clear (#19).
//!
//! The salt is sent to the TPM encrypted to its storage primary key by ECDH on P-256: an
//! ephemeral key pair here, `Z` = x of the shared point, salt = KDFe(Z, "SECRET", Qe.x,
//! Qs.x). The session key is KDFa(salt, "ATH", nonceTPM, nonceCaller). A command's HMAC key
//! is sessionKey || authValue (the session is not bound), so the PIN never travels, not
//! even hashed; the response's HMAC is checked before anything in it is used, and its first
//! parameter (the unsealed data) is decrypted with KDFa(sessionKey || authValue, "CFB",
//! nonceTPM, nonceCaller).

use aes::cipher::{BlockEncrypt, KeyInit, generic_array::GenericArray};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::TpmError;
use super::wire::{Malformed, Reader};

type HmacSha256 = Hmac<Sha256>;

/// `TPMA_SESSION_ENCRYPT`: the TPM encrypts the response's first parameter.
pub const ENCRYPT: u8 = 0x40;
/// `TPMA_SESSION_DECRYPT`: the command's first parameter is encrypted.
pub const DECRYPT: u8 = 0x20;

/// KDFa (SP 800-108 counter mode, HMAC-SHA-256), Part 1 §11.4.10.2.
fn kdfa(key: &[u8], label: &str, u: &[u8], v: &[u8], bits: u32) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::new());
    let mut counter = 1u32;
    while out.len() * 8 < bits as usize {
        let Ok(mut mac) = <HmacSha256 as Mac>::new_from_slice(key) else {
            break; // HMAC takes keys of any length
        };
        mac.update(&counter.to_be_bytes());
        mac.update(label.as_bytes());
        mac.update(&[0]);
        mac.update(u);
        mac.update(v);
        mac.update(&bits.to_be_bytes());
        out.extend_from_slice(&mac.finalize().into_bytes());
        counter += 1;
    }
    out.truncate(bits as usize / 8);
    out
}

fn hmac(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let Ok(mut mac) = <HmacSha256 as Mac>::new_from_slice(key) else {
        return Vec::new();
    };
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().to_vec()
}

/// A fresh 32-byte nonce.
#[must_use]
pub fn nonce() -> [u8; 32] {
    rand::random()
}

/// The salt for a session, and what to send the TPM so it can compute it too.
pub struct Salt {
    /// The ephemeral public point (x, y), sent as `encryptedSalt`.
    pub point: (Vec<u8>, Vec<u8>),
    /// The salt itself.
    pub seed: Zeroizing<Vec<u8>>,
}

/// Makes a salt encrypted to the ECC P-256 key whose public point is (`x`, `y`).
///
/// # Errors
/// The point is not on P-256.
pub fn salt_for(x: &[u8], y: &[u8]) -> Result<Salt, TpmError> {
    use ring::agreement::{ECDH_P256, EphemeralPrivateKey, UnparsedPublicKey, agree_ephemeral};
    let bad = || TpmError::Malformed(Malformed("the storage key's public point"));
    if x.len() > 32 || y.len() > 32 {
        return Err(bad());
    }
    let mut peer = vec![4u8];
    for c in [x, y] {
        peer.extend(std::iter::repeat_n(0, 32 - c.len()));
        peer.extend_from_slice(c);
    }
    let rng = ring::rand::SystemRandom::new();
    let mine = EphemeralPrivateKey::generate(&ECDH_P256, &rng).map_err(|_| bad())?;
    let public = mine.compute_public_key().map_err(|_| bad())?;
    let public = public.as_ref();
    let (qx, qy) = (public[1..33].to_vec(), public[33..65].to_vec());
    let seed = agree_ephemeral(mine, &UnparsedPublicKey::new(&ECDH_P256, &peer), |z| {
        // KDFe (Part 1 §11.4.10.3): one SHA-256 block gives the 256 bits wanted.
        let mut h = Sha256::new();
        h.update(1u32.to_be_bytes());
        h.update(z);
        h.update(b"SECRET\0");
        h.update(&qx);
        h.update(&peer[1..33]);
        Zeroizing::new(h.finalize().to_vec())
    })
    .map_err(|_| bad())?;
    Ok(Salt {
        point: (qx, qy),
        seed,
    })
}

/// A started session: its handle, key, and the TPM's latest nonce.
pub struct Session {
    /// The session handle.
    pub handle: u32,
    key: Zeroizing<Vec<u8>>,
    nonce_tpm: Vec<u8>,
}

/// What one command sent: the nonce it used, and its authValue, to check the answer.
pub struct Sent {
    nonce_caller: [u8; 32],
    attrs: u8,
}

impl Session {
    /// The session `TPM2_StartAuthSession` opened with `salt` and `nonce_caller`.
    #[must_use]
    pub fn new(handle: u32, salt: &Salt, nonce_caller: &[u8], nonce_tpm: &[u8]) -> Self {
        Self {
            handle,
            key: kdfa(&salt.seed, "ATH", nonce_tpm, nonce_caller, 256),
            nonce_tpm: nonce_tpm.to_vec(),
        }
    }

    fn hmac_key(&self, auth_value: &[u8]) -> Zeroizing<Vec<u8>> {
        // The TPM drops an authValue's trailing zero bytes (Part 1 §19.6.5).
        let end = auth_value
            .iter()
            .rposition(|&b| b != 0)
            .map_or(0, |i| i + 1);
        Zeroizing::new([self.key.as_slice(), &auth_value[..end]].concat())
    }

    /// A new command in this session with `attrs`: its fresh nonce.
    #[must_use]
    pub fn begin(&self, attrs: u8) -> Sent {
        Sent {
            nonce_caller: nonce(),
            attrs,
        }
    }

    /// The authorization area (`TPMS_AUTH_COMMAND`, without the leading size) for the
    /// command `sent` began, whose cpHash (over its parameters as sent, encrypted) is
    /// `cp_hash`, authorizing an entity whose authValue is `auth_value`.
    #[must_use]
    pub fn authorize(&self, sent: &Sent, cp_hash: &[u8], auth_value: &[u8]) -> Vec<u8> {
        let mac = hmac(
            &self.hmac_key(auth_value),
            &[cp_hash, &sent.nonce_caller, &self.nonce_tpm, &[sent.attrs]],
        );
        let mut area = self.handle.to_be_bytes().to_vec();
        area.extend_from_slice(&32u16.to_be_bytes());
        area.extend_from_slice(&sent.nonce_caller);
        area.push(sent.attrs);
        area.extend_from_slice(&u16::try_from(mac.len()).unwrap_or(0).to_be_bytes());
        area.extend_from_slice(&mac);
        area
    }

    /// Checks the response's HMAC over `rp_hash` (`auth` is its authorization area) and
    /// takes its new nonce.
    ///
    /// # Errors
    /// A malformed area, or an HMAC that does not match: something between here and the
    /// TPM changed the answer.
    pub fn verify(
        &mut self,
        rp_hash: &[u8],
        auth_value: &[u8],
        sent: &Sent,
        auth: &[u8],
    ) -> Result<(), TpmError> {
        let mut r = Reader::new(auth);
        let nonce_tpm = r.sized()?.to_vec();
        let attrs = r.u8()?;
        let mac = r.sized()?;
        let want = hmac(
            &self.hmac_key(auth_value),
            &[rp_hash, &nonce_tpm, &sent.nonce_caller, &[attrs]],
        );
        let same: bool = subtle::ConstantTimeEq::ct_eq(mac, want.as_slice()).into();
        if !same {
            return Err(TpmError::Tampered);
        }
        self.nonce_tpm = nonce_tpm;
        Ok(())
    }

    /// Decrypts a response's first parameter (its buffer, after [`Session::verify`]).
    pub fn decrypt_response(&self, auth_value: &[u8], sent: &Sent, buf: &mut [u8]) {
        let key_iv = kdfa(
            &self.hmac_key(auth_value),
            "CFB",
            &self.nonce_tpm,
            &sent.nonce_caller,
            256,
        );
        cfb(&key_iv, buf, false);
    }

    /// Encrypts a command's first parameter (its buffer) for a command sent with `sent`.
    pub fn encrypt_command(&self, auth_value: &[u8], sent: &Sent, buf: &mut [u8]) {
        let key_iv = kdfa(
            &self.hmac_key(auth_value),
            "CFB",
            &sent.nonce_caller,
            &self.nonce_tpm,
            256,
        );
        cfb(&key_iv, buf, true);
    }
}

/// AES-128 in CFB mode (full-block feedback, as the TPM uses it), in place.
fn cfb(key_iv: &[u8], buf: &mut [u8], encrypt: bool) {
    let (Some(key), Some(iv)) = (key_iv.get(..16), key_iv.get(16..32)) else {
        return;
    };
    let aes = aes::Aes128::new(GenericArray::from_slice(key));
    let mut feedback = Zeroizing::new([0u8; 16]);
    feedback.copy_from_slice(iv);
    for chunk in buf.chunks_mut(16) {
        let mut block = GenericArray::clone_from_slice(&feedback[..]);
        aes.encrypt_block(&mut block);
        let mut cipher_text = [0u8; 16];
        for (i, c) in chunk.iter_mut().enumerate() {
            if !encrypt {
                cipher_text[i] = *c;
            }
            *c ^= block[i];
            if encrypt {
                cipher_text[i] = *c;
            }
        }
        feedback.copy_from_slice(&cipher_text);
    }
}

/// cpHash or rpHash: SHA-256 over the parts.
#[must_use]
pub fn digest(parts: &[&[u8]]) -> Vec<u8> {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cfb_round_trips_and_kdfa_is_deterministic() {
        let key_iv = kdfa(b"key", "CFB", b"u", b"v", 256);
        assert_eq!(key_iv.len(), 32);
        assert_eq!(key_iv, kdfa(b"key", "CFB", b"u", b"v", 256));
        let mut buf = *b"AGE-SECRET-KEY-1 and some more bytes";
        cfb(&key_iv, &mut buf, true);
        assert_ne!(&buf, b"AGE-SECRET-KEY-1 and some more bytes");
        cfb(&key_iv, &mut buf, false);
        assert_eq!(&buf, b"AGE-SECRET-KEY-1 and some more bytes");
    }
}
