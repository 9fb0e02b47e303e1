//! The `aisecrets` binary: everything lives in the library so that `Drop` and zeroize run.

use std::process::ExitCode;

fn main() -> ExitCode {
    aisecrets::main()
}
