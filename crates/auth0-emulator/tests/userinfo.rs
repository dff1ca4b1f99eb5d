//! `GET /userinfo` and `POST /oauth/revoke`.

mod common;

use auth0_emulator::{ClientConfig, Emulator, RunningEmulator, UserConfig, demo};
use common::{borrow, demo_tenant, http, password_form, token, within};
use serde_json::{Value, json};

/// GETs `/userinfo` with `authorization` (if any); returns the status, the
/// `WWW-Authenticate` header and the body text.
async fn userinfo(em: &RunningEmulator, authorization: Option<&str>) -> (u16, String, String) {
    let mut request = http().get(format!("{}/userinfo", em.base_url()));
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let challenge = response
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, challenge, response.text().await.unwrap())
}

async fn access_token(em: &RunningEmulator, scope: &str) -> Value {
    let form = password_form(scope);
    let (status, body) = token(em, &borrow(&form)).await;
    assert_eq!(status, 200, "{body}");
    body
}

#[tokio::test]
async fn userinfo_answers_the_claims_the_scope_allows() {
    within(async {
        let em = demo_tenant().await;
        let tokens = access_token(&em, "openid profile email").await;
        let bearer = format!("Bearer {}", tokens["access_token"].as_str().unwrap());
        let (status, _, body) = userinfo(&em, Some(&bearer)).await;
        assert_eq!(status, 200, "{body}");
        let claims: Value = serde_json::from_str(&body).unwrap();
        assert!(claims["sub"].as_str().unwrap().starts_with("auth0|"));
        assert_eq!(claims["name"], demo::NAME);
        assert_eq!(claims["nickname"], "jane");
        assert!(claims["picture"].as_str().unwrap().starts_with("https://"));
        assert!(claims["updated_at"].as_str().unwrap().ends_with('Z'));
        assert_eq!(claims["email"], demo::USERNAME);
        assert_eq!(claims["email_verified"], true);

        // openid only: just `sub`.
        let tokens = access_token(&em, "openid").await;
        let bearer = format!("Bearer {}", tokens["access_token"].as_str().unwrap());
        let (status, _, body) = userinfo(&em, Some(&bearer)).await;
        assert_eq!(status, 200);
        let claims: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(claims.as_object().unwrap().len(), 1, "{claims}");

        // email only.
        let tokens = access_token(&em, "openid email").await;
        let bearer = format!("Bearer {}", tokens["access_token"].as_str().unwrap());
        let (_, _, body) = userinfo(&em, Some(&bearer)).await;
        let claims: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(claims["email"], demo::USERNAME);
        assert!(claims.get("name").is_none());

        // After a key rotation, tokens signed with the old key still work.
        em.rotate_signing_key();
        let (status, _, _) = userinfo(&em, Some(&bearer)).await;
        assert_eq!(status, 200);
    })
    .await;
}

#[tokio::test]
async fn userinfo_refusals_are_401_with_a_bearer_challenge_and_no_body() {
    within(async {
        let em = demo_tenant().await;
        let issuer = em.issuer();
        let check = |(status, challenge, body): (u16, String, String)| {
            assert_eq!(status, 401);
            assert!(body.is_empty(), "{body}");
            assert!(
                challenge.starts_with(&format!(
                    r#"Bearer realm="{issuer}", error="invalid_token", error_description=""#
                )),
                "{challenge}"
            );
        };
        check(userinfo(&em, None).await);
        check(userinfo(&em, Some("Bearer not-a-jwt")).await);
        check(userinfo(&em, Some("Basic abc")).await);

        // A client-credentials token has no userinfo audience.
        let (status, cc) = token(
            &em,
            &[
                ("grant_type", "client_credentials"),
                ("audience", demo::AUDIENCE),
                ("client_id", demo::CLIENT_ID),
                ("client_secret", demo::CLIENT_SECRET),
            ],
        )
        .await;
        assert_eq!(status, 200, "{cc}");
        let bearer = format!("Bearer {}", cc["access_token"].as_str().unwrap());
        let (status, challenge, _) = userinfo(&em, Some(&bearer)).await;
        assert_eq!(status, 401);
        assert!(challenge.contains("audience"), "{challenge}");

        // Expired, and signed by someone else.
        let now = jsonwebtoken::get_current_timestamp();
        let sub = UserConfig::new(demo::USERNAME, "x").id().to_owned();
        let expired = em.sign_jwt(
            None,
            &json!({"iss": issuer, "sub": sub, "aud": format!("{issuer}userinfo"),
                    "iat": now - 100, "exp": now - 10, "scope": "openid"}),
        );
        check(userinfo(&em, Some(&format!("Bearer {expired}"))).await);
        let other = Emulator::builder().demo_tenant().start().await.unwrap();
        let foreign = other.sign_jwt(
            None,
            &json!({"iss": issuer, "sub": sub, "aud": format!("{issuer}userinfo"),
                    "iat": now, "exp": now + 100, "scope": "openid"}),
        );
        check(userinfo(&em, Some(&format!("Bearer {foreign}"))).await);
        let good = em.sign_jwt(
            None,
            &json!({"iss": issuer, "sub": sub, "aud": [demo::AUDIENCE, format!("{issuer}userinfo")],
                    "iat": now, "exp": now + 100, "scope": "openid"}),
        );
        assert_eq!(userinfo(&em, Some(&format!("Bearer {good}"))).await.0, 200);
    })
    .await;
}

