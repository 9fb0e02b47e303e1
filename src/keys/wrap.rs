//! Age and its recipients: wrapping the data key to the environment's recipients and
//! unwrapping it with the user's identities, and parsing recipient public keys (a plugin
//! recipient only under `plugin_path`'s rule, threat model T4). Every call into `age` for the
//! data key is here.

use std::io::{Read, Write};

use age::armor::{ArmoredReader, ArmoredWriter, Format};
use anyhow::{anyhow, bail};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use zeroize::Zeroizing;

use crate::keys::plugin_path;
use crate::keys::seal::{DATA_KEY_LEN, DataKey};

/// The most recipient stanzas a `data_key` block may carry; more is refused before any
/// X25519 work is done (a crafted header could otherwise cost seconds).
pub const MAX_STANZAS: usize = 1024;

/// A boxed age identity.
pub type Identity = Box<dyn age::Identity + Send + Sync>;
/// A boxed age recipient.
pub type Recipient = Box<dyn age::Recipient + Send>;

/// Wraps the data key to `recipients` as an armored age file.
///
/// # Errors
/// age cannot encrypt to them (a plugin that fails, for one).
pub fn wrap_data_key(key: &DataKey, recipients: &[Recipient]) -> anyhow::Result<String> {
    let enc = age::Encryptor::with_recipients(
        recipients.iter().map(|r| r.as_ref() as &dyn age::Recipient),
    )?;
    let mut out = Vec::new();
    let armor = ArmoredWriter::wrap_output(&mut out, Format::AsciiArmor)?;
    let mut w = enc.wrap_output(armor)?;
    w.write_all(key.bytes())?;
    w.finish().and_then(ArmoredWriter::finish)?;
    Ok(String::from_utf8(out)?)
}

/// Why a `data_key` block could not be opened.
#[derive(Debug)]
pub enum UnwrapError {
    /// None of the identities is a recipient.
    NoMatch,
    /// The block is malformed, forged or not a data key; the text says which check failed.
    Invalid(String),
    /// An age plugin of the user's identity refused or failed (a wrong PIN, no key plugged
    /// in, no terminal to ask on); the text is one line, the plugin's own words sanitised.
    Plugin(String),
}

/// Opens an armored `data_key` block with `identities`.
pub fn unwrap_data_key(armored: &str, identities: &[Identity]) -> Result<DataKey, UnwrapError> {
    check_stanza_count(armored)?;
    // Undo the armor first and parse the header from one buffer: age's streaming header
    // parser re-parses from the start on every read, which is quadratic in the number of
    // recipients (100 recipients cost ~100 ms that way, well under 1 ms this way).
    let mut binary = Vec::with_capacity(armored.len());
    ArmoredReader::new(armored.as_bytes())
        .read_to_end(&mut binary)
        .map_err(|e| {
            UnwrapError::Invalid(format!("the data key block is not a valid age file ({e})"))
        })?;
    let dec = age::Decryptor::new_buffered(binary.as_slice()).map_err(|e| {
        UnwrapError::Invalid(format!("the data key block is not a valid age file ({e})"))
    })?;
    if dec.is_scrypt() {
        return Err(UnwrapError::Invalid(
            "the data key block is passphrase-encrypted, which aisecrets never writes".into(),
        ));
    }
    let mut r = match dec.decrypt(identities.iter().map(|i| i.as_ref() as &dyn age::Identity)) {
        Ok(r) => r,
        Err(age::DecryptError::NoMatchingKeys) => return Err(UnwrapError::NoMatch),
        Err(age::DecryptError::Plugin(errors)) => {
            return Err(UnwrapError::Plugin(plugin_errors(&errors)));
        }
        Err(e @ age::DecryptError::PluginResolve(_)) => {
            return Err(UnwrapError::Plugin(one_line(&e.to_string())));
        }
        Err(age::DecryptError::Io(e))
            if e.get_ref()
                .is_some_and(|i| i.downcast_ref::<PluginFailed>().is_some())
                || e.kind() == std::io::ErrorKind::ConnectionAborted =>
        {
            // A plugin that died says so in its first line (the rest suggests AGEDEBUG).
            return Err(UnwrapError::Plugin(one_line(&e.to_string())));
        }
        Err(e) => {
            return Err(UnwrapError::Invalid(format!(
                "the data key block does not open ({e})"
            )));
        }
    };
    let mut buf = Zeroizing::new(Vec::with_capacity(DATA_KEY_LEN));
    r.by_ref()
        .take(DATA_KEY_LEN as u64 + 1)
        .read_to_end(&mut buf)
        .map_err(|e| UnwrapError::Invalid(format!("the data key block is damaged ({e})")))?;
    DataKey::from_bytes(&buf).ok_or_else(|| {
        UnwrapError::Invalid("the data key block does not hold a 32-byte key".into())
    })
}

