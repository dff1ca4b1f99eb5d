//! Passwordless: `/passwordless/start` (email code, email link, SMS) with each kind of client
//! authentication, the `passwordless/otp` grant and the magic link.

mod common;

use std::time::Duration;

use auth0_emulator::keys::{self, GeneratedKey};
use auth0_emulator::{ApiConfig, ClientConfig, Emulator, RunningEmulator, UserConfig, demo};
use common::{http, token, verify, within};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

const OTP_GRANT: &str = "http://auth0.com/oauth/grant-type/passwordless/otp";
const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const CALLBACK: &str = "http://localhost:3000/callback";

async fn tenant(builder: auth0_emulator::EmulatorBuilder) -> RunningEmulator {
    builder
        .demo_tenant()
        .start()
        .await
        .expect("emulator starts")
}

/// POSTs JSON `body` to `/passwordless/start` (with `x-request-language` when given).
async fn start(em: &RunningEmulator, body: &Value, language: Option<&str>) -> (u16, Value) {
    let mut request = http()
        .post(format!("{}/passwordless/start", em.base_url()))
        .json(body);
    if let Some(language) = language {
        request = request.header("x-request-language", language);
    }
    let response = request.send().await.expect("start request");
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON body"))
}

async fn otp(
    em: &RunningEmulator,
    client: &[(&str, &str)],
    fields: &[(&str, &str)],
) -> (u16, Value) {
    let mut form = vec![("grant_type", OTP_GRANT)];
    form.extend_from_slice(fields);
    form.extend_from_slice(client);
    token(em, &form).await
}

const CONFIDENTIAL: &[(&str, &str)] = &[
    ("client_id", demo::CLIENT_ID),
    ("client_secret", demo::CLIENT_SECRET),
];
const PUBLIC: &[(&str, &str)] = &[("client_id", demo::PUBLIC_CLIENT_ID)];

fn with_secret(mut body: Value) -> Value {
    body["client_id"] = json!(demo::CLIENT_ID);
    body["client_secret"] = json!(demo::CLIENT_SECRET);
    body
}

#[tokio::test]
async fn email_code_with_a_client_secret_logs_a_new_user_in() {
    within(async {
        let em = tenant(Emulator::builder()).await;
        let (status, body) = start(
            &em,
            &with_secret(
                json!({"connection": "email", "email": "New.User@example.com", "send": "code"}),
            ),
            Some("fr"),
        )
        .await;
        assert_eq!((status, &body), (200, &json!({})));
        let messages = em.passwordless_messages();
        assert_eq!(messages.len(), 1);
        let m = &messages[0];
        assert_eq!(
            (m.connection.as_str(), m.recipient.as_str()),
            ("email", "New.User@example.com")
        );
        assert_eq!(m.client_id, demo::CLIENT_ID);
        assert_eq!(m.language.as_deref(), Some("fr"));
        assert!(m.link.is_none() && m.auth_params.is_none());
        assert!(m.code.len() == 6 && m.code.bytes().all(|b| b.is_ascii_digit()));
        assert!(!format!("{m:?}").contains(&m.code));
        // Emails compare case-insensitively.
        let code = em.last_passwordless_code("new.user@example.com").unwrap();
        assert_eq!(code, m.code);

        let (status, body) = otp(
            &em,
            CONFIDENTIAL,
            &[
                ("username", "new.user@example.com"),
                ("otp", &code),
                ("realm", "email"),
                ("scope", "openid profile email offline_access"),
            ],
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["token_type"], "Bearer");
        assert!(body["expires_in"].as_u64().unwrap() > 0);
        let claims = verify(&em, body["id_token"].as_str().unwrap(), demo::CLIENT_ID).await;
        let sub = claims["sub"].as_str().unwrap().to_owned();
        assert!(
            sub.starts_with("email|") && sub.len() == "email|".len() + 24,
            "{sub}"
        );
        assert_eq!(
            claims["email"], "new.user@example.com",
            "emails are kept lower-case"
        );
        let access = verify(
            &em,
            body["access_token"].as_str().unwrap(),
            &format!("{}userinfo", em.issuer()),
        )
        .await;
        assert_eq!(access["gty"], "passwordless");

        // Single use.
        let (status, again) = otp(
            &em,
            CONFIDENTIAL,
            &[
                ("username", "new.user@example.com"),
                ("otp", &code),
                ("realm", "email"),
            ],
        )
        .await;
        assert_eq!(status, 403);
        assert_eq!(again["error"], "invalid_grant");
        assert_eq!(
            again["error_description"],
            "Wrong email or verification code."
        );

        // The user now exists: a refresh works, and the next login is the same user.
        let refresh = body["refresh_token"].as_str().unwrap();
        let (status, refreshed) = token(
            &em,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh),
                ("client_id", demo::CLIENT_ID),
                ("client_secret", demo::CLIENT_SECRET),
            ],
        )
        .await;
        assert_eq!(status, 200, "{refreshed}");
        start(
            &em,
            &with_secret(json!({"connection": "email", "email": "new.user@example.com"})),
            None,
        )
        .await;
        let code = em.last_passwordless_code("new.user@example.com").unwrap();
        let (_, body) = otp(
            &em,
            CONFIDENTIAL,
            &[
                ("username", "new.user@example.com"),
                ("otp", &code),
                ("realm", "email"),
            ],
        )
        .await;
        let claims = verify(&em, body["id_token"].as_str().unwrap(), demo::CLIENT_ID).await;
        assert_eq!(claims["sub"], sub.as_str());
    })
    .await;
}

