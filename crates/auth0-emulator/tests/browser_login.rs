//! The browser login: `/authorize`, the login page, authorization codes, PKCE and PAR.

mod browser;
mod common;

use std::time::Duration;

use auth0_emulator::{ClientConfig, Emulator, OrganizationConfig, UserConfig, demo};
use browser::{Browser, authorize_path, location, pkce, query, tx_of};
use common::{demo_tenant, http, token, verify, within};
use serde_json::{Value, json};

const CALLBACK: &str = "http://localhost:3000/callback";

/// The parameters of a public-client login with PKCE (S256).
fn public_params<'a>(challenge: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut params = vec![
        ("client_id", demo::PUBLIC_CLIENT_ID),
        ("redirect_uri", CALLBACK),
        ("response_type", "code"),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
    ];
    params.extend_from_slice(extra);
    params
}

/// Exchanges `code` for the public client.
async fn exchange(
    em: &auth0_emulator::RunningEmulator,
    code: &str,
    verifier: Option<&str>,
) -> (u16, Value) {
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("client_id", demo::PUBLIC_CLIENT_ID),
        ("code", code),
        ("redirect_uri", CALLBACK),
    ];
    if let Some(v) = verifier {
        form.push(("code_verifier", v));
    }
    token(em, &form).await
}

/// Logs the demo user in with the public client; returns the code.
async fn public_code(em: &auth0_emulator::RunningEmulator, challenge: &str) -> String {
    let mut b = Browser::new(em);
    let callback = b
        .login(
            &public_params(challenge, &[]),
            demo::USERNAME,
            demo::PASSWORD,
        )
        .await;
    query(&callback, "code").expect("a code")
}

#[tokio::test]
async fn full_login_with_pkce_issues_verifiable_tokens() {
    within(async {
        let em = demo_tenant().await;
        let (verifier, challenge) = pkce("full");
        let mut b = Browser::new(&em);
        let params = public_params(
            &challenge,
            &[
                ("scope", "openid profile email offline_access"),
                ("audience", demo::AUDIENCE),
                ("state", "st<&>"),
                ("nonce", "n-123"),
                ("login_hint", "jane\"<x>"),
            ],
        );
        let (tx, html) = b.login_page(&params).await;
        assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
        assert!(html.contains("<form method=\"post\" action=\"/authorize/login\">"));
        assert!(html.contains("name=\"username\" value=\"jane&quot;&lt;x&gt;\""));
        assert!(html.contains("name=\"password\""));
        assert!(!html.contains("name=\"organization\""));
        assert!(tx.len() >= 32);

        let response = b
            .post(
                "/authorize/login",
                &[
                    ("tx", &tx),
                    ("username", demo::USERNAME),
                    ("password", demo::PASSWORD),
                ],
            )
            .await;
        assert_eq!(response.status(), 302);
        let set_cookie = response.headers()["set-cookie"].to_str().unwrap();
        assert!(set_cookie.starts_with("auth0_emulator_session="));
        assert!(set_cookie.contains("HttpOnly"));
        let callback = location(&response);
        assert!(callback.as_str().starts_with(CALLBACK));
        assert_eq!(query(&callback, "state").as_deref(), Some("st<&>"));
        assert_eq!(query(&callback, "iss"), Some(em.issuer()));
        assert!(callback.as_str().contains(&format!(
            "iss={}",
            em.issuer().replace(':', "%3A").replace('/', "%2F")
        )));
        let code = query(&callback, "code").unwrap();

        // The login page is single-use.
        let again = b
            .post(
                "/authorize/login",
                &[
                    ("tx", &tx),
                    ("username", demo::USERNAME),
                    ("password", demo::PASSWORD),
                ],
            )
            .await;
        assert_eq!(again.status(), 400);

        let (status, body) = exchange(&em, &code, Some(&verifier)).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["token_type"], "Bearer");
        assert_eq!(body["scope"], "openid profile email offline_access");
        assert!(body["refresh_token"].is_string());
        assert!(body["expires_in"].as_u64().unwrap() > 0);
        assert!(body.get("authorization_details").is_none());
        let access = verify(&em, body["access_token"].as_str().unwrap(), demo::AUDIENCE).await;
        assert_eq!(
            access["aud"],
            json!([demo::AUDIENCE, format!("{}userinfo", em.issuer())])
        );
        let id = verify(
            &em,
            body["id_token"].as_str().unwrap(),
            demo::PUBLIC_CLIENT_ID,
        )
        .await;
        assert_eq!(id["nonce"], "n-123");
        assert_eq!(id["azp"], demo::PUBLIC_CLIENT_ID);
        assert_eq!(id["email"], demo::USERNAME);
        assert!(id["auth_time"].is_u64());
        assert!(id.get("org_id").is_none());

        let sessions = em.sessions();
        assert_eq!(sessions.len(), 1);
        assert_eq!(id["sid"], sessions[0].sid.as_str());
        assert_eq!(id["sub"], sessions[0].user_id.as_str());
        assert_eq!(sessions[0].clients, vec![demo::PUBLIC_CLIENT_ID.to_owned()]);

        // Without an audience the access token is for /userinfo.
        let (verifier, challenge) = pkce("userinfo");
        let code = public_code(&em, &challenge).await;
        let (status, body) = exchange(&em, &code, Some(&verifier)).await;
        assert_eq!(status, 200, "{body}");
        let userinfo = format!("{}userinfo", em.issuer());
        let access = verify(&em, body["access_token"].as_str().unwrap(), &userinfo).await;
        assert_eq!(access["aud"], userinfo);
        assert_eq!(body["scope"], "openid");
        assert!(body.get("refresh_token").is_none());
    })
    .await;
}

