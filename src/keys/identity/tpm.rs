//! TPM-bound identities (#19): an ordinary age X25519 identity, generated in software and
//! sealed to this machine's TPM 2.0 ([`crate::keys::tpm`]), with an optional PIN that the
//! TPM checks and rate-limits itself. Its public key is an ordinary `age1...` recipient.
//!
//! The identity file is text: comments (when it was made, its public key, that it is
//! sealed to this machine's TPM) and one line `AISECRETS-TPM-1:pin:BASE64` (or `nopin`)
//! holding the sealed object's `TPM2B_PUBLIC` and `TPM2B_PRIVATE` and its parent's name.
//! Opened with a PIN, the identity is cached exactly as a passphrase identity is (`unlock`,
//! `lock`, the usual limit); without one, it is unsealed on each use and never cached.

use std::path::Path;
use std::time::Duration;

use age::secrecy::{ExposeSecret, SecretString};
use base64::Engine as _;
use zeroize::Zeroizing;

use super::{
    Created, Keys, PASSPHRASE_TRIES, Unlocked, from_cache, identity_path, pub_path, store_in_cache,
};
use crate::base::error::{Error, Result};
use crate::base::{files, output, prompt};
use crate::keys::cache;
use crate::keys::tpm::{LOCKED_OUT, Lockout, Sealed, Tpm, TpmError, transport};

/// The line that marks a TPM-bound identity file.
const MARK: &str = "AISECRETS-TPM-1:";
const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// Whether `text` is a TPM-bound identity file.
pub(super) fn is_tpm(text: &str) -> bool {
    text.lines().any(|l| l.trim_start().starts_with(MARK))
}

/// A parsed TPM-bound identity file.
struct TpmFile {
    /// The public key its comment gives (checked against the key once unsealed).
    public: Option<String>,
    /// Whether a PIN is needed.
    pin: bool,
    sealed: Sealed,
}

fn parse(text: &str, desc: &str) -> Result<TpmFile> {
    let bad = || Error::BadIdentity {
        source_desc: desc.to_owned(),
        reason: "its AISECRETS-TPM-1 line is damaged".into(),
    };
    let line = text
        .lines()
        .map(str::trim)
        .find_map(|l| l.strip_prefix(MARK))
        .ok_or_else(bad)?;
    let (flag, data) = line.split_once(':').ok_or_else(bad)?;
    let pin = match flag {
        "pin" => true,
        "nopin" => false,
        _ => return Err(bad()),
    };
    let bytes = B64.decode(data).map_err(|_| bad())?;
    let sealed = Sealed::from_bytes(&bytes).map_err(|_| bad())?;
    // The word is only a label: the TPM counts wrong authorizations against an object with
    // a PIN, so one opened as `nopin` (by `status`, `list` or a pre-commit scan, without
    // asking) would lock the TPM out within a few runs.
    if sealed.needs_pin().map_err(|_| bad())? != pin {
        return Err(Error::BadIdentity {
            source_desc: desc.to_owned(),
            reason: format!(
                "its AISECRETS-TPM-1 line says `{flag}` but the sealed key {}: the file was edited; restore it from a backup",
                if pin { "has no PIN" } else { "needs a PIN" }
            ),
        });
    }
    Ok(TpmFile {
        public: public_of(text),
        pin,
        sealed,
    })
}

/// The public key a TPM-bound identity file's comment gives, when it is a valid one.
pub(super) fn public_of(text: &str) -> Option<String> {
    text.lines()
        .find_map(|l| l.trim().strip_prefix("# public key:"))
        .map(str::trim)
        .filter(|k| k.parse::<age::x25519::Recipient>().is_ok())
        .map(str::to_owned)
}

