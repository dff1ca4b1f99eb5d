//! Database connections (`/dbconnections/*`), their one-time codes (`/otp/challenge` and the
//! passwordless OTP grant with `auth_session`) and WebFinger home-realm discovery.

mod common;

use auth0_emulator::keys::{self, GeneratedKey};
use auth0_emulator::{
    ClientConfig, DEFAULT_CONNECTION, Emulator, RunningEmulator, UserConfig, demo,
};
use common::{demo_tenant, http, token, within};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

const OTP_GRANT: &str = "http://auth0.com/oauth/grant-type/passwordless/otp";

async fn post_json(em: &RunningEmulator, path: &str, body: &Value) -> (u16, String, String) {
    let response = http()
        .post(format!("{}{path}", em.base_url()))
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, content_type, response.text().await.unwrap())
}

async fn post_value(em: &RunningEmulator, path: &str, body: &Value) -> (u16, Value) {
    let (status, _, text) = post_json(em, path, body).await;
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn password_login(em: &RunningEmulator, username: &str, password: &str) -> (u16, Value) {
    token(
        em,
        &[
            ("grant_type", "password"),
            ("username", username),
            ("password", password),
            ("scope", "openid profile email offline_access"),
            ("client_id", demo::CLIENT_ID),
            ("client_secret", demo::CLIENT_SECRET),
        ],
    )
    .await
}

#[tokio::test]
async fn a_signed_up_user_logs_in_with_the_password_grant() {
    within(async {
        let em = demo_tenant().await;
        let (status, user) = post_value(
            &em,
            "/dbconnections/signup",
            &json!({
                "client_id": demo::PUBLIC_CLIENT_ID,
                "email": "new@example.com",
                "password": "a long passphrase",
                "connection": DEFAULT_CONNECTION,
                "given_name": "Ada",
                "family_name": "Lovelace",
                "nickname": "ada",
                "user_metadata": {"plan": "free"},
            }),
        )
        .await;
        assert_eq!(status, 200, "{user}");
        let id = user["_id"].as_str().unwrap();
        assert_eq!(id.len(), 24);
        assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(user["email"], "new@example.com");
        assert_eq!(user["email_verified"], false);
        assert_eq!(user["given_name"], "Ada");
        assert_eq!(user["user_metadata"]["plan"], "free");
        assert!(user.get("password").is_none());

        let (status, tokens) = password_login(&em, "NEW@example.com", "a long passphrase").await;
        assert_eq!(status, 200, "{tokens}");
        let (status, _) = password_login(&em, "new@example.com", "wrong password").await;
        assert_eq!(status, 403);

        // User info and refresh know the new user.
        let info: Value = http()
            .get(format!("{}/userinfo", em.base_url()))
            .bearer_auth(tokens["access_token"].as_str().unwrap())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(info["sub"], format!("auth0|{id}"));
        assert_eq!(info["email_verified"], false);
        assert_eq!(info["nickname"], "ada");
        assert_eq!(info["given_name"], "Ada");
        let (status, _) = token(
            &em,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
                ("client_id", demo::CLIENT_ID),
                ("client_secret", demo::CLIENT_SECRET),
            ],
        )
        .await;
        assert_eq!(status, 200);
    })
    .await;
}

#[tokio::test]
async fn signup_refusals_use_auth0s_code_shape() {
    within(async {
        let em = Emulator::builder()
            .demo_tenant()
            .user(UserConfig::new("bob", "pa55word-long").connection("other-db"))
            .start()
            .await
            .unwrap();
        let signup = |body: Value| {
            let em = em.clone();
            async move { post_value(&em, "/dbconnections/signup", &body).await }
        };
        let base = json!({"client_id": demo::CLIENT_ID, "email": "x@example.com",
                          "password": "long enough pass", "connection": DEFAULT_CONNECTION});
        let with = |key: &str, value: Value| {
            let mut body = base.clone();
            body[key] = value;
            body
        };

        let (status, body) = signup(with("email", json!(demo::USERNAME))).await;
        assert_eq!(status, 400);
        assert_eq!(
            body,
            json!({"code": "invalid_signup", "description": "Invalid sign up",
                   "name": "BadRequestError", "statusCode": 400})
        );
        let (status, body) = signup(with("password", json!("short"))).await;
        assert_eq!(status, 400);
        assert_eq!(body["code"], "invalid_password");
        assert_eq!(
            body["description"],
            "PasswordStrengthError: Password is too weak"
        );
        assert_eq!(body["statusCode"], 400);
        let (status, body) = signup(with("connection", json!("nope"))).await;
        assert_eq!(status, 400);
        assert_eq!(body["code"], "invalid_connection");
        assert_eq!(signup(with("connection", json!("email"))).await.0, 400);
        let (status, body) = signup(with("email", Value::Null)).await;
        assert_eq!(status, 400);
        assert_eq!(body["code"], "invalid_body");
        assert!(body["description"].as_str().unwrap().contains("email"));
        assert_eq!(signup(with("email", json!("not-an-email"))).await.0, 400);
        let (status, body) = signup(with("client_id", json!("who"))).await;
        assert_eq!(status, 401);
        assert_eq!(body["code"], "invalid_client");

        // The same email may sign up on another connection; the username must be free there.
        let (status, body) = signup(with("connection", json!("other-db"))).await;
        assert_eq!(status, 200, "{body}");
        let (status, _) = signup(
            json!({"client_id": demo::CLIENT_ID, "email": "b@example.com",
            "username": "bob", "password": "long enough pass", "connection": "other-db"}),
        )
        .await;
        assert_eq!(status, 400);
        // Signing up twice is refused.
        assert_eq!(signup(base.clone()).await.0, 200);
        assert_eq!(signup(base.clone()).await.1["code"], "invalid_signup");
    })
    .await;
}

