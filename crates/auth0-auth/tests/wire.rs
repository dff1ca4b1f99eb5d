//! What goes over the wire: the emulator records every request, and these tests check it
//! against SPEC sections 1 and 4 exactly.

mod common;

use auth0_auth::{
    AuthClient, ClientCredentialsRequest, PasswordRequest, RefreshTokenRequest, SigningAlgorithm,
    Telemetry,
};
use auth0_emulator::demo;
use auth0_emulator::{ClientConfig, Emulator, keys};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use common::{bounded, client, demo_tenant, tenant};

fn names(form: &[(String, String)]) -> Vec<&str> {
    form.iter().map(|(k, _)| k.as_str()).collect()
}

#[tokio::test]
async fn client_credentials_form_is_exactly_as_specified() {
    let t = demo_tenant().await;
    bounded(
        client(&t).get_token_by_client_credentials(
            ClientCredentialsRequest::new()
                .audience(demo::AUDIENCE)
                .organization(demo::ORGANIZATION_ID),
        ),
    )
    .await
    .unwrap();
    let sent = t.requests_to("/oauth/token").pop().unwrap();
    assert_eq!(sent.method, "POST");
    assert_eq!(
        sent.header("content-type"),
        Some("application/x-www-form-urlencoded;charset=UTF-8")
    );
    assert_eq!(sent.header("accept"), Some("application/json"));
    let form = sent.form();
    assert_eq!(
        names(&form),
        [
            "grant_type",
            "audience",
            "organization",
            "client_id",
            "client_secret"
        ]
    );
    assert_eq!(
        sent.form_value("grant_type").as_deref(),
        Some("client_credentials")
    );
    assert_eq!(
        sent.form_value("client_secret").as_deref(),
        Some(demo::CLIENT_SECRET)
    );
}

#[tokio::test]
async fn password_form_header_and_space_encoding() {
    let t = demo_tenant().await;
    bounded(
        client(&t).get_token_by_password(
            PasswordRequest::new(demo::USERNAME, demo::PASSWORD.into())
                .realm("Username-Password-Authentication")
                .audience(demo::AUDIENCE)
                .scope("openid profile")
                .auth0_forwarded_for("203.0.113.7"),
        ),
    )
    .await
    .unwrap();
    let sent = t.requests_to("/oauth/token").pop().unwrap();
    assert_eq!(
        names(&sent.form()),
        [
            "grant_type",
            "username",
            "password",
            "audience",
            "scope",
            "realm",
            "client_id",
            "client_secret"
        ]
    );
    assert_eq!(sent.header("auth0-forwarded-for"), Some("203.0.113.7"));
    assert!(sent.body.contains("scope=openid+profile"), "{}", sent.body);
    assert!(sent.body.contains("password=correct+horse+battery+staple"));
}

#[tokio::test]
async fn refresh_form_leaves_out_unset_parameters() {
    let t = demo_tenant().await;
    let c = client(&t);
    let _ = bounded(c.get_token_by_refresh_token(RefreshTokenRequest::new("rt-1".into()))).await;
    let sent = t.requests_to("/oauth/token").pop().unwrap();
    assert_eq!(
        names(&sent.form()),
        ["grant_type", "refresh_token", "client_id", "client_secret"]
    );
}

#[tokio::test]
async fn every_request_carries_the_auth0_client_header_of_this_crate() {
    let t = demo_tenant().await;
    bounded(
        client(&t).get_token_by_client_credentials(
            ClientCredentialsRequest::new().audience(demo::AUDIENCE),
        ),
    )
    .await
    .unwrap();
    let all = t.requests();
    assert!(all.len() >= 2, "discovery and token requests were sent");
    for r in &all {
        let h = r
            .header("auth0-client")
            .expect("Auth0-Client on every request");
        let json: serde_json::Value = serde_json::from_slice(&STANDARD.decode(h).unwrap()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"name": "auth0-auth", "version": env!("CARGO_PKG_VERSION")})
        );
    }
}

#[tokio::test]
async fn telemetry_can_be_renamed_or_turned_off() {
    let t = demo_tenant().await;
    let custom = common::confidential(&t)
        .telemetry(Telemetry::Custom {
            name: "my-wrapper".into(),
            version: "9.9.9".into(),
        })
        .build()
        .unwrap();
    bounded(custom.server_metadata()).await.unwrap();
    let h = t.requests().pop().unwrap();
    let json: serde_json::Value =
        serde_json::from_slice(&STANDARD.decode(h.header("auth0-client").unwrap()).unwrap())
            .unwrap();
    assert_eq!(json["name"], "my-wrapper");
    assert_eq!(json["version"], "9.9.9");

    let off = common::confidential(&t)
        .telemetry(Telemetry::Disabled)
        .build()
        .unwrap();
    t.clear_requests();
    let _ = bounded(off.get_token_by_refresh_token(RefreshTokenRequest::new("x".into()))).await;
    assert!(
        t.requests()
            .iter()
            .all(|r| r.header("auth0-client").is_none())
    );
}

