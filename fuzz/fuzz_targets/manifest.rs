//! The manifest (`aisecrets.toml`, from any clone): never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = aisecrets::project::manifest::parse(std::path::Path::new("aisecrets.toml"), text);
    }
});
