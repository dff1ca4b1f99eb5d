//! Token-endpoint answers over hostile input: any status, content type, `WWW-Authenticate`,
//! `Retry-After` and body.
//!
//! Invariants: no panic; only a 2xx answer is accepted; `expires_at` never goes backwards.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(broken) = auth0_auth::fuzzing::run("token_response", data) {
        panic!("token_response: {broken}");
    }
});
