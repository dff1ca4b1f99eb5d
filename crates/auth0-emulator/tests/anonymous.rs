//! Anonymous sessions: `/anonymous/token` and `/anonymous/logout`.

mod common;

use std::time::{Duration, SystemTime};

use auth0_emulator::{Emulator, RunningEmulator, demo};
use common::{http, within};
use serde_json::{Value, json};

async fn tenant() -> RunningEmulator {
    Emulator::builder()
        .demo_tenant()
        .anonymous_token_lifetime(120)
        .anonymous_session_lifetime(3600)
        .start()
        .await
        .unwrap()
}

async fn anon(em: &RunningEmulator, mut body: Value) -> (u16, Value, Option<String>) {
    if body.get("client_id").is_none() {
        body["client_id"] = json!(demo::CLIENT_ID);
        body["client_secret"] = json!(demo::CLIENT_SECRET);
    }
    let response = http()
        .post(format!("{}/anonymous/token", em.base_url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let cookie = response
        .headers()
        .get("set-cookie")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, response.json().await.unwrap(), cookie)
}

#[tokio::test]
async fn create_renew_and_transfer() {
    within(async {
        let em = tenant().await;
        let (status, created, cookie) = anon(
            &em,
            json!({"audience": demo::AUDIENCE, "scope": "read:messages offline_access",
                   "metadata": {"cart": "3 items"}}),
        )
        .await;
        assert_eq!(status, 200, "{created}");
        assert_eq!(created["expires_in"], 120);
        assert_eq!(created["session_expires_in"], 3600);
        assert_eq!(created["scope"], "read:messages");
        assert!(cookie.unwrap().starts_with("auth0_anon="));
        let session_token = created["session_token"].as_str().unwrap().to_owned();
        let claims = common::verify(&em, created["access_token"].as_str().unwrap(), demo::AUDIENCE).await;
        let sub = claims["sub"].as_str().unwrap().to_owned();
        assert!(sub.starts_with("anonymous|"), "{sub}");
        assert_eq!(claims["azp"], demo::CLIENT_ID);

        let sessions = em.anonymous_sessions();
        assert_eq!(sessions.len(), 1);
        assert_eq!(sessions[0].session_token_prefix, session_token[..6]);
        assert_eq!(sessions[0].metadata, Some(json!({"cart": "3 items"})));
        assert_eq!(sessions[0].renewals, 0);
        let left = sessions[0].expires_at.duration_since(SystemTime::now()).unwrap();
        assert!(left > Duration::from_secs(3500) && left <= Duration::from_secs(3600));

        // Renew: the same subject, no new session token.
        let (status, renewed, _) = anon(&em, json!({"session_token": session_token})).await;
        assert_eq!(status, 200, "{renewed}");
        assert!(renewed.get("session_token").is_none());
        assert!(renewed["session_expires_in"].as_u64().unwrap() <= 3600);
        let claims = common::verify(&em, renewed["access_token"].as_str().unwrap(), demo::AUDIENCE).await;
        assert_eq!(claims["sub"], sub);
        assert_eq!(em.anonymous_sessions()[0].renewals, 1);

        // Metadata is for creation only.
        let (status, body, _) =
            anon(&em, json!({"session_token": session_token, "metadata": {"a": "b"}})).await;
        assert_eq!(status, 400);
        assert_eq!(
            body,
            json!({"error": "invalid_request",
                   "error_description": "metadata cannot be provided when session_token is present"})
        );

        // Transfer tokens.
        let (status, body, _) = anon(
            &em,
            json!({"session_token": session_token, "audience": "urn:auth0:anon_transfer"}),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert!(!body["anon_transfer_token"].as_str().unwrap().is_empty());
        assert_eq!(em.anonymous_transfer_tokens_issued(), 1);
        let (status, _, _) = anon(&em, json!({"audience": "urn:auth0:anon_transfer"})).await;
        assert_eq!(status, 400);
    })
    .await;
}

#[tokio::test]
async fn expired_unknown_and_ended_sessions() {
    within(async {
        let em = tenant().await;
        let (_, created, _) = anon(&em, json!({})).await;
        let session_token = created["session_token"].as_str().unwrap().to_owned();
        assert!(created.get("scope").is_none());

        let (status, body, _) = anon(&em, json!({"session_token": "nope"})).await;
        assert_eq!(status, 400);
        assert_eq!(body["error"], "invalid_session_token");

        em.expire_anonymous_sessions();
        let (status, body, _) = anon(&em, json!({"session_token": session_token})).await;
        assert_eq!(status, 400);
        assert_eq!(body["error"], "session_expired");
        let (status, body, _) = anon(
            &em,
            json!({"session_token": session_token, "audience": "urn:auth0:anon_transfer"}),
        )
        .await;
        assert_eq!(status, 400);
        assert_eq!(body["error"], "session_expired");

        em.end_anonymous_sessions();
        assert!(em.anonymous_sessions().is_empty());
        let (_, body, _) = anon(&em, json!({"session_token": session_token})).await;
        assert_eq!(body["error"], "invalid_session_token");
    })
    .await;
}

#[tokio::test]
async fn refusals_and_public_clients() {
    within(async {
        let em = tenant().await;
        let big: String = "x".repeat(1100);
        let (status, body, _) = anon(&em, json!({"metadata": {"big": big}})).await;
        assert_eq!(status, 400);
        assert_eq!(body["error"], "invalid_request");
        let (status, body, _) = anon(&em, json!({"metadata": "text"})).await;
        assert_eq!(status, 400, "{body}");
        let (status, body, _) = anon(
            &em,
            json!({"client_id": demo::CLIENT_ID, "client_secret": "wrong"}),
        )
        .await;
        assert_eq!(status, 401);
        assert_eq!(body["error"], "invalid_client");
        let (status, body, _) = anon(&em, json!({"audience": "https://unknown/"})).await;
        assert_eq!(status, 403);
        assert_eq!(body["error"], "access_denied");

        // A public client with client_id only; another client cannot use its session.
        let (status, created, _) = anon(&em, json!({"client_id": demo::PUBLIC_CLIENT_ID})).await;
        assert_eq!(status, 200, "{created}");
        let session_token = created["session_token"].as_str().unwrap();
        let (status, body, _) = anon(&em, json!({"session_token": session_token})).await;
        assert_eq!(status, 400);
        assert_eq!(body["error"], "invalid_session_token");
        let (status, _, _) = anon(
            &em,
            json!({"client_id": demo::PUBLIC_CLIENT_ID, "session_token": session_token}),
        )
        .await;
        assert_eq!(status, 200);
    })
    .await;
}

#[tokio::test]
async fn logout_ends_the_session_its_cookie_names() {
    within(async {
        let em = tenant().await;
        let (_, created, cookie) = anon(&em, json!({})).await;
        let session_token = created["session_token"].as_str().unwrap().to_owned();
        let cookie = cookie.unwrap();
        let pair = cookie.split(';').next().unwrap().to_owned();
        let (_, _other, _) = anon(&em, json!({})).await;
        assert_eq!(em.anonymous_sessions().len(), 2);

        let logout = |cookie: Option<String>, body: Value| {
            let em = em.clone();
            async move {
                let mut request = http()
                    .post(format!("{}/anonymous/logout", em.base_url()))
                    .json(&body);
                if let Some(cookie) = cookie {
                    request = request.header("cookie", cookie);
                }
                request.send().await.unwrap().status().as_u16()
            }
        };
        // Without a cookie: 200, nothing ended.
        assert_eq!(
            logout(None, json!({"client_id": demo::CLIENT_ID})).await,
            200
        );
        assert_eq!(em.anonymous_sessions().len(), 2);
        assert_eq!(logout(Some(pair.clone()), json!({})).await, 400);
        assert_eq!(
            logout(Some(pair.clone()), json!({"client_id": "who"})).await,
            401
        );
        assert_eq!(
            logout(Some(pair), json!({"client_id": demo::CLIENT_ID})).await,
            200
        );
        assert_eq!(em.anonymous_sessions().len(), 1);
        let (status, body, _) = anon(&em, json!({"session_token": session_token})).await;
        assert_eq!(status, 400);
        assert_eq!(body["error"], "invalid_session_token");
    })
    .await;
}

#[tokio::test]
async fn anonymous_tokens_reach_userinfo_and_default_lifetimes() {
    within(async {
        let em = Emulator::builder().demo_tenant().start().await.unwrap();
        let (status, created, _) = anon(&em, json!({"scope": "openid"})).await;
        assert_eq!(status, 200, "{created}");
        assert_eq!(created["expires_in"], 600);
        assert_eq!(created["session_expires_in"], 86_400);
        let info: Value = http()
            .get(format!("{}/userinfo", em.base_url()))
            .bearer_auth(created["access_token"].as_str().unwrap())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(info["sub"].as_str().unwrap().starts_with("anonymous|"));
    })
    .await;
}
