//! A token-cache hit allocates nothing (issue 19): `allocation-counter` (whose counting global
//! allocator is linked into this test binary only) counts this thread's allocations during 100
//! hits on a current-thread runtime, for client credentials and for a token exchange (whose
//! key holds the subject token).

use auth0_auth::{AuthClient, ClientCredentialsRequest, ExchangeTokenRequest, TokenCache};
use auth0_emulator::{Emulator, Fault, demo};

#[test]
fn a_cache_hit_allocates_nothing() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let tenant = rt
        .block_on(Emulator::builder().demo_tenant().start())
        .unwrap();
    let client = AuthClient::builder(tenant.base_url(), demo::CLIENT_ID)
        .client_secret(demo::CLIENT_SECRET)
        .build()
        .unwrap();
    let cache = TokenCache::new();
    let request = ClientCredentialsRequest::new()
        .audience(demo::AUDIENCE)
        .organization(demo::ORGANIZATION_ID)
        .authorization_details(serde_json::json!([{ "type": "payment" }]));
    // The miss, and a few warm-up hits.
    for _ in 0..10 {
        rt.block_on(
            client
                .cached(&cache)
                .get_token_by_client_credentials(&request),
        )
        .unwrap();
    }
    let info = allocation_counter::measure(|| {
        for _ in 0..100 {
            let token = rt
                .block_on(
                    client
                        .cached(&cache)
                        .get_token_by_client_credentials(&request),
                )
                .unwrap();
            drop(token);
        }
    });
    assert_eq!(info.count_total, 0, "allocations in 100 cache hits");

    tenant.inject_fault(
        "/oauth/token",
        Fault::Status(
            200,
            r#"{"access_token":"exchanged","expires_in":3600,"token_type":"Bearer"}"#.into(),
        ),
        1,
    );
    let exchange = ExchangeTokenRequest::profile("urn:acme:token", "a-subject-token".into())
        .audience(demo::AUDIENCE);
    for _ in 0..10 {
        rt.block_on(client.cached(&cache).exchange_token(&exchange))
            .unwrap();
    }
    let info = allocation_counter::measure(|| {
        for _ in 0..100 {
            let token = rt
                .block_on(client.cached(&cache).exchange_token(&exchange))
                .unwrap();
            drop(token);
        }
    });
    assert_eq!(info.count_total, 0, "allocations in 100 exchange hits");
}
