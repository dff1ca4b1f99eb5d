//! The 4 KB session every cookie measurement uses (the criterion bench `cookies.rs` and the
//! `cookie_timing` example run by `bench/compare/cookies.sh`); `node_cookies.mjs` builds the
//! same one for auth0-server-js. Imports only this crate's public API.

use auth0_server::StateData;
use serde_json::json;

/// The cookie secret of the measurements (the Node script uses the same).
pub const SECRET: &str = "a-benchmark-secret-of-32-characters!!";

/// About 4 KB of JSON: a typical user, ID and refresh tokens, two token sets.
pub fn session(now: u64) -> StateData {
    let jwt = format!(
        "eyJhbGciOiJSUzI1NiJ9.{}.{}",
        "e".repeat(700),
        "s".repeat(342)
    );
    serde_json::from_value(json!({
        "user": {"sub": "auth0|64f1c2a9e3b4d5f6a7b8c9d0", "name": "Jane Doe", "nickname": "jane",
                 "email": "jane@example.com", "email_verified": true, "picture": "https://s.gravatar.com/avatar/0123456789abcdef.png",
                 "iss": "https://tenant.eu.auth0.com/", "aud": "client-id", "sid": "sid-0123456789", "iat": now, "exp": now + 36000},
        "idToken": jwt,
        "refreshToken": "v1.M".to_owned() + &"r".repeat(120),
        "tokenSets": [
            {"audience": "https://api.example.com/", "accessToken": jwt, "scope": "openid profile email offline_access read:messages", "expiresAt": now + 86400},
            {"audience": "https://second.example.com/", "accessToken": jwt, "scope": "read:things", "expiresAt": now + 86400}
        ],
        "internal": {"sid": "sid-0123456789", "createdAt": now}
    }))
    .expect("a session")
}
