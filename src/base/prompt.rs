//! Prompts: hidden input on the terminal (rpassword), or standard input when it is piped.
//! Nothing here ever reads a secret from argv or from a plain environment variable.

use std::io::{IsTerminal, Read};

use age::secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

use crate::base::error::{Error, Result};
use crate::base::secret::MAX_VALUE_LEN;

/// Whether standard input is a terminal.
#[must_use]
pub fn stdin_is_terminal() -> bool {
    std::io::stdin().is_terminal()
}

/// Whether a controlling terminal can be opened to ask on.
#[must_use]
pub fn has_terminal() -> bool {
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .is_ok()
}

/// Asks for hidden input on the controlling terminal.
pub fn hidden(prompt: &str, what: &str, hint: &str) -> Result<SecretString> {
    if !has_terminal() {
        return Err(Error::NoTerminal {
            what: what.to_owned(),
            hint: hint.to_owned(),
        });
    }
    match rpassword::prompt_password(prompt) {
        Ok(s) => Ok(SecretString::from(s)),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            Err(Error::Prompt("cancelled at the prompt"))
        }
        Err(e) => Err(Error::io("read from", "/dev/tty", e)),
    }
}

/// Asks a yes/no question on the terminal; only `y` or `yes` is yes.
pub fn confirm(question: &str) -> Result<bool> {
    let line = ask_on_tty(question)
        .ok_or_else(|| Error::NoTerminal {
            what: "a confirmation".into(),
            hint: "pass --yes after checking what it shows".into(),
        })?
        .map_err(|e| Error::io("read from", "/dev/tty", e))?;
    Ok(matches!(
        line.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}

/// Writes `question` on the controlling terminal and reads one line there, shown as typed
/// (line ending taken off); `None` when no terminal can be opened.
fn ask_on_tty(question: &str) -> Option<std::io::Result<String>> {
    use std::io::{BufRead as _, Write as _};
    let tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .ok()?;
    let mut w = &tty;
    let mut line = String::new();
    Some(
        w.write_all(question.as_bytes())
            .and_then(|()| w.flush())
            .and_then(|()| std::io::BufReader::new(&tty).read_line(&mut line))
            .map(|_| line.trim_end_matches(['\r', '\n']).to_owned()),
    )
}

/// Reads standard input to the end (at most the value limit plus a newline), and strips
/// one trailing newline, as `echo value | aisecrets set NAME` adds one.
pub fn read_stdin_value() -> Result<Zeroizing<Vec<u8>>> {
    let mut buf = Zeroizing::new(Vec::new());
    std::io::stdin()
        .lock()
        .take(MAX_VALUE_LEN as u64 + 3)
        .read_to_end(&mut buf)
        .map_err(|e| Error::io("read", "standard input", e))?;
    let strip = if buf.ends_with(b"\r\n") {
        2
    } else {
        usize::from(buf.ends_with(b"\n"))
    };
    let keep = buf.len() - strip;
    buf.truncate(keep);
    Ok(buf)
}

/// A new passphrase: typed twice on the terminal, or one line of piped standard input.
pub fn new_passphrase() -> Result<SecretString> {
    let pass = if stdin_is_terminal() {
        let hint = "pipe the passphrase on standard input, or use --no-passphrase";
        let first = hidden(
            "Passphrase for the new identity: ",
            "a new passphrase",
            hint,
        )?;
        let second = hidden("Same passphrase again: ", "a new passphrase", hint)?;
        let same: bool = subtle::ConstantTimeEq::ct_eq(
            first.expose_secret().as_bytes(),
            second.expose_secret().as_bytes(),
        )
        .into();
        if !same {
            return Err(Error::Prompt(
                "the two passphrases differ; nothing was created",
            ));
        }
        first
    } else {
        let bytes = read_stdin_value()?;
        let line = std::str::from_utf8(&bytes)
            .map_err(|_| Error::Prompt("the passphrase on standard input is not UTF-8"))?;
        let line = line.lines().next().unwrap_or("");
        SecretString::from(line.to_owned())
    };
    if pass.expose_secret().is_empty() {
        return Err(Error::Prompt(
            "empty passphrase refused; use --no-passphrase for an identity without one",
        ));
    }
    Ok(pass)
}

/// Writes `text` on the controlling terminal, else on standard error (a plugin's "touch your
/// key" must reach the person even when standard error goes to a file).
fn tell(text: &str) {
    use std::io::Write as _;
    match std::fs::OpenOptions::new().write(true).open("/dev/tty") {
        Ok(mut tty) => {
            let _ = tty.write_all(text.as_bytes());
            let _ = tty.flush();
        }
        Err(_) => eprint!("{text}"),
    }
}

/// Asks `question` on the terminal and reads one line, shown as typed; `None` without one.
fn ask_line(question: &str) -> Option<String> {
    ask_on_tty(question)?.ok()
}

/// age callbacks that ask on the terminal (for encrypted SSH keys and plugins): a plugin's
/// messages (touch your key), questions (is the key plugged in?) and secrets (its PIN) go to
/// the controlling terminal, never through standard input or output.
#[derive(Clone, Copy, Debug)]
pub struct TtyCallbacks;

impl age::Callbacks for TtyCallbacks {
    fn display_message(&self, message: &str) {
        // Unicode isolation marks, as age's own messages carry them: not for a terminal.
        let message = message.replace(['\u{2068}', '\u{2069}'], "");
        tell(&format!(
            "{}\n",
            crate::base::output::sanitize(&message, 400)
        ));
    }

    fn confirm(&self, message: &str, yes: &str, no: Option<&str>) -> Option<bool> {
        let clean = |t: &str| crate::base::output::sanitize(t, 200);
        let Some(no) = no else {
            ask_line(&format!(
                "{} [press Enter: {}] ",
                clean(message),
                clean(yes)
            ))?;
            return Some(true);
        };
        let answer = ask_line(&format!(
            "{} [y: {}, n: {}] ",
            clean(message),
            clean(yes),
            clean(no)
        ))?;
        match answer.trim().to_ascii_lowercase().as_str() {
            "y" | "yes" => Some(true),
            "n" | "no" => Some(false),
            _ => None,
        }
    }

    fn request_public_string(&self, description: &str) -> Option<String> {
        ask_line(&format!(
            "{}: ",
            crate::base::output::sanitize(description, 200)
        ))
    }

    fn request_passphrase(&self, description: &str) -> Option<SecretString> {
        let prompt = format!("{}: ", crate::base::output::sanitize(description, 200));
        hidden(
            &prompt,
            "a key passphrase",
            "run this in a terminal, or use a key without a passphrase",
        )
        .ok()
    }
}
