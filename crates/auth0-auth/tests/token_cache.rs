//! The token cache (issue 19) against the emulator: single flight, expiry margin, refresh ahead
//! of expiry, errors never kept, and keys that never collide. Requests are counted in the
//! emulator's request log.

mod common;

use std::sync::Arc;
use std::time::Duration;

use auth0_auth::{
    CachedToken, ClientCredentialsRequest, ExchangeTokenRequest, ExposeSecret, MemoryTokenStore,
    TokenCache, TokenKey, TokenStore, TokenStoreError,
};
use auth0_emulator::{Fault, demo};
use common::{bounded, client, demo_tenant};

const TOKEN_PATH: &str = "/oauth/token";

fn token_body(access_token: &str, expires_in: u64) -> Fault {
    Fault::Status(
        200,
        format!(
            r#"{{"access_token":"{access_token}","expires_in":{expires_in},"token_type":"Bearer"}}"#
        ),
    )
}

fn m2m() -> ClientCredentialsRequest {
    ClientCredentialsRequest::new().audience(demo::AUDIENCE)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_concurrent_callers_on_one_key_make_one_token_request() {
    let t = demo_tenant().await;
    let client = client(&t);
    let cache = TokenCache::new();
    let request = Arc::new(m2m());
    let tasks: Vec<_> = (0..1000)
        .map(|_| {
            let (client, cache, request) = (client.clone(), cache.clone(), request.clone());
            tokio::spawn(async move {
                client
                    .cached(&cache)
                    .get_token_by_client_credentials(&request)
                    .await
            })
        })
        .collect();
    let mut tokens = Vec::new();
    for task in tasks {
        tokens.push(bounded(task).await.unwrap().unwrap());
    }
    assert_eq!(t.requests_to(TOKEN_PATH).len(), 1);
    assert!(tokens.iter().all(|tok| tok.same_token(&tokens[0])));
    assert!(!tokens[0].access_token().expose_secret().is_empty());
}

#[tokio::test]
async fn a_token_within_the_expiry_margin_is_fetched_anew() {
    let t = demo_tenant().await;
    let client = client(&t);
    t.inject_fault(TOKEN_PATH, token_body("first", 100), 1);
    t.inject_fault(TOKEN_PATH, token_body("second", 100), 1);
    t.inject_fault(TOKEN_PATH, token_body("third", 100), 1);
    let request = m2m();

    // 100 s left and a 30 s margin: kept.
    let roomy = TokenCache::new().expiry_margin(Duration::from_secs(30));
    let a = bounded(
        client
            .cached(&roomy)
            .get_token_by_client_credentials(&request),
    )
    .await;
    let b = bounded(
        client
            .cached(&roomy)
            .get_token_by_client_credentials(&request),
    )
    .await;
    assert_eq!(a.unwrap().access_token().expose_secret(), "first");
    assert_eq!(b.unwrap().access_token().expose_secret(), "first");
    assert_eq!(t.requests_to(TOKEN_PATH).len(), 1);

    // 100 s left and a 120 s margin: never handed out from the cache.
    let strict = TokenCache::new().expiry_margin(Duration::from_secs(120));
    let c = bounded(
        client
            .cached(&strict)
            .get_token_by_client_credentials(&request),
    )
    .await;
    let d = bounded(
        client
            .cached(&strict)
            .get_token_by_client_credentials(&request),
    )
    .await;
    assert_eq!(c.unwrap().access_token().expose_secret(), "second");
    assert_eq!(d.unwrap().access_token().expose_secret(), "third");
    assert_eq!(t.requests_to(TOKEN_PATH).len(), 3);
}

/// The in-memory store, except that every token it keeps looks fetched `age` seconds earlier:
/// a token fetched now is then already past the point where a refresh ahead is due.
struct AgedStore {
    inner: MemoryTokenStore,
    age: u64,
}

impl TokenStore for AgedStore {
    async fn get(&self, key: &TokenKey) -> Result<Option<CachedToken>, TokenStoreError> {
        self.inner.get(key).await
    }

    async fn put(&self, key: &TokenKey, token: &CachedToken) -> Result<(), TokenStoreError> {
        let json = token.to_json();
        let mut value: serde_json::Value =
            serde_json::from_str(json.expose_secret()).expect("the cache writes JSON");
        value["fetched_at"] = (token.fetched_at() - self.age).into();
        let aged = CachedToken::from_json(&value.to_string())?;
        self.inner.put(key, &aged).await
    }
}

#[tokio::test]
async fn a_token_near_its_end_is_refreshed_in_the_background() {
    let t = demo_tenant().await;
    let client = client(&t);
    t.inject_fault(TOKEN_PATH, token_body("old", 100), 1);
    t.inject_fault(TOKEN_PATH, token_body("new", 3600), 1);
    // Fetched "900 s ago" with 100 s left and 5 min ahead: due for a refresh, still usable.
    let cache = TokenCache::with_store(AgedStore {
        inner: MemoryTokenStore::default(),
        age: 900,
    })
    .expiry_margin(Duration::from_secs(10))
    .refresh_ahead(Duration::from_secs(300));
    let request = m2m();
    let first = bounded(
        client
            .cached(&cache)
            .get_token_by_client_credentials(&request),
    )
    .await;
    assert_eq!(first.unwrap().access_token().expose_secret(), "old");
    // A hit: served at once from the cache, while a background task fetches the successor.
    let second = bounded(
        client
            .cached(&cache)
            .get_token_by_client_credentials(&request),
    )
    .await;
    assert_eq!(second.unwrap().access_token().expose_secret(), "old");
    bounded(async {
        while t.requests_to(TOKEN_PATH).len() < 2 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    let third = bounded(async {
        loop {
            let tok = client
                .cached(&cache)
                .get_token_by_client_credentials(&request)
                .await
                .unwrap();
            if tok.access_token().expose_secret() == "new" {
                return tok;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    assert!(third.expires_at() > first_expiry_floor());
    // One refresh, not one per hit.
    assert_eq!(t.requests_to(TOKEN_PATH).len(), 2);
}

#[tokio::test]
async fn a_failed_background_refresh_is_not_retried_on_every_hit() {
    let t = demo_tenant().await;
    let client = client(&t);
    t.inject_fault(TOKEN_PATH, token_body("old", 100), 1);
    t.inject_fault(
        TOKEN_PATH,
        Fault::Status(403, r#"{"error":"access_denied"}"#.into()),
        1,
    );
    let cache = TokenCache::with_store(AgedStore {
        inner: MemoryTokenStore::default(),
        age: 900,
    })
    .expiry_margin(Duration::from_secs(10));
    let request = m2m();
    bounded(
        client
            .cached(&cache)
            .get_token_by_client_credentials(&request),
    )
    .await
    .unwrap();
    // This hit starts the background refresh, which fails.
    bounded(
        client
            .cached(&cache)
            .get_token_by_client_credentials(&request),
    )
    .await
    .unwrap();
    bounded(async {
        while t.requests_to(TOKEN_PATH).len() < 2 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    // Let the failed flight finish and record its failure.
    tokio::time::sleep(Duration::from_millis(200)).await;
    // The token in hand is still good: hits keep returning it without a request each.
    for _ in 0..20 {
        let tok = bounded(
            client
                .cached(&cache)
                .get_token_by_client_credentials(&request),
        )
        .await
        .unwrap();
        assert_eq!(tok.access_token().expose_secret(), "old");
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(t.requests_to(TOKEN_PATH).len(), 2);
}

fn first_expiry_floor() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 1000
}

#[tokio::test]
async fn errors_are_never_cached() {
    let t = demo_tenant().await;
    let client = client(&t);
    t.inject_fault(
        TOKEN_PATH,
        Fault::Status(
            403,
            r#"{"error":"access_denied","error_description":"not now"}"#.into(),
        ),
        1,
    );
    let cache = TokenCache::new();
    let request = m2m();
    let e = bounded(
        client
            .cached(&cache)
            .get_token_by_client_credentials(&request),
    )
    .await
    .unwrap_err();
    assert_eq!(e.oauth().map(|o| o.error.as_str()), Some("access_denied"));
    let ok = bounded(
        client
            .cached(&cache)
            .get_token_by_client_credentials(&request),
    )
    .await;
    assert!(ok.is_ok());
    assert_eq!(t.requests_to(TOKEN_PATH).len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_callers_share_one_failure_and_the_next_call_tries_again() {
    let t = demo_tenant().await;
    let client = client(&t);
    t.inject_fault(
        TOKEN_PATH,
        Fault::Status(403, r#"{"error":"access_denied"}"#.into()),
        1,
    );
    let cache = TokenCache::new();
    let request = Arc::new(m2m());
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let (client, cache, request) = (client.clone(), cache.clone(), request.clone());
            tokio::spawn(async move {
                client
                    .cached(&cache)
                    .get_token_by_client_credentials(&request)
                    .await
            })
        })
        .collect();
    let mut failures = 0;
    for task in tasks {
        if bounded(task).await.unwrap().is_err() {
            failures += 1;
        }
    }
    // Every caller of the one failed flight saw its error; later flights (if any) succeeded.
    assert!(failures >= 1);
    let after = bounded(
        client
            .cached(&cache)
            .get_token_by_client_credentials(&request),
    )
    .await;
    assert!(after.is_ok());
}

#[tokio::test]
async fn keys_that_differ_only_by_organization_or_scope_never_collide() {
    let t = demo_tenant().await;
    let client = client(&t);
    for name in ["plain", "org", "scoped", "other-org"] {
        t.inject_fault(TOKEN_PATH, token_body(name, 3600), 1);
    }
    let cache = TokenCache::new();
    let requests = [
        m2m(),
        m2m().organization(demo::ORGANIZATION_ID),
        m2m().scope("read:reports"),
        m2m().organization("org_other"),
    ];
    for (request, want) in requests.iter().zip(["plain", "org", "scoped", "other-org"]) {
        let tok = bounded(
            client
                .cached(&cache)
                .get_token_by_client_credentials(request),
        )
        .await;
        assert_eq!(tok.unwrap().access_token().expose_secret(), want);
    }
    // Asked again, each request gets its own token back.
    for (request, want) in requests.iter().zip(["plain", "org", "scoped", "other-org"]) {
        let tok = bounded(
            client
                .cached(&cache)
                .get_token_by_client_credentials(request),
        )
        .await;
        assert_eq!(tok.unwrap().access_token().expose_secret(), want);
    }
    assert_eq!(t.requests_to(TOKEN_PATH).len(), 4);
}

#[tokio::test]
async fn exchanges_are_keyed_by_their_subject_token() {
    let t = demo_tenant().await;
    let client = client(&t);
    t.inject_fault(TOKEN_PATH, token_body("for-alice", 3600), 1);
    t.inject_fault(TOKEN_PATH, token_body("for-bob", 3600), 1);
    let cache = TokenCache::new();
    let alice = ExchangeTokenRequest::profile("urn:acme:token", "alice-token".into())
        .audience(demo::AUDIENCE);
    let bob = ExchangeTokenRequest::profile("urn:acme:token", "bob-token".into())
        .audience(demo::AUDIENCE);
    for _ in 0..2 {
        let a = bounded(client.cached(&cache).exchange_token(&alice))
            .await
            .unwrap();
        let b = bounded(client.cached(&cache).exchange_token(&bob))
            .await
            .unwrap();
        assert_eq!(a.access_token().expose_secret(), "for-alice");
        assert_eq!(b.access_token().expose_secret(), "for-bob");
    }
    assert_eq!(t.requests_to(TOKEN_PATH).len(), 2);
    // The cache's Debug output shows no token.
    let shown = format!(
        "{cache:?} {:?}",
        bounded(client.cached(&cache).exchange_token(&alice)).await
    );
    assert!(!shown.contains("for-alice"));
}

/// The in-memory store, counting its reads.
#[derive(Default)]
struct CountingStore {
    inner: MemoryTokenStore,
    reads: std::sync::atomic::AtomicUsize,
}

impl TokenStore for CountingStore {
    async fn get(&self, key: &TokenKey) -> Result<Option<CachedToken>, TokenStoreError> {
        self.reads.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.inner.get(key).await
    }

    async fn put(&self, key: &TokenKey, token: &CachedToken) -> Result<(), TokenStoreError> {
        self.inner.put(key, token).await
    }
}

fn reads(cache: &TokenCache<CountingStore>) -> usize {
    cache
        .store()
        .reads
        .load(std::sync::atomic::Ordering::SeqCst)
}

#[tokio::test]
async fn hits_come_from_the_local_copy_without_reading_the_store() {
    let t = demo_tenant().await;
    let client = client(&t);
    let request = m2m();
    let cache = TokenCache::with_store(CountingStore::default());
    // The miss fetches, the next call reads the token back from the store and copies it.
    for _ in 0..2 {
        bounded(
            client
                .cached(&cache)
                .get_token_by_client_credentials(&request),
        )
        .await
        .unwrap();
    }
    let after_copy = reads(&cache);
    for _ in 0..50 {
        bounded(
            client
                .cached(&cache)
                .get_token_by_client_credentials(&request),
        )
        .await
        .unwrap();
    }
    assert_eq!(reads(&cache), after_copy, "hits read the store");
    assert_eq!(t.requests_to(TOKEN_PATH).len(), 1);

    // With no local copy, every call reads the store (and still fetches only once).
    let direct = TokenCache::with_store(CountingStore::default()).local_copy_ttl(Duration::ZERO);
    for _ in 0..10 {
        bounded(
            client
                .cached(&direct)
                .get_token_by_client_credentials(&request),
        )
        .await
        .unwrap();
    }
    assert!(reads(&direct) >= 10);
    assert_eq!(t.requests_to(TOKEN_PATH).len(), 2);
}

#[tokio::test]
async fn without_a_local_copy_a_token_removed_from_the_store_is_fetched_anew() {
    let t = demo_tenant().await;
    let client = client(&t);
    // Answered in this order.
    t.inject_fault(TOKEN_PATH, token_body("first", 3600), 1);
    t.inject_fault(TOKEN_PATH, token_body("other", 3600), 1);
    t.inject_fault(TOKEN_PATH, token_body("second", 3600), 1);
    let request = m2m();
    // A copy that lapses at once: the store decides on every call.
    let cache = TokenCache::with_store(MemoryTokenStore::new(1)).local_copy_ttl(Duration::ZERO);
    let first = bounded(
        client
            .cached(&cache)
            .get_token_by_client_credentials(&request),
    )
    .await
    .unwrap();
    assert_eq!(first.access_token().expose_secret(), "first");
    // Another key pushes the token out of the one-token store.
    bounded(
        client
            .cached(&cache)
            .get_token_by_client_credentials(&m2m().scope("other")),
    )
    .await
    .unwrap();
    let again = bounded(
        client
            .cached(&cache)
            .get_token_by_client_credentials(&request),
    )
    .await
    .unwrap();
    assert_eq!(again.access_token().expose_secret(), "second");
    assert_eq!(t.requests_to(TOKEN_PATH).len(), 3);
}

#[tokio::test]
async fn a_dpop_client_and_a_bearer_client_never_share_a_token() {
    let t = demo_tenant().await;
    let bearer = client(&t);
    let dpop = common::confidential(&t)
        .dpop_key(auth0_auth::DpopKey::generate().unwrap())
        .build()
        .unwrap();
    let cache = TokenCache::new();
    let request = m2m();
    for _ in 0..2 {
        let b = bounded(
            bearer
                .cached(&cache)
                .get_token_by_client_credentials(&request),
        )
        .await
        .unwrap();
        let d = bounded(
            dpop.cached(&cache)
                .get_token_by_client_credentials(&request),
        )
        .await
        .unwrap();
        assert_eq!(b.token_type(), Some("bearer"));
        assert_eq!(d.token_type(), Some("dpop"));
        assert!(!b.same_token(&d));
    }
    assert_eq!(t.requests_to(TOKEN_PATH).len(), 2);
}
