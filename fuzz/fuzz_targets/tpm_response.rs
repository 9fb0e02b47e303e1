//! TPM 2.0 responses (#19): a response is input from a device or a socket, so every way
//! aisecrets reads one (header, handles, parameters, the sealed object's areas, the lockout
//! capability) must return an error on malformed bytes, never panic or read out of bounds.
#![no_main]

use aisecrets::keys::tpm::wire::{HEADER, Response, announced_size};
use aisecrets::keys::tpm::{Sealed, parse_lockout};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(header) = data.get(..HEADER) {
        let header: &[u8; HEADER] = header.try_into().unwrap();
        if let Some(n) = announced_size(header) {
            assert!(n >= HEADER);
        }
    }
    if let Ok(r) = Response::parse(data) {
        for handles in 0..2 {
            if let Ok((hs, mut params)) = r.params(handles) {
                assert_eq!(hs.len(), handles);
                let _ = params.sized().and_then(|_| params.sized());
            }
        }
        if let Ok((_, params)) = r.params(0) {
            let _ = parse_lockout(params);
        }
    }
    if let Ok(s) = Sealed::from_bytes(data) {
        assert_eq!(s.to_bytes(), data, "a sealed object does not round-trip");
        let _ = s.needs_pin();
    }
});
