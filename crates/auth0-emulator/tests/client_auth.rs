//! Client authentication at the token endpoint.

mod common;

use auth0_emulator::keys::{self, GeneratedKey};
use auth0_emulator::{ApiConfig, ClientConfig, Emulator, RunningEmulator, demo};
use base64::Engine as _;
use common::{http, token, within};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

const AUD: &str = "https://api.example.com/";
const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

fn now() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

async fn tenant_with_keys(
    rsa: &GeneratedKey,
    ec256: &GeneratedKey,
    ec384: &GeneratedKey,
) -> RunningEmulator {
    Emulator::builder()
        .demo_tenant()
        .api(ApiConfig::new(AUD, &["read:messages"]))
        .client(
            ClientConfig::private_key_jwt("rsa-app", &rsa.public_key_pem)
                .grant_audience(AUD, &["read:messages"]),
        )
        .client(
            ClientConfig::private_key_jwt("ec-app", &ec256.public_key_pem)
                .grant_audience(AUD, &["read:messages"]),
        )
        .client(
            ClientConfig::private_key_jwt("ec384-app", &ec384.public_key_pem)
                .grant_audience(AUD, &["read:messages"]),
        )
        .start()
        .await
        .unwrap()
}

fn assertion(key: &GeneratedKey, alg: Algorithm, claims: &Value) -> String {
    let encoding = match alg {
        Algorithm::ES256 | Algorithm::ES384 => {
            EncodingKey::from_ec_pem(key.private_key_pem.as_bytes())
        }
        _ => EncodingKey::from_rsa_pem(key.private_key_pem.as_bytes()),
    }
    .unwrap();
    jsonwebtoken::encode(&Header::new(alg), claims, &encoding).unwrap()
}

fn claims(client_id: &str, aud: Value, jti: &str) -> Value {
    json!({"iss": client_id, "sub": client_id, "aud": aud, "jti": jti, "iat": now(), "exp": now() + 60})
}

async fn cc_with_assertion(em: &RunningEmulator, client_id: &str, jwt: &str) -> (u16, Value) {
    token(
        em,
        &[
            ("grant_type", "client_credentials"),
            ("audience", AUD),
            ("client_id", client_id),
            ("client_assertion_type", ASSERTION_TYPE),
            ("client_assertion", jwt),
        ],
    )
    .await
}

#[tokio::test]
async fn client_secret_post_and_basic() {
    within(async {
        let em = Emulator::builder()
            .demo_tenant()
            .client(
                ClientConfig::confidential("id with:colon", "sec ret+%")
                    .grant_audience(demo::AUDIENCE, &["read:messages"]),
            )
            .start()
            .await
            .unwrap();
        let cc = [
            ("grant_type", "client_credentials"),
            ("audience", demo::AUDIENCE),
        ];
        let mut post = cc.to_vec();
        post.extend([
            ("client_id", demo::CLIENT_ID),
            ("client_secret", demo::CLIENT_SECRET),
        ]);
        assert_eq!(token(&em, &post).await.0, 200);

        let mut wrong = cc.to_vec();
        wrong.extend([("client_id", demo::CLIENT_ID), ("client_secret", "wrong")]);
        let (status, body) = token(&em, &wrong).await;
        assert_eq!(status, 401);
        assert_eq!(body["error"], "invalid_client");
        assert!(
            body["error_description"]
                .as_str()
                .unwrap()
                .contains("Wrong client secret")
        );

        let mut missing = cc.to_vec();
        missing.push(("client_id", demo::CLIENT_ID));
        let (status, body) = token(&em, &missing).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (401, Some("invalid_client"))
        );

        let mut unknown = cc.to_vec();
        unknown.extend([("client_id", "who"), ("client_secret", "x")]);
        let (status, body) = token(&em, &unknown).await;
        assert_eq!(status, 401);
        assert_eq!(body["error_description"], "Unknown client: who");

        // client_secret_basic with form-urlencoded id and secret.
        let basic = |id: &str, secret: &str| {
            let enc = |s: &str| url_encode(s);
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!(
                    "{}:{}",
                    enc(id),
                    enc(secret)
                ))
            )
        };
        for (id, secret, expected) in [
            ("id with:colon", "sec ret+%", 200),
            (demo::CLIENT_ID, demo::CLIENT_SECRET, 200),
            (demo::CLIENT_ID, "nope", 401),
        ] {
            let response = http()
                .post(format!("{}/oauth/token", em.base_url()))
                .header("authorization", basic(id, secret))
                .form(&cc)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status().as_u16(), expected, "{id}");
            if expected == 401 {
                assert!(response.headers().contains_key("www-authenticate"));
            }
        }

        // Two methods at once are refused.
        let response = http()
            .post(format!("{}/oauth/token", em.base_url()))
            .header("authorization", basic(demo::CLIENT_ID, demo::CLIENT_SECRET))
            .form(&post)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400);

        // A public client must not send a secret.
        let (status, _) = token(
            &em,
            &[
                ("grant_type", "password"),
                ("username", "x"),
                ("password", "y"),
                ("client_id", demo::PUBLIC_CLIENT_ID),
                ("client_secret", "z"),
            ],
        )
        .await;
        assert_eq!(status, 401);
    })
    .await;
}

