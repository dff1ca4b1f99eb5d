//! The login callback URL parser over hostile input.
//!
//! Invariants: no panic; an accepted callback has a code and a redirect URI without query or
//! fragment.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(broken) = auth0_auth::fuzzing::run("callback", data) {
        panic!("callback: {broken}");
    }
});
