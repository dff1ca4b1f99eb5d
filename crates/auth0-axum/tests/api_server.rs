//! The example API server (`examples/api_server.rs`) end to end over real HTTP on loopback,
//! against the emulator: no token is 401 with challenges, a token without the route's scope is
//! 403, a valid Bearer token is 200, a DPoP-bound token with a valid proof is 200 (also through
//! nested layers, which check the proof once) and a replayed proof is 401.

#[allow(dead_code)]
#[path = "../examples/api_server.rs"]
mod example;

use std::time::Duration;

use auth0_api::{ApiClient, Audience};
use auth0_auth::{AuthClient, ClientCredentialsRequest, DpopKey, ExposeSecret};
use auth0_axum::api::ApiGuard;
use auth0_emulator::{Emulator, RunningEmulator, demo};
use serde_json::json;

const LIMIT: Duration = Duration::from_secs(30);

async fn bounded<T>(fut: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(LIMIT, fut)
        .await
        .expect("the operation did not finish within the test's bound")
}

/// The tenant, and the example API serving on loopback (its base URL).
async fn start() -> (RunningEmulator, String) {
    let tenant = bounded(Emulator::builder().demo_tenant().start())
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let api = ApiClient::builder(tenant.base_url(), Audience::new(demo::AUDIENCE))
        .build()
        .unwrap();
    let app = example::app(ApiGuard::new(api).public_origin(origin.clone()));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (tenant, origin)
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn challenges(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .get_all("www-authenticate")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn the_example_api_answers_each_case_as_the_rfcs_say() {
    let (t, origin) = start().await;
    let http = reqwest::Client::new();
    let messages = format!("{origin}/api/messages");

    // Public: no token needed.
    let r = bounded(http.get(format!("{origin}/api/public")).send())
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    // No token: 401 with both challenges and no error.
    let r = bounded(http.get(&messages).send()).await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(
        challenges(&r),
        [r#"Bearer realm="api""#, r#"DPoP algs="ES256""#]
    );
    assert_eq!(r.headers()["cache-control"], "no-store");

    // A token without the route's scope: 403 insufficient_scope.
    let write_only = t.sign_jwt(
        None,
        &json!({
            "iss": t.issuer(), "sub": "auth0|w", "aud": demo::AUDIENCE,
            "iat": now(), "exp": now() + 600, "scope": "write:messages",
        }),
    );
    let r = bounded(http.get(&messages).bearer_auth(&write_only).send())
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(
        challenges(&r)[0].contains(r#"error="insufficient_scope""#),
        "{:?}",
        challenges(&r)
    );
    assert!(challenges(&r)[0].contains(r#"scope="read:messages""#));
    // The nested inner layer's scope is missing: 403.
    let read_only = t.sign_jwt(
        None,
        &json!({
            "iss": t.issuer(), "sub": "auth0|r", "aud": demo::AUDIENCE,
            "iat": now(), "exp": now() + 600, "scope": "read:messages",
        }),
    );
    let r = bounded(
        http.get(format!("{origin}/api/admin"))
            .bearer_auth(&read_only)
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 403);
    assert!(challenges(&r)[0].contains(r#"scope="write:messages""#));
    // … which the POST route (another scope) takes.
    let r = bounded(http.post(&messages).bearer_auth(&write_only).send())
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(bounded(r.text()).await.unwrap(), "written by auth0|w");

    // A valid Bearer token from the tenant: 200.
    let client = AuthClient::builder(t.base_url(), demo::CLIENT_ID)
        .client_secret(demo::CLIENT_SECRET)
        .build()
        .unwrap();
    let bearer =
        bounded(client.get_token_by_client_credentials(
            ClientCredentialsRequest::new().audience(demo::AUDIENCE),
        ))
        .await
        .unwrap();
    let r = bounded(
        http.get(&messages)
            .bearer_auth(bearer.access_token.expose_secret())
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    let r = bounded(
        http.get(format!("{origin}/api/me"))
            .bearer_auth(bearer.access_token.expose_secret())
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    // A broken token: 401 invalid_token.
    let r = bounded(http.get(&messages).bearer_auth("not.a.token").send())
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(challenges(&r)[0].contains(r#"error="invalid_token""#));

    // A DPoP-bound token with a valid proof: 200; the same proof again: 401.
    let dpop_client = AuthClient::builder(t.base_url(), demo::CLIENT_ID)
        .client_secret(demo::CLIENT_SECRET)
        .dpop_key(DpopKey::generate().unwrap())
        .build()
        .unwrap();
    let bound =
        bounded(dpop_client.get_token_by_client_credentials(
            ClientCredentialsRequest::new().audience(demo::AUDIENCE),
        ))
        .await
        .unwrap();
    let token = bound.access_token.expose_secret();
    let proof = dpop_client
        .dpop_proof(
            auth0_auth::DpopProofRequest::new(auth0_auth::reqwest::Method::GET, &messages)
                .access_token(bound.access_token.clone()),
        )
        .unwrap()
        .unwrap();
    let send = || {
        http.get(&messages)
            .header("authorization", format!("DPoP {token}"))
            .header("dpop", &proof)
            .send()
    };
    let r = bounded(send()).await.unwrap();
    assert_eq!(r.status(), 200, "{:?}", challenges(&r));
    // Nested layers verify the proof once, then check the inner layer's scope.
    let admin = format!("{origin}/api/admin");
    let admin_proof = dpop_client
        .dpop_proof(
            auth0_auth::DpopProofRequest::new(auth0_auth::reqwest::Method::GET, &admin)
                .access_token(bound.access_token.clone()),
        )
        .unwrap()
        .unwrap();
    let r = bounded(
        http.get(&admin)
            .header("authorization", format!("DPoP {token}"))
            .header("dpop", &admin_proof)
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 200, "{:?}", challenges(&r));
    // The first proof again: replayed.
    let r = bounded(send()).await.unwrap();
    assert_eq!(r.status(), 401);
    assert!(
        challenges(&r)[1].starts_with(r#"DPoP error="invalid_dpop_proof""#),
        "{:?}",
        challenges(&r)
    );
    // The bound token as Bearer: 401 invalid_token.
    let r = bounded(http.get(&messages).bearer_auth(token).send())
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(challenges(&r)[0].contains(r#"error="invalid_token""#));
    // Two Authorization headers: 400 invalid_request.
    let r = bounded(
        http.get(&messages)
            .header("authorization", format!("DPoP {token}"))
            .header("authorization", "Bearer x")
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 400);

    // The protected resource metadata document.
    let r = bounded(
        http.get(format!("{origin}/.well-known/oauth-protected-resource"))
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    let doc: serde_json::Value = bounded(r.json()).await.unwrap();
    assert_eq!(doc["resource"], demo::AUDIENCE);
    assert_eq!(doc["authorization_servers"][0], t.issuer());
}
