//! Back-channel logout-token verification over hostile input: raw tokens and bare claim sets.
//!
//! Invariants: no panic; an accepted claim set names a session or a user, carries no nonce and
//! carries the back-channel logout event.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(broken) = auth0_auth::fuzzing::run("logout_token", data) {
        panic!("logout_token: {broken}");
    }
});
