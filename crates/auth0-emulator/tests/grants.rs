//! The token endpoint's grants.

mod common;

use auth0_emulator::{ApiConfig, ClientConfig, Emulator, OrganizationConfig, UserConfig, demo};
use common::{borrow, demo_tenant, password_form, token, verify, within};
use serde_json::json;

const ID: (&str, &str) = ("client_id", demo::CLIENT_ID);
const SECRET: (&str, &str) = ("client_secret", demo::CLIENT_SECRET);

#[tokio::test]
async fn client_credentials_issues_a_verifiable_token() {
    within(async {
        let em = demo_tenant().await;
        let (status, body) = token(
            &em,
            &[
                ("grant_type", "client_credentials"),
                ("audience", demo::AUDIENCE),
                ID,
                SECRET,
            ],
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["token_type"], "Bearer");
        assert_eq!(body["expires_in"], 86_400);
        assert_eq!(body["scope"], "read:messages write:messages");
        assert!(body.get("id_token").is_none() && body.get("refresh_token").is_none());
        let claims = verify(&em, body["access_token"].as_str().unwrap(), demo::AUDIENCE).await;
        assert_eq!(claims["sub"], format!("{}@clients", demo::CLIENT_ID));
        assert_eq!(claims["azp"], demo::CLIENT_ID);
        assert_eq!(claims["gty"], "client-credentials");
        assert!(claims["jti"].is_string());

        // A requested scope is intersected with the grant.
        let (_, body) = token(
            &em,
            &[
                ("grant_type", "client_credentials"),
                ("audience", demo::AUDIENCE),
                ("scope", "read:messages delete:everything"),
                ID,
                SECRET,
            ],
        )
        .await;
        assert_eq!(body["scope"], "read:messages");

        // Organization adds org_id; an unknown one is refused.
        let (status, body) = token(
            &em,
            &[
                ("grant_type", "client_credentials"),
                ("audience", demo::AUDIENCE),
                ("organization", demo::ORGANIZATION_ID),
                ID,
                SECRET,
            ],
        )
        .await;
        assert_eq!(status, 200);
        let claims = verify(&em, body["access_token"].as_str().unwrap(), demo::AUDIENCE).await;
        assert_eq!(claims["org_id"], demo::ORGANIZATION_ID);
        let (status, body) = token(
            &em,
            &[
                ("grant_type", "client_credentials"),
                ("audience", demo::AUDIENCE),
                ("organization", "org_nope"),
                ID,
                SECRET,
            ],
        )
        .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_request"))
        );
    })
    .await;
}

#[tokio::test]
async fn client_credentials_errors() {
    within(async {
        let em = Emulator::builder()
            .demo_tenant()
            .api(ApiConfig::new("https://other.example.com/", &["x"]).token_lifetime(60))
            .start()
            .await
            .unwrap();
        let (status, body) = token(&em, &[("grant_type", "client_credentials"), ID, SECRET]).await;
        assert_eq!(status, 400);
        assert_eq!(body["error"], "invalid_request");
        assert_eq!(
            body["error_description"],
            "Missing required parameter: audience"
        );

        let (status, body) = token(
            &em,
            &[
                ("grant_type", "client_credentials"),
                ("audience", "https://other.example.com/"),
                ID,
                SECRET,
            ],
        )
        .await;
        assert_eq!(status, 403);
        assert_eq!(body["error"], "access_denied");
        assert!(
            body["error_description"]
                .as_str()
                .unwrap()
                .starts_with("Client is not authorized to access \"https://other.example.com/\".")
        );

        let (status, body) = token(
            &em,
            &[
                ("grant_type", "client_credentials"),
                ("audience", "https://unknown/"),
                ID,
                SECRET,
            ],
        )
        .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (403, Some("access_denied"))
        );

        let (status, body) = token(&em, &[("grant_type", "magic"), ID, SECRET]).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("unsupported_grant_type"))
        );

        let (status, body) = token(&em, &[ID, SECRET]).await;
        assert_eq!(status, 400);
        assert_eq!(
            body["error_description"],
            "Missing required parameter: grant_type"
        );

        // Public clients cannot use client credentials.
        let (status, body) = token(
            &em,
            &[
                ("grant_type", "client_credentials"),
                ("audience", demo::AUDIENCE),
                ("client_id", demo::PUBLIC_CLIENT_ID),
            ],
        )
        .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (403, Some("unauthorized_client"))
        );
    })
    .await;
}

#[tokio::test]
async fn api_token_lifetime_wins() {
    within(async {
        let em = Emulator::builder()
            .access_token_lifetime(1000)
            .client(
                ClientConfig::confidential("c", "s")
                    .grant_audience("a", &["x"])
                    .grant_audience("b", &["y"]),
            )
            .api(ApiConfig::new("a", &["x"]).token_lifetime(60))
            .api(ApiConfig::new("b", &["y"]))
            .start()
            .await
            .unwrap();
        let form = |aud| {
            [
                ("grant_type", "client_credentials"),
                ("audience", aud),
                ("client_id", "c"),
                ("client_secret", "s"),
            ]
        };
        assert_eq!(token(&em, &form("a")).await.1["expires_in"], 60);
        assert_eq!(token(&em, &form("b")).await.1["expires_in"], 1000);
    })
    .await;
}