#[tokio::test]
async fn code_verifier_must_match() {
    within(async {
        let em = demo_tenant().await;
        let (verifier, challenge) = pkce("match");
        let (other, _) = pkce("other");

        let code = public_code(&em, &challenge).await;
        let (status, body) = exchange(&em, &code, Some(&other)).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (403, Some("invalid_grant"))
        );
        assert_eq!(body["error_description"], "Failed to verify code verifier");

        let code = public_code(&em, &challenge).await;
        let (status, body) = exchange(&em, &code, None).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (403, Some("invalid_grant"))
        );
        assert_eq!(body["error_description"], "Failed to verify code verifier");

        // A plain challenge is the verifier itself.
        let mut b = Browser::new(&em);
        let callback = b
            .login(
                &[
                    ("client_id", demo::PUBLIC_CLIENT_ID),
                    ("redirect_uri", CALLBACK),
                    ("response_type", "code"),
                    ("code_challenge", &verifier),
                    ("code_challenge_method", "plain"),
                ],
                demo::USERNAME,
                demo::PASSWORD,
            )
            .await;
        let code = query(&callback, "code").unwrap();
        let (status, body) = exchange(&em, &code, Some(&verifier)).await;
        assert_eq!(status, 200, "{body}");
    })
    .await;
}

#[tokio::test]
async fn codes_are_single_use_bound_and_expire() {
    within(async {
        let em = Emulator::builder()
            .demo_tenant()
            .authorization_code_lifetime(Duration::from_millis(300))
            .start()
            .await
            .unwrap();
        let (verifier, challenge) = pkce("once");

        let code = public_code(&em, &challenge).await;
        assert_eq!(exchange(&em, &code, Some(&verifier)).await.0, 200);
        let (status, body) = exchange(&em, &code, Some(&verifier)).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (403, Some("invalid_grant"))
        );
        assert_eq!(body["error_description"], "Invalid authorization code");

        let code = public_code(&em, &challenge).await;
        tokio::time::sleep(Duration::from_millis(600)).await;
        let (status, body) = exchange(&em, &code, Some(&verifier)).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (403, Some("invalid_grant"))
        );

        // Another redirect_uri, another client.
        let code = public_code(&em, &challenge).await;
        let (status, body) = token(
            &em,
            &[
                ("grant_type", "authorization_code"),
                ("client_id", demo::PUBLIC_CLIENT_ID),
                ("code", &code),
                ("redirect_uri", "http://localhost:8080/callback"),
                ("code_verifier", &verifier),
            ],
        )
        .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (403, Some("invalid_grant"))
        );
        let code = public_code(&em, &challenge).await;
        let (status, body) = token(
            &em,
            &[
                ("grant_type", "authorization_code"),
                ("client_id", demo::CLIENT_ID),
                ("client_secret", demo::CLIENT_SECRET),
                ("code", &code),
                ("redirect_uri", CALLBACK),
                ("code_verifier", &verifier),
            ],
        )
        .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (403, Some("invalid_grant"))
        );
        let (status, body) = exchange(&em, "no-such-code", Some(&verifier)).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (403, Some("invalid_grant"))
        );
    })
    .await;
}