/// Turns a TPM failure into one line that says what to do; `lockout` is the TPM's
/// dictionary-attack state, when it could be read on the same connection.
fn explain(e: &TpmError, desc: &str, lockout: Option<Lockout>) -> Error {
    let (what, todo) = if e.is_foreign() {
        (
            format!("{desc}: this identity is sealed to another machine's TPM (or this TPM was cleared since)"),
            "make one here with `aisecrets identity new --tpm` and have a teammate add its recipient".to_owned(),
        )
    } else if e.is_lockout() {
        let wait = lockout.map_or_else(
            || "it forgives failures over time".to_owned(),
            |l| {
                format!(
                    "it forgives one failure every {}",
                    humantime::format_duration(Duration::from_secs(l.interval.into()))
                )
            },
        );
        (
            "the TPM is locked out after too many wrong PINs".to_owned(),
            format!(
                "{wait}; wait, or have the TPM's owner reset it (tpm2_dictionarylockout --clear-lockout)"
            ),
        )
    } else if e.is_failure_mode() {
        (
            format!("{e}: it is in failure mode or was never powered on"),
            "start swtpm with --flags not-need-init,startup-clear; restart a machine whose TPM chip failed".to_owned(),
        )
    } else {
        match e {
            TpmError::Unsupported(_) => (
                format!("TPM2TOOLS_TCTI/TCTI: {e}"),
                format!("use {}", transport::SUPPORTED),
            ),
            TpmError::NotYours(..) => (
                e.to_string(),
                "use the machine's TPM (device:/dev/tpmrm0) or a swtpm you started yourself; another user's could unseal what is sealed to it".to_owned(),
            ),
            TpmError::Unreachable(..) => (
                e.to_string(),
                "set TPM2TOOLS_TCTI (for example device:/dev/tpmrm0 or swtpm:host=127.0.0.1,port=2321), or check that you may open the device (group tss)".to_owned(),
            ),
            _ => (e.to_string(), "check the TPM with `tpm2_getcap properties-variable`".to_owned()),
        }
    };
    Error::Tpm { what, todo }
}

/// A new PIN: typed twice on the terminal, or one line of piped standard input.
fn new_pin() -> Result<SecretString> {
    let pin = if prompt::stdin_is_terminal() {
        let hint = "pipe the PIN on standard input, or use --no-pin";
        let first = prompt::hidden("PIN for the new TPM identity: ", "a new PIN", hint)?;
        let second = prompt::hidden("Same PIN again: ", "a new PIN", hint)?;
        let same: bool = subtle::ConstantTimeEq::ct_eq(
            first.expose_secret().as_bytes(),
            second.expose_secret().as_bytes(),
        )
        .into();
        if !same {
            return Err(Error::Prompt("the two PINs differ; nothing was created"));
        }
        first
    } else {
        stdin_line()?
    };
    if pin.expose_secret().is_empty() {
        return Err(Error::Prompt(
            "empty PIN refused; use --no-pin for an identity without one",
        ));
    }
    Ok(pin)
}

/// One line of piped standard input (a PIN).
fn stdin_line() -> Result<SecretString> {
    let bytes = prompt::read_stdin_value()?;
    let line = std::str::from_utf8(&bytes)
        .map_err(|_| Error::Prompt("the PIN on standard input is not UTF-8"))?;
    Ok(SecretString::from(
        line.lines().next().unwrap_or("").to_owned(),
    ))
}

/// Makes a new identity sealed to this machine's TPM, with a PIN unless `no_pin`.
pub(super) fn create(no_pin: bool) -> Result<Created> {
    let path = identity_path()?;
    if std::fs::symlink_metadata(&path).is_ok() {
        return Err(Error::IdentityExists { path });
    }
    // Reach the TPM before asking for a PIN that could not be used (and let it go while
    // the PIN is typed: a simulator serves one connection at a time).
    drop(Tpm::connect().map_err(|e| explain(&e, "the new identity", None))?);
    let pin = if no_pin { None } else { Some(new_pin()?) };
    let mut tpm = Tpm::connect().map_err(|e| explain(&e, "the new identity", None))?;
    let id = age::x25519::Identity::generate();
    let public = id.to_public().to_string();
    let secret = id.to_string();
    let sealed = tpm
        .seal(
            secret.expose_secret().as_bytes(),
            pin.as_ref().map(|p| p.expose_secret().as_bytes()),
        )
        .map_err(|e| explain(&e, "the new identity", None))?;
    drop(tpm);
    let created = humantime::format_rfc3339_seconds(std::time::SystemTime::now());
    let text = format!(
        "# created: {created}\n# public key: {public}\n# sealed to this machine's TPM: this file opens nowhere else{}\n{MARK}{}:{}\n",
        if no_pin { "" } else { " (PIN set)" },
        if no_pin { "nopin" } else { "pin" },
        B64.encode(sealed.to_bytes())
    );
    files::create_private_dir(&files::home()?)?;
    files::create_new(&path, text.as_bytes(), 0o600)?;
    files::write_atomic(&pub_path()?, format!("{public}\n").as_bytes(), 0o644)?;
    Ok(Created { public, path })
}