#[tokio::test]
async fn change_password_answers_the_same_and_records_a_ticket() {
    within(async {
        let em = demo_tenant().await;
        for (email, exists) in [(demo::USERNAME, true), ("nobody@example.com", false)] {
            let (status, content_type, text) = post_json(
                &em,
                "/dbconnections/change_password",
                &json!({"client_id": demo::CLIENT_ID, "connection": DEFAULT_CONNECTION,
                        "email": email, "organization": demo::ORGANIZATION_ID}),
            )
            .await;
            assert_eq!(status, 200);
            assert!(content_type.starts_with("text/plain"), "{content_type}");
            assert_eq!(text, "We've just sent you an email to reset your password.");
            let ticket = em.password_change_tickets().pop().unwrap();
            assert_eq!(ticket.email.as_deref(), Some(email));
            assert_eq!(ticket.user_exists, exists);
            assert_eq!(ticket.connection, DEFAULT_CONNECTION);
            assert_eq!(ticket.organization.as_deref(), Some(demo::ORGANIZATION_ID));
            assert!(
                ticket
                    .ticket_url
                    .starts_with(&format!("{}lo/reset?ticket=", em.issuer()))
            );
            assert!(!format!("{ticket:?}").contains("ticket="));
        }
        let (status, body) = post_value(
            &em,
            "/dbconnections/change_password",
            &json!({"client_id": demo::CLIENT_ID, "connection": DEFAULT_CONNECTION}),
        )
        .await;
        assert_eq!(status, 400);
        assert_eq!(body["error"], "invalid_request");
        let (status, _) = post_value(
            &em,
            "/dbconnections/change_password",
            &json!({"client_id": demo::CLIENT_ID, "connection": "nope", "username": "x"}),
        )
        .await;
        assert_eq!(status, 400);
        assert_eq!(em.password_change_tickets().len(), 2);
    })
    .await;
}

async fn otp_token(em: &RunningEmulator, auth_session: &str, otp: &str) -> (u16, Value) {
    token(
        em,
        &[
            ("grant_type", OTP_GRANT),
            ("auth_session", auth_session),
            ("otp", otp),
            ("scope", "openid email offline_access"),
            ("client_id", demo::CLIENT_ID),
            ("client_secret", demo::CLIENT_SECRET),
        ],
    )
    .await
}

async fn challenge(em: &RunningEmulator, body: Value) -> (u16, Value) {
    post_value(em, "/otp/challenge", &body).await
}

fn email_challenge(email: &str, allow_signup: bool) -> Value {
    json!({"client_id": demo::CLIENT_ID, "client_secret": demo::CLIENT_SECRET,
           "email": email, "connection": DEFAULT_CONNECTION, "allow_signup": allow_signup})
}

#[tokio::test]
async fn otp_challenge_codes_log_users_in_once() {
    within(async {
        let em = demo_tenant().await;
        let (status, body) = challenge(&em, email_challenge(demo::USERNAME, false)).await;
        assert_eq!(status, 200, "{body}");
        let session = body["auth_session"].as_str().unwrap().to_owned();
        let code = em.last_otp_code("JANE@example.com").unwrap();
        assert_eq!(code.len(), 6);
        let record = em.otp_challenges().pop().unwrap();
        assert_eq!(record.auth_session, session);
        assert_eq!(record.connection, DEFAULT_CONNECTION);
        assert_eq!(record.delivery_method, None);
        assert!(!format!("{record:?}").contains(&code));

        let (status, tokens) = otp_token(&em, &session, &code).await;
        assert_eq!(status, 200, "{tokens}");
        assert!(tokens["id_token"].is_string() && tokens["refresh_token"].is_string());
        let claims = common::verify(
            &em,
            tokens["access_token"].as_str().unwrap(),
            &format!("{}userinfo", em.issuer()),
        )
        .await;
        assert_eq!(claims["sub"], UserConfig::new(demo::USERNAME, "x").id());
        // Single use.
        let (status, body) = otp_token(&em, &session, &code).await;
        assert_eq!(status, 403);
        assert_eq!(body["error"], "invalid_grant");
    })
    .await;
}

