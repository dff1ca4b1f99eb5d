//! Errors an application can act on: whose fault (`Error::class`), a suggested HTTP status,
//! configuration errors that say what to do, and server text that cannot forge log lines.

mod common;

use auth0_auth::{AuthClient, ClientCredentialsRequest, ErrorClass, ErrorCode, ErrorKind};
use auth0_emulator::{Fault, demo};
use common::{bounded, client, demo_tenant};
use serde_json::json;

const TOKEN: &str = "/oauth/token";

async fn m2m(c: &AuthClient) -> auth0_auth::Error {
    bounded(
        c.get_token_by_client_credentials(ClientCredentialsRequest::new().audience(demo::AUDIENCE)),
    )
    .await
    .expect_err("the grant must fail")
}

#[tokio::test]
async fn a_wrong_client_secret_is_the_operators_fault() {
    let t = demo_tenant().await;
    let c = AuthClient::builder(t.base_url(), demo::CLIENT_ID)
        .client_secret("not-the-secret")
        .build()
        .unwrap();
    let e = m2m(&c).await;
    assert_eq!(e.oauth().map(|o| o.error.as_str()), Some("invalid_client"));
    assert_eq!(e.class(), ErrorClass::Operator, "{e}");
    assert_eq!(e.suggested_http_status(), 500);
    assert!(!e.is_retryable());
}

#[tokio::test]
async fn refusals_of_the_request_are_the_users_fault() {
    let t = demo_tenant().await;
    let c = client(&t);
    for (status, error, expected) in [
        (400, "invalid_grant", 400),
        (403, "access_denied", 403),
        (403, "mfa_required", 401),
        (429, "too_many_attempts", 429),
    ] {
        let body = json!({"error": error, "error_description": "refused"}).to_string();
        t.inject_fault(TOKEN, Fault::Status(status, body), 1);
        let e = m2m(&c).await;
        assert_eq!(e.kind(), ErrorKind::OAuth, "{error}: {e}");
        assert_eq!(e.class(), ErrorClass::Request, "{error}");
        assert_eq!(e.suggested_http_status(), expected, "{error}");
    }
}

#[tokio::test]
async fn passing_faults_are_transient() {
    let t = demo_tenant().await;
    let c = client(&t);
    // Discover first, so the faults below hit the grant.
    bounded(c.server_metadata()).await.unwrap();
    let cases: Vec<(Fault, u16)> = vec![
        (Fault::ServerErrorHtml, 503),
        (Fault::EmptyBody(502), 503),
        (
            Fault::RateLimited {
                retry_after_secs: 1,
            },
            429,
        ),
        (
            Fault::Status(503, json!({"error": "temporarily_unavailable"}).to_string()),
            503,
        ),
    ];
    for (fault, expected) in cases {
        let shown = format!("{fault:?}");
        t.inject_fault(TOKEN, fault, 1);
        let e = m2m(&c).await;
        assert_eq!(e.class(), ErrorClass::Transient, "{shown}: {e}");
        assert!(e.is_retryable(), "{shown}");
        assert_eq!(e.suggested_http_status(), expected, "{shown}");
    }
}

#[tokio::test]
async fn a_scheme_less_domain_that_cannot_connect_says_how_it_was_read() {
    // Port 1 on loopback: nothing listens, the connection is refused at once.
    let c = AuthClient::builder("127.0.0.1:1", demo::CLIENT_ID)
        .build()
        .unwrap();
    assert_eq!(c.base_url().as_str(), "https://127.0.0.1:1/");
    let e = bounded(c.server_metadata()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport, "{e}");
    assert_eq!(e.code(), ErrorCode::Discovery);
    let m = e.message();
    assert!(
        m.contains("given without a scheme and read as https://127.0.0.1:1/"),
        "{m}"
    );
    assert!(m.contains("configured as http://127.0.0.1:1/"), "{m}");
    assert_eq!(e.class(), ErrorClass::Transient);
    // With an explicit scheme there is nothing to explain.
    let c = AuthClient::builder("http://127.0.0.1:1", demo::CLIENT_ID)
        .build()
        .unwrap();
    let e = bounded(c.server_metadata()).await.unwrap_err();
    assert!(!e.message().contains("without a scheme"), "{e}");
}

#[tokio::test]
async fn localhost_against_a_127_0_0_1_issuer_names_the_domain_to_use() {
    let t = demo_tenant().await;
    let issuer = t.issuer();
    assert!(issuer.starts_with("http://127.0.0.1:"), "{issuer}");
    let via_localhost = t.base_url().replace("127.0.0.1", "localhost");
    let c = AuthClient::builder(&via_localhost, demo::CLIENT_ID)
        .client_secret(demo::CLIENT_SECRET)
        .build()
        .unwrap();
    let e = bounded(c.server_metadata()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Discovery, "{e}");
    assert!(
        e.message()
            .contains(&format!("configure the domain as {issuer:?}")),
        "{e}"
    );
    assert_eq!(e.class(), ErrorClass::Operator);
    assert_eq!(e.suggested_http_status(), 500);
}

#[tokio::test]
async fn server_text_cannot_forge_or_hide_a_log_line() {
    let t = demo_tenant().await;
    let c = client(&t);
    let description = format!(
        "Wrong email or password.\r\n2026-01-01 INFO login succeeded user=admin \u{202e}txt.exe\u{2066}{}",
        "x".repeat(5_000)
    );
    let body = json!({"error": "invalid_grant\nFORGED", "error_description": description});
    t.inject_fault(TOKEN, Fault::Status(403, body.to_string()), 1);
    let e = m2m(&c).await;
    for shown in [e.to_string(), format!("{e:?}"), e.message().to_string()] {
        for c in ['\n', '\r', '\u{202e}', '\u{2066}'] {
            assert!(!shown.contains(c), "{c:?} in {shown:.200}");
        }
        assert!(
            shown.contains("\\r\\n") && shown.contains("\\u{202e}"),
            "{shown:.300}"
        );
        assert!(shown.len() < 3_000, "not capped: {} bytes", shown.len());
    }
    // The raw values are still available, documented as untrusted.
    let oauth = e.oauth().unwrap();
    assert_eq!(oauth.error, "invalid_grant\nFORGED");
    assert_eq!(
        oauth.error_description.as_deref(),
        Some(description.as_str())
    );
}

#[tokio::test]
async fn https_to_a_plain_http_tenant_is_a_tls_failure_and_the_operators_fault() {
    let t = demo_tenant().await;
    // `127.0.0.1:PORT` without a scheme is read as https://, but the emulator speaks plain HTTP.
    let host = t.base_url().trim_start_matches("http://").to_string();
    let c = AuthClient::builder(&host, demo::CLIENT_ID).build().unwrap();
    let e = bounded(c.server_metadata()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport, "{e}");
    assert_eq!(e.class(), ErrorClass::Operator, "{e}");
    assert!(
        e.message().contains(&format!(
            "a local tenant over plain HTTP is configured as http://{host}/"
        )),
        "{e}"
    );
}
