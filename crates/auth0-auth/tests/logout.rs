//! Logout URLs and back-channel logout tokens.

mod common;

use auth0_auth::{ErrorKind, LogoutUrlRequest};
use auth0_auth::{SecretString, VerifyLogoutTokenRequest};
use auth0_emulator::{ClientConfig, Emulator, demo};
use common::{bounded, client, demo_tenant, query, tenant};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn the_logout_url_uses_the_end_session_endpoint_when_discovered() {
    let t = demo_tenant().await;
    let url = bounded(client(&t).build_logout_url(LogoutUrlRequest::new("http://localhost:3000/")))
        .await
        .unwrap();
    assert!(
        url.as_str()
            .starts_with(&format!("{}oidc/logout?", t.issuer())),
        "{url}"
    );
    assert_eq!(
        query(url.as_str()),
        [
            (
                "post_logout_redirect_uri".to_string(),
                "http://localhost:3000/".to_string()
            ),
            ("client_id".to_string(), demo::CLIENT_ID.to_string()),
        ]
    );
}

#[tokio::test]
async fn without_an_end_session_endpoint_the_v2_logout_url_is_used() {
    let t = tenant(
        Emulator::builder()
            .demo_tenant()
            .without_end_session_endpoint(),
    )
    .await;
    let url = bounded(
        client(&t)
            .build_logout_url(LogoutUrlRequest::new("http://localhost:3000/").federated(true)),
    )
    .await
    .unwrap();
    assert!(
        url.as_str()
            .starts_with(&format!("{}/v2/logout?", t.base_url())),
        "{url}"
    );
    assert_eq!(
        query(url.as_str()),
        [
            ("returnTo".to_string(), "http://localhost:3000/".to_string()),
            ("client_id".to_string(), demo::CLIENT_ID.to_string()),
            ("federated".to_string(), String::new()),
        ]
    );
    assert!(url.as_str().ends_with("&federated="), "{url}");
}

#[tokio::test]
async fn a_logout_token_from_the_tenant_names_session_and_user() {
    let t = demo_tenant().await;
    let token = t.logout_token(demo::CLIENT_ID, Some("auth0|123"), Some("sid-1"));
    let claims = bounded(
        client(&t).verify_logout_token(VerifyLogoutTokenRequest::new(SecretString::from(
            token.to_string(),
        ))),
    )
    .await
    .unwrap();
    assert_eq!(claims.sub.as_deref(), Some("auth0|123"));
    assert_eq!(claims.sid.as_deref(), Some("sid-1"));
}

#[tokio::test]
async fn logout_tokens_breaking_a_rule_are_refused_each_with_its_own_message() {
    let t = demo_tenant().await;
    let c = client(&t);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let good = json!({
        "iss": t.issuer(), "aud": demo::CLIENT_ID, "iat": now, "exp": now + 120,
        "jti": "j1", "sid": "s1",
        "events": {"http://schemas.openid.net/event/backchannel-logout": {}}
    });
    bounded(
        c.verify_logout_token(VerifyLogoutTokenRequest::new(SecretString::from(
            t.sign_jwt(None, &good).to_string(),
        ))),
    )
    .await
    .unwrap();
    let cases: Vec<(&str, serde_json::Value)> = vec![
        ("issuer", {
            let mut c = good.clone();
            c["iss"] = json!("https://evil/");
            c
        }),
        ("audience", {
            let mut c = good.clone();
            c["aud"] = json!("other-client");
            c
        }),
        ("iat", {
            let mut c = good.clone();
            c.as_object_mut().unwrap().remove("iat");
            c
        }),
        ("expired", {
            let mut c = good.clone();
            c["exp"] = json!(now - 600);
            c
        }),
        ("neither", {
            let mut c = good.clone();
            c.as_object_mut().unwrap().remove("sid");
            c
        }),
        ("nonce", {
            let mut c = good.clone();
            c["nonce"] = json!("n");
            c
        }),
        ("events", {
            let mut c = good.clone();
            c["events"] = json!({});
            c
        }),
    ];
    let mut messages = Vec::new();
    for (expect, claims) in cases {
        let e = bounded(
            c.verify_logout_token(VerifyLogoutTokenRequest::new(SecretString::from(
                t.sign_jwt(None, &claims).to_string(),
            ))),
        )
        .await
        .unwrap_err();
        assert_eq!(e.code().as_str(), "verify_logout_token_error");
        assert_eq!(e.kind(), ErrorKind::TokenValidation);
        assert!(e.message().contains(expect), "{expect}: {e}");
        messages.push(e.message().to_string());
    }
    // Only RS256 is accepted.
    let e = bounded(
        c.verify_logout_token(VerifyLogoutTokenRequest::new(SecretString::from(
            t.sign_jwt(Some(("PS256", &t.signing_kid())), &good)
                .to_string(),
        ))),
    )
    .await
    .unwrap_err();
    assert!(e.message().contains("PS256"), "{e}");
    messages.sort();
    messages.dedup();
    assert_eq!(messages.len(), 7);
}

/// Accepts one HTTP request on a loopback listener and returns its body.
async fn receive_one(listener: tokio::net::TcpListener) -> String {
    let (mut stream, _) = listener.accept().await.unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream.read(&mut chunk).await.unwrap();
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf).to_string();
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if buf.len() >= end + 4 + length {
                stream
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                    .await
                    .unwrap();
                return text[end + 4..end + 4 + length].to_string();
            }
        }
    }
    String::from_utf8_lossy(&buf).to_string()
}

#[tokio::test]
async fn a_back_channel_logout_posted_by_the_tenant_verifies() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let uri = format!(
        "http://{}/backchannel-logout",
        listener.local_addr().unwrap()
    );
    let t =
        tenant(Emulator::builder().demo_tenant().client(
            ClientConfig::confidential("bcl-app", "bcl-secret").backchannel_logout_uri(&uri),
        ))
        .await;
    let received = tokio::spawn(receive_one(listener));
    let status = bounded(t.send_backchannel_logout("bcl-app", Some("auth0|u1"), Some("sid-9")))
        .await
        .unwrap();
    assert_eq!(status, 200);
    let body = bounded(received).await.unwrap();
    let token = url::form_urlencoded::parse(body.as_bytes())
        .find(|(k, _)| k == "logout_token")
        .map(|(_, v)| v.into_owned())
        .expect("a logout_token form field");
    let c = auth0_auth::AuthClient::builder(t.base_url(), "bcl-app")
        .client_secret("bcl-secret")
        .build()
        .unwrap();
    let claims = bounded(
        c.verify_logout_token(VerifyLogoutTokenRequest::new(SecretString::from(
            token.to_string(),
        ))),
    )
    .await
    .unwrap();
    assert_eq!(claims.sid.as_deref(), Some("sid-9"));
    // Another client of the tenant refuses it: the audience is not theirs.
    let e = bounded(
        client(&t).verify_logout_token(VerifyLogoutTokenRequest::new(SecretString::from(
            token.to_string(),
        ))),
    )
    .await
    .unwrap_err();
    assert!(e.message().contains("audience"), "{e}");
}