#[tokio::test]
async fn otp_challenge_sign_up_and_phone_numbers() {
    within(async {
        let em = demo_tenant().await;
        // Unknown user without allow_signup: refused.
        let (status, body) = challenge(&em, email_challenge("fresh@example.com", false)).await;
        assert_eq!(status, 400);
        assert_eq!(body["error"], "invalid_request");
        // With allow_signup, the user is created when the code is redeemed.
        let (status, body) = challenge(&em, email_challenge("fresh@example.com", true)).await;
        assert_eq!(status, 200);
        let code = em.last_otp_code("fresh@example.com").unwrap();
        let (status, tokens) = otp_token(&em, body["auth_session"].as_str().unwrap(), &code).await;
        assert_eq!(status, 200, "{tokens}");
        let (status, _) = challenge(&em, email_challenge("fresh@example.com", false)).await;
        assert_eq!(status, 200, "the user exists now");

        // Phone numbers, with a delivery method.
        let phone = json!({"client_id": demo::CLIENT_ID, "client_secret": demo::CLIENT_SECRET,
            "phone_number": "+14155550100", "connection": DEFAULT_CONNECTION,
            "allow_signup": true, "delivery_method": "voice"});
        let (status, body) = challenge(&em, phone.clone()).await;
        assert_eq!(status, 200, "{body}");
        let record = em.otp_challenges().pop().unwrap();
        assert_eq!(record.recipient, "+14155550100");
        assert_eq!(record.delivery_method.as_deref(), Some("voice"));
        let (status, tokens) =
            otp_token(&em, body["auth_session"].as_str().unwrap(), &record.code).await;
        assert_eq!(status, 200, "{tokens}");

        let mut bad = phone.clone();
        bad["phone_number"] = json!("4155550100");
        assert_eq!(challenge(&em, bad).await.0, 400);
        let mut bad = phone.clone();
        bad["delivery_method"] = json!("pigeon");
        assert_eq!(challenge(&em, bad).await.0, 400);
        let mut bad = email_challenge(demo::USERNAME, false);
        bad["delivery_method"] = json!("text");
        assert_eq!(challenge(&em, bad).await.0, 400);
        let mut bad = email_challenge(demo::USERNAME, false);
        bad["connection"] = json!("nope");
        assert_eq!(challenge(&em, bad).await.0, 400);
        let mut bad = email_challenge(demo::USERNAME, false);
        bad["client_secret"] = json!("wrong");
        let (status, body) = challenge(&em, bad).await;
        assert_eq!(status, 401);
        assert_eq!(body["error"], "invalid_client");
    })
    .await;
}

#[tokio::test]
async fn otp_challenge_codes_burn_after_three_wrong_tries_and_expire() {
    within(async {
        let em = demo_tenant().await;
        let (_, body) = challenge(&em, email_challenge(demo::USERNAME, false)).await;
        let session = body["auth_session"].as_str().unwrap().to_owned();
        let code = em.last_otp_code(demo::USERNAME).unwrap();
        let wrong = if code == "000000" { "000001" } else { "000000" };
        for _ in 0..3 {
            let (status, body) = otp_token(&em, &session, wrong).await;
            assert_eq!(status, 403);
            assert_eq!(body["error"], "invalid_grant");
        }
        assert_eq!(otp_token(&em, &session, &code).await.0, 403);

        // Two wrong tries leave the code usable.
        let (_, body) = challenge(&em, email_challenge(demo::USERNAME, false)).await;
        let session = body["auth_session"].as_str().unwrap().to_owned();
        let code = em.last_otp_code(demo::USERNAME).unwrap();
        let wrong = if code == "000000" { "000001" } else { "000000" };
        for _ in 0..2 {
            assert_eq!(otp_token(&em, &session, wrong).await.0, 403);
        }
        assert_eq!(otp_token(&em, &session, &code).await.0, 200);

        // Expiry.
        let (_, body) = challenge(&em, email_challenge(demo::USERNAME, false)).await;
        let session = body["auth_session"].as_str().unwrap().to_owned();
        let code = em.last_otp_code(demo::USERNAME).unwrap();
        em.expire_otp_challenges();
        let (status, body) = otp_token(&em, &session, &code).await;
        assert_eq!(status, 403);
        assert!(
            body["error_description"]
                .as_str()
                .unwrap()
                .contains("expired")
        );
    })
    .await;
}

