//! Times reading and writing a 4 KB session in chunked cookies (the stateless store), without
//! criterion, and prints µs per operation in the format of `benches/node_cookies.mjs`, so
//! `bench/compare/cookies.sh` can print both side by side. Build it in release mode:
//!
//!   cargo run --release -p auth0-server --example cookie_timing [-- --quick]
//!
//! Each figure is the median of 15 batches (after a warm-up); `--quick` runs short batches.

use std::hint::black_box;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use auth0_auth::SecretString;
use auth0_server::{MemoryCookieJar, Secrets, StateStore, StatelessStateStore};

#[path = "../benches/support/session.rs"]
mod support;

/// Median µs per call of `op` over `batches` batches of `per_batch` calls.
fn measure(batches: usize, per_batch: usize, mut op: impl FnMut()) -> f64 {
    for _ in 0..per_batch {
        op();
    }
    let mut per_op: Vec<f64> = (0..batches)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..per_batch {
                op();
            }
            start.elapsed().as_secs_f64() * 1e6 / per_batch as f64
        })
        .collect();
    per_op.sort_by(f64::total_cmp);
    per_op[per_op.len() / 2]
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let (batches, per_batch) = if quick { (5, 200) } else { (15, 2000) };
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("a clock after 1970")
        .as_secs();
    let secrets = Secrets::new(SecretString::from(support::SECRET.to_owned())).expect("a secret");
    let store = StatelessStateStore::new(secrets);
    let state = support::session(now);
    let mut jar = MemoryCookieJar::new();
    rt.block_on(store.set("__a0_session", &state, false, &mut jar, now))
        .expect("written");

    let read = measure(batches, per_batch, || {
        let session = store
            .read_session("__a0_session", black_box(&jar), now)
            .expect("readable");
        black_box(session);
    });
    println!("rust session/read_4kb_chunked: {read:.1} µs/op");
    let write = measure(batches, per_batch, || {
        let mut out = jar.clone();
        out.clear_changes();
        rt.block_on(store.set("__a0_session", black_box(&state), false, &mut out, now))
            .expect("written");
        black_box(out);
    });
    println!("rust session/write_4kb_chunked: {write:.1} µs/op");
}
