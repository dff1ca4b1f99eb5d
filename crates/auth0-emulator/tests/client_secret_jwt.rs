//! `client_secret_jwt` (RFC 7523): a confidential client's HS256 assertion keyed with its
//! secret, at the token endpoint and the other endpoints that authenticate clients.

mod common;

use auth0_emulator::{RunningEmulator, demo};
use common::{demo_tenant, http, token, within};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

fn now() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

fn hs256(secret: &str, claims: &Value) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()).unwrap(),
    )
    .unwrap()
}

fn claims(aud: &str, jti: &str) -> Value {
    json!({
        "iss": demo::CLIENT_ID,
        "sub": demo::CLIENT_ID,
        "aud": aud,
        "jti": jti,
        "iat": now(),
        "exp": now() + 60,
    })
}

async fn client_credentials(em: &RunningEmulator, assertion: &str) -> (u16, Value) {
    token(
        em,
        &[
            ("grant_type", "client_credentials"),
            ("audience", demo::AUDIENCE),
            ("client_id", demo::CLIENT_ID),
            ("client_assertion_type", ASSERTION_TYPE),
            ("client_assertion", assertion),
        ],
    )
    .await
}

#[tokio::test]
async fn an_hs256_assertion_keyed_with_the_secret_authenticates() {
    within(async {
        let em = demo_tenant().await;
        let issuer = em.issuer();
        let auds = [
            issuer.clone(),
            issuer.trim_end_matches('/').to_owned(),
            format!("{issuer}oauth/token"),
        ];
        for (i, aud) in auds.iter().enumerate() {
            let jwt = hs256(demo::CLIENT_SECRET, &claims(aud, &format!("ok-{i}")));
            let (status, body) = client_credentials(&em, &jwt).await;
            assert_eq!(status, 200, "aud {aud}: {body}");
            assert_eq!(body["token_type"], "Bearer");
        }
        // Without client_id, the assertion's sub names the client.
        let jwt = hs256(demo::CLIENT_SECRET, &claims(&issuer, "no-id"));
        let (status, body) = token(
            &em,
            &[
                ("grant_type", "client_credentials"),
                ("audience", demo::AUDIENCE),
                ("client_assertion_type", ASSERTION_TYPE),
                ("client_assertion", &jwt),
            ],
        )
        .await;
        assert_eq!(status, 200, "{body}");
        // Discovery advertises the method.
        let doc = common::get_json(&em, "/.well-known/openid-configuration").await;
        assert!(
            doc["token_endpoint_auth_methods_supported"]
                .to_string()
                .contains("client_secret_jwt")
        );
        em.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn replayed_wrong_and_malformed_assertions_are_refused() {
    within(async {
        let em = demo_tenant().await;
        let issuer = em.issuer();
        let jwt = hs256(demo::CLIENT_SECRET, &claims(&issuer, "once"));
        assert_eq!(client_credentials(&em, &jwt).await.0, 200);
        let (status, body) = client_credentials(&em, &jwt).await;
        assert_eq!(status, 401, "{body}");
        assert_eq!(body["error"], "invalid_client");
        assert!(
            body["error_description"]
                .as_str()
                .unwrap()
                .contains("already used"),
            "{body}"
        );

        let base = |jti: &str| claims(&issuer, jti);
        let mut expired = base("expired");
        expired["exp"] = json!(now() - 120);
        let mut too_long = base("too-long");
        too_long["exp"] = json!(now() + 3600);
        let mut wrong_iss = base("wrong-iss");
        wrong_iss["iss"] = json!("someone-else");
        let mut no_jti = base("x");
        no_jti.as_object_mut().unwrap().remove("jti");
        let cases = [
            (
                "wrong secret",
                hs256("not-the-secret", &base("ws")),
                "signature verification with the client secret",
            ),
            (
                "wrong aud",
                hs256(demo::CLIENT_SECRET, &claims("https://elsewhere/", "wa")),
                "aud must be",
            ),
            ("expired", hs256(demo::CLIENT_SECRET, &expired), "expired"),
            (
                "too far",
                hs256(demo::CLIENT_SECRET, &too_long),
                "in the future",
            ),
            (
                "wrong iss",
                hs256(demo::CLIENT_SECRET, &wrong_iss),
                "iss must be",
            ),
            (
                "no jti",
                hs256(demo::CLIENT_SECRET, &no_jti),
                "jti is missing",
            ),
            (
                "HS384",
                jsonwebtoken::encode(
                    &Header::new(Algorithm::HS384),
                    &base("hs384"),
                    &EncodingKey::from_secret(demo::CLIENT_SECRET.as_bytes()).unwrap(),
                )
                .unwrap(),
                "use HS256",
            ),
        ];
        for (name, jwt, expected) in cases {
            let (status, body) = client_credentials(&em, &jwt).await;
            assert_eq!(status, 401, "{name}: {body}");
            assert_eq!(body["error"], "invalid_client", "{name}");
            let description = body["error_description"].as_str().unwrap();
            assert!(description.contains(expected), "{name}: {description}");
        }

        // An assertion plus a secret is two methods at once.
        let jwt = hs256(demo::CLIENT_SECRET, &base("both"));
        let (status, body) = token(
            &em,
            &[
                ("grant_type", "client_credentials"),
                ("audience", demo::AUDIENCE),
                ("client_id", demo::CLIENT_ID),
                ("client_secret", demo::CLIENT_SECRET),
                ("client_assertion_type", ASSERTION_TYPE),
                ("client_assertion", &jwt),
            ],
        )
        .await;
        assert_eq!(status, 400, "{body}");
        // A wrong assertion type.
        let (status, _) = token(
            &em,
            &[
                ("grant_type", "client_credentials"),
                ("audience", demo::AUDIENCE),
                ("client_id", demo::CLIENT_ID),
                ("client_assertion_type", "urn:other"),
                ("client_assertion", &jwt),
            ],
        )
        .await;
        assert_eq!(status, 401);
        em.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn other_endpoints_accept_it_with_their_own_url_as_audience() {
    within(async {
        let em = demo_tenant().await;
        let issuer = em.issuer();
        // A refresh token to revoke.
        let form = common::password_form("openid offline_access");
        let (status, body) = token(&em, &common::borrow(&form)).await;
        assert_eq!(status, 200, "{body}");
        let refresh = body["refresh_token"].as_str().unwrap().to_owned();

        let revoke_aud = format!("{issuer}oauth/revoke");
        let jwt = hs256(demo::CLIENT_SECRET, &claims(&revoke_aud, "revoke"));
        let response = http()
            .post(format!("{}/oauth/revoke", em.base_url()))
            .form(&[
                ("token", refresh.as_str()),
                ("client_id", demo::CLIENT_ID),
                ("client_assertion_type", ASSERTION_TYPE),
                ("client_assertion", &jwt),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let (status, body) = token(
            &em,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &refresh),
                ("client_id", demo::CLIENT_ID),
                ("client_secret", demo::CLIENT_SECRET),
            ],
        )
        .await;
        assert_eq!(status, 403, "revoked: {body}");

        let par_aud = format!("{issuer}oauth/par");
        let jwt = hs256(demo::CLIENT_SECRET, &claims(&par_aud, "par"));
        let response = http()
            .post(format!("{}/oauth/par", em.base_url()))
            .form(&[
                ("client_id", demo::CLIENT_ID),
                ("client_assertion_type", ASSERTION_TYPE),
                ("client_assertion", jwt.as_str()),
                ("response_type", "code"),
                ("redirect_uri", demo::CALLBACKS[0]),
                ("scope", "openid"),
            ])
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap();
        assert_eq!(status, 201, "{body}");
        assert!(body["request_uri"].is_string());

        // Device authorization too.
        let jwt = hs256(demo::CLIENT_SECRET, &claims(&issuer, "device"));
        let response = http()
            .post(format!("{}/oauth/device/code", em.base_url()))
            .form(&[
                ("client_id", demo::CLIENT_ID),
                ("client_assertion_type", ASSERTION_TYPE),
                ("client_assertion", jwt.as_str()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        em.shutdown().await;
    })
    .await;
}
