//! Discovery and its process-wide cache.

mod common;

use std::time::Duration;

use auth0_auth::{AuthClient, ErrorCode, ErrorKind};
use auth0_emulator::{Emulator, Fault, demo};
use common::{bounded, client, confidential, demo_tenant, tenant};

#[tokio::test]
async fn server_metadata_is_the_tenants_document() {
    let t = demo_tenant().await;
    let m = bounded(client(&t).server_metadata()).await.unwrap();
    assert_eq!(m.issuer, t.issuer());
    assert_eq!(
        m.token_endpoint.as_deref(),
        Some(format!("{}oauth/token", t.issuer()).as_str())
    );
    assert!(m.jwks_uri.is_some());
    assert!(m.other.contains_key("scopes_supported"));
}

#[tokio::test]
async fn fifty_clients_created_at_once_cause_one_discovery_request() {
    let t = demo_tenant().await;
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let c = client(&t);
        tasks.push(tokio::spawn(async move { c.server_metadata().await }));
    }
    for task in tasks {
        bounded(task).await.unwrap().unwrap();
    }
    // And a later client reuses the cached document.
    bounded(client(&t).server_metadata()).await.unwrap();
    assert_eq!(
        t.requests_to("/.well-known/openid-configuration").len(),
        1,
        "exactly one discovery request"
    );
}

#[tokio::test]
async fn the_cache_key_ignores_domain_case_but_not_mtls() {
    let t = demo_tenant().await;
    let upper = t.base_url().replace("http://", "HTTP://");
    let a = AuthClient::builder(&upper, demo::CLIENT_ID)
        .build()
        .unwrap();
    bounded(a.server_metadata()).await.unwrap();
    bounded(client(&t).server_metadata()).await.unwrap();
    assert_eq!(t.requests_to("/.well-known/openid-configuration").len(), 1);
    let m = AuthClient::builder(t.base_url(), demo::CLIENT_ID)
        .use_mtls(true)
        .http_client(reqwest::Client::new())
        .build()
        .unwrap();
    bounded(m.server_metadata()).await.unwrap();
    assert_eq!(t.requests_to("/.well-known/openid-configuration").len(), 2);
}

#[tokio::test]
async fn a_failed_discovery_is_not_cached() {
    let t = demo_tenant().await;
    t.inject_fault(
        "/.well-known/openid-configuration",
        Fault::ServerErrorHtml,
        1,
    );
    let c = client(&t);
    let e = bounded(c.server_metadata()).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::Discovery);
    assert_eq!(e.status(), Some(500));
    bounded(c.server_metadata()).await.unwrap();
    assert_eq!(t.requests_to("/.well-known/openid-configuration").len(), 2);
}

#[tokio::test]
async fn an_issuer_that_does_not_match_the_domain_is_refused() {
    let t = tenant(
        Emulator::builder()
            .demo_tenant()
            .issuer("https://someone-else.example.com/"),
    )
    .await;
    let e = bounded(client(&t).server_metadata()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Discovery);
    assert!(e.message().contains("someone-else.example.com"), "{e}");
}

#[tokio::test]
async fn discovery_settings_select_separate_caches() {
    let t = demo_tenant().await;
    let short = confidential(&t)
        .discovery_cache_ttl(Duration::from_millis(200))
        .build()
        .unwrap();
    bounded(short.server_metadata()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    bounded(short.server_metadata()).await.unwrap();
    // A second fetch after the short ttl ran out.
    assert_eq!(t.requests_to("/.well-known/openid-configuration").len(), 2);
}

#[tokio::test]
async fn plain_http_is_refused_for_hosts_that_are_not_loopback() {
    let e = AuthClient::builder("http://tenant.example.com", "c")
        .build()
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Configuration);
    assert!(e.message().contains("http"), "{e}");
    AuthClient::builder("http://localhost:1", "c")
        .build()
        .unwrap();
}
