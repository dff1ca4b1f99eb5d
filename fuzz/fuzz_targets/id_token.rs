//! ID-token validation over hostile input: raw tokens, tokens the harness signs with the right
//! HS256 key (so the claim rules are reached with a valid signature), and bare claim sets.
//!
//! Invariants: no panic; nothing accepted that breaks a rule; no error shows the client secret.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(broken) = auth0_auth::fuzzing::run("id_token", data) {
        panic!("id_token: {broken}");
    }
});
