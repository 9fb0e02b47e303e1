//! Plugin identities: `AGE-PLUGIN-<NAME>-1...` lines in an identity file, as
//! age-plugin-yubikey and other age plugins write them, whose key stays in the plugin's device.
//! This module finds them and the recipient the file's comments name (read without running
//! anything), and opens them through their plugin: only under the PATH rule of plugin
//! recipients (`plugin_path::check_plugin_path`, threat model T4), with the plugin's messages, questions
//! and PIN prompts on the terminal, and with one clear line when there is no terminal to ask on.
//!
//! Without a terminal, a plugin that never answers (a device that waits for a touch nobody
//! sees) is given [`ANSWER_WITHIN`]; `AISECRETS_TEST_PLUGIN_TIMEOUT` (seconds, internal: the
//! test suite's) may only shorten that.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

use age::secrecy::SecretString;
use age_core::format::{FileKey, Stanza};

use super::{Keys, Source};
use crate::base::error::{Error, Result};
use crate::base::prompt;
use crate::keys::plugin_path;
use crate::keys::wrap::{self, Identity, PluginFailed};

/// What an identity file's plugin identities say about themselves, read without running
/// anything.
pub struct Plugged {
    /// The plugins' names (`yubikey` for `age-plugin-yubikey`), in file order, once each.
    pub plugins: Vec<String>,
    /// The recipient the file names for its first plugin identity (a comment line
    /// `# Recipient: age1...`, `# recipient: age1...` or `# public key: age1...` just above
    /// it), when it names a valid one.
    pub recipient: Option<String>,
}

