//! The cookie session's CPU cost: reading a 4 KB session from its chunked cookies (reassemble,
//! check the tag, decrypt, parse) and writing it (serialize, encrypt, chunk, remove stale
//! chunks), with the stateless store. Targets: read ≤ 15 µs, write ≤ 20 µs.
//!
//! Run with `cargo bench -p auth0-server --bench cookies`.

use std::hint::black_box;
use std::time::{SystemTime, UNIX_EPOCH};

use auth0_auth::SecretString;
use auth0_server::{MemoryCookieJar, Secrets, StateStore, StatelessStateStore};
use criterion::{Criterion, criterion_group, criterion_main};

#[path = "support/session.rs"]
mod support;
use support::session;

fn cookies(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("a clock after 1970")
        .as_secs();
    let secrets = Secrets::new(SecretString::from(support::SECRET.to_owned())).expect("a secret");
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
