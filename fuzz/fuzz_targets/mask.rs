//! The output masker of `run --mask`, fed the input in pieces (the first byte picks the
//! piece size): whatever the pieces, no secret value comes out whole.
#![no_main]

use std::sync::LazyLock;

use aisecrets::base::mask::Masker;
use libfuzzer_sys::fuzz_target;

const VALUE: &str = "fuzzFAKEvalue0123";

static MASKER: LazyLock<Masker> = LazyLock::new(|| Masker::new([("FUZZ_KEY", VALUE)].into_iter()));

fuzz_target!(|data: &[u8]| {
    let Some((&size, input)) = data.split_first() else {
        return;
    };
    let size = usize::from(size).max(1);
    let mut stream = MASKER.stream();
    let mut out = Vec::new();
    for piece in input.chunks(size) {
        out.extend_from_slice(&stream.feed(piece, false));
    }
    out.extend_from_slice(&stream.feed(&[], true));
    assert!(
        !out.windows(VALUE.len()).any(|w| w == VALUE.as_bytes()),
        "a value came out unmasked"
    );
});