fn assertion(key: &GeneratedKey, client_id: &str, aud: &str) -> String {
    let now = jsonwebtoken::get_current_timestamp();
    let claims = json!({"iss": client_id, "sub": client_id, "aud": aud,
        "jti": format!("jti-{now}-{}", rand_suffix()), "iat": now, "exp": now + 60});
    jsonwebtoken::encode(
        &Header::new(Algorithm::RS256),
        &claims,
        &EncodingKey::from_rsa_pem(key.private_key_pem.as_bytes()).unwrap(),
    )
    .unwrap()
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

#[tokio::test]
async fn otp_challenge_client_authentication() {
    within(async {
        let key = keys::generate_rsa();
        let em = Emulator::builder()
            .demo_tenant()
            .client(ClientConfig::private_key_jwt(
                "jwt-app",
                &key.public_key_pem,
            ))
            .start()
            .await
            .unwrap();
        // private_key_jwt with the tenant's base URL as audience.
        let body = json!({"client_id": "jwt-app", "email": demo::USERNAME,
            "connection": DEFAULT_CONNECTION, "allow_signup": false,
            "client_assertion": assertion(&key, "jwt-app", &format!("{}/", em.base_url())),
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"});
        let (status, answer) = challenge(&em, body).await;
        assert_eq!(status, 200, "{answer}");
        let code = em.last_otp_code(demo::USERNAME).unwrap();
        let (status, tokens) = token(
            &em,
            &[
                ("grant_type", OTP_GRANT),
                ("auth_session", answer["auth_session"].as_str().unwrap()),
                ("otp", &code),
                ("client_id", "jwt-app"),
                (
                    "client_assertion",
                    &assertion(&key, "jwt-app", &em.issuer()),
                ),
                (
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                ),
            ],
        )
        .await;
        assert_eq!(status, 200, "{tokens}");

        // A public client may start a challenge but not redeem it.
        let (status, answer) = challenge(
            &em,
            json!({"client_id": demo::PUBLIC_CLIENT_ID, "email": demo::USERNAME,
                   "connection": DEFAULT_CONNECTION, "allow_signup": false}),
        )
        .await;
        assert_eq!(status, 200, "{answer}");
        let code = em.last_otp_code(demo::USERNAME).unwrap();
        let (status, body) = token(
            &em,
            &[
                ("grant_type", OTP_GRANT),
                ("auth_session", answer["auth_session"].as_str().unwrap()),
                ("otp", &code),
                ("client_id", demo::PUBLIC_CLIENT_ID),
            ],
        )
        .await;
        assert_eq!(status, 403);
        assert_eq!(body["error"], "unauthorized_client");
        // Another client cannot redeem it either.
        let (status, body) = otp_token(&em, answer["auth_session"].as_str().unwrap(), &code).await;
        assert_eq!(status, 403);
        assert_eq!(body["error"], "invalid_grant");
    })
    .await;
}

async fn webfinger(em: &RunningEmulator, query: &[(&str, &str)]) -> (u16, String, String) {
    let url =
        url::Url::parse_with_params(&format!("{}/.well-known/webfinger", em.base_url()), query)
            .unwrap();
    let response = http().get(url).send().await.unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, content_type, response.text().await.unwrap())
}

#[tokio::test]
async fn webfinger_knows_enterprise_domains() {
    within(async {
        let em = Emulator::builder()
            .demo_tenant()
            .enterprise_domain("Acme.com", "acme-saml")
            .start()
            .await
            .unwrap();
        const REL: &str = "http://openid.net/specs/connect/1.0/issuer";
        let resource = "urn:auth0:discovery:domain:acme.com";
        let (status, content_type, body) =
            webfinger(&em, &[("resource", resource), ("rel", REL)]).await;
        assert_eq!(status, 200);
        assert_eq!(content_type, "application/jrd+json");
        let body: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            body,
            json!({"subject": resource, "links": [{"rel": REL, "href": em.issuer()}]})
        );
        let (status, _, _) = webfinger(
            &em,
            &[
                ("resource", "urn:auth0:discovery:domain:other.com"),
                ("rel", REL),
            ],
        )
        .await;
        assert_eq!(status, 404);
        assert_eq!(webfinger(&em, &[("rel", REL)]).await.0, 400);
        assert_eq!(webfinger(&em, &[("resource", resource)]).await.0, 400);
        assert_eq!(em.requests_to("/.well-known/webfinger").len(), 4);
    })
    .await;
}
