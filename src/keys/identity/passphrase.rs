//! Passphrase-protected identities: the scrypt work factor, encrypting a new identity, and
//! opening one with a passphrase typed on the terminal (a few tries) or given.

use std::io::Write as _;
use std::path::Path;

use age::armor::{ArmoredReader, ArmoredWriter, Format};
use age::secrecy::SecretString;
use zeroize::Zeroizing;

use crate::base::error::{Error, Result};
use crate::base::prompt;

/// The scrypt work factor (log2 N) of new identities: pinned, because the age crate
/// calibrates per build and a debug build would write weak files.
pub const WORK_FACTOR: u8 = 18;
/// The highest work factor aisecrets will spend time on when opening an identity.
pub const MAX_WORK_FACTOR: u8 = 22;

/// The scrypt work factor for new identities: [`WORK_FACTOR`], or
/// `AISECRETS_SCRYPT_WORK_FACTOR` (1 to 22), which the test suite sets low.
fn work_factor() -> u8 {
    std::env::var("AISECRETS_SCRYPT_WORK_FACTOR")
        .ok()
        .and_then(|v| v.parse::<u8>().ok())
        .filter(|n| (1..=MAX_WORK_FACTOR).contains(n))
        .unwrap_or(WORK_FACTOR)
}

pub(super) fn encrypt_with_passphrase(pass: SecretString, plain: &[u8]) -> Result<Vec<u8>> {
    let mut r = age::scrypt::Recipient::new(pass);
    r.set_work_factor(work_factor());
    let enc = age::Encryptor::with_recipients(std::iter::once(&r as &dyn age::Recipient)).map_err(
        |e| Error::BadIdentity {
            source_desc: "new identity".into(),
            reason: e.to_string(),
        },
    )?;
    let mut out = Vec::new();
    let io = |e: std::io::Error| Error::io("encrypt", "the new identity", e);
    let armor = ArmoredWriter::wrap_output(&mut out, Format::AsciiArmor).map_err(io)?;
    let mut w = enc.wrap_output(armor).map_err(io)?;
    w.write_all(plain).map_err(io)?;
    w.finish().and_then(ArmoredWriter::finish).map_err(io)?;
    Ok(out)
}

/// Opens a passphrase-protected identity file, asking on the terminal.
pub(super) fn decrypt_identity(text: &str, path: &Path) -> Result<Zeroizing<String>> {
    ask_and_open(
        text,
        path,
        "set AISECRETS_IDENTITY (CI) or AISECRETS_IDENTITY_FILE, or run this in a terminal",
    )
}

/// How many times a passphrase is asked on the terminal before giving up, as ssh and sudo.
pub const PASSPHRASE_TRIES: u8 = 3;

/// Asks for the passphrase on the terminal and opens the identity, up to
/// [`PASSPHRASE_TRIES`] times (#13): a typo costs a retype, not the whole command.
pub(super) fn ask_and_open(text: &str, path: &Path, hint: &str) -> Result<Zeroizing<String>> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let pass = prompt::hidden(
            &format!("Passphrase for {}: ", path.display()),
            "the identity's passphrase",
            hint,
        )?;
        match decrypt_identity_with(text, path, pass) {
            Err(Error::WrongPassphrase { .. }) if attempt < PASSPHRASE_TRIES => {
                crate::base::output::status("wrong passphrase, try again");
            }
            Err(Error::WrongPassphrase { path }) => {
                return Err(Error::PassphraseTries {
                    path,
                    tries: PASSPHRASE_TRIES,
                });
            }
            other => return other,
        }
    }
}

/// Opens a passphrase-protected identity with `pass`.
pub fn decrypt_identity_with(
    text: &str,
    path: &Path,
    pass: SecretString,
) -> Result<Zeroizing<String>> {
    let bad = |reason: String| Error::BadIdentity {
        source_desc: path.display().to_string(),
        reason,
    };
    let dec = age::Decryptor::new(ArmoredReader::new(text.as_bytes()))
        .map_err(|e| bad(format!("it is not a valid encrypted identity ({e})")))?;
    let mut id = age::scrypt::Identity::new(pass);
    id.set_max_work_factor(MAX_WORK_FACTOR);
    let mut r = match dec.decrypt(std::iter::once(&id as &dyn age::Identity)) {
        Ok(r) => r,
        Err(age::DecryptError::DecryptionFailed | age::DecryptError::NoMatchingKeys) => {
            return Err(Error::WrongPassphrase {
                path: path.to_owned(),
            });
        }
        Err(age::DecryptError::ExcessiveWork { required, .. }) => {
            return Err(bad(format!(
                "its scrypt work factor {required} is over the limit of {MAX_WORK_FACTOR}"
            )));
        }
        Err(e) => return Err(bad(format!("it does not open ({e})"))),
    };
    let mut plain = Zeroizing::new(String::new());
    std::io::Read::read_to_string(&mut r, &mut plain).map_err(|_| bad("it is damaged".into()))?;
    Ok(plain)
}