#[tokio::test]
async fn sms_code_with_a_public_client() {
    within(async {
        let em = tenant(Emulator::builder()).await;
        let phone = "+14155550100";
        let body = json!({"client_id": demo::PUBLIC_CLIENT_ID, "connection": "sms", "phone_number": phone});
        let (status, _) = start(&em, &body, Some("es")).await;
        assert_eq!(status, 200);
        let m = em.passwordless_messages().pop().unwrap();
        assert_eq!((m.connection.as_str(), m.recipient.as_str()), ("sms", phone));
        assert_eq!(m.language.as_deref(), Some("es"));

        let code = em.last_passwordless_code(phone).unwrap();
        // A wrong code on SMS says "phone number".
        let (status, wrong) = otp(&em, PUBLIC, &[("username", phone), ("otp", "000000x"), ("realm", "sms")]).await;
        assert_eq!(status, 403);
        assert_eq!(wrong["error_description"], "Wrong phone number or verification code.");
        // The code belongs to the client that asked for it.
        let (status, _) = otp(&em, CONFIDENTIAL, &[("username", phone), ("otp", &code), ("realm", "sms")]).await;
        assert_eq!(status, 403);
        let (status, body) = otp(&em, PUBLIC, &[("username", phone), ("otp", &code), ("realm", "sms")]).await;
        assert_eq!(status, 200, "{body}");
        let claims = verify(&em, body["id_token"].as_str().unwrap(), demo::PUBLIC_CLIENT_ID).await;
        assert!(claims["sub"].as_str().unwrap().starts_with("sms|"));
        assert_eq!(body["scope"], "openid");
        assert!(body.get("refresh_token").is_none());

        // Bad numbers and SMS links are refused.
        for bad in ["14155550100", "+04155550100", "+1", "+1234567890123456"] {
            let body = json!({"client_id": demo::PUBLIC_CLIENT_ID, "connection": "sms", "phone_number": bad});
            let (status, err) = start(&em, &body, None).await;
            assert_eq!((status, err["error"].as_str()), (400, Some("invalid_request")), "{bad}");
        }
        let body = json!({"client_id": demo::PUBLIC_CLIENT_ID, "connection": "sms", "phone_number": phone, "send": "link"});
        assert_eq!(start(&em, &body, None).await.0, 400);
    })
    .await;
}

fn assertion(key: &GeneratedKey, client_id: &str, aud: &str, jti: &str) -> String {
    let now = jsonwebtoken::get_current_timestamp();
    let claims = json!({"iss": client_id, "sub": client_id, "aud": aud, "jti": jti, "iat": now, "exp": now + 60});
    let encoding = EncodingKey::from_rsa_pem(key.private_key_pem.as_bytes()).unwrap();
    jsonwebtoken::encode(&Header::new(Algorithm::RS256), &claims, &encoding).unwrap()
}

