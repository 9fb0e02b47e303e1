//! The leak scanner (`aisecrets scan`, the pre-commit hook) on any file's bytes: never
//! panics, and a project value in the input is found (unless the input holds the
//! `aisecrets: allow` mark, which silences its line on purpose).
#![no_main]

use std::sync::LazyLock;

use aisecrets::scan::{ALLOW_MARK, Scanner};
use libfuzzer_sys::fuzz_target;

const VALUE: &str = "fuzzFAKEvalue0123456789";

static SCANNER: LazyLock<Scanner> =
    LazyLock::new(|| Scanner::new([("FUZZ_KEY", VALUE)].into_iter()));

fuzz_target!(|data: &[u8]| {
    let _ = SCANNER.scan("fuzz/input.env", data);
    let _ = SCANNER.scan_own("secrets/dev.toml", data);
    let has = |s: &str| data.windows(s.len()).any(|w| w == s.as_bytes());
    if has(VALUE) && !has(ALLOW_MARK) {
        assert!(
            !SCANNER.scan("input", data).is_empty(),
            "a project value was missed"
        );
    }
});
