//! The HTTP control API (`/__emulator/…`) against an in-process tenant, and grant types set
//! with the Rust builder. (Moving the clock is process-wide, so it is tested against the binary
//! in `standalone.rs`.)

mod common;

use std::collections::HashMap;

use auth0_emulator::{ClientConfig, Emulator, RunningEmulator, UserConfig, demo};
use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::routing::post;
use common::{borrow, demo_tenant, http, password_form, token, within};
use serde_json::{Value, json};
use tokio::sync::mpsc;

async fn call(em: &RunningEmulator, method: &str, path: &str, body: Option<&str>) -> (u16, Value) {
    let url = format!("{}/__emulator{path}", em.base_url());
    let request = match method {
        "POST" => http().post(url),
        "DELETE" => http().delete(url),
        _ => http().get(url),
    };
    let request = match body {
        Some(body) => request
            .header("content-type", "application/json")
            .body(body.to_owned()),
        None => request,
    };
    let response = request.send().await.expect("control request");
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON answer"))
}

fn demo_user_id() -> String {
    UserConfig::new(demo::USERNAME, demo::PASSWORD)
        .id()
        .to_owned()
}

#[tokio::test]
async fn the_index_lists_routes_and_unknown_ones_are_404() {
    within(async {
        let em = demo_tenant().await;
        let (status, index) = call(&em, "GET", "/", None).await;
        assert_eq!(status, 200);
        let routes = index["routes"].as_array().unwrap();
        assert!(routes.iter().any(|r| r["path"] == "/__emulator/reset"));
        assert!(
            index["note"]
                .as_str()
                .unwrap()
                .contains("no authentication")
        );
        let (status, body) = call(&em, "GET", "/nope", None).await;
        assert_eq!(status, 404);
        assert_eq!(body["error"], "not_found");
        let (status, body) = call(&em, "POST", "/faults", Some("{not json")).await;
        assert_eq!(status, 400);
        assert_eq!(body["error"], "invalid_request");
    })
    .await;
}

#[tokio::test]
async fn the_tenant_is_described_without_secrets() {
    within(async {
        let em = demo_tenant().await;
        let (_, t) = call(&em, "GET", "/tenant", None).await;
        assert_eq!(t["issuer"], em.issuer());
        assert_eq!(t["control_api"], format!("{}/__emulator/", em.base_url()));
        let client = t["clients"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["client_id"] == demo::CLIENT_ID)
            .unwrap()
            .clone();
        assert_eq!(client["callbacks"][0], demo::CALLBACKS[0]);
        assert_eq!(client["logout_urls"], json!([demo::LOGOUT_URL]));
        let user = &t["users"][0];
        assert_eq!(user["login"], demo::USERNAME);
        assert_eq!(user["user_id"], demo_user_id());
        let text = t.to_string();
        assert!(!text.contains(demo::CLIENT_SECRET));
        assert!(!text.contains(demo::PASSWORD));
    })
    .await;
}

#[tokio::test]
async fn the_request_log_can_be_read_and_cleared_and_skips_control_calls() {
    within(async {
        let em = demo_tenant().await;
        let form = password_form("openid");
        let (status, _) = token(&em, &borrow(&form)).await;
        assert_eq!(status, 200);
        let _ = call(&em, "GET", "/tenant", None).await;
        let (_, log) = call(&em, "GET", "/requests", None).await;
        let requests = log["requests"].as_array().unwrap();
        assert_eq!(requests.len(), 1, "control calls are not logged: {log}");
        assert_eq!(requests[0]["method"], "POST");
        assert_eq!(requests[0]["path"], "/oauth/token");
        assert!(
            requests[0]["body"]
                .as_str()
                .unwrap()
                .contains("grant_type=password")
        );
        assert!(requests[0]["headers"]["content-type"].is_string());
        let (_, only) = call(&em, "GET", "/requests?path=/authorize", None).await;
        assert_eq!(only["requests"], json!([]));
        let (status, _) = call(&em, "DELETE", "/requests", None).await;
        assert_eq!(status, 200);
        assert!(em.requests().is_empty());
    })
    .await;
}