#[tokio::test]
async fn private_key_jwt_clients_authenticate_with_an_assertion_for_the_tenant() {
    within(async {
        let key = keys::generate_rsa();
        let em = tenant(Emulator::builder().client(ClientConfig::private_key_jwt(
            "pkjwt-app",
            &key.public_key_pem,
        )))
        .await;
        let send = |jwt: String| {
            json!({
                "client_id": "pkjwt-app",
                "client_assertion": jwt,
                "client_assertion_type": ASSERTION_TYPE,
                "connection": "email",
                "email": "pk@example.com",
            })
        };
        // The audience is the tenant's base URL, with or without a trailing slash.
        let with_slash = assertion(&key, "pkjwt-app", &em.issuer(), "j1");
        assert_eq!(start(&em, &send(with_slash.clone()), None).await.0, 200);
        let without = assertion(&key, "pkjwt-app", &em.base_url(), "j2");
        assert_eq!(start(&em, &send(without), None).await.0, 200);
        // Replayed, foreign audience, or signed by another key: refused.
        let (status, err) = start(&em, &send(with_slash), None).await;
        assert_eq!(
            (status, err["error"].as_str()),
            (401, Some("invalid_client"))
        );
        assert!(err["error_description"].as_str().unwrap().contains("jti"));
        let foreign = assertion(&key, "pkjwt-app", "https://elsewhere.example.com/", "j3");
        assert_eq!(start(&em, &send(foreign), None).await.0, 401);
        let other = keys::generate_rsa();
        assert_eq!(
            start(
                &em,
                &send(assertion(&other, "pkjwt-app", &em.issuer(), "j4")),
                None
            )
            .await
            .0,
            401
        );
        assert_eq!(em.passwordless_messages().len(), 2);
    })
    .await;
}

#[tokio::test]
async fn start_refuses_bad_requests_and_bad_clients() {
    within(async {
        let em = tenant(Emulator::builder()).await;
        let cases = [
            (json!({"client_id": "nobody", "connection": "email", "email": "a@b.co"}), 401, "invalid_client"),
            (json!({"client_id": demo::CLIENT_ID, "connection": "email", "email": "a@b.co"}), 401, "invalid_client"),
            (json!({"client_id": demo::CLIENT_ID, "client_secret": "wrong", "connection": "email", "email": "a@b.co"}), 401, "invalid_client"),
            (json!({"client_id": demo::PUBLIC_CLIENT_ID, "client_secret": "x", "connection": "email", "email": "a@b.co"}), 401, "invalid_client"),
            (with_secret(json!({"connection": "email"})), 400, "invalid_request"),
            (with_secret(json!({"connection": "email", "email": "not-an-email"})), 400, "invalid_request"),
            (with_secret(json!({"connection": "fax", "email": "a@b.co"})), 400, "invalid_request"),
            (with_secret(json!({"email": "a@b.co"})), 400, "invalid_request"),
            (with_secret(json!({"connection": "email", "email": "a@b.co", "send": "pigeon"})), 400, "invalid_request"),
            (with_secret(json!({"connection": "email", "email": "a@b.co", "send": "link", "authParams": "nope"})), 400, "invalid_request"),
            (json!({"connection": "email", "email": "a@b.co"}), 400, "invalid_request"),
        ];
        for (body, status, error) in cases {
            let (got, err) = start(&em, &body, None).await;
            assert_eq!((got, err["error"].as_str()), (status, Some(error)), "{body}");
        }
        assert!(em.passwordless_messages().is_empty());
        let response = http()
            .post(format!("{}/passwordless/start", em.base_url()))
            .header("content-type", "application/json")
            .body("{not json")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 400);
    })
    .await;
}

#[tokio::test]
async fn three_wrong_codes_burn_the_code() {
    within(async {
        let em = tenant(Emulator::builder()).await;
        start(
            &em,
            &with_secret(json!({"connection": "email", "email": "tries@example.com"})),
            None,
        )
        .await;
        let code = em.last_passwordless_code("tries@example.com").unwrap();
        let wrong = if code == "111111" { "222222" } else { "111111" };
        for _ in 0..3 {
            let (status, err) = otp(
                &em,
                CONFIDENTIAL,
                &[
                    ("username", "tries@example.com"),
                    ("otp", wrong),
                    ("realm", "email"),
                ],
            )
            .await;
            assert_eq!(status, 403);
            assert_eq!(err["error"], "invalid_grant");
            assert_eq!(
                err["error_description"],
                "Wrong email or verification code."
            );
        }
        let (status, err) = otp(
            &em,
            CONFIDENTIAL,
            &[
                ("username", "tries@example.com"),
                ("otp", &code),
                ("realm", "email"),
            ],
        )
        .await;
        assert_eq!(
            (status, err["error"].as_str()),
            (403, Some("invalid_grant"))
        );

        // Two wrong codes are forgiven.
        start(
            &em,
            &with_secret(json!({"connection": "email", "email": "tries@example.com"})),
            None,
        )
        .await;
        let code = em.last_passwordless_code("tries@example.com").unwrap();
        let wrong = if code == "111111" { "222222" } else { "111111" };
        for _ in 0..2 {
            otp(
                &em,
                CONFIDENTIAL,
                &[
                    ("username", "tries@example.com"),
                    ("otp", wrong),
                    ("realm", "email"),
                ],
            )
            .await;
        }
        let (status, body) = otp(
            &em,
            CONFIDENTIAL,
            &[
                ("username", "tries@example.com"),
                ("otp", &code),
                ("realm", "email"),
            ],
        )
        .await;
        assert_eq!(status, 200, "{body}");

        // Bad realms and missing parameters.
        let (status, err) = otp(
            &em,
            CONFIDENTIAL,
            &[
                ("username", "tries@example.com"),
                ("otp", &code),
                ("realm", "fax"),
            ],
        )
        .await;
        assert_eq!(
            (status, err["error"].as_str()),
            (400, Some("invalid_request"))
        );
        let (status, err) = otp(
            &em,
            CONFIDENTIAL,
            &[("username", "tries@example.com"), ("realm", "email")],
        )
        .await;
        assert_eq!(
            (status, err["error_description"].as_str()),
            (400, Some("Missing required parameter: otp"))
        );
    })
    .await;
}