fn url_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn private_key_jwt_is_verified() {
    within(async {
        let (rsa, ec256, ec384) = (
            keys::generate_rsa(),
            keys::generate_ec_p256(),
            keys::generate_ec_p384(),
        );
        let em = tenant_with_keys(&rsa, &ec256, &ec384).await;
        let issuer = em.issuer();
        let token_url = format!("{issuer}oauth/token");

        for (n, alg) in [
            Algorithm::RS256,
            Algorithm::RS384,
            Algorithm::RS512,
            Algorithm::PS256,
        ]
        .into_iter()
        .enumerate()
        {
            let jwt = assertion(
                &rsa,
                alg,
                &claims("rsa-app", json!(issuer), &format!("rsa-{n}")),
            );
            let (status, body) = cc_with_assertion(&em, "rsa-app", &jwt).await;
            assert_eq!(status, 200, "{alg:?}: {body}");
        }
        let jwt = assertion(
            &ec256,
            Algorithm::ES256,
            &claims("ec-app", json!(token_url), "ec-1"),
        );
        assert_eq!(cc_with_assertion(&em, "ec-app", &jwt).await.0, 200);
        let no_slash = issuer.trim_end_matches('/');
        let jwt = assertion(
            &ec384,
            Algorithm::ES384,
            &claims("ec384-app", json!([no_slash, "x"]), "ec-2"),
        );
        assert_eq!(cc_with_assertion(&em, "ec384-app", &jwt).await.0, 200);

        // Replay of the same jti.
        let jwt = assertion(
            &rsa,
            Algorithm::RS256,
            &claims("rsa-app", json!(issuer), "once"),
        );
        assert_eq!(cc_with_assertion(&em, "rsa-app", &jwt).await.0, 200);
        let (status, body) = cc_with_assertion(&em, "rsa-app", &jwt).await;
        assert_eq!(status, 401);
        assert_eq!(body["error"], "invalid_client");
        assert!(
            body["error_description"]
                .as_str()
                .unwrap()
                .contains("already used"),
            "{body}"
        );
    })
    .await;
}

#[tokio::test]
async fn bad_assertions_are_refused() {
    within(async {
        let (rsa, ec256, ec384) = (keys::generate_rsa(), keys::generate_ec_p256(), keys::generate_ec_p384());
        let em = tenant_with_keys(&rsa, &ec256, &ec384).await;
        let issuer = em.issuer();
        let other = keys::generate_rsa();
        let mut cases: Vec<(&str, String, &str)> = vec![
            ("wrong aud", assertion(&rsa, Algorithm::RS256, &claims("rsa-app", json!("https://elsewhere/"), "a")), "aud must be"),
            ("wrong key", assertion(&other, Algorithm::RS256, &claims("rsa-app", json!(issuer), "b")), "signature"),
            ("wrong iss", assertion(&rsa, Algorithm::RS256, &json!({"iss": "x", "sub": "rsa-app", "aud": issuer, "jti": "c", "exp": now() + 60})), "iss must be"),
            ("no jti", assertion(&rsa, Algorithm::RS256, &json!({"iss": "rsa-app", "sub": "rsa-app", "aud": issuer, "exp": now() + 60})), "jti is missing"),
            ("expired", assertion(&rsa, Algorithm::RS256, &json!({"iss": "rsa-app", "sub": "rsa-app", "aud": issuer, "jti": "d", "exp": now() - 120})), "expired"),
            ("too long", assertion(&rsa, Algorithm::RS256, &json!({"iss": "rsa-app", "sub": "rsa-app", "aud": issuer, "jti": "e", "exp": now() + 3600})), "in the future"),
            ("no exp", assertion(&rsa, Algorithm::RS256, &json!({"iss": "rsa-app", "sub": "rsa-app", "aud": issuer, "jti": "f"})), "exp is missing"),
            ("ec alg on rsa key", assertion(&ec256, Algorithm::ES256, &claims("rsa-app", json!(issuer), "g")), "does not fit"),
            ("not a jwt", "garbage".to_owned(), "well-formed"),
        ];
        let hs = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims("rsa-app", json!(issuer), "h"),
            &EncodingKey::from_secret(rsa.public_key_pem.as_bytes()).unwrap(),
        )
        .unwrap();
        cases.push(("hs256", hs, "not accepted"));
        for (name, jwt, expected) in cases {
            let (status, body) = cc_with_assertion(&em, "rsa-app", &jwt).await;
            assert_eq!(status, 401, "{name}: {body}");
            assert_eq!(body["error"], "invalid_client", "{name}");
            let description = body["error_description"].as_str().unwrap();
            assert!(description.contains(expected), "{name}: {description}");
        }

        // A secret is not accepted for a private_key_jwt client; a wrong assertion type is refused.
        let (status, _) = token(
            &em,
            &[("grant_type", "client_credentials"), ("audience", AUD), ("client_id", "rsa-app"), ("client_secret", "x")],
        )
        .await;
        assert_eq!(status, 401);
        let jwt = assertion(&rsa, Algorithm::RS256, &claims("rsa-app", json!(issuer), "i"));
        let (status, _) = token(
            &em,
            &[
                ("grant_type", "client_credentials"),
                ("audience", AUD),
                ("client_id", "rsa-app"),
                ("client_assertion_type", "urn:other"),
                ("client_assertion", &jwt),
            ],
        )
        .await;
        assert_eq!(status, 401);
        // Without client_id the assertion's sub names the client.
        let (status, body) = token(
            &em,
            &[
                ("grant_type", "client_credentials"),
                ("audience", AUD),
                ("client_assertion_type", ASSERTION_TYPE),
                ("client_assertion", &jwt),
            ],
        )
        .await;
        assert_eq!(status, 200, "{body}");
    })
    .await;
}

#[tokio::test]
async fn invalid_client_key_fails_start() {
    within(async {
        let error = Emulator::builder()
            .client(ClientConfig::private_key_jwt(
                "bad",
                "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
            ))
            .start()
            .await
            .unwrap_err();
        assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
    })
    .await;
}
