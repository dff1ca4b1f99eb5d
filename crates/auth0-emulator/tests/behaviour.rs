//! The request log, injected faults, unknown routes, body limits, test signing helpers and
//! shutdown.

mod common;

use std::time::{Duration, Instant};

use auth0_emulator::{Fault, demo};
use common::{demo_tenant, get_json, http, token, verify, within};
use serde_json::json;

#[tokio::test]
async fn requests_are_recorded_in_order() {
    within(async {
        let em = demo_tenant().await;
        get_json(&em, "/.well-known/openid-configuration").await;
        let _ = http()
            .post(format!("{}/oauth/token?x=1", em.base_url()))
            .header("Auth0-Client", "abc")
            .form(&[("grant_type", "client_credentials"), ("scope", "a b")])
            .send()
            .await
            .unwrap();
        let all = em.requests();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].method, "GET");
        assert_eq!(all[0].path, "/.well-known/openid-configuration");
        let posted = &em.requests_to("/oauth/token")[0];
        assert_eq!(posted.method, "POST");
        assert_eq!(posted.query.as_deref(), Some("x=1"));
        assert_eq!(posted.header("auth0-client"), Some("abc"));
        assert_eq!(
            posted.header("Content-Type"),
            Some("application/x-www-form-urlencoded")
        );
        assert_eq!(posted.form_value("scope").as_deref(), Some("a b"));
        assert_eq!(posted.form()[0].0, "grant_type");
        em.clear_requests();
        assert!(em.requests().is_empty());
    })
    .await;
}

#[tokio::test]
async fn faults_apply_then_run_out() {
    within(async {
        let em = demo_tenant().await;
        let path = "/.well-known/openid-configuration";
        let url = format!("{}{path}", em.base_url());
        let client = http();

        em.inject_fault(path, Fault::ServerErrorHtml, 1);
        let r = client.get(&url).send().await.unwrap();
        assert_eq!(r.status(), 500);
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        assert!(r.text().await.unwrap().contains("Internal Server Error"));
        assert_eq!(client.get(&url).send().await.unwrap().status(), 200);

        em.inject_fault(path, Fault::MalformedJson, 1);
        let r = client.get(&url).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.text().await.unwrap(), r#"{"access_token": "abc","#);

        em.inject_fault(path, Fault::OversizedBody(5000), 1);
        assert_eq!(
            client
                .get(&url)
                .send()
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap()
                .len(),
            5000
        );

        em.inject_fault(path, Fault::EmptyBody(502), 1);
        let r = client.get(&url).send().await.unwrap();
        assert_eq!(r.status(), 502);
        assert!(r.bytes().await.unwrap().is_empty());

        em.inject_fault(
            path,
            Fault::Status(503, r#"{"error":"temporarily_unavailable"}"#.into()),
            2,
        );
        for _ in 0..2 {
            let r = client.get(&url).send().await.unwrap();
            assert_eq!(r.status(), 503);
            assert_eq!(r.headers()["content-type"], "application/json");
        }

        em.inject_fault(
            path,
            Fault::RateLimited {
                retry_after_secs: 7,
            },
            1,
        );
        let r = client.get(&url).send().await.unwrap();
        assert_eq!(r.status(), 429);
        assert_eq!(r.headers()["retry-after"], "7");
        assert!(r.headers().contains_key("x-ratelimit-reset"));
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["error"], "too_many_requests");

        em.inject_fault(path, Fault::Delay(Duration::from_millis(300)), 1);
        let started = Instant::now();
        assert_eq!(client.get(&url).send().await.unwrap().status(), 200);
        assert!(started.elapsed() >= Duration::from_millis(300));

        em.inject_fault(path, Fault::ServerErrorHtml, 5);
        em.clear_faults();
        assert_eq!(client.get(&url).send().await.unwrap().status(), 200);

        // Faulted requests are still recorded.
        em.inject_fault("/oauth/token", Fault::EmptyBody(500), 1);
        let r = client
            .post(format!("{}/oauth/token", em.base_url()))
            .form(&[("a", "b")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 500);
        assert_eq!(em.requests_to("/oauth/token")[0].body, "a=b");
    })
    .await;
}

#[tokio::test]
async fn unknown_routes_and_large_bodies() {
    within(async {
        let em = demo_tenant().await;
        let r = http()
            .get(format!("{}/nope", em.base_url()))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);
        assert_eq!(
            r.json::<serde_json::Value>().await.unwrap(),
            json!({"error": "not_found"})
        );
        assert_eq!(em.requests_to("/nope").len(), 1);

        let r = http()
            .get(format!("{}/oauth/token", em.base_url()))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 405);

        let big = "a".repeat(2 * 1024 * 1024);
        let r = http()
            .post(format!("{}/oauth/token", em.base_url()))
            .body(big)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 413);
    })
    .await;
}

#[tokio::test]
async fn sign_jwt_crafts_tokens() {
    within(async {
        let em = demo_tenant().await;
        let now = jsonwebtoken::get_current_timestamp();
        let claims =
            json!({"iss": em.issuer(), "aud": "x", "sub": "s", "iat": now, "exp": now + 60});
        let token = em.sign_jwt(None, &claims);
        assert_eq!(verify(&em, &token, "x").await["sub"], "s");
        let crafted = em.sign_jwt(Some(("RS256", "unknown-kid")), &claims);
        assert_eq!(
            jsonwebtoken::decode_header(&crafted)
                .unwrap()
                .kid
                .as_deref(),
            Some("unknown-kid")
        );
        let unsigned = em.sign_jwt(Some(("none", "k")), &claims);
        assert!(unsigned.ends_with('.'));

        // Tokens signed before a rotation still verify while the old key is published.
        em.rotate_signing_key();
        assert_eq!(verify(&em, &token, "x").await["sub"], "s");
    })
    .await;
}

#[tokio::test]
async fn shutdown_stops_the_server() {
    within(async {
        let em = demo_tenant().await;
        let (status, _) = token(
            &em,
            &[
                ("grant_type", "client_credentials"),
                ("audience", demo::AUDIENCE),
                ("client_id", demo::CLIENT_ID),
                ("client_secret", demo::CLIENT_SECRET),
            ],
        )
        .await;
        assert_eq!(status, 200);
        let url = format!("{}/.well-known/jwks.json", em.base_url());
        em.shutdown().await;
        let fresh = http();
        assert!(fresh.get(&url).send().await.is_err());
        // The log is still readable.
        assert_eq!(em.requests().len(), 1);

        // Dropping the last handle stops the server too.
        let em = demo_tenant().await;
        let url = format!("{}/.well-known/jwks.json", em.base_url());
        drop(em);
        let mut stopped = false;
        for _ in 0..50 {
            if http().get(&url).send().await.is_err() {
                stopped = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(stopped);
    })
    .await;
}
