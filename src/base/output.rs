//! Writing to stdout and stderr. A closed stdout (`aisecrets get X | head -c0`) is not an
//! error: the command ends quietly with success, as ripgrep and bat do.

use std::io::Write;

use crate::base::error::{Error, Result};

/// Writes `bytes` to stdout and flushes. A broken pipe is reported as `Ok(false)`.
pub fn stdout(bytes: &[u8]) -> Result<bool> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(false),
        Err(e) => Err(Error::io("write to", "standard output", e)),
    }
}

/// A status line for the person at the terminal, on stderr.
pub fn status(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// Seconds since the epoch as `2026-11-28T03:40:00Z`.
#[must_use]
pub fn timestamp(secs: u64) -> String {
    humantime::format_rfc3339_seconds(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs))
        .to_string()
}
