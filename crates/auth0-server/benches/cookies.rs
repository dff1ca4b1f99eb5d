//! The cookie session's CPU cost: reading a 4 KB session from its chunked cookies (reassemble,
//! check the tag, decrypt, parse) and writing it (serialize, encrypt, chunk, remove stale
//! chunks), with the stateless store. Targets: read ≤ 15 µs, write ≤ 20 µs.
//!
//! Run with `cargo bench -p auth0-server --bench cookies`.

use std::hint::black_box;
use std::time::{SystemTime, UNIX_EPOCH};

use auth0_auth::SecretString;
use auth0_server::{MemoryCookieJar, Secrets, StateData, StateStore, StatelessStateStore};
use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::json;

fn session(now: u64) -> StateData {
    // About 4 KB of JSON: a typical user, ID and refresh tokens, two token sets.
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

fn cookies(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("a clock after 1970")
        .as_secs();
    let secrets = Secrets::new(SecretString::from(
        "a-benchmark-secret-of-32-characters!!".to_owned(),
    ))
    .expect("a secret");
    let store = StatelessStateStore::new(secrets);
    let state = session(now);
    let json_len = serde_json::to_vec(&state).expect("json").len();
    let mut jar = MemoryCookieJar::new();
    rt.block_on(store.set("__a0_session", &state, false, &mut jar, now))
        .expect("written");
    let cookie_len: usize = jar.pairs().values().map(String::len).sum();
    eprintln!(
        "session JSON {json_len} bytes; cookies {cookie_len} characters in {} chunks",
        jar.pairs().len()
    );

    c.bench_function("session/read_4kb_chunked", |b| {
        b.iter(|| {
            let read = store
                .read_session("__a0_session", black_box(&jar), now)
                .expect("readable");
            black_box(read)
        })
    });
    c.bench_function("session/write_4kb_chunked", |b| {
        b.iter(|| {
            let mut out = jar.clone();
            out.clear_changes();
            rt.block_on(store.set("__a0_session", black_box(&state), false, &mut out, now))
                .expect("written");
            black_box(out)
        })
    });
}

criterion_group!(benches, cookies);
criterion_main!(benches);