/// Unseals `file`, asking for its PIN with `ask` when it has one. On a terminal
/// (`retry`), a wrong PIN is asked again while the TPM has more than one failure left
/// before lockout, and at most [`PASSPHRASE_TRIES`] times: one command never locks it out.
fn unseal(
    file: &TpmFile,
    desc: &str,
    retry: bool,
    mut ask: impl FnMut() -> Result<SecretString>,
) -> Result<Opened> {
    let connect = || Tpm::connect().map_err(|e| explain(&e, desc, None));
    // Before a PIN is asked: the TPM answers and is the one it was sealed to. Then it is let
    // go while the PIN is typed (a simulator serves one connection at a time).
    // Also: a locked-out TPM refuses any PIN (so none is asked), and the last try is named.
    if file.pin {
        let mut tpm = connect()?;
        tpm.check_parent(&file.sealed)
            .map_err(|e| explain(&e, desc, None))?;
        match tpm.lockout() {
            Ok(l) if l.left() == 0 => return Err(explain(&LOCKED_OUT, desc, Some(l))),
            Ok(l) if l.left() == 1 => output::status(&format!(
                "aisecrets: the TPM has counted {} of {} wrong PINs: one more locks it out",
                l.counter, l.max
            )),
            _ => {}
        }
    }
    let mut attempt = 0;
    loop {
        attempt += 1;
        let pin = if file.pin { Some(ask()?) } else { None };
        let mut tpm = connect()?;
        let pin_bytes = pin.as_ref().map(|p| p.expose_secret().as_bytes());
        match tpm.unseal(&file.sealed, pin_bytes) {
            Ok(secret) => return to_keys(&secret, file.public.as_deref(), desc),
            Err(e) if e.is_wrong_auth() => {
                let l = tpm.lockout().ok();
                let counted = l.map_or_else(String::new, |l| {
                    format!(
                        " (the TPM counts failures: {} of {} before it locks out)",
                        l.counter, l.max
                    )
                });
                let left = l.map_or(0, |l| l.left());
                if retry && attempt < PASSPHRASE_TRIES && left > 1 {
                    output::status(&format!("wrong PIN{counted}, try again"));
                    continue;
                }
                return Err(Error::Tpm {
                    what: format!("wrong PIN for {desc}{counted}"),
                    todo: "nothing was changed or cached; run the command again to retry".into(),
                });
            }
            Err(e) => {
                let lockout = if e.is_lockout() {
                    tpm.lockout().ok()
                } else {
                    None
                };
                return Err(explain(&e, desc, lockout));
            }
        }
    }
}

/// An unsealed identity: its keys, and its `AGE-SECRET-KEY-1...` text for the cache.
struct Opened {
    keys: Keys,
    text: Zeroizing<String>,
}

/// The unsealed identity; the secret never reaches an error.
fn to_keys(secret: &[u8], comment: Option<&str>, desc: &str) -> Result<Opened> {
    let bad = || Error::BadIdentity {
        source_desc: desc.to_owned(),
        reason: "the TPM unsealed something that is not an age identity".into(),
    };
    let text = std::str::from_utf8(secret).map_err(|_| bad())?;
    let id = text
        .trim()
        .parse::<age::x25519::Identity>()
        .map_err(|_| bad())?;
    let public = id.to_public().to_string();
    // `identity show`, `init` and the cache go by the comment: it must be this key's.
    if comment.is_some_and(|c| c != public) {
        return Err(Error::BadIdentity {
            source_desc: desc.to_owned(),
            reason: format!(
                "its `# public key:` comment is not the sealed key's ({public}): the file was edited; restore it from a backup"
            ),
        });
    }
    Ok(Opened {
        text: Zeroizing::new(text.trim().to_owned()),
        keys: Keys {
            identities: vec![Box::new(id)],
            public: Some(public),
            native: 1,
        },
    })
}

/// The PIN prompt on the terminal.
fn ask_pin(path_desc: &str, hint: &'static str) -> impl FnMut() -> Result<SecretString> {
    let prompt_text = format!("PIN for {path_desc} (TPM): ");
    move || prompt::hidden(&prompt_text, "the TPM identity's PIN", hint)
}

