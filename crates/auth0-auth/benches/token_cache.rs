//! The token cache's hit path (issue 19): `client.cached(&cache).get_token_by_client_credentials`
//! with the token already kept in the in-memory store, on a current-thread runtime (the per-iteration runtime entry excluded). The key is
//! hashed on the stack and nothing is allocated (tests/token_cache_alloc.rs checks that); the
//! target is at most 300 ns per hit. Run with
//! `cargo bench -p auth0-auth --bench token_cache`.

use auth0_auth::{ClientCredentialsRequest, TokenCache};
use auth0_emulator::{Emulator, demo};
use criterion::{Criterion, criterion_group, criterion_main};

fn hit(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let tenant = rt
        .block_on(Emulator::builder().demo_tenant().start())
        .expect("the emulator");
    let client = auth0_auth::AuthClient::builder(tenant.base_url(), demo::CLIENT_ID)
        .client_secret(demo::CLIENT_SECRET)
        .build()
        .expect("a client");
    let cache = TokenCache::new();
    let request = ClientCredentialsRequest::new()
        .audience(demo::AUDIENCE)
        .scope("read:reports")
        .organization(demo::ORGANIZATION_ID);
    rt.block_on(
        client
            .cached(&cache)
            .get_token_by_client_credentials(&request),
    )
    .expect("the first fetch");
    c.bench_function("token_cache/hit", |b| {
        b.iter(|| {
            rt.block_on(
                client
                    .cached(&cache)
                    .get_token_by_client_credentials(&request),
            )
            .expect("a hit")
        })
    });
}

criterion_group!(benches, hit);
criterion_main!(benches);