#[tokio::test]
async fn confidential_codes_without_pkce_echo_authorization_details() {
    within(async {
        let em = demo_tenant().await;
        let details = r#"[{"type":"payment_initiation","amount":"10.00"}]"#;
        let params = [
            ("client_id", demo::CLIENT_ID),
            ("redirect_uri", CALLBACK),
            ("response_type", "code"),
            ("state", "magic"),
            ("authorization_details", details),
        ];
        let mut b = Browser::new(&em);
        let callback = b.login(&params, demo::USERNAME, demo::PASSWORD).await;
        let code = query(&callback, "code").unwrap();
        let form = |code: &str| {
            vec![
                ("grant_type", "authorization_code".to_owned()),
                ("client_id", demo::CLIENT_ID.to_owned()),
                ("client_secret", demo::CLIENT_SECRET.to_owned()),
                ("code", code.to_owned()),
                ("redirect_uri", CALLBACK.to_owned()),
            ]
        };
        let (status, body) = token(&em, &common::borrow(&form(&code))).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            body["authorization_details"],
            json!([{"type": "payment_initiation", "amount": "10.00"}])
        );

        // A verifier without a challenge is refused.
        let callback = b.login(&params, demo::USERNAME, demo::PASSWORD).await;
        let code = query(&callback, "code").unwrap();
        let mut with_verifier = form(&code);
        with_verifier.push(("code_verifier", pkce("x").0));
        let (status, body) = token(&em, &common::borrow(&with_verifier)).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (403, Some("invalid_grant"))
        );
    })
    .await;
}

#[tokio::test]
async fn wrong_passwords_show_the_page_again_until_five() {
    within(async {
        let em = demo_tenant().await;
        let (_, challenge) = pkce("pw");
        let mut b = Browser::new(&em);
        let params = public_params(&challenge, &[("state", "s1")]);
        let (tx, _) = b.login_page(&params).await;
        for attempt in 1..5 {
            let response = b
                .post(
                    "/authorize/login",
                    &[
                        ("tx", &tx),
                        ("username", demo::USERNAME),
                        ("password", "nope"),
                    ],
                )
                .await;
            assert_eq!(response.status(), 200, "attempt {attempt}");
            let html = response.text().await.unwrap();
            assert!(html.contains("Wrong email or password."));
            assert_eq!(tx_of(&html), tx);
        }
        let response = b
            .post(
                "/authorize/login",
                &[
                    ("tx", &tx),
                    ("username", demo::USERNAME),
                    ("password", "nope"),
                ],
            )
            .await;
        assert_eq!(response.status(), 302);
        let callback = location(&response);
        assert_eq!(query(&callback, "error").as_deref(), Some("access_denied"));
        assert_eq!(query(&callback, "state").as_deref(), Some("s1"));
        assert!(b.cookie.is_none());

        // A fresh page after a wrong password still logs in.
        let (tx, _) = b.login_page(&params).await;
        let response = b
            .post(
                "/authorize/login",
                &[
                    ("tx", &tx),
                    ("username", demo::USERNAME),
                    ("password", "nope"),
                ],
            )
            .await;
        assert_eq!(response.status(), 200);
        let response = b
            .post(
                "/authorize/login",
                &[
                    ("tx", &tx),
                    ("username", demo::USERNAME),
                    ("password", demo::PASSWORD),
                ],
            )
            .await;
        assert_eq!(response.status(), 302);
        assert!(query(&location(&response), "code").is_some());

        // An unknown transaction is an error page.
        let response = b
            .post(
                "/authorize/login",
                &[
                    ("tx", "forged"),
                    ("username", demo::USERNAME),
                    ("password", demo::PASSWORD),
                ],
            )
            .await;
        assert_eq!(response.status(), 400);
    })
    .await;
}