async fn private_key_jwt_round_trip(alg: SigningAlgorithm, key: keys::GeneratedKey) {
    let t = tenant(
        Emulator::builder().demo_tenant().client(
            ClientConfig::private_key_jwt("pkjwt-client", &key.public_key_pem)
                .grant_audience(demo::AUDIENCE, &["read:messages"]),
        ),
    )
    .await;
    let c = AuthClient::builder(t.base_url(), "pkjwt-client")
        .client_assertion_signing_key(&key.private_key_pem)
        .client_assertion_signing_alg(alg)
        .build()
        .unwrap();
    for _ in 0..2 {
        bounded(c.get_token_by_client_credentials(
            ClientCredentialsRequest::new().audience(demo::AUDIENCE),
        ))
        .await
        .unwrap_or_else(|e| panic!("{alg}: {e}"));
    }
    let sent = t.requests_to("/oauth/token");
    let form = sent[0].form();
    assert_eq!(
        names(&form),
        [
            "grant_type",
            "audience",
            "client_id",
            "client_assertion",
            "client_assertion_type"
        ]
    );
    assert_eq!(
        sent[0].form_value("client_assertion_type").as_deref(),
        Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
    );
    let assertion = sent[0].form_value("client_assertion").unwrap();
    // The assertion verifies against the registered public key, with the claims of SPEC 1.
    let decoding = match alg {
        SigningAlgorithm::ES256 | SigningAlgorithm::ES384 => {
            jsonwebtoken::DecodingKey::from_ec_pem(key.public_key_pem.as_bytes()).unwrap()
        }
        _ => jsonwebtoken::DecodingKey::from_rsa_pem(key.public_key_pem.as_bytes()).unwrap(),
    };
    let jalg: jsonwebtoken::Algorithm = alg.as_str().parse().unwrap();
    let mut v = jsonwebtoken::Validation::new(jalg);
    v.set_audience(&[t.issuer()]);
    v.set_issuer(&["pkjwt-client"]);
    let data = jsonwebtoken::decode::<serde_json::Value>(&assertion, &decoding, &v).unwrap();
    let claims = data.claims;
    assert_eq!(claims["sub"], "pkjwt-client");
    assert!(claims["jti"].as_str().is_some_and(|j| j.len() >= 16));
    let (iat, exp) = (
        claims["iat"].as_u64().unwrap(),
        claims["exp"].as_u64().unwrap(),
    );
    assert!(exp > iat && exp - iat <= 300);
    // Each request has a fresh assertion (unique jti).
    let second = sent[1].form_value("client_assertion").unwrap();
    assert_ne!(assertion, second);
    let header: serde_json::Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(assertion.split('.').next().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(header["alg"], alg.as_str());
}

#[tokio::test]
async fn private_key_jwt_rs256_assertions_verify_against_the_registered_key() {
    private_key_jwt_round_trip(SigningAlgorithm::RS256, keys::generate_rsa()).await;
}

#[tokio::test]
async fn private_key_jwt_other_algorithms() {
    private_key_jwt_round_trip(SigningAlgorithm::RS384, keys::generate_rsa()).await;
    private_key_jwt_round_trip(SigningAlgorithm::RS512, keys::generate_rsa()).await;
    private_key_jwt_round_trip(SigningAlgorithm::PS256, keys::generate_rsa()).await;
    private_key_jwt_round_trip(SigningAlgorithm::ES256, keys::generate_ec_p256()).await;
    private_key_jwt_round_trip(SigningAlgorithm::ES384, keys::generate_ec_p384()).await;
}

#[tokio::test]
async fn a_key_of_the_wrong_type_for_the_algorithm_is_refused_by_build() {
    let ec = keys::generate_ec_p256();
    let e = AuthClient::builder("tenant.example.com", "c")
        .client_assertion_signing_key(&ec.private_key_pem)
        .client_assertion_signing_alg(SigningAlgorithm::RS256)
        .build()
        .unwrap_err();
    assert!(e.message().contains("RSA"), "{}", e.message());
    assert!(!e.message().contains("PRIVATE KEY-----"));
    let rsa = keys::generate_rsa();
    let e = AuthClient::builder("tenant.example.com", "c")
        .client_assertion_signing_key(&rsa.private_key_pem)
        .client_assertion_signing_alg(SigningAlgorithm::ES256)
        .build()
        .unwrap_err();
    assert!(e.message().contains("EC"), "{}", e.message());
}

#[tokio::test]
async fn a_private_key_jwt_signed_with_another_key_is_refused_by_the_server() {
    let registered = keys::generate_rsa();
    let other = keys::generate_rsa();
    let t = tenant(
        Emulator::builder().demo_tenant().client(
            ClientConfig::private_key_jwt("pkjwt-client", &registered.public_key_pem)
                .grant_audience(demo::AUDIENCE, &["read:messages"]),
        ),
    )
    .await;
    let c = AuthClient::builder(t.base_url(), "pkjwt-client")
        .client_assertion_signing_key(&other.private_key_pem)
        .build()
        .unwrap();
    let e = bounded(
        c.get_token_by_client_credentials(ClientCredentialsRequest::new().audience(demo::AUDIENCE)),
    )
    .await
    .unwrap_err();
    assert_eq!(e.oauth().unwrap().error, "invalid_client");
}

#[tokio::test]
async fn mtls_sends_client_id_only_to_the_mtls_alias() {
    let t = tenant(
        Emulator::builder()
            .demo_tenant()
            .mtls_endpoint_aliases(true),
    )
    .await;
    // The caller's HTTP client would carry the certificate; the emulator does not check TLS.
    let c = AuthClient::builder(t.base_url(), demo::CLIENT_ID)
        .use_mtls(true)
        .http_client(reqwest::Client::new())
        .build()
        .unwrap();
    let _ = bounded(c.get_token_by_refresh_token(RefreshTokenRequest::new("rt".into()))).await;
    let sent = t
        .requests()
        .into_iter()
        .find(|r| r.method == "POST")
        .expect("a token request");
    assert!(sent.path.starts_with("/mtls/"), "{}", sent.path);
    assert_eq!(
        names(&sent.form()),
        ["grant_type", "refresh_token", "client_id"]
    );
}