#[tokio::test]
async fn password_grant_returns_a_verifiable_id_token() {
    within(async {
        let em = demo_tenant().await;
        let mut form = password_form("openid profile email offline_access read:messages");
        form.push(("audience", demo::AUDIENCE.to_owned()));
        let (status, body) = token(&em, &borrow(&form)).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["token_type"], "Bearer");
        assert_eq!(
            body["scope"],
            "openid profile email offline_access read:messages"
        );
        assert!(body["refresh_token"].is_string());
        assert_eq!(em.refresh_tokens_issued(), 1);

        let id = verify(&em, body["id_token"].as_str().unwrap(), demo::CLIENT_ID).await;
        assert!(id["sub"].as_str().unwrap().starts_with("auth0|"));
        assert_eq!(id["name"], demo::NAME);
        assert_eq!(id["nickname"], "jane");
        assert_eq!(id["email"], demo::USERNAME);
        assert_eq!(id["email_verified"], true);
        for claim in ["iat", "exp", "auth_time", "sid", "picture", "updated_at"] {
            assert!(id.get(claim).is_some(), "{claim}");
        }
        let header = jsonwebtoken::decode_header(body["id_token"].as_str().unwrap()).unwrap();
        assert_eq!(header.kid.as_deref(), Some(em.signing_kid().as_str()));

        let at = verify(&em, body["access_token"].as_str().unwrap(), demo::AUDIENCE).await;
        assert_eq!(at["sub"], id["sub"]);
        assert_eq!(at["gty"], "password");
        assert_eq!(
            at["aud"],
            json!([demo::AUDIENCE, format!("{}userinfo", em.issuer())])
        );
    })
    .await;
}

#[tokio::test]
async fn password_grant_defaults_and_errors() {
    within(async {
        let em = Emulator::builder()
            .demo_tenant()
            .api(ApiConfig::new("https://no-offline/", &["r"]).offline_access(false))
            .user(UserConfig::new("bob", "pw").connection("other-db"))
            .start()
            .await
            .unwrap();
        // Public client, default scope "openid": an ID token, no refresh token.
        let (status, body) = token(
            &em,
            &[
                ("grant_type", "password"),
                ("username", demo::USERNAME),
                ("password", demo::PASSWORD),
                ("client_id", demo::PUBLIC_CLIENT_ID),
            ],
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["scope"], "openid");
        assert!(body["id_token"].is_string());
        assert!(body.get("refresh_token").is_none());
        let id = verify(
            &em,
            body["id_token"].as_str().unwrap(),
            demo::PUBLIC_CLIENT_ID,
        )
        .await;
        assert!(
            id.get("email").is_none(),
            "email claims need the email scope"
        );

        // No refresh token when the API forbids offline access.
        let mut form = password_form("openid offline_access");
        form.push(("audience", "https://no-offline/".to_owned()));
        let (status, body) = token(&em, &borrow(&form)).await;
        assert_eq!(status, 200);
        assert!(body.get("refresh_token").is_none());

        let mut form = password_form("openid");
        form[2].1 = "wrong".to_owned();
        let (status, body) = token(&em, &borrow(&form)).await;
        assert_eq!(status, 403);
        assert_eq!(body["error"], "invalid_grant");
        assert_eq!(body["error_description"], "Wrong email or password.");

        // Realm must be the user's connection.
        let realm_form = |realm: &'static str| {
            [
                (
                    "grant_type",
                    "http://auth0.com/oauth/grant-type/password-realm",
                ),
                ("username", "bob"),
                ("password", "pw"),
                ("realm", realm),
                ID,
                SECRET,
            ]
        };
        assert_eq!(token(&em, &realm_form("other-db")).await.0, 200);
        assert_eq!(
            token(&em, &realm_form("Username-Password-Authentication"))
                .await
                .0,
            403
        );
        assert_eq!(token(&em, &realm_form("nope")).await.0, 400);

        let (status, body) = token(
            &em,
            &[("grant_type", "password"), ("username", "x"), ID, SECRET],
        )
        .await;
        assert_eq!(status, 400);
        assert_eq!(
            body["error_description"],
            "Missing required parameter: password"
        );

        let mut form = password_form("openid");
        form.push(("audience", "https://unknown/".to_owned()));
        let (status, body) = token(&em, &borrow(&form)).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (403, Some("access_denied"))
        );
    })
    .await;
}