#[tokio::test]
async fn untrusted_requests_get_an_error_page_others_a_redirect() {
    within(async {
        let em = demo_tenant().await;
        let (_, challenge) = pkce("err");
        let mut b = Browser::new(&em);

        for params in [
            public_params(&challenge, &[])
                .into_iter()
                .filter(|(k, _)| *k != "client_id")
                .collect(),
            vec![
                ("client_id", "nobody"),
                ("redirect_uri", CALLBACK),
                ("response_type", "code"),
            ],
            vec![
                ("client_id", demo::CLIENT_ID),
                ("redirect_uri", "https://evil.example/cb"),
                ("response_type", "code"),
            ],
            vec![("client_id", demo::CLIENT_ID), ("response_type", "code")],
        ] {
            let response = b.get(&authorize_path(&params)).await;
            assert_eq!(response.status(), 400, "{params:?}");
            assert!(response.headers().get("location").is_none());
            assert!(
                response.headers()["content-type"]
                    .to_str()
                    .unwrap()
                    .starts_with("text/html")
            );
            let html = response.text().await.unwrap();
            assert!(!html.contains("evil.example/cb\""), "echo escaped: {html}");
        }

        let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
            (
                vec![
                    ("client_id", demo::CLIENT_ID),
                    ("redirect_uri", CALLBACK),
                    ("response_type", "token"),
                    ("state", "abc"),
                ],
                "unsupported_response_type",
            ),
            (
                vec![
                    ("client_id", demo::CLIENT_ID),
                    ("redirect_uri", CALLBACK),
                    ("state", "abc"),
                ],
                "invalid_request",
            ),
            (
                vec![
                    ("client_id", demo::PUBLIC_CLIENT_ID),
                    ("redirect_uri", CALLBACK),
                    ("response_type", "code"),
                    ("state", "abc"),
                ],
                "invalid_request",
            ),
            (
                vec![
                    ("client_id", demo::CLIENT_ID),
                    ("redirect_uri", CALLBACK),
                    ("response_type", "code"),
                    ("authorization_details", r#"{"type":"x"}"#),
                    ("state", "abc"),
                ],
                "invalid_request",
            ),
            (
                vec![
                    ("client_id", demo::CLIENT_ID),
                    ("redirect_uri", CALLBACK),
                    ("response_type", "code"),
                    ("code_challenge", &challenge),
                    ("code_challenge_method", "S512"),
                    ("state", "abc"),
                ],
                "invalid_request",
            ),
            (
                vec![
                    ("client_id", demo::CLIENT_ID),
                    ("redirect_uri", CALLBACK),
                    ("response_type", "code"),
                    ("audience", "https://unknown.example/"),
                    ("state", "abc"),
                ],
                "access_denied",
            ),
            (
                vec![
                    ("client_id", demo::CLIENT_ID),
                    ("redirect_uri", CALLBACK),
                    ("response_type", "code"),
                    ("organization", "org_nope"),
                    ("state", "abc"),
                ],
                "invalid_request",
            ),
        ];
        for (params, error) in cases {
            let response = b.get(&authorize_path(&params)).await;
            assert_eq!(response.status(), 302, "{params:?}");
            let callback = location(&response);
            assert!(callback.as_str().starts_with(CALLBACK));
            assert_eq!(
                query(&callback, "error").as_deref(),
                Some(error),
                "{params:?}"
            );
            assert!(query(&callback, "error_description").is_some());
            assert_eq!(query(&callback, "state").as_deref(), Some("abc"));
            assert_eq!(query(&callback, "iss"), Some(em.issuer()));
        }
    })
    .await;
}