/// Opens a TPM-bound identity: from the cache when it is live, else unsealed (asking for
/// the PIN on the terminal) and, with a PIN, cached for the usual limit.
pub(super) fn open(text: &str, desc: &str) -> Result<Keys> {
    let file = parse(text, desc)?;
    if !file.pin {
        return unseal(&file, desc, false, unreachable_pin).map(|o| o.keys);
    }
    let config = crate::base::config::load()?;
    let selection = cache::select(&config)?;
    if let (Some(cache), Some(public)) = (&selection.cache, &file.public)
        && let Some(keys) = from_cache(cache.as_ref(), public)
    {
        return Ok(keys);
    }
    let hint = "run `aisecrets unlock` in a terminal first, or use an identity made with `aisecrets identity new --tpm --no-pin` (unattended machines) or AISECRETS_IDENTITY (CI)";
    if !prompt::has_terminal() {
        return Err(Error::NoTerminal {
            what: "the TPM identity's PIN".into(),
            hint: hint.into(),
        });
    }
    let opened = unseal(&file, desc, true, ask_pin(desc, hint))?;
    if let (Some(cache), Some(public)) = (&selection.cache, &opened.keys.public) {
        let ttl = config.unlock_for();
        if let Err(why) = store_in_cache(cache.as_ref(), public, &opened.text, ttl) {
            output::status(&format!(
                "aisecrets: could not cache the unlocked identity ({why:#})"
            ));
        }
    }
    Ok(opened.keys)
}

/// Never called: an identity without a PIN asks for none.
fn unreachable_pin() -> Result<SecretString> {
    Err(Error::Prompt("this TPM identity has no PIN"))
}

/// Opens it only without asking: no PIN, or a live cache item. A TPM that is out of reach
/// or refuses counts as "would need more": `status`, `list` and the pre-commit scan go on
/// without the values, and the command that needs them says what failed.
pub(super) fn open_if_open(text: &str, desc: &str) -> Result<Option<Keys>> {
    let file = parse(text, desc)?;
    if !file.pin {
        return Ok(unseal(&file, desc, false, unreachable_pin)
            .ok()
            .map(|o| o.keys));
    }
    let config = crate::base::config::load()?;
    let selection = cache::select(&config)?;
    Ok(match (&selection.cache, &file.public) {
        (Some(cache), Some(public)) => from_cache(cache.as_ref(), public),
        _ => None,
    })
}

/// `unlock` for a TPM-bound identity: asks for the PIN (terminal, or piped standard
/// input), unseals, and caches for `ttl`. `None` when it has no PIN.
pub(super) fn unlock(text: &str, path: &Path, ttl: Option<Duration>) -> Result<Option<Unlocked>> {
    let desc = path.display().to_string();
    let file = parse(text, &desc)?;
    if !file.pin {
        return Ok(None);
    }
    let config = crate::base::config::load()?;
    let selection = cache::select(&config)?;
    let shared = selection.shared;
    let Some(cache) = selection.cache else {
        return Err(Error::NoCache(selection.note.unwrap_or_default()));
    };
    let opened = if prompt::stdin_is_terminal() {
        let hint = "pipe the PIN on standard input, or run this in a terminal";
        unseal(&file, &desc, true, ask_pin(&desc, hint))?
    } else {
        unseal(&file, &desc, false, stdin_line)?
    };
    let public = opened.keys.public.clone().unwrap_or_default();
    let ttl = ttl.unwrap_or_else(|| config.unlock_for());
    let expires = store_in_cache(cache.as_ref(), &public, &opened.text, ttl)
        .map_err(|e| Error::NoCache(format!("{e:#}")))?;
    Ok(Some(Unlocked {
        backend: cache.name(),
        expires,
        shared,
    }))
}

/// Whether a TPM-bound identity file needs a PIN.
pub(super) fn has_pin(text: &str) -> bool {
    parse(text, "").is_ok_and(|f| f.pin)
}

/// How `status` describes a TPM-bound identity: with its PIN or not, and the TPM's
/// failure counter when the TPM answers.
pub(super) fn describe(text: &str) -> String {
    let pin = has_pin(text);
    let counter = Tpm::connect()
        .and_then(|mut t| t.lockout())
        .map(|l| format!(", {} of {} failed PINs counted", l.counter, l.max))
        .unwrap_or_else(|_| ", TPM not reachable now".into());
    format!(
        "sealed to this machine's TPM, {}{counter}",
        if pin { "PIN" } else { "no PIN" }
    )
}
