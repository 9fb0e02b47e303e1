//! A pinentry-style prompt program, spoken to over the Assuan protocol (`SETDESC`,
//! `SETPROMPT`, `GETPIN`, `CONFIRM`, `BYE`): how a human types a value, or says yes, outside
//! a coding agent's channel (#16). The program is the user's choice (`[agents] pinentry` in
//! config.toml), the standard `pinentry` by default; Debian has `pinentry-curses`,
//! `pinentry-tty` and `pinentry-gnome3`.
//!
//! The value arrives percent-encoded in `D` lines and is decoded into a wiping buffer; it
//! never reaches argv, an error or a log.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use zeroize::Zeroizing;

use crate::base::error::{Error, Result};

/// The prompt program when the config names none.
pub const DEFAULT: &str = "pinentry";

/// What the human did.
pub enum Answer<T> {
    /// They answered (typed a value, or said yes).
    Given(T),
    /// They cancelled or said no.
    Cancelled,
}

/// One conversation with the prompt program.
struct Session {
    child: Child,
    to: ChildStdin,
    from: BufReader<ChildStdout>,
    program: String,
}

impl Session {
    fn start(program: &str) -> Result<Self> {
        let mut cmd = Command::new(program);
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .env_clear()
            .envs(std::env::vars_os().filter(|(k, _)| {
                !k.as_encoded_bytes().starts_with(b"AISECRETS_")
                    && !crate::base::hardening::is_credential(k)
            }));
        let mut child = cmd.spawn().map_err(|e| Error::Spawn {
            program: crate::base::output::sanitize(program, 200),
            source: e,
        })?;
        let (Some(to), Some(from)) = (child.stdin.take(), child.stdout.take()) else {
            return Err(Error::Failed("the prompt program has no pipes".into()));
        };
        let mut s = Self {
            child,
            to,
            from: BufReader::new(from),
            program: program.to_owned(),
        };
        s.reply(None)?; // the greeting
        // A terminal to prompt on, when the program needs one (pinentry-curses, -tty): the
        // one GPG_TTY names, as gpg-agent does. `aisecrets mcp` has no terminal of its own.
        if let Ok(t) = std::env::var("GPG_TTY") {
            let _ = s.command(&format!("OPTION ttyname={}", escape(&t)), None);
        }
        Ok(s)
    }

    fn failed(&self, what: &str) -> Error {
        Error::Failed(format!(
            "the prompt program `{}` {what}: set `[agents] pinentry` in config.toml to a pinentry that works here (pinentry-gnome3 on a desktop, pinentry-curses in a terminal)",
            crate::base::output::sanitize(&self.program, 200)
        ))
    }

    /// Sends one command; `Ok(true)` on OK, `Ok(false)` on ERR (cancelled, or unknown).
    fn command(&mut self, line: &str, data: Option<&mut Zeroizing<Vec<u8>>>) -> Result<bool> {
        self.to
            .write_all(line.as_bytes())
            .and_then(|()| self.to.write_all(b"\n"))
            .and_then(|()| self.to.flush())
            .map_err(|_| self.failed("stopped answering"))?;
        self.reply(data)
    }

    /// Reads lines up to OK or ERR; `D` lines are decoded into `data`.
    fn reply(&mut self, mut data: Option<&mut Zeroizing<Vec<u8>>>) -> Result<bool> {
        loop {
            let mut line = Zeroizing::new(Vec::new());
            let n = self
                .from
                .read_until(b'\n', &mut line)
                .map_err(|_| self.failed("could not be read"))?;
            if n == 0 {
                return Err(self.failed("ended without an answer"));
            }
            while line.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
                line.pop();
            }
            if line.as_slice() == b"OK" || line.starts_with(b"OK ") {
                return Ok(true);
            }
            if line.starts_with(b"ERR") {
                return Ok(false);
            }
            if let Some(rest) = line.strip_prefix(b"D ")
                && let Some(out) = data.as_deref_mut()
            {
                unescape_into(rest, out);
            }
            // S (status), # (comment) and INQUIRE lines are not needed here.
        }
    }

    fn describe(&mut self, title: &str, desc: &str, prompt: Option<&str>) -> Result<()> {
        self.command(&format!("SETTITLE {}", escape(title)), None)?;
        self.command(&format!("SETDESC {}", escape(desc)), None)?;
        if let Some(p) = prompt {
            self.command(&format!("SETPROMPT {}", escape(p)), None)?;
        }
        Ok(())
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.to.write_all(b"BYE\n");
        let _ = self.to.flush();
        let _ = self.child.wait();
    }
}

/// Asks the human for a value through `program`, with `desc` shown above the field.
///
/// # Errors
/// The program cannot be started or stops answering.
pub fn get_pin(program: &str, desc: &str, prompt: &str) -> Result<Answer<Zeroizing<Vec<u8>>>> {
    let mut s = Session::start(program)?;
    s.describe("aisecrets", desc, Some(prompt))?;
    let mut value = Zeroizing::new(Vec::new());
    if s.command("GETPIN", Some(&mut value))? {
        Ok(Answer::Given(value))
    } else {
        Ok(Answer::Cancelled)
    }
}

/// Asks the human to say yes to `desc` through `program`.
///
/// # Errors
/// The program cannot be started or stops answering.
pub fn confirm(program: &str, desc: &str) -> Result<Answer<()>> {
    let mut s = Session::start(program)?;
    s.describe("aisecrets", desc, None)?;
    if s.command("CONFIRM", None)? {
        Ok(Answer::Given(()))
    } else {
        Ok(Answer::Cancelled)
    }
}

/// Assuan escaping of a command's text: `%`, CR and LF as `%XX`; other control characters
/// dropped.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Decodes an Assuan `D` line's `%XX` escapes into `out`.
fn unescape_into(line: &[u8], out: &mut Zeroizing<Vec<u8>>) {
    let hex = |b: u8| {
        char::from(b)
            .to_digit(16)
            .and_then(|d| u8::try_from(d).ok())
    };
    let mut i = 0;
    while i < line.len() {
        if line[i] == b'%'
            && i + 2 < line.len()
            && let (Some(h), Some(l)) = (hex(line[i + 1]), hex(line[i + 2]))
        {
            out.push(h << 4 | l);
            i += 3;
        } else {
            out.push(line[i]);
            i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn d_lines_decode_and_text_escapes() {
        let mut out = zeroize::Zeroizing::new(Vec::new());
        super::unescape_into(b"a%25b%0Ac", &mut out);
        assert_eq!(out.as_slice(), b"a%b\nc");
        assert_eq!(super::escape("50%\nok"), "50%25%0Aok");
    }
}