#[tokio::test]
async fn faults_are_queued_and_cleared_but_never_hit_the_control_api() {
    within(async {
        let em = demo_tenant().await;
        let (status, body) = call(
            &em,
            "POST",
            "/faults",
            Some(r#"{"path": "/oauth/token", "fault": {"kind": "status", "status": 503, "body": "{\"error\":\"down\"}"}, "times": 2}"#),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let form = password_form("openid");
        for _ in 0..2 {
            let (status, body) = token(&em, &borrow(&form)).await;
            assert_eq!(status, 503);
            assert_eq!(body["error"], "down");
        }
        assert_eq!(token(&em, &borrow(&form)).await.0, 200);

        let _ = call(
            &em,
            "POST",
            "/faults",
            Some(r#"{"path": "/oauth/token", "fault": {"kind": "rate_limited", "retry_after_secs": 7}}"#),
        )
        .await;
        let (status, _) = call(&em, "DELETE", "/faults", None).await;
        assert_eq!(status, 200);
        assert_eq!(token(&em, &borrow(&form)).await.0, 200);

        // A fault on a control path is accepted but the control API ignores it.
        let _ = call(
            &em,
            "POST",
            "/faults",
            Some(r#"{"path": "/__emulator/tenant", "fault": {"kind": "server_error_html"}}"#),
        )
        .await;
        assert_eq!(call(&em, "GET", "/tenant", None).await.0, 200);

        for bad in [
            r#"{"path": "/oauth/token", "fault": {"kind": "teleport"}}"#,
            r#"{"path": "/oauth/token", "fault": {"kind": "empty_body", "status": 1000}}"#,
            r#"{"path": "oauth/token", "fault": {"kind": "malformed_json"}}"#,
            r#"{"path": "/oauth/token", "fault": {"kind": "malformed_json"}, "times": 0}"#,
        ] {
            let (status, body) = call(&em, "POST", "/faults", Some(bad)).await;
            assert_eq!(status, 400, "{bad}: {body}");
        }
    })
    .await;
}

#[tokio::test]
async fn ciba_and_device_requests_are_answered_over_http() {
    within(async {
        let em = Emulator::builder()
            .ciba_interval(0)
            .demo_tenant()
            .start()
            .await
            .unwrap();
        let hint =
            json!({"format": "iss_sub", "iss": em.issuer(), "sub": demo_user_id()}).to_string();
        let started: Value = http()
            .post(format!("{}/bc-authorize", em.base_url()))
            .form(&[
                ("client_id", demo::CLIENT_ID),
                ("client_secret", demo::CLIENT_SECRET),
                ("scope", "openid"),
                ("binding_message", "ok?"),
                ("login_hint", hint.as_str()),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = started["auth_req_id"].as_str().unwrap();
        let (_, list) = call(&em, "GET", "/ciba", None).await;
        assert_eq!(list["requests"][0]["status"], "pending");
        assert_eq!(list["requests"][0]["binding_message"], "ok?");
        let (status, _) = call(&em, "POST", &format!("/ciba/{id}/approve"), None).await;
        assert_eq!(status, 200);
        let (status, body) = token(
            &em,
            &[
                ("grant_type", "urn:openid:params:grant-type:ciba"),
                ("auth_req_id", id),
                ("client_id", demo::CLIENT_ID),
                ("client_secret", demo::CLIENT_SECRET),
            ],
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let (_, list) = call(&em, "GET", "/ciba", None).await;
        assert_eq!(
            list["requests"][0]["poll_gaps_ms"],
            json!([]),
            "one poll, no gap"
        );
        assert_eq!(call(&em, "POST", "/ciba/unknown/deny", None).await.0, 404);
        // Approval in the background.
        let later = http()
            .post(format!("{}/bc-authorize", em.base_url()))
            .form(&[
                ("client_id", demo::CLIENT_ID),
                ("client_secret", demo::CLIENT_SECRET),
                ("scope", "openid"),
                ("binding_message", "later?"),
                ("login_hint", hint.as_str()),
            ])
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap();
        let later_id = later["auth_req_id"].as_str().unwrap();
        let (status, _) = call(
            &em,
            "POST",
            &format!("/ciba/{later_id}/approve"),
            Some(r#"{"after_ms": 10}"#),
        )
        .await;
        assert_eq!(status, 200);
        // Bounded by `within`.
        loop {
            let (_, list) = call(&em, "GET", "/ciba", None).await;
            let request = list["requests"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["auth_req_id"] == later_id)
                .cloned()
                .unwrap();
            if request["status"] == "approved" {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert_eq!(
            call(&em, "POST", &format!("/ciba/{id}/shrug"), None)
                .await
                .0,
            404
        );

        let device: Value = http()
            .post(format!("{}/oauth/device/code", em.base_url()))
            .form(&[("client_id", demo::PUBLIC_CLIENT_ID), ("scope", "openid")])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let user_code = device["user_code"].as_str().unwrap();
        let (status, body) = call(
            &em,
            "POST",
            &format!("/device/{user_code}/approve"),
            Some("{}"),
        )
        .await;
        assert_eq!(status, 400, "approving needs a username: {body}");
        let approve = json!({"username": demo::USERNAME}).to_string();
        let (status, _) = call(
            &em,
            "POST",
            &format!("/device/{user_code}/approve"),
            Some(&approve),
        )
        .await;
        assert_eq!(status, 200);
        let (_, list) = call(&em, "GET", "/device", None).await;
        assert_eq!(list["requests"][0]["status"], "approved");
        assert_eq!(list["requests"][0]["user_id"], demo_user_id());
    })
    .await;
}

#[tokio::test]
async fn sent_messages_are_readable_and_reset_forgets_everything() {
    within(async {
        let em = demo_tenant().await;
        let sent = http()
            .post(format!("{}/passwordless/start", em.base_url()))
            .json(&json!({
                "client_id": demo::CLIENT_ID, "client_secret": demo::CLIENT_SECRET,
                "connection": "sms", "phone_number": "+14155550100",
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(sent.status(), 200);
        let (_, messages) = call(&em, "GET", "/passwordless", None).await;
        let message = &messages["messages"][0];
        assert_eq!(message["connection"], "sms");
        assert_eq!(message["recipient"], "+14155550100");
        assert_eq!(
            message["code"].as_str(),
            em.last_passwordless_code("+14155550100").as_deref()
        );
        let form = password_form("openid offline_access");
        assert_eq!(token(&em, &borrow(&form)).await.0, 200);
        let (_, stats) = call(&em, "GET", "/stats", None).await;
        assert_eq!(stats["refresh_tokens_issued"], 1);

        let (status, _) = call(&em, "POST", "/reset", None).await;
        assert_eq!(status, 200);
        assert!(em.passwordless_messages().is_empty());
        assert!(em.requests().is_empty());
        assert_eq!(em.refresh_tokens_issued(), 0);
        let (_, messages) = call(&em, "GET", "/passwordless", None).await;
        assert_eq!(messages["messages"], json!([]));
        // Configuration survives a reset.
        assert_eq!(token(&em, &borrow(&form)).await.0, 200);
    })
    .await;
}

#[tokio::test]
async fn keys_signing_and_logout_tokens_over_http() {
    within(async {
        let (uri, mut received) = receiver().await;
        let em = Emulator::builder()
            .client(ClientConfig::confidential("app", "secret").backchannel_logout_uri(&uri))
            .start()
            .await
            .unwrap();
        let (_, keys) = call(&em, "GET", "/keys", None).await;
        let first = keys["kid"].as_str().unwrap().to_owned();
        assert!(
            keys["public_key_pem"]
                .as_str()
                .unwrap()
                .contains("BEGIN PUBLIC KEY")
        );
        let (_, rotated) = call(&em, "POST", "/keys/rotate", None).await;
        assert_ne!(rotated["kid"], first);
        assert_eq!(rotated["kid"], em.signing_kid());
        let (status, _) = call(&em, "POST", "/keys/retire", None).await;
        assert_eq!(status, 200);

        let (_, signed) = call(&em, "POST", "/sign", Some(r#"{"claims": {"sub": "x"}}"#)).await;
        let jwt = signed["jwt"].as_str().unwrap();
        assert_eq!(jwt.split('.').count(), 3);
        assert_eq!(
            call(&em, "POST", "/sign", Some(r#"{"claims": 3}"#)).await.0,
            400
        );

        let (_, token) = call(
            &em,
            "POST",
            "/logout-token",
            Some(r#"{"client_id": "app", "sub": "auth0|1"}"#),
        )
        .await;
        assert_eq!(
            token["logout_token"].as_str().unwrap().split('.').count(),
            3
        );

        let (status, sent) = call(
            &em,
            "POST",
            "/backchannel-logout",
            Some(r#"{"client_id": "app", "sub": "auth0|1", "sid": "s1"}"#),
        )
        .await;
        assert_eq!(status, 200, "{sent}");
        assert_eq!(sent["status"], 200);
        let form = received.recv().await.unwrap();
        assert!(form["logout_token"].split('.').count() == 3);
        let (status, _) = call(
            &em,
            "POST",
            "/backchannel-logout",
            Some(r#"{"client_id": "nobody"}"#),
        )
        .await;
        assert_eq!(status, 404);
    })
    .await;
}

/// A loopback listener that records every posted form.
async fn receiver() -> (String, mpsc::UnboundedReceiver<HashMap<String, String>>) {
    let (send, recv) = mpsc::unbounded_channel();
    let app = axum::Router::new()
        .route(
            "/backchannel",
            post(
                |State(send): State<mpsc::UnboundedSender<HashMap<String, String>>>,
                 Form(form): Form<HashMap<String, String>>| async move {
                    let _ = send.send(form);
                    StatusCode::OK
                },
            ),
        )
        .with_state(send);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/backchannel", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, recv)
}

#[tokio::test]
async fn builder_clients_can_be_restricted_to_some_grants() {
    within(async {
        let em = Emulator::builder()
            .demo_tenant()
            .client(
                ClientConfig::confidential("narrow", "narrow-secret")
                    .callback("http://localhost:7000/cb")
                    .grant_types(&["client_credentials"]),
            )
            .client(ClientConfig::confidential("wide", "wide-secret"))
            .start()
            .await
            .unwrap();
        let password = |id: &'static str, secret: &'static str| {
            vec![
                ("grant_type", "password"),
                ("username", demo::USERNAME),
                ("password", demo::PASSWORD),
                ("client_id", id),
                ("client_secret", secret),
            ]
        };
        let (status, body) = token(&em, &password("narrow", "narrow-secret")).await;
        assert_eq!(status, 403);
        assert_eq!(body["error"], "unauthorized_client");
        assert_eq!(
            body["error_description"],
            "Grant type 'password' not allowed for the client."
        );
        // Unrestricted builder clients keep every grant, and so do the demo clients.
        assert_eq!(token(&em, &password("wide", "wide-secret")).await.0, 200);
        assert_eq!(
            token(&em, &password(demo::CLIENT_ID, demo::CLIENT_SECRET))
                .await
                .0,
            200
        );
        // The refusal comes after client authentication: a wrong secret is still 401.
        assert_eq!(token(&em, &password("narrow", "wrong")).await.0, 401);
        // Browser logins need authorization_code: the error goes back to the callback.
        let no_redirects = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let refused = no_redirects
            .get(format!(
                "{}/authorize?response_type=code&client_id=narrow&state=s1&redirect_uri={}",
                em.base_url(),
                "http%3A%2F%2Flocalhost%3A7000%2Fcb"
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), 302);
        let location = refused.headers()["location"].to_str().unwrap();
        assert!(
            location.starts_with("http://localhost:7000/cb?"),
            "{location}"
        );
        assert!(location.contains("error=unauthorized_client"), "{location}");
        assert!(location.contains("state=s1"), "{location}");
    })
    .await;
}

/// Sends a passwordless SMS code to `phone` from the demo client.
async fn send_code(em: &RunningEmulator, phone: &str) {
    let sent = http()
        .post(format!("{}/passwordless/start", em.base_url()))
        .json(&json!({
            "client_id": demo::CLIENT_ID, "client_secret": demo::CLIENT_SECRET,
            "connection": "sms", "phone_number": phone,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), 200);
}

/// Redeems the last code sent to `phone`; the token endpoint's status.
async fn redeem_code(em: &RunningEmulator, phone: &str) -> u16 {
    let otp = em.last_passwordless_code(phone).expect("a code was sent");
    let form = [
        (
            "grant_type",
            "http://auth0.com/oauth/grant-type/passwordless/otp",
        ),
        ("client_id", demo::CLIENT_ID),
        ("client_secret", demo::CLIENT_SECRET),
        ("username", phone),
        ("otp", otp.as_str()),
        ("realm", "sms"),
    ];
    token(em, &form).await.0
}

#[tokio::test]
async fn each_tenant_has_its_own_clock() {
    within(async {
        let moved = demo_tenant().await;
        let still = demo_tenant().await;
        // Both send a code, then only the first tenant's clock moves an hour forward.
        let phone = "+14155550111";
        send_code(&moved, phone).await;
        send_code(&still, phone).await;
        let (status, body) = call(
            &moved,
            "POST",
            "/clock/advance",
            Some(r#"{"seconds":3600}"#),
        )
        .await;
        assert_eq!((status, &body["offset_seconds"]), (200, &json!(3600)));
        assert_eq!(moved.clock_offset(), std::time::Duration::from_secs(3600));
        assert_eq!(still.clock_offset(), std::time::Duration::ZERO);
        assert_eq!(
            redeem_code(&moved, phone).await,
            403,
            "an hour later the code has expired"
        );
        assert_eq!(
            redeem_code(&still, phone).await,
            200,
            "the other tenant's clock did not move"
        );
        // A reset puts the clock back: a fresh code works again.
        assert_eq!(call(&moved, "POST", "/reset", None).await.0, 200);
        assert_eq!(moved.clock_offset(), std::time::Duration::ZERO);
        send_code(&moved, phone).await;
        assert_eq!(redeem_code(&moved, phone).await, 200);
    })
    .await;
}