#[tokio::test]
async fn codes_expire() {
    within(async {
        let em = tenant(Emulator::builder().passwordless_code_lifetime(Duration::from_millis(200)))
            .await;
        start(
            &em,
            &with_secret(json!({"connection": "email", "email": "slow@example.com"})),
            None,
        )
        .await;
        let code = em.last_passwordless_code("slow@example.com").unwrap();
        tokio::time::sleep(Duration::from_millis(400)).await;
        let (status, err) = otp(
            &em,
            CONFIDENTIAL,
            &[
                ("username", "slow@example.com"),
                ("otp", &code),
                ("realm", "email"),
            ],
        )
        .await;
        assert_eq!(
            (status, err["error"].as_str()),
            (403, Some("invalid_grant"))
        );
        assert_eq!(
            err["error_description"],
            "The verification code has expired. Please try to login again."
        );
    })
    .await;
}

#[tokio::test]
async fn audience_scopes_and_mfa() {
    within(async {
        let em = tenant(
            Emulator::builder()
                .api(ApiConfig::new("https://other.example.com/", &["x"]))
                .user(
                    UserConfig::new("mfa@example.com", "unused")
                        .connection("email")
                        .require_mfa(),
                ),
        )
        .await;
        start(
            &em,
            &with_secret(json!({"connection": "email", "email": "aud@example.com"})),
            None,
        )
        .await;
        let code = em.last_passwordless_code("aud@example.com").unwrap();
        // An unknown audience is refused before the code is spent.
        let (status, err) = otp(
            &em,
            CONFIDENTIAL,
            &[
                ("username", "aud@example.com"),
                ("otp", &code),
                ("realm", "email"),
                ("audience", "https://nope/"),
            ],
        )
        .await;
        assert_eq!(
            (status, err["error"].as_str()),
            (403, Some("access_denied"))
        );
        let (status, body) = otp(
            &em,
            CONFIDENTIAL,
            &[
                ("username", "aud@example.com"),
                ("otp", &code),
                ("realm", "email"),
                ("audience", demo::AUDIENCE),
                ("scope", "openid read:messages x"),
            ],
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["scope"], "openid read:messages");
        let claims = verify(&em, body["access_token"].as_str().unwrap(), demo::AUDIENCE).await;
        assert_eq!(claims["scope"], "openid read:messages");

        // A configured passwordless user that needs MFA gets mfa_required.
        start(
            &em,
            &with_secret(json!({"connection": "email", "email": "mfa@example.com"})),
            None,
        )
        .await;
        let code = em.last_passwordless_code("mfa@example.com").unwrap();
        let (status, err) = otp(
            &em,
            CONFIDENTIAL,
            &[
                ("username", "mfa@example.com"),
                ("otp", &code),
                ("realm", "email"),
            ],
        )
        .await;
        assert_eq!((status, err["error"].as_str()), (403, Some("mfa_required")));
        assert!(err["mfa_token"].is_string());
        // Like the password grant: a user with no authenticator yet is asked to enroll one.
        assert_eq!(
            err["mfa_requirements"],
            json!({"enroll": [{"type": "otp"}, {"type": "oob"}]})
        );
    })
    .await;
}

