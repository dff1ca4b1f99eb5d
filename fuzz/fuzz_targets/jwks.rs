//! Key sets (JWKS) over hostile input: the document, every key's JWK, and key selection by
//! `kid` and algorithm.
//!
//! Invariant: no panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(broken) = auth0_auth::fuzzing::run("jwks", data) {
        panic!("jwks: {broken}");
    }
});
