//! dotenv import (`aisecrets import`): never panics; what it accepts, exported as dotenv
//! and parsed again, is the same pairs.
#![no_main]

use aisecrets::base::dotenv::{self, ExportFormat};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(pairs) = dotenv::parse(text, "input") else {
        return;
    };
    let out = dotenv::export(
        ExportFormat::Dotenv,
        pairs.iter().map(|(n, v)| (n.as_str(), v)),
    )
    .expect("export what was parsed");
    let back = dotenv::parse(&out, "export").expect("parse what was exported");
    assert_eq!(pairs.len(), back.len());
    for ((n1, v1), (n2, v2)) in pairs.iter().zip(&back) {
        assert_eq!(n1, n2);
        assert!(v1.expose() == v2.expose(), "the value of {n1} changed");
    }
});