#[tokio::test]
async fn mfa_required_shape() {
    within(async {
        let em = demo_tenant().await;
        let (status, body) = token(
            &em,
            &[
                ("grant_type", "password"),
                ("username", demo::MFA_USERNAME),
                ("password", demo::PASSWORD),
                ("scope", "openid"),
                ID,
                SECRET,
            ],
        )
        .await;
        assert_eq!(status, 403);
        assert_eq!(body["error"], "mfa_required");
        assert_eq!(
            body["error_description"],
            "Multifactor authentication required"
        );
        assert!(body["mfa_token"].as_str().unwrap().len() >= 32);
        // The demo MFA user has no authenticator yet: they are asked to enroll one.
        assert_eq!(
            body["mfa_requirements"],
            json!({"enroll": [{"type": "otp"}, {"type": "oob"}]})
        );
    })
    .await;
}

#[tokio::test]
async fn refresh_token_grant() {
    within(async {
        let em = demo_tenant().await;
        let mut form = password_form("openid profile offline_access read:messages write:messages");
        form.push(("audience", demo::AUDIENCE.to_owned()));
        let (_, first) = token(&em, &borrow(&form)).await;
        let rt = first["refresh_token"].as_str().unwrap().to_owned();
        let first_id = verify(&em, first["id_token"].as_str().unwrap(), demo::CLIENT_ID).await;

        let refresh = |scope: Option<&'static str>| {
            let mut f = vec![
                ("grant_type", "refresh_token"),
                ("refresh_token", rt.as_str()),
                ID,
                SECRET,
            ];
            if let Some(s) = scope {
                f.push(("scope", s));
            }
            f
        };
        for _ in 0..2 {
            // Not rotated: the same refresh token keeps working.
            let (status, body) = token(&em, &refresh(None)).await;
            assert_eq!(status, 200, "{body}");
            assert!(body.get("refresh_token").is_none());
            let id = verify(&em, body["id_token"].as_str().unwrap(), demo::CLIENT_ID).await;
            assert_eq!(id["sid"], first_id["sid"]);
            assert_eq!(id["auth_time"], first_id["auth_time"]);
            let at = verify(&em, body["access_token"].as_str().unwrap(), demo::AUDIENCE).await;
            assert_eq!(at["gty"], "refresh_token");
        }

        let (status, body) = token(&em, &refresh(Some("openid read:messages"))).await;
        assert_eq!(status, 200);
        assert_eq!(body["scope"], "openid read:messages");

        let (status, body) = token(&em, &refresh(Some("openid delete:all"))).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (403, Some("invalid_scope"))
        );

        // Another client cannot use it.
        let (status, body) = token(
            &em,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", rt.as_str()),
                ("client_id", demo::PUBLIC_CLIENT_ID),
            ],
        )
        .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (403, Some("invalid_grant"))
        );

        let (status, body) = token(
            &em,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", "nope"),
                ID,
                SECRET,
            ],
        )
        .await;
        assert_eq!(status, 403);
        assert_eq!(body["error"], "invalid_grant");
        assert_eq!(
            body["error_description"],
            "Unknown or invalid refresh token."
        );
        assert_eq!(em.refresh_tokens_issued(), 1);
    })
    .await;
}

#[tokio::test]
async fn organizations_and_overrides() {
    within(async {
        let em = Emulator::builder()
            .client(ClientConfig::public("app"))
            .organization(OrganizationConfig::new("org_1", "one"))
            .user(
                UserConfig::new("u@example.com", "pw")
                    .organization("org_1")
                    .user_id("auth0|fixed"),
            )
            .id_token_lifetime(100)
            .start()
            .await
            .unwrap();
        let base = [
            ("grant_type", "password"),
            ("username", "u@example.com"),
            ("password", "pw"),
            ("client_id", "app"),
        ];
        let mut form = base.to_vec();
        form.push(("organization", "org_1"));
        let (status, body) = token(&em, &form).await;
        assert_eq!(status, 200, "{body}");
        let id = verify(&em, body["id_token"].as_str().unwrap(), "app").await;
        assert_eq!(id["sub"], "auth0|fixed");
        assert_eq!(id["org_id"], "org_1");
        assert_eq!(id["org_name"], "one");
        assert_eq!(
            id["exp"].as_u64().unwrap() - id["iat"].as_u64().unwrap(),
            100
        );

        em.set_next_id_token("not.a.jwt".to_owned());
        let (_, body) = token(&em, &base).await;
        assert_eq!(body["id_token"], "not.a.jwt");
        let (_, body) = token(&em, &base).await;
        assert_ne!(body["id_token"], "not.a.jwt");
    })
    .await;
}

#[tokio::test]
async fn json_bodies_are_accepted() {
    within(async {
        let em = demo_tenant().await;
        let response = common::http()
            .post(format!("{}/oauth/token", em.base_url()))
            .json(&json!({
                "grant_type": "client_credentials",
                "audience": demo::AUDIENCE,
                "client_id": demo::CLIENT_ID,
                "client_secret": demo::CLIENT_SECRET,
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    })
    .await;
}