/// POSTs `form` to `/oauth/revoke`; returns the status and the body text.
async fn revoke(em: &RunningEmulator, form: &[(&str, &str)]) -> (u16, String) {
    let response = http()
        .post(format!("{}/oauth/revoke", em.base_url()))
        .form(form)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn refresh(em: &RunningEmulator, refresh_token: &str) -> (u16, Value) {
    token(
        em,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", demo::CLIENT_ID),
            ("client_secret", demo::CLIENT_SECRET),
        ],
    )
    .await
}

#[tokio::test]
async fn a_revoked_refresh_token_stops_working() {
    within(async {
        let em = demo_tenant().await;
        let tokens = access_token(&em, "openid offline_access").await;
        let rt = tokens["refresh_token"].as_str().unwrap().to_owned();
        assert_eq!(refresh(&em, &rt).await.0, 200);

        let (status, body) = revoke(
            &em,
            &[
                ("token", &rt),
                ("token_type_hint", "refresh_token"),
                ("client_id", demo::CLIENT_ID),
                ("client_secret", demo::CLIENT_SECRET),
            ],
        )
        .await;
        assert_eq!((status, body.as_str()), (200, ""));
        let (status, body) = refresh(&em, &rt).await;
        assert_eq!(status, 403);
        assert_eq!(body["error"], "invalid_grant");

        // Revoking again, or an unknown token, is still 200 (RFC 7009).
        let auth = [
            ("client_id", demo::CLIENT_ID),
            ("client_secret", demo::CLIENT_SECRET),
        ];
        for token_value in [rt.as_str(), "never-issued"] {
            let mut form = vec![("token", token_value)];
            form.extend(auth);
            assert_eq!(revoke(&em, &form).await, (200, String::new()));
        }
    })
    .await;
}

#[tokio::test]
async fn revocation_checks_the_client() {
    within(async {
        let em = Emulator::builder()
            .demo_tenant()
            .client(ClientConfig::confidential("other-app", "other-secret"))
            .start()
            .await
            .unwrap();
        let tokens = access_token(&em, "openid offline_access").await;
        let rt = tokens["refresh_token"].as_str().unwrap().to_owned();

        // Wrong secret, unknown client.
        let (status, body) = revoke(
            &em,
            &[
                ("token", &rt),
                ("client_id", demo::CLIENT_ID),
                ("client_secret", "wrong"),
            ],
        )
        .await;
        assert_eq!(status, 401, "{body}");
        assert!(body.contains("invalid_client"));
        // Another client's token: refused, and the token still works.
        let (status, body) = revoke(
            &em,
            &[
                ("token", &rt),
                ("client_id", "other-app"),
                ("client_secret", "other-secret"),
            ],
        )
        .await;
        assert_eq!(status, 400);
        let body: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(body["error"], "invalid_request");
        assert_eq!(refresh(&em, &rt).await.0, 200);
        // Missing token.
        let (status, body) = revoke(
            &em,
            &[
                ("client_id", demo::CLIENT_ID),
                ("client_secret", demo::CLIENT_SECRET),
            ],
        )
        .await;
        assert_eq!(status, 400);
        let body: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(body["error"], "invalid_request");
        assert_eq!(
            body["error_description"],
            "Missing required parameter: token"
        );
        // Basic authentication works too.
        let response = http()
            .post(format!("{}/oauth/revoke", em.base_url()))
            .basic_auth(demo::CLIENT_ID, Some(demo::CLIENT_SECRET))
            .form(&[("token", rt.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
        assert_eq!(refresh(&em, &rt).await.0, 403);
    })
    .await;
}

#[tokio::test]
async fn public_clients_revoke_their_own_tokens_with_client_id_only() {
    within(async {
        let em = demo_tenant().await;
        let (status, tokens) = token(
            &em,
            &[
                ("grant_type", "password"),
                ("username", demo::USERNAME),
                ("password", demo::PASSWORD),
                ("scope", "openid offline_access"),
                ("client_id", demo::PUBLIC_CLIENT_ID),
            ],
        )
        .await;
        assert_eq!(status, 200, "{tokens}");
        let rt = tokens["refresh_token"].as_str().unwrap();
        let (status, _) =
            revoke(&em, &[("token", rt), ("client_id", demo::PUBLIC_CLIENT_ID)]).await;
        assert_eq!(status, 200);
        let (status, body) = token(
            &em,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", rt),
                ("client_id", demo::PUBLIC_CLIENT_ID),
            ],
        )
        .await;
        assert_eq!(status, 403);
        assert_eq!(body["error"], "invalid_grant");
        // Under the mTLS alias too.
        let response = http()
            .post(format!("{}/mtls/oauth/revoke", em.base_url()))
            .form(&[("token", "x"), ("client_id", demo::PUBLIC_CLIENT_ID)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
    })
    .await;
}
