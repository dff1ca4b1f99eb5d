//! A misbehaving server: every case ends in a clear, typed error, with no panic and no secret
//! in the message.

mod common;

use std::time::Duration;

use auth0_auth::{
    AuthClient, ClientCredentialsRequest, Error, ErrorKind, PasswordRequest, RefreshTokenRequest,
};
use auth0_emulator::{Fault, demo};
use common::{bounded, client, confidential, demo_tenant};

fn assert_clean(e: &Error) {
    let shown = format!("{e} {e:?}");
    for secret in [demo::CLIENT_SECRET, demo::PASSWORD, "refresh-secret-value"] {
        assert!(!shown.contains(secret), "{shown}");
    }
}

async fn token_error(fault: Fault) -> Error {
    let t = demo_tenant().await;
    let c = client(&t);
    bounded(c.server_metadata()).await.unwrap();
    t.inject_fault("/oauth/token", fault, 1);
    let e = bounded(
        c.get_token_by_password(PasswordRequest::new(demo::USERNAME, demo::PASSWORD.into())),
    )
    .await
    .unwrap_err();
    assert_clean(&e);
    assert_eq!(e.code().as_str(), "token_by_password_error");
    e
}

#[tokio::test]
async fn an_html_500_is_an_http_status_error_naming_the_content_type() {
    let e = token_error(Fault::ServerErrorHtml).await;
    assert_eq!(e.kind(), ErrorKind::HttpStatus);
    assert_eq!(e.status(), Some(500));
    assert!(e.message().contains("HTTP 500"), "{e}");
    assert!(e.message().contains("text/html"), "{e}");
    assert!(e.http().unwrap().body.contains("<html"));
}

#[tokio::test]
async fn malformed_json_is_an_invalid_response() {
    let e = token_error(Fault::MalformedJson).await;
    assert_eq!(e.kind(), ErrorKind::InvalidResponse);
    assert!(e.message().contains("JSON"), "{e}");
}

#[tokio::test]
async fn an_oversized_body_is_refused() {
    let e = token_error(Fault::OversizedBody(3 * 1024 * 1024)).await;
    assert_eq!(e.kind(), ErrorKind::ResponseTooLarge);
    assert!(e.message().contains("limit"), "{e}");
}

#[tokio::test]
async fn an_empty_error_body_is_described() {
    let e = token_error(Fault::EmptyBody(502)).await;
    assert_eq!(e.kind(), ErrorKind::HttpStatus);
    assert!(e.message().contains("empty"), "{e}");
}

#[tokio::test]
async fn a_success_without_an_access_token_is_an_invalid_response() {
    let e = token_error(Fault::Status(200, r#"{"token_type":"Bearer"}"#.into())).await;
    assert_eq!(e.kind(), ErrorKind::InvalidResponse);
    assert!(e.message().contains("access_token"), "{e}");
}

#[tokio::test]
async fn a_server_that_does_not_answer_in_time_is_a_timeout() {
    let t = demo_tenant().await;
    let c = confidential(&t)
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    bounded(c.server_metadata()).await.unwrap();
    t.inject_fault("/oauth/token", Fault::Delay(Duration::from_secs(5)), 1);
    let e = bounded(
        c.get_token_by_refresh_token(RefreshTokenRequest::new("refresh-secret-value".into())),
    )
    .await
    .unwrap_err();
    assert!(e.is_timeout(), "{e:?}");
    assert_eq!(e.kind(), ErrorKind::Timeout);
    assert_clean(&e);
}

#[tokio::test]
async fn a_refused_connection_is_a_transport_error() {
    // Bind and drop a listener to find a port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let c = AuthClient::builder(format!("http://127.0.0.1:{port}"), "c")
        .client_secret(demo::CLIENT_SECRET)
        .build()
        .unwrap();
    let e =
        bounded(c.get_token_by_client_credentials(ClientCredentialsRequest::new().audience("a")))
            .await
            .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport);
    assert_eq!(e.code().as_str(), "token_by_client_credentials_error");
    assert!(e.message().contains("could not connect"), "{e}");
    assert!(std::error::Error::source(&e).is_some());
    assert_clean(&e);
}

#[tokio::test]
async fn rate_limit_answers_keep_their_headers() {
    let e = token_error(Fault::RateLimited {
        retry_after_secs: 7,
    })
    .await;
    assert_eq!(e.status(), Some(429));
    assert_eq!(e.http().unwrap().header("retry-after"), Some("7"));
}