async fn push(em: &auth0_emulator::RunningEmulator, form: &[(&str, &str)]) -> (u16, Value) {
    let response = http()
        .post(format!("{}/oauth/par", em.base_url()))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn pushed_requests_are_used_once() {
    within(async {
        let em = demo_tenant().await;
        let (verifier, challenge) = pkce("par");
        let (status, body) = push(
            &em,
            &[
                ("client_id", demo::CLIENT_ID),
                ("client_secret", demo::CLIENT_SECRET),
                ("redirect_uri", CALLBACK),
                ("response_type", "code"),
                ("scope", "openid profile"),
                ("state", "pushed-state"),
                ("nonce", "pushed-nonce"),
                ("code_challenge", &challenge),
                ("code_challenge_method", "S256"),
            ],
        )
        .await;
        assert_eq!(status, 201, "{body}");
        assert_eq!(body["expires_in"], 60);
        let request_uri = body["request_uri"].as_str().unwrap().to_owned();
        assert!(request_uri.starts_with("urn:ietf:params:oauth:request_uri:"));

        // Another client may not use it (and that does not spend it).
        let mut b = Browser::new(&em);
        let response = b
            .get(&authorize_path(&[
                ("client_id", demo::PUBLIC_CLIENT_ID),
                ("request_uri", &request_uri),
            ]))
            .await;
        assert_eq!(response.status(), 400);

        let by_uri = [
            ("client_id", demo::CLIENT_ID),
            ("request_uri", request_uri.as_str()),
        ];
        let callback = b.login(&by_uri, demo::USERNAME, demo::PASSWORD).await;
        assert_eq!(query(&callback, "state").as_deref(), Some("pushed-state"));
        let code = query(&callback, "code").unwrap();
        let (status, body) = token(
            &em,
            &[
                ("grant_type", "authorization_code"),
                ("client_id", demo::CLIENT_ID),
                ("client_secret", demo::CLIENT_SECRET),
                ("code", &code),
                ("redirect_uri", CALLBACK),
                ("code_verifier", &verifier),
            ],
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let id = verify(&em, body["id_token"].as_str().unwrap(), demo::CLIENT_ID).await;
        assert_eq!(id["nonce"], "pushed-nonce");

        let response = b.get(&authorize_path(&by_uri)).await;
        assert_eq!(response.status(), 400);

        // Refusals.
        let (status, body) = push(
            &em,
            &[
                ("client_id", demo::CLIENT_ID),
                ("client_secret", "wrong"),
                ("redirect_uri", CALLBACK),
                ("response_type", "code"),
            ],
        )
        .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (401, Some("invalid_client"))
        );
        let (status, body) = push(
            &em,
            &[
                ("client_id", demo::PUBLIC_CLIENT_ID),
                ("redirect_uri", CALLBACK),
                ("response_type", "code"),
                ("code_challenge", &challenge),
                ("code_challenge_method", "S256"),
            ],
        )
        .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (401, Some("invalid_client"))
        );
        for (extra, error) in [
            (
                ("redirect_uri", "https://evil.example/cb"),
                "invalid_request",
            ),
            (("response_type", "token"), "unsupported_response_type"),
            (("request_uri", "urn:x"), "invalid_request"),
        ] {
            let mut form = vec![
                ("client_id", demo::CLIENT_ID),
                ("client_secret", demo::CLIENT_SECRET),
            ];
            if extra.0 != "redirect_uri" {
                form.push(("redirect_uri", CALLBACK));
            }
            if extra.0 != "response_type" {
                form.push(("response_type", "code"));
            }
            form.push(extra);
            let (status, body) = push(&em, &form).await;
            assert_eq!(
                (status, body["error"].as_str()),
                (400, Some(error)),
                "{extra:?}"
            );
        }

        // A tenant without PAR has no endpoint.
        let no_par = Emulator::builder()
            .demo_tenant()
            .without_par()
            .start()
            .await
            .unwrap();
        let (status, _) = push(
            &no_par,
            &[
                ("client_id", demo::CLIENT_ID),
                ("client_secret", demo::CLIENT_SECRET),
                ("redirect_uri", CALLBACK),
                ("response_type", "code"),
            ],
        )
        .await;
        assert_eq!(status, 404);
    })
    .await;
}

