//! Discovery documents over hostile input: the JSON model, the issuer check, the mTLS aliases
//! and every endpoint's scheme rules.
//!
//! Invariants: no panic; an accepted document's issuer is the configured base URL (give or
//! take one trailing slash).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(broken) = auth0_auth::fuzzing::run("discovery", data) {
        panic!("discovery: {broken}");
    }
});