/// The errors a plugin reported, as one line. The text is the plugin's: each error on one
/// line, sanitised for the terminal and cut short.
fn plugin_errors(errors: &[impl std::fmt::Display]) -> String {
    let lines: Vec<String> = errors.iter().map(|e| one_line(&e.to_string())).collect();
    if lines.is_empty() {
        "an age plugin failed without saying why".to_owned()
    } else {
        lines.join("; ")
    }
}

/// The first line of a plugin's (or age's) message, safe to print.
pub(crate) fn one_line(text: &str) -> String {
    // age's messages wrap names in Unicode isolation marks (its i18n): not for a terminal.
    let text = text.replace(['\u{2068}', '\u{2069}'], "");
    crate::base::output::sanitize(text.lines().next().unwrap_or("").trim(), 300)
}

/// The error an identity's plugin gives when it failed in a way age reports as an I/O error
/// (it asked for a PIN with no terminal to ask on, it died, it never answered): the message is
/// the whole line the user sees.
#[derive(Debug)]
pub struct PluginFailed(pub String);

impl std::fmt::Display for PluginFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PluginFailed {}

/// Counts `-> ` stanza lines in the age header inside an armored block without any
/// public-key work, so a header with thousands of stanzas is refused cheaply.
fn check_stanza_count(armored: &str) -> Result<(), UnwrapError> {
    let body: String = armored
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<Vec<_>>()
        .concat();
    // Only the header matters; decode a bounded prefix (a stanza is at least ~50 bytes).
    let limit = (MAX_STANZAS + 2) * 120;
    let prefix = &body.as_bytes()[..body.len().min(limit / 3 * 4)];
    let prefix = &prefix[..prefix.len() / 4 * 4];
    let decoded = B64.decode(prefix).unwrap_or_default();
    let stanzas = decoded
        .split(|&b| b == b'\n')
        .take_while(|l| !l.starts_with(b"---"))
        .filter(|l| l.starts_with(b"-> "))
        .count();
    if stanzas > MAX_STANZAS {
        return Err(UnwrapError::Invalid(format!(
            "the data key block has too many recipient stanzas (over {MAX_STANZAS})"
        )));
    }
    Ok(())
}

/// Parses a recipient public key as the manifest stores it.
pub fn parse_recipient(key: &str) -> anyhow::Result<Recipient> {
    let key = key.trim();
    if key.starts_with("AGE-SECRET-KEY-") || key.contains("PRIVATE KEY") {
        bail!("this is a private key, not a public key; never share or commit it");
    }
    if key.starts_with("age1") {
        if let Ok(r) = key.parse::<age::x25519::Recipient>() {
            return Ok(Box::new(r));
        }
        // A plugin recipient is age1<name>1<data>: wrapping to it runs `age-plugin-<name>`.
        // It is only ever used after the user approved it (`recipients add` or `ack`), and
        // only from an absolute PATH entry outside the current folder (threat model T4).
        let is_plugin = key
            .strip_prefix("age1")
            .is_some_and(|rest| rest.contains('1') && !key.starts_with("age1pq"));
        if let (true, Ok(r)) = (is_plugin, key.parse::<age::plugin::Recipient>()) {
            let name = r.plugin().to_owned();
            plugin_path::check_plugin_path(&name)?;
            let plugin = age::plugin::RecipientPluginV1::new(
                &name,
                &[r],
                &[],
                crate::base::prompt::TtyCallbacks,
            )
            .map_err(|_| plugin_path::not_on_path(&format!("age-plugin-{name}")))?;
            return Ok(Box::new(plugin));
        }
        bail!("not a valid age public key (age1...)");
    }
    if key.starts_with("ssh-") {
        return match key.parse::<age::ssh::Recipient>() {
            Ok(r) => Ok(Box::new(r)),
            Err(age::ssh::ParseRecipientKeyError::Unsupported(t)) => Err(anyhow!(
                "unsupported SSH key type {}",
                crate::base::output::sanitize(&t, 40)
            )),
            Err(age::ssh::ParseRecipientKeyError::RsaModulusTooLarge) => {
                Err(anyhow!("SSH RSA key is larger than 4096 bits"))
            }
            Err(_) => Err(anyhow!("not a valid SSH public key")),
        };
    }
    bail!("expected an age public key (age1...) or an SSH public key (ssh-ed25519, ssh-rsa)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_unwrap() {
        let id = age::x25519::Identity::generate();
        let k = DataKey::generate();
        let armored = wrap_data_key(&k, &[Box::new(id.to_public())]).unwrap();
        let ids: Vec<Identity> = vec![Box::new(id)];
        let back = unwrap_data_key(&armored, &ids).unwrap();
        assert_eq!(back.key_id(), k.key_id());
        let other: Vec<Identity> = vec![Box::new(age::x25519::Identity::generate())];
        assert!(matches!(
            unwrap_data_key(&armored, &other),
            Err(UnwrapError::NoMatch)
        ));
    }
}
