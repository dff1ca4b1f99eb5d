//! Logout endpoints, back-channel logout delivery and logout tokens.

mod browser;
mod common;

use std::collections::HashMap;
use std::time::Duration;

use auth0_emulator::{ClientConfig, Emulator, RunningEmulator, UserConfig, demo};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Form, Router};
use browser::{Browser, location, query};
use common::{verify, within};
use tokio::sync::mpsc;

const CALLBACK: &str = "http://localhost:3000/callback";
const HOME: &str = "http://localhost:3000/";
const EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// A loopback listener that records every posted form; returns its URL and the receiver.
async fn receiver() -> (String, mpsc::UnboundedReceiver<HashMap<String, String>>) {
    let (send, recv) = mpsc::unbounded_channel();
    let app = Router::new()
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

/// A tenant with two confidential clients (both with back-channel logout at `uri`) and a user.
async fn tenant(uri: &str) -> RunningEmulator {
    let app = |id: &str| {
        ClientConfig::confidential(id, "secret")
            .callback(CALLBACK)
            .logout_url(HOME)
            .logout_url("http://localhost:3000/bye")
            .backchannel_logout_uri(uri)
    };
    Emulator::builder()
        .client(app("app-one"))
        .client(app("app-two"))
        .client(ClientConfig::confidential("plain-app", "secret").callback(CALLBACK))
        .user(UserConfig::new("lou@example.com", "pw-lou-123"))
        .start()
        .await
        .unwrap()
}

/// Logs in to `client_id` with the browser; returns the callback URL.
async fn login(b: &mut Browser, client_id: &str) -> url::Url {
    b.login(
        &[
            ("client_id", client_id),
            ("redirect_uri", CALLBACK),
            ("response_type", "code"),
        ],
        "lou@example.com",
        "pw-lou-123",
    )
    .await
}

async fn next_form(
    recv: &mut mpsc::UnboundedReceiver<HashMap<String, String>>,
) -> HashMap<String, String> {
    tokio::time::timeout(Duration::from_secs(10), recv.recv())
        .await
        .expect("a back-channel POST in time")
        .expect("the listener is running")
}

#[tokio::test]
async fn oidc_logout_ends_the_session_and_notifies_every_client() {
    within(async {
        let (uri, mut recv) = receiver().await;
        let em = tenant(&uri).await;
        let mut b = Browser::new(&em);
        login(&mut b, "app-one").await;
        login(&mut b, "app-two").await;
        login(&mut b, "plain-app").await;
        let sessions = em.sessions();
        assert_eq!(sessions.len(), 1, "one browser, one session");
        let session = sessions[0].clone();
        assert_eq!(session.clients, vec!["app-one", "app-two", "plain-app"]);

        let response = b
            .get(&format!(
                "/oidc/logout?client_id=app-one&post_logout_redirect_uri={}&state=xyz",
                url::form_urlencoded::byte_serialize(b"http://localhost:3000/bye")
                    .collect::<String>()
            ))
            .await;
        assert_eq!(response.status(), 302);
        assert!(
            response.headers()["set-cookie"]
                .to_str()
                .unwrap()
                .contains("Max-Age=0")
        );
        let back = location(&response);
        assert_eq!(back.as_str(), "http://localhost:3000/bye?state=xyz");
        assert!(b.cookie.is_none());
        assert!(em.sessions().is_empty());

        let mut audiences = Vec::new();
        for _ in 0..2 {
            let form = next_form(&mut recv).await;
            let token = &form["logout_token"];
            let header = jsonwebtoken::decode_header(token).unwrap();
            assert_eq!(header.kid.as_deref(), Some(em.signing_kid().as_str()));
            let aud = jsonwebtoken::dangerous::insecure_decode_claims::<serde_json::Value>(token)
                .unwrap()["aud"]
                .as_str()
                .unwrap()
                .to_owned();
            let claims = verify(&em, token, &aud).await;
            assert_eq!(claims["sid"], session.sid.as_str());
            assert_eq!(claims["sub"], session.user_id.as_str());
            assert!(claims["events"][EVENT].is_object());
            assert!(claims.get("nonce").is_none());
            audiences.push(aud);
        }
        audiences.sort();
        assert_eq!(audiences, vec!["app-one", "app-two"]);

        let logouts = em.logouts();
        assert_eq!(logouts.len(), 1);
        let record = &logouts[0];
        assert_eq!(record.endpoint, "/oidc/logout");
        assert_eq!(record.sid.as_deref(), Some(session.sid.as_str()));
        assert_eq!(record.user_id.as_deref(), Some(session.user_id.as_str()));
        assert_eq!(record.client_id.as_deref(), Some("app-one"));
        assert!(!record.federated);
        assert_eq!(record.backchannel.len(), 2);
        assert!(record.backchannel.iter().all(|d| d.outcome == Ok(200)));

        // The session is gone: prompt=none now needs a login.
        let response = b
            .get(&browser::authorize_path(&[
                ("client_id", "app-one"),
                ("redirect_uri", CALLBACK),
                ("response_type", "code"),
                ("prompt", "none"),
            ]))
            .await;
        assert_eq!(
            query(&location(&response), "error").as_deref(),
            Some("login_required")
        );
    })
    .await;
}

#[tokio::test]
async fn oidc_logout_checks_the_return_url() {
    within(async {
        let em = demo_tenant_with_logout().await;
        let mut b = Browser::new(&em);
        for path in [
            "/oidc/logout?client_id=quickstart-client&post_logout_redirect_uri=https%3A%2F%2Fevil.example%2F",
            "/oidc/logout?post_logout_redirect_uri=http%3A%2F%2Flocalhost%3A3000%2F",
            "/oidc/logout?client_id=nobody&post_logout_redirect_uri=http%3A%2F%2Flocalhost%3A3000%2F",
        ] {
            let response = b.get(path).await;
            assert_eq!(response.status(), 400, "{path}");
            assert!(response.headers().get("location").is_none());
        }
        // No return URL: a page.
        let response = b.get("/oidc/logout?client_id=quickstart-client").await;
        assert_eq!(response.status(), 200);
        assert!(response.text().await.unwrap().contains("logged out"));

        // The id_token_hint names the client and the session.
        let callback = b
            .login(
                &[
                    ("client_id", demo::CLIENT_ID),
                    ("redirect_uri", CALLBACK),
                    ("response_type", "code"),
                ],
                demo::USERNAME,
                demo::PASSWORD,
            )
            .await;
        let (status, body) = common::token(
            &em,
            &[
                ("grant_type", "authorization_code"),
                ("client_id", demo::CLIENT_ID),
                ("client_secret", demo::CLIENT_SECRET),
                ("code", &query(&callback, "code").unwrap()),
                ("redirect_uri", CALLBACK),
            ],
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let hint = body["id_token"].as_str().unwrap();
        let mut cookieless = Browser::new(&em);
        let response = cookieless
            .get(&format!(
                "/oidc/logout?id_token_hint={hint}&post_logout_redirect_uri={}",
                url::form_urlencoded::byte_serialize(demo::LOGOUT_URL.as_bytes())
                    .collect::<String>()
            ))
            .await;
        assert_eq!(response.status(), 302);
        assert_eq!(location(&response).as_str(), demo::LOGOUT_URL);
        assert!(em.sessions().is_empty());
        assert_eq!(
            em.logouts().last().unwrap().client_id.as_deref(),
            Some(demo::CLIENT_ID)
        );

        let without = Emulator::builder()
            .demo_tenant()
            .without_end_session_endpoint()
            .start()
            .await
            .unwrap();
        let response = Browser::new(&without)
            .get("/oidc/logout?client_id=quickstart-client")
            .await;
        assert_eq!(response.status(), 404);
    })
    .await;
}

async fn demo_tenant_with_logout() -> RunningEmulator {
    common::demo_tenant().await
}

#[tokio::test]
async fn v2_logout_redirects_and_records_federated() {
    within(async {
        let (uri, mut recv) = receiver().await;
        let em = tenant(&uri).await;
        let mut b = Browser::new(&em);
        login(&mut b, "app-one").await;
        let sid = em.sessions()[0].sid.clone();

        let response = b
            .get("/v2/logout?client_id=app-one&returnTo=https%3A%2F%2Fevil.example%2F")
            .await;
        assert_eq!(response.status(), 400);
        assert_eq!(em.sessions().len(), 1, "a refused logout ends nothing");

        let response = b
            .get("/v2/logout?client_id=app-one&returnTo=http%3A%2F%2Flocalhost%3A3000%2Fbye&federated")
            .await;
        assert_eq!(response.status(), 302);
        assert_eq!(location(&response).as_str(), "http://localhost:3000/bye");
        let form = next_form(&mut recv).await;
        let claims = verify(&em, &form["logout_token"], "app-one").await;
        assert_eq!(claims["sid"], sid.as_str());
        let record = em.logouts().pop().unwrap();
        assert_eq!(record.endpoint, "/v2/logout");
        assert!(record.federated);
        assert_eq!(record.sid.as_deref(), Some(sid.as_str()));

        // Without returnTo: the client's first logout URL; without a session nothing ends.
        let response = b.get("/v2/logout?client_id=app-two").await;
        assert_eq!(response.status(), 302);
        assert_eq!(location(&response).as_str(), HOME);
        let record = em.logouts().pop().unwrap();
        assert_eq!((record.sid, record.federated), (None, false));
        assert!(record.backchannel.is_empty());
    })
    .await;
}

#[tokio::test]
async fn logout_tokens_verify_against_the_jwks_and_can_be_sent() {
    within(async {
        let (uri, mut recv) = receiver().await;
        let em = tenant(&uri).await;
        let token = em.logout_token("app-one", Some("auth0|abc"), Some("sid-1"));
        let claims = verify(&em, &token, "app-one").await;
        assert_eq!(claims["iss"], em.issuer());
        assert_eq!(claims["sub"], "auth0|abc");
        assert_eq!(claims["sid"], "sid-1");
        assert_eq!(
            claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(),
            120
        );
        assert!(claims["jti"].as_str().is_some_and(|j| !j.is_empty()));
        assert_eq!(claims["events"], serde_json::json!({EVENT: {}}));
        let sid_only = verify(&em, &em.logout_token("app-one", None, Some("s")), "app-one").await;
        assert!(sid_only.get("sub").is_none());

        em.rotate_signing_key();
        let status = em
            .send_backchannel_logout("app-two", Some("auth0|abc"), None)
            .await
            .unwrap();
        assert_eq!(status, 200);
        let form = next_form(&mut recv).await;
        let header = jsonwebtoken::decode_header(&form["logout_token"]).unwrap();
        assert_eq!(header.kid.as_deref(), Some(em.signing_kid().as_str()));
        let claims = verify(&em, &form["logout_token"], "app-two").await;
        assert_eq!(claims["sub"], "auth0|abc");
        assert!(claims.get("sid").is_none());

        let err = em
            .send_backchannel_logout("plain-app", None, Some("s"))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    })
    .await;
}
