//! The encrypted environment file (read from any clone, branch or merge): never panics,
//! and wherever the canonical fast path accepts a text the full TOML parser reads the same.
#![no_main]

use aisecrets::backend::file::format::{self, EnvFile};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = EnvFile::parse(std::path::Path::new("x"), text);
    let (fast, full) = format::both_parsers(text);
    if let Some(fast) = fast {
        assert_eq!(Ok(fast), full);
    }
});