/// GETs `url` without following redirects.
async fn get_no_redirect(url: &str) -> reqwest::Response {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
        .get(url)
        .send()
        .await
        .unwrap()
}

/// Sends a magic link to `email` for the demo confidential client; returns the link.
async fn send_link(em: &RunningEmulator, email: &str, auth_params: Value) -> String {
    let (status, body) = start(
        em,
        &with_secret(json!({"connection": "email", "email": email, "send": "link", "authParams": auth_params})),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    em.last_passwordless_link(email).expect("a link was sent")
}

/// Follows `link`; returns the redirect's location.
async fn follow(link: &str) -> url::Url {
    let response = get_no_redirect(link).await;
    assert_eq!(response.status().as_u16(), 302);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    url::Url::parse(&location).unwrap()
}

fn query(url: &url::Url, key: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

#[tokio::test]
async fn magic_links_redirect_with_a_code_and_state() {
    within(async {
        let em = tenant(
            Emulator::builder().user(UserConfig::new("linked@example.com", "unused").connection("email")),
        )
        .await;
        let params = json!({"redirect_uri": CALLBACK, "state": "xyz", "scope": "openid email", "nonce": "n-1", "response_type": "code"});
        let link = send_link(&em, "linked@example.com", params.clone()).await;
        assert!(link.starts_with(&format!("{}passwordless/verify_redirect?token=", em.issuer())));
        let m = em.passwordless_messages().pop().unwrap();
        assert_eq!(m.auth_params, Some(params));
        assert!(!format!("{m:?}").contains("token="));

        let location = follow(&link).await;
        assert!(location.as_str().starts_with(CALLBACK), "{location}");
        assert_eq!(query(&location, "state").as_deref(), Some("xyz"));
        let code = query(&location, "code").expect("code");

        // The link works once.
        let again = get_no_redirect(&link).await;
        assert_eq!(again.status().as_u16(), 400);

        // The code is an authorization code bound to the client and redirect_uri, no PKCE.
        let (status, body) = token(
            &em,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", CALLBACK),
                ("client_id", demo::CLIENT_ID),
                ("client_secret", demo::CLIENT_SECRET),
            ],
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let claims = verify(&em, body["id_token"].as_str().unwrap(), demo::CLIENT_ID).await;
        assert_eq!(claims["email"], "linked@example.com");
        assert_eq!(claims["nonce"], "n-1");

        // Without a redirect_uri the client's first callback is used; others are refused.
        let link = send_link(&em, "linked@example.com", json!({"state": "s2"})).await;
        let location = follow(&link).await;
        assert!(location.as_str().starts_with(demo::CALLBACKS[0]));
        let (status, err) = start(
            &em,
            &with_secret(json!({
                "connection": "email", "email": "linked@example.com", "send": "link",
                "authParams": {"redirect_uri": "https://evil.example.com/cb"}
            })),
            None,
        )
        .await;
        assert_eq!((status, err["error"].as_str()), (400, Some("invalid_request")));
        assert_eq!(get_no_redirect(&format!("{}/passwordless/verify_redirect?token=nope", em.base_url())).await.status().as_u16(), 400);
    })
    .await;
}

#[tokio::test]
async fn magic_links_expire() {
    within(async {
        let em = tenant(Emulator::builder().passwordless_code_lifetime(Duration::from_millis(200)))
            .await;
        let link = send_link(&em, "late@example.com", json!({"redirect_uri": CALLBACK})).await;
        tokio::time::sleep(Duration::from_millis(400)).await;
        let response = get_no_redirect(&link).await;
        assert_eq!(response.status().as_u16(), 400);
        let body: Value = response.json().await.unwrap();
        assert!(
            body["error_description"]
                .as_str()
                .unwrap()
                .contains("expired")
        );
    })
    .await;
}

#[tokio::test]
async fn magic_link_codes_log_new_users_in() {
    within(async {
        let em = tenant(Emulator::builder()).await;
        let link = send_link(
            &em,
            "brand-new@example.com",
            json!({"redirect_uri": CALLBACK, "state": "s"}),
        )
        .await;
        let code = query(&follow(&link).await, "code").unwrap();
        let (status, body) = token(
            &em,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", CALLBACK),
                ("client_id", demo::CLIENT_ID),
                ("client_secret", demo::CLIENT_SECRET),
            ],
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let claims = verify(&em, body["id_token"].as_str().unwrap(), demo::CLIENT_ID).await;
        assert!(claims["sub"].as_str().unwrap().starts_with("email|"));
    })
    .await;
}