impl Plugged {
    /// The plugins' program names: `age-plugin-yubikey`, comma-separated.
    #[must_use]
    pub fn binaries(&self) -> String {
        self.plugins
            .iter()
            .map(|p| format!("age-plugin-{p}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The plugin identities of the identity in use, without running or unlocking anything;
/// `None` when it holds none (or is passphrase-protected, so its lines cannot be read).
pub fn plugin_in_use() -> Result<Option<Plugged>> {
    Ok(Source::resolve()?.plugged())
}

/// The recipient of a plugin identity, for `identity show`, `init` and `request-access`; the
/// error says how to find it when the file names none.
pub(super) fn recipient(plugged: &Plugged, source_desc: &str) -> Result<String> {
    plugged.recipient.clone().ok_or_else(|| Error::BadIdentity {
        source_desc: source_desc.to_owned(),
        reason: format!(
            "it holds an {} identity and names no recipient (no `# recipient: age1...` comment line above it): get the recipient from the plugin (age-plugin-yubikey: `age-plugin-yubikey --list`) and add that line",
            plugged.binaries()
        ),
    })
}

impl Source {
    /// The plugin identities of this source, read without running anything.
    pub(super) fn plugged(&self) -> Option<Plugged> {
        match self {
            Self::Env(text) => inspect(text),
            Self::File(path) | Self::Stored(path) => {
                let text = super::read_identity_text(path).ok()?;
                inspect(&text)
            }
        }
    }
}

/// The recipient a comment line names, when it is one: `# Recipient: age1...` (as
/// age-plugin-yubikey writes), `# recipient: age1...` (the age-plugin SDK), or
/// `# public key: age1...` (age-keygen, and plugins that follow it).
fn comment_recipient(line: &str) -> Option<String> {
    let body = line.strip_prefix('#')?.trim();
    let (key, value) = body.split_once(':')?;
    let key = key.trim().to_ascii_lowercase();
    if key != "recipient" && key != "public key" {
        return None;
    }
    let value = value.trim();
    let valid = value.parse::<age::x25519::Recipient>().is_ok()
        || value.parse::<age::plugin::Recipient>().is_ok();
    valid.then(|| value.to_owned())
}

/// Reads identity text; `None` when it holds no plugin identity.
pub(super) fn inspect(text: &str) -> Option<Plugged> {
    let mut plugins: Vec<String> = Vec::new();
    let mut recipient = None;
    // The recipient comment of the block of comments just above the current line.
    let mut named: Option<String> = None;
    for line in text.lines().map(str::trim) {
        if line.starts_with('#') {
            if let Some(r) = comment_recipient(line) {
                named = Some(r);
            }
            continue;
        }
        if line.is_empty() {
            continue;
        }
        if let Ok(id) = line.parse::<age::plugin::Identity>() {
            if plugins.is_empty() {
                recipient = named.take();
            }
            if !plugins.iter().any(|p| p == id.plugin()) {
                plugins.push(id.plugin().to_owned());
            }
        }
        named = None;
    }
    (!plugins.is_empty()).then_some(Plugged { plugins, recipient })
}

/// Opens identity text that holds plugin identities; `None` when it holds none. Native
/// X25519 keys in the same file come first, so a software key that opens a file spares the
/// plugin's PIN or touch; each plugin is run (later, when a file is opened) only after the
/// PATH rule has passed.
pub(super) fn open(text: &str, source_desc: &str) -> Result<Option<Keys>> {
    let Some(plugged) = inspect(text) else {
        return Ok(None);
    };
    let bad = |reason: String| Error::BadIdentity {
        source_desc: source_desc.to_owned(),
        reason,
    };
    let mut identities: Vec<Identity> = Vec::new();
    let mut public = None;
    let mut by_plugin: Vec<(String, Vec<age::plugin::Identity>)> = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with("AGE-SECRET-KEY-1") {
            let id = line
                .parse::<age::x25519::Identity>()
                .map_err(|_| bad("it holds an invalid AGE-SECRET-KEY-1 line".into()))?;
            public.get_or_insert_with(|| id.to_public().to_string());
            identities.push(Box::new(id));
        } else if let Ok(id) = line.parse::<age::plugin::Identity>() {
            match by_plugin.iter_mut().find(|(name, _)| name == id.plugin()) {
                Some((_, ids)) => ids.push(id),
                None => by_plugin.push((id.plugin().to_owned(), vec![id])),
            }
        }
    }
    let native = identities.len();
    for (name, ids) in by_plugin {
        // The PATH rule's refusals are about PATH, not the identity file.
        plugin_path::check_plugin_path(&name).map_err(|e| Error::Failed(e.to_string()))?;
        let asked = Arc::new(AtomicU8::new(ASKED_NOTHING));
        let prompts = PluginPrompts {
            asked: Arc::clone(&asked),
        };
        let plugin = age::plugin::IdentityPluginV1::new(&name, &ids, prompts).map_err(|_| {
            Error::Failed(plugin_path::not_on_path(&format!("age-plugin-{name}")).to_string())
        })?;
        identities.push(Box::new(Guarded {
            plugin: Arc::new(plugin),
            binary: format!("age-plugin-{name}"),
            asked,
        }));
    }
    Ok(Some(Keys {
        identities,
        public: public.or(plugged.recipient),
        native,
    }))
}

const ASKED_NOTHING: u8 = 0;
const ASKED_SECRET: u8 = 1;
const ASKED_QUESTION: u8 = 2;

/// The terminal callbacks ([`prompt::TtyCallbacks`]), noting what the plugin asked for when
/// there was no terminal to ask on.
#[derive(Clone)]
struct PluginPrompts {
    asked: Arc<AtomicU8>,
}

impl PluginPrompts {
    /// Whether a terminal can be asked on; if not, notes `what` was wanted.
    fn terminal_for(&self, what: u8) -> bool {
        let ok = prompt::has_terminal();
        if !ok {
            self.asked.store(what, Ordering::SeqCst);
        }
        ok
    }
}

impl age::Callbacks for PluginPrompts {
    fn display_message(&self, message: &str) {
        prompt::TtyCallbacks.display_message(message);
    }

    fn confirm(&self, message: &str, yes: &str, no: Option<&str>) -> Option<bool> {
        if !self.terminal_for(ASKED_QUESTION) {
            return None;
        }
        prompt::TtyCallbacks.confirm(message, yes, no)
    }

    fn request_public_string(&self, description: &str) -> Option<String> {
        if !self.terminal_for(ASKED_QUESTION) {
            return None;
        }
        prompt::TtyCallbacks.request_public_string(description)
    }

    fn request_passphrase(&self, description: &str) -> Option<SecretString> {
        if !self.terminal_for(ASKED_SECRET) {
            return None;
        }
        prompt::TtyCallbacks.request_passphrase(description)
    }
}

/// A plugin identity that turns "the plugin asked, and nobody could answer" into one line
/// saying to run from a terminal, instead of the plugin's own puzzled error.
struct Guarded {
    plugin: Arc<age::plugin::IdentityPluginV1<PluginPrompts>>,
    binary: String,
    asked: Arc<AtomicU8>,
}

impl age::Identity for Guarded {
    fn unwrap_stanza(&self, stanza: &Stanza) -> Option<Result<FileKey, age::DecryptError>> {
        self.unwrap_stanzas(std::slice::from_ref(stanza))
    }

    fn unwrap_stanzas(&self, stanzas: &[Stanza]) -> Option<Result<FileKey, age::DecryptError>> {
        self.asked.store(ASKED_NOTHING, Ordering::SeqCst);
        let out = if prompt::has_terminal() {
            self.plugin.unwrap_stanzas(stanzas)
        } else {
            self.unwrap_within(stanzas, answer_within())
        };
        let what = match (self.asked.load(Ordering::SeqCst), out) {
            (ASKED_SECRET, out) if !matches!(out, Some(Ok(_))) => "its PIN",
            (ASKED_QUESTION, out) if !matches!(out, Some(Ok(_))) => "an answer",
            // A plugin that died (a broken pipe, an early end) is the plugin's failure, not a
            // damaged file.
            (_, Some(Err(age::DecryptError::Io(e)))) => {
                return Some(Err(age::DecryptError::Io(std::io::Error::other(
                    PluginFailed(format!(
                        "{} ended without answering ({}): check that it runs, and reinstall it if it does not",
                        self.binary,
                        wrap::one_line(&e.to_string())
                    )),
                ))));
            }
            (_, out) => return out,
        };
        Some(Err(age::DecryptError::Io(std::io::Error::other(
            PluginFailed(format!(
                "{} asked for {what} and there is no terminal to ask on; run this command from a terminal, or use AISECRETS_IDENTITY on a machine without one",
                self.binary
            )),
        ))))
    }
}

/// How long a plugin is given to answer when there is no terminal to show its messages on.
const ANSWER_WITHIN: Duration = Duration::from_secs(60);

/// [`ANSWER_WITHIN`], or less under `AISECRETS_TEST_PLUGIN_TIMEOUT` (internal, for the tests).
fn answer_within() -> Duration {
    std::env::var("AISECRETS_TEST_PLUGIN_TIMEOUT")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .map(Duration::from_secs)
        .filter(|d| *d < ANSWER_WITHIN)
        .unwrap_or(ANSWER_WITHIN)
}

impl Guarded {
    /// The plugin's answer, or a plugin error once `limit` has passed. The plugin is asked on a
    /// thread of its own, left blocked if it never answers (the command then ends).
    fn unwrap_within(
        &self,
        stanzas: &[Stanza],
        limit: Duration,
    ) -> Option<Result<FileKey, age::DecryptError>> {
        let plugin = Arc::clone(&self.plugin);
        let stanzas: Vec<Stanza> = stanzas
            .iter()
            .map(|s| Stanza {
                tag: s.tag.clone(),
                args: s.args.clone(),
                body: s.body.clone(),
            })
            .collect();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(age::Identity::unwrap_stanzas(plugin.as_ref(), &stanzas));
        });
        rx.recv_timeout(limit).unwrap_or_else(|_| {
            Some(Err(age::DecryptError::Io(std::io::Error::other(
                PluginFailed(format!(
                    "{} did not answer within {} s, and there is no terminal to show its messages on; check that its device is plugged in, or run this command from a terminal",
                    self.binary,
                    limit.as_secs()
                )),
            ))))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A valid bech32 string of `hrp` over 33 bytes (the shape of a YubiKey recipient).
    fn bech32(hrp: &str) -> String {
        age_core::primitives::bech32_encode(bech32::Hrp::parse_unchecked(hrp), &[7; 33])
    }

    /// An identity file as age-plugin-yubikey writes it.
    fn yubikey_file() -> String {
        format!(
            "#       Serial: 12345678, Slot: 1
#         Name: age identity 1a2b3c4d
#      Created: Thu, 03 Mar 2022 10:11:12 +0000
#   PIN policy: Once   (A PIN is required once per session, if set)
# Touch policy: Always (A physical touch is required for every decryption)
#    Recipient: {}
{}
",
            bech32("age1yubikey"),
            bech32("AGE-PLUGIN-YUBIKEY-").to_uppercase()
        )
    }

    #[test]
    fn an_age_plugin_yubikey_file_names_its_plugin_and_recipient() {
        let p = inspect(&yubikey_file()).unwrap();
        assert_eq!(p.plugins, ["yubikey"]);
        assert_eq!(p.recipient, Some(bech32("age1yubikey")));
        assert_eq!(p.binaries(), "age-plugin-yubikey");
    }

    #[test]
    fn a_recipient_comment_counts_only_just_above_its_identity() {
        let text = yubikey_file().replace("AGE-PLUGIN", "\n# other\nAGE-PLUGIN");
        assert!(inspect(&text).unwrap().recipient.is_some());
        let no_comment: String = yubikey_file()
            .lines()
            .filter(|l| !l.contains("Recipient"))
            .map(|l| format!("{l}\n"))
            .collect();
        assert_eq!(inspect(&no_comment).unwrap().recipient, None);
        let x = age::x25519::Identity::generate();
        let stray = format!(
            "# recipient: {}\n{}\n{}",
            x.to_public(),
            age::secrecy::ExposeSecret::expose_secret(&x.to_string()),
            no_comment
        );
        assert_eq!(inspect(&stray).unwrap().recipient, None);
    }

    #[test]
    fn a_native_identity_file_is_not_a_plugin_one() {
        let x = age::x25519::Identity::generate();
        let text = age::secrecy::ExposeSecret::expose_secret(&x.to_string()).to_owned();
        assert!(inspect(&text).is_none());
        assert!(inspect("# recipient: nonsense\n").is_none());
    }
}
