//! The exit-code table, documented in the man page's EXIT STATUS section.

/// Success.
pub const OK: u8 = 0;
/// An error (or findings, for checks).
pub const ERROR: u8 = 1;
/// A usage error, or a check that could not run.
pub const USAGE: u8 = 2;
/// `run`: the command exists but could not be executed.
pub const NOT_EXECUTABLE: u8 = 126;
/// `run`: the command was not found.
pub const NOT_FOUND: u8 = 127;
/// `run`: a child killed by signal N exits with `SIGNAL_BASE + N`.
pub const SIGNAL_BASE: u8 = 128;

/// How a command ends. Only `main` acts on it, after every `Drop` has run (#14).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum Outcome {
    /// Exit with this code.
    Exit(u8),
    /// Die of this signal (a terminal's Ctrl-C that killed the child, or a signal that
    /// stopped `run` before its child started); `SIGNAL_BASE + N` if it does not kill.
    Signal(i32),
}

impl Outcome {
    /// The exit code that stands for it.
    pub fn code(self) -> u8 {
        match self {
            Self::Exit(c) => c,
            Self::Signal(sig) => SIGNAL_BASE.saturating_add(u8::try_from(sig).unwrap_or(0)),
        }
    }
}
