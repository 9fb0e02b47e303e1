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
