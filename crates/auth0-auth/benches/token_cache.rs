//! The token cache's hit path (issue 19): `client.cached(&cache).get_token_by_client_credentials`
//! with the token already kept, on a current-thread runtime, every iteration inside one task
//! (criterion's async loop: no runtime entry per hit). Run with
//! `cargo bench -p auth0-auth --bench token_cache`.
//!
//! - `token_cache/hit`: the default, served from the local copy (a fast hash and a comparison
//!   of the key's bytes; nothing allocated, tests/token_cache_alloc.rs checks that). Target: at
//!   most 300 ns.
//! - `token_cache/hit_reading_the_store`: with `local_copy_ttl(0)`, every hit digests the key
//!   with SHA-256 and reads the in-memory store (the path of a hit before the local copy).
//! - `token_cache/exchange_hit`: a token exchange hit (the subject token is part of the key).

use auth0_auth::{ClientCredentialsRequest, ExchangeTokenRequest, TokenCache};
use auth0_emulator::{Emulator, Fault, demo};
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
    let reading = TokenCache::new().local_copy_ttl(std::time::Duration::ZERO);
    let exchange =
        ExchangeTokenRequest::profile("urn:acme:token", subject_token()).audience(demo::AUDIENCE);
    tenant.inject_fault(
        "/oauth/token",
        Fault::Status(
            200,
            r#"{"access_token":"exchanged","expires_in":3600,"token_type":"Bearer"}"#.into(),
        ),
        1,
    );
    rt.block_on(async {
        // The exchange first: the tenant's next token answer is the injected one.
        for _ in 0..3 {
            client
                .cached(&cache)
                .exchange_token(&exchange)
                .await
                .expect("the exchange");
        }
        for _ in 0..3 {
            client
                .cached(&reading)
                .get_token_by_client_credentials(&request)
                .await
                .expect("the first fetch");
        }
    });
    c.bench_function("token_cache/hit", |b| {
        b.to_async(&rt).iter(|| async {
            client
                .cached(&cache)
                .get_token_by_client_credentials(&request)
                .await
                .expect("a hit")
        })
    });
    c.bench_function("token_cache/hit_reading_the_store", |b| {
        b.to_async(&rt).iter(|| async {
            client
                .cached(&reading)
                .get_token_by_client_credentials(&request)
                .await
                .expect("a hit")
        })
    });
    c.bench_function("token_cache/exchange_hit", |b| {
        b.to_async(&rt).iter(|| async {
            client
                .cached(&cache)
                .exchange_token(&exchange)
                .await
                .expect("a hit")
        })
    });
}

/// A subject token the size of a typical JWT (about 800 characters).
fn subject_token() -> auth0_auth::SecretString {
    let mut s = String::from("eyJhbGciOiJSUzI1NiJ9.");
    while s.len() < 800 {
        s.push_str("eyJzdWIiOiJ1c2VyIn0");
    }
    s.into()
}

criterion_group!(benches, hit);
criterion_main!(benches);