#[tokio::test]
async fn organizations_are_chosen_on_the_page_or_in_the_request() {
    within(async {
        let em = Emulator::builder()
            .client(
                ClientConfig::confidential("org-app", "org-secret")
                    .callback(CALLBACK)
                    .require_organization(),
            )
            .organization(OrganizationConfig::new("org_acme1", "acme"))
            .organization(OrganizationConfig::new("org_other", "other"))
            .user(UserConfig::new("amy@acme.test", "pw-amy-123").organization("org_acme1"))
            .start()
            .await
            .unwrap();
        let params = [
            ("client_id", "org-app"),
            ("redirect_uri", CALLBACK),
            ("response_type", "code"),
        ];
        let mut b = Browser::new(&em);
        let (tx, html) = b.login_page(&params).await;
        assert!(html.contains("name=\"organization\""));
        for (org, message) in [
            (None, "Enter your organization."),
            (Some("nope"), "Organization not found: nope"),
            (
                Some("other"),
                "User is not a member of organization org_other.",
            ),
        ] {
            let mut form = vec![
                ("tx", tx.as_str()),
                ("username", "amy@acme.test"),
                ("password", "pw-amy-123"),
            ];
            if let Some(org) = org {
                form.push(("organization", org));
            }
            let response = b.post("/authorize/login", &form).await;
            assert_eq!(response.status(), 200);
            assert!(
                response.text().await.unwrap().contains(message),
                "{message}"
            );
        }
        let response = b
            .post(
                "/authorize/login",
                &[
                    ("tx", &tx),
                    ("username", "amy@acme.test"),
                    ("password", "pw-amy-123"),
                    ("organization", "ACME"),
                ],
            )
            .await;
        assert_eq!(response.status(), 302);
        let code = query(&location(&response), "code").unwrap();
        let (status, body) = token(
            &em,
            &[
                ("grant_type", "authorization_code"),
                ("client_id", "org-app"),
                ("client_secret", "org-secret"),
                ("code", &code),
                ("redirect_uri", CALLBACK),
            ],
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let id = verify(&em, body["id_token"].as_str().unwrap(), "org-app").await;
        assert_eq!(
            (id["org_id"].as_str(), id["org_name"].as_str()),
            (Some("org_acme1"), Some("acme"))
        );

        // Named in the request: no field on the page.
        let mut with_org = params.to_vec();
        with_org.push(("organization", "org_acme1"));
        let (_, html) = Browser::new(&em).login_page(&with_org).await;
        assert!(!html.contains("name=\"organization\""));
        assert!(html.contains("acme"));
    })
    .await;
}

#[tokio::test]
async fn prompt_none_uses_the_session_cookie() {
    within(async {
        let em = demo_tenant().await;
        let (verifier, challenge) = pkce("silent");
        let silent = public_params(&challenge, &[("prompt", "none"), ("state", "quiet")]);
        let mut b = Browser::new(&em);

        let response = b.get(&authorize_path(&silent)).await;
        assert_eq!(response.status(), 302);
        let callback = location(&response);
        assert_eq!(query(&callback, "error").as_deref(), Some("login_required"));
        assert_eq!(query(&callback, "state").as_deref(), Some("quiet"));

        let callback = b
            .login(
                &public_params(&challenge, &[]),
                demo::USERNAME,
                demo::PASSWORD,
            )
            .await;
        let first = exchange(&em, &query(&callback, "code").unwrap(), Some(&verifier))
            .await
            .1;

        let response = b.get(&authorize_path(&silent)).await;
        assert_eq!(response.status(), 302);
        let callback = location(&response);
        assert_eq!(query(&callback, "error"), None);
        assert_eq!(query(&callback, "state").as_deref(), Some("quiet"));
        let (status, second) =
            exchange(&em, &query(&callback, "code").unwrap(), Some(&verifier)).await;
        assert_eq!(status, 200, "{second}");
        let sid = |body: &Value| {
            let token = body["id_token"].as_str().unwrap().to_owned();
            let em = em.clone();
            async move { verify(&em, &token, demo::PUBLIC_CLIENT_ID).await["sid"].clone() }
        };
        assert_eq!(sid(&first).await, sid(&second).await);

        // A stale cookie is no session.
        b.cookie = Some("stale".into());
        let response = b.get(&authorize_path(&silent)).await;
        assert_eq!(
            query(&location(&response), "error").as_deref(),
            Some("login_required")
        );
    })
    .await;
}
