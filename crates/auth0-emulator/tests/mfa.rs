//! MFA end to end over HTTP: `mfa_required`, enrollment (OTP, SMS, email, push), challenges,
//! the three MFA grants, recovery codes, listing and deleting authenticators.

mod common;

use std::time::{SystemTime, UNIX_EPOCH};

use auth0_emulator::{ClientConfig, Emulator, RunningEmulator, UserConfig, demo, totp_code};
use common::{demo_tenant, http, token, verify, within};
use serde_json::{Value, json};

const OTP: &str = "http://auth0.com/oauth/grant-type/mfa-otp";
const OOB: &str = "http://auth0.com/oauth/grant-type/mfa-oob";
const RECOVERY: &str = "http://auth0.com/oauth/grant-type/mfa-recovery-code";

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn mfa_user_id() -> String {
    UserConfig::new(demo::MFA_USERNAME, "x").id().to_owned()
}

/// A password login of the demo MFA user; returns the whole `mfa_required` body.
async fn mfa_required(em: &RunningEmulator) -> Value {
    let (status, body) = token(
        em,
        &[
            ("grant_type", "password"),
            ("username", demo::MFA_USERNAME),
            ("password", demo::PASSWORD),
            ("scope", "openid profile email offline_access read:messages"),
            ("audience", demo::AUDIENCE),
            ("client_id", demo::CLIENT_ID),
            ("client_secret", demo::CLIENT_SECRET),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("mfa_required"))
    );
    body
}

async fn mfa_token(em: &RunningEmulator) -> String {
    mfa_required(em).await["mfa_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// An `/mfa/*` call with `Authorization: Bearer <mfa_token>`.
async fn call(
    em: &RunningEmulator,
    method: reqwest::Method,
    path: &str,
    mfa_token: &str,
    body: Option<Value>,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut request = http()
        .request(method, format!("{}{path}", em.base_url()))
        .bearer_auth(mfa_token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    let value = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap()
    };
    (status, headers, value)
}

async fn associate(em: &RunningEmulator, mfa_token: &str, body: Value) -> (u16, Value) {
    let (status, _, value) = call(
        em,
        reqwest::Method::POST,
        "/mfa/associate",
        mfa_token,
        Some(body),
    )
    .await;
    (status, value)
}

async fn list(em: &RunningEmulator, mfa_token: &str) -> Vec<Value> {
    let (status, _, value) = call(
        em,
        reqwest::Method::GET,
        "/mfa/authenticators",
        mfa_token,
        None,
    )
    .await;
    assert_eq!(status, 200, "{value}");
    value.as_array().unwrap().clone()
}

async fn challenge(em: &RunningEmulator, body: Value) -> (u16, Value) {
    let response = http()
        .post(format!("{}/mfa/challenge", em.base_url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

/// An MFA grant by the demo confidential client.
async fn verify_with(em: &RunningEmulator, grant: &str, fields: &[(&str, &str)]) -> (u16, Value) {
    let mut form = vec![("grant_type", grant)];
    form.extend_from_slice(fields);
    form.push(("client_id", demo::CLIENT_ID));
    form.push(("client_secret", demo::CLIENT_SECRET));
    token(em, &form).await
}

#[tokio::test]
async fn otp_enrollment_then_grant_gives_the_original_logins_tokens() {
    within(async {
        let em = demo_tenant().await;
        let required = mfa_required(&em).await;
        assert_eq!(
            required["mfa_requirements"],
            json!({"enroll": [{"type": "otp"}, {"type": "oob"}]})
        );
        let mfa_token = required["mfa_token"].as_str().unwrap().to_owned();

        let (status, otp) =
            associate(&em, &mfa_token, json!({"authenticator_types": ["otp"]})).await;
        assert_eq!(status, 200, "{otp}");
        assert_eq!(otp["authenticator_type"], "otp");
        let secret = otp["secret"].as_str().unwrap();
        assert_eq!(secret.len(), 32, "20 bytes in base32 without padding");
        let uri = otp["barcode_uri"].as_str().unwrap();
        assert!(
            uri.starts_with("otpauth://totp/127.0.0.1:mfa-user@example.com?"),
            "{uri}"
        );
        assert!(uri.contains(&format!("secret={secret}")), "{uri}");
        assert!(
            uri.ends_with("&issuer=127.0.0.1&algorithm=SHA1&digits=6&period=30"),
            "{uri}"
        );
        let recovery = otp["recovery_codes"][0].as_str().unwrap();
        assert_eq!(recovery.len(), 24);
        assert!(otp["id"].as_str().unwrap().starts_with("totp|dev_"));
        assert_eq!(em.recovery_code(&mfa_user_id()).as_deref(), Some(recovery));

        let code = totp_code(secret, now()).unwrap();
        let (status, tokens) =
            verify_with(&em, OTP, &[("mfa_token", &mfa_token), ("otp", &code)]).await;
        assert_eq!(status, 200, "{tokens}");
        assert!(tokens["refresh_token"].is_string());
        let access = verify(
            &em,
            tokens["access_token"].as_str().unwrap(),
            demo::AUDIENCE,
        )
        .await;
        assert_eq!(access["sub"], mfa_user_id());
        assert!(access["scope"].as_str().unwrap().contains("read:messages"));
        let id = verify(&em, tokens["id_token"].as_str().unwrap(), demo::CLIENT_ID).await;
        assert_eq!(id["email"], demo::MFA_USERNAME);

        // The mfa_token is used up; the same code cannot be used again on a new login.
        let (status, body) =
            verify_with(&em, OTP, &[("mfa_token", &mfa_token), ("otp", &code)]).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (403, Some("invalid_grant"))
        );
        let required = mfa_required(&em).await;
        assert_eq!(
            required["mfa_requirements"],
            json!({"challenge": [{"type": "otp"}]})
        );
        let mfa_token = required["mfa_token"].as_str().unwrap();
        let (status, body) =
            verify_with(&em, OTP, &[("mfa_token", mfa_token), ("otp", &code)]).await;
        assert_eq!(status, 403);
        assert_eq!(
            body["error_description"],
            "This otp_code was already used; wait for the next one."
        );
        // The next step's code is accepted (±1 step of clock drift).
        let next = totp_code(secret, now() + 30).unwrap();
        let (status, body) =
            verify_with(&em, OTP, &[("mfa_token", mfa_token), ("otp", &next)]).await;
        assert_eq!(status, 200, "{body}");
        // …and it is listed as active.
        let mfa_token = mfa_token_of(&em).await;
        let listed = list(&em, &mfa_token).await;
        assert!(
            listed
                .iter()
                .any(|a| a["authenticator_type"] == "otp" && a["active"] == true),
            "{listed:?}"
        );
    })
    .await;
}

/// A six-digit code that is valid at no step near now.
fn wrong_code(secret: &str) -> String {
    let valid: Vec<String> = (0..5)
        .map(|i| totp_code(secret, now() + i * 30 - 60).unwrap())
        .collect();
    (0..10)
        .map(|d| format!("{d}{d}{d}{d}{d}{d}"))
        .find(|c| !valid.contains(c))
        .unwrap()
}

async fn mfa_token_of(em: &RunningEmulator) -> String {
    mfa_token(em).await
}

#[tokio::test]
async fn wrong_codes_and_bad_tokens_are_refused() {
    within(async {
        let em = demo_tenant().await;
        let mfa_token = mfa_token(&em).await;
        let (_, otp) = associate(&em, &mfa_token, json!({"authenticator_types": ["otp"]})).await;
        assert!(otp["secret"].is_string());

        let wrong = wrong_code(otp["secret"].as_str().unwrap());
        let (status, body) =
            verify_with(&em, OTP, &[("mfa_token", &mfa_token), ("otp", &wrong)]).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (403, Some("invalid_grant"))
        );
        assert_eq!(body["error_description"], "Invalid otp_code.");
        let (status, body) =
            verify_with(&em, OTP, &[("mfa_token", &mfa_token), ("otp", "12ab56")]).await;
        assert_eq!(
            (status, body["error_description"].as_str()),
            (403, Some("Invalid otp_code."))
        );
        // A failed attempt leaves the mfa_token usable.
        let code = totp_code(otp["secret"].as_str().unwrap(), now()).unwrap();
        let (status, _) = verify_with(&em, OTP, &[("mfa_token", &mfa_token), ("otp", &code)]).await;
        assert_eq!(status, 200);

        let (status, body) =
            verify_with(&em, OTP, &[("mfa_token", "nope"), ("otp", "123456")]).await;
        assert_eq!(
            (status, body["error_description"].as_str()),
            (403, Some("Invalid mfa_token."))
        );
        let (status, body) = verify_with(&em, OTP, &[("otp", "123456")]).await;
        assert_eq!(
            (status, body["error_description"].as_str()),
            (400, Some("Missing required parameter: mfa_token"))
        );

        // Bearer endpoints answer 401 invalid_token.
        let (status, headers, body) = call(
            &em,
            reqwest::Method::GET,
            "/mfa/authenticators",
            "nope",
            None,
        )
        .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (401, Some("invalid_token"))
        );
        assert!(
            headers["www-authenticate"]
                .to_str()
                .unwrap()
                .starts_with("Bearer")
        );
        let response = http()
            .get(format!("{}/mfa/authenticators", em.base_url()))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401);

        // A token of one client cannot be used by another.
        let mfa_token = mfa_token_of(&em).await;
        let (status, body) = token(
            &em,
            &[
                ("grant_type", OTP),
                ("mfa_token", &mfa_token),
                ("otp", "123456"),
                ("client_id", demo::PUBLIC_CLIENT_ID),
            ],
        )
        .await;
        assert_eq!(
            (status, body["error_description"].as_str()),
            (403, Some("The mfa_token was issued to another client."))
        );
    })
    .await;
}

#[tokio::test]
async fn sms_enrollment_and_challenge_use_binding_codes() {
    within(async {
        let em = demo_tenant().await;
        let mfa_token = mfa_token(&em).await;
        for (body, why) in [
            (json!({"authenticator_types": ["oob"], "oob_channels": ["sms"]}), "phone_number is required"),
            (
                json!({"authenticator_types": ["oob"], "oob_channels": ["sms"], "phone_number": "4155550100"}),
                "E.164",
            ),
            (json!({"authenticator_types": ["oob"], "oob_channels": ["fax"]}), "Unsupported oob_channel"),
            (json!({"authenticator_types": ["oob"]}), "Missing required parameter: oob_channels"),
            (json!({"authenticator_types": ["webauthn"]}), "Unsupported authenticator type"),
            (json!({}), "Missing required parameter: authenticator_types"),
        ] {
            let (status, answer) = associate(&em, &mfa_token, body).await;
            assert_eq!((status, answer["error"].as_str()), (400, Some("invalid_request")));
            let text = answer["error_description"].as_str().unwrap();
            assert!(text.contains(why), "{text}");
        }

        let (status, sms) = associate(
            &em,
            &mfa_token,
            json!({"authenticator_types": ["oob"], "oob_channels": ["sms"], "phone_number": "+14155550100"}),
        )
        .await;
        assert_eq!(status, 200, "{sms}");
        assert_eq!(sms["authenticator_type"], "oob");
        assert_eq!(sms["oob_channel"], "sms");
        assert_eq!(sms["binding_method"], "prompt");
        assert!(sms["id"].as_str().unwrap().starts_with("sms|dev_"));
        assert_eq!(sms["recovery_codes"].as_array().unwrap().len(), 1);
        let oob_code = sms["oob_code"].as_str().unwrap();
        let messages = em.mfa_messages();
        assert_eq!(messages.len(), 1);
        assert_eq!(messages[0].channel, "sms");
        assert_eq!(messages[0].recipient, "+14155550100");
        assert_eq!(messages[0].user_id, mfa_user_id());
        let binding = em.last_mfa_binding_code("+14155550100").unwrap();
        assert_eq!(em.last_mfa_binding_code(&mfa_user_id()), Some(binding.clone()));
        assert_eq!(binding.len(), 6);

        let (status, body) =
            verify_with(&em, OOB, &[("mfa_token", &mfa_token), ("oob_code", oob_code)]).await;
        assert_eq!(
            (status, body["error_description"].as_str()),
            (400, Some("Missing required parameter: binding_code"))
        );
        let wrong = if binding == "000000" { "111111" } else { "000000" };
        let (status, body) = verify_with(
            &em,
            OOB,
            &[("mfa_token", &mfa_token), ("oob_code", oob_code), ("binding_code", wrong)],
        )
        .await;
        assert_eq!(
            (status, body["error_description"].as_str()),
            (403, Some("Invalid binding_code."))
        );
        let (status, tokens) = verify_with(
            &em,
            OOB,
            &[("mfa_token", &mfa_token), ("oob_code", oob_code), ("binding_code", &binding)],
        )
        .await;
        assert_eq!(status, 200, "{tokens}");
        assert!(tokens["id_token"].is_string());

        // Next login: the SMS authenticator is active and challenged with a fresh code.
        let required = mfa_required(&em).await;
        assert_eq!(required["mfa_requirements"], json!({"challenge": [{"type": "oob"}]}));
        let mfa_token = required["mfa_token"].as_str().unwrap();
        let listed = list(&em, mfa_token).await;
        let sms_entry = listed.iter().find(|a| a["authenticator_type"] == "oob").unwrap();
        assert_eq!(sms_entry["active"], true);
        assert_eq!(sms_entry["oob_channels"], json!(["sms"]));
        assert_eq!(sms_entry["name"], "XXXXXXXX0100");
        let (status, answer) = challenge(
            &em,
            json!({
                "mfa_token": mfa_token, "client_id": demo::CLIENT_ID,
                "client_secret": demo::CLIENT_SECRET, "challenge_type": "oob",
                "authenticator_id": sms_entry["id"],
            }),
        )
        .await;
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer["challenge_type"], "oob");
        assert_eq!(answer["binding_method"], "prompt");
        let fresh = em.last_mfa_binding_code("+14155550100").unwrap();
        assert_eq!(em.mfa_messages().len(), 2);
        let (status, body) = verify_with(
            &em,
            OOB,
            &[
                ("mfa_token", mfa_token),
                ("oob_code", answer["oob_code"].as_str().unwrap()),
                ("binding_code", &fresh),
            ],
        )
        .await;
        assert_eq!(status, 200, "{body}");
        // An oob_code is single use.
        let mfa_token = mfa_token_of(&em).await;
        let (status, body) = verify_with(
            &em,
            OOB,
            &[
                ("mfa_token", &mfa_token),
                ("oob_code", answer["oob_code"].as_str().unwrap()),
                ("binding_code", &fresh),
            ],
        )
        .await;
        assert_eq!((status, body["error_description"].as_str()), (403, Some("Invalid oob_code.")));
    })
    .await;
}

#[tokio::test]
async fn push_waits_for_approval() {
    within(async {
        let em = demo_tenant().await;
        let mfa_token = mfa_token(&em).await;
        let (status, push) = associate(
            &em,
            &mfa_token,
            json!({"authenticator_types": ["oob"], "oob_channels": ["auth0"]}),
        )
        .await;
        assert_eq!(status, 200, "{push}");
        assert!(push.get("binding_method").is_none());
        assert!(
            push["barcode_uri"]
                .as_str()
                .unwrap()
                .starts_with("otpauth://")
        );
        assert!(push["id"].as_str().unwrap().starts_with("push|dev_"));
        let oob_code = push["oob_code"].as_str().unwrap();
        let (status, body) = verify_with(
            &em,
            OOB,
            &[("mfa_token", &mfa_token), ("oob_code", oob_code)],
        )
        .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("authorization_pending"))
        );
        assert!(!em.approve_mfa_push("not-a-code"));
        assert!(em.approve_mfa_push(oob_code));
        let (status, body) = verify_with(
            &em,
            OOB,
            &[("mfa_token", &mfa_token), ("oob_code", oob_code)],
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert!(!em.approve_mfa_push(oob_code), "used up");

        // A challenge sends a new push, which the user can reject.
        let mfa_token = mfa_token_of(&em).await;
        let (status, answer) = challenge(
            &em,
            json!({"mfa_token": mfa_token, "client_id": demo::CLIENT_ID,
                   "client_secret": demo::CLIENT_SECRET, "challenge_type": "oob"}),
        )
        .await;
        assert_eq!(status, 200, "{answer}");
        assert!(answer.get("binding_method").is_none());
        let oob_code = answer["oob_code"].as_str().unwrap();
        assert!(em.reject_mfa_push(oob_code));
        let (status, body) = verify_with(
            &em,
            OOB,
            &[("mfa_token", &mfa_token), ("oob_code", oob_code)],
        )
        .await;
        assert_eq!(
            (status, body["error_description"].as_str()),
            (403, Some("MFA Authorization rejected."))
        );
        let last = em.mfa_messages().pop().unwrap();
        assert_eq!((last.channel.as_str(), last.binding_code), ("auth0", None));
    })
    .await;
}

#[tokio::test]
async fn recovery_codes_rotate_on_use() {
    within(async {
        let em = demo_tenant().await;
        let mfa_token = mfa_token(&em).await;
        let (_, otp) = associate(&em, &mfa_token, json!({"authenticator_types": ["otp"]})).await;
        let first = otp["recovery_codes"][0].as_str().unwrap().to_owned();
        let code = totp_code(otp["secret"].as_str().unwrap(), now()).unwrap();
        let (status, _) = verify_with(&em, OTP, &[("mfa_token", &mfa_token), ("otp", &code)]).await;
        assert_eq!(status, 200);
        // A second enrollment does not hand out recovery codes again.
        let mfa_token = mfa_token_of(&em).await;
        let (_, again) = associate(
            &em,
            &mfa_token,
            json!({"authenticator_types": ["oob"], "oob_channels": ["email"]}),
        )
        .await;
        assert!(again.get("recovery_codes").is_none(), "{again}");
        assert_eq!(again["binding_method"], "prompt");
        assert_eq!(
            em.mfa_messages()[0].recipient,
            demo::MFA_USERNAME,
            "the user's email"
        );

        let (status, tokens) = verify_with(
            &em,
            RECOVERY,
            &[("mfa_token", &mfa_token), ("recovery_code", &first)],
        )
        .await;
        assert_eq!(status, 200, "{tokens}");
        let next = tokens["recovery_code"].as_str().unwrap().to_owned();
        assert_ne!(next, first);
        assert_eq!(em.recovery_code(&mfa_user_id()), Some(next.clone()));
        assert!(tokens["access_token"].is_string());

        let mfa_token = mfa_token_of(&em).await;
        let (status, body) = verify_with(
            &em,
            RECOVERY,
            &[("mfa_token", &mfa_token), ("recovery_code", &first)],
        )
        .await;
        assert_eq!(
            (status, body["error_description"].as_str()),
            (403, Some("Invalid recovery_code."))
        );
        let (status, _) = verify_with(
            &em,
            RECOVERY,
            &[
                ("mfa_token", &mfa_token),
                ("recovery_code", &next.to_lowercase()),
            ],
        )
        .await;
        assert_eq!(status, 200, "codes are compared case-insensitively");
    })
    .await;
}

#[tokio::test]
async fn authenticators_are_listed_and_deleted() {
    within(async {
        let em = demo_tenant().await;
        let mfa_token = mfa_token(&em).await;
        assert!(list(&em, &mfa_token).await.is_empty());
        let (_, otp) = associate(&em, &mfa_token, json!({"authenticator_types": ["otp"]})).await;
        let (_, email) = associate(
            &em,
            &mfa_token,
            json!({"authenticator_types": ["oob"], "oob_channels": ["email"], "email": "other@example.com"}),
        )
        .await;
        assert_eq!(em.last_mfa_binding_code("OTHER@example.com").unwrap().len(), 6);
        let listed = list(&em, &mfa_token).await;
        assert_eq!(listed.len(), 3, "{listed:?}");
        assert_eq!(listed[0]["authenticator_type"], "recovery-code");
        assert!(listed[0]["id"].as_str().unwrap().starts_with("recovery-code|dev_"));
        assert!(listed.iter().all(|a| a["active"] == false));
        let entry = listed.iter().find(|a| a["id"] == email["id"]).unwrap();
        assert_eq!(entry["oob_channels"], json!(["email"]));
        assert_eq!(entry["name"], "o***@example.com");

        let id = otp["id"].as_str().unwrap();
        let encoded = id.replace('|', "%7C");
        let (status, _, body) = call(
            &em,
            reqwest::Method::DELETE,
            &format!("/mfa/authenticators/{encoded}"),
            &mfa_token,
            None,
        )
        .await;
        assert_eq!((status, body), (204, Value::Null));
        let (status, _, body) = call(
            &em,
            reqwest::Method::DELETE,
            &format!("/mfa/authenticators/{encoded}"),
            &mfa_token,
            None,
        )
        .await;
        assert_eq!((status, body["error"].as_str()), (404, Some("not_found")));
        let listed = list(&em, &mfa_token).await;
        assert!(listed.iter().all(|a| a["id"] != id));
        assert_eq!(listed.len(), 2);
        let (status, _, _) = call(
            &em,
            reqwest::Method::DELETE,
            "/mfa/authenticators/x",
            "bad-token",
            None,
        )
        .await;
        assert_eq!(status, 401);
    })
    .await;
}

#[tokio::test]
async fn challenges_authenticate_the_client() {
    within(async {
        let secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
        let user = UserConfig::new("pre@example.com", "pw").require_mfa();
        let em = Emulator::builder()
            .demo_tenant()
            .client(ClientConfig::public("spa"))
            .mfa_otp_authenticator(user.id(), secret)
            .user(user)
            .start()
            .await
            .unwrap();
        let login = |client_id: &'static str| {
            let em = em.clone();
            async move {
                let (status, body) = token(
                    &em,
                    &[
                        ("grant_type", "password"),
                        ("username", "pre@example.com"),
                        ("password", "pw"),
                        ("client_id", client_id),
                    ],
                )
                .await;
                assert_eq!(status, 403);
                assert_eq!(
                    body["mfa_requirements"],
                    json!({"challenge": [{"type": "otp"}]})
                );
                body["mfa_token"].as_str().unwrap().to_owned()
            }
        };
        let mfa_token = login("spa").await;
        // A public client sends its client_id only.
        let (status, answer) = challenge(
            &em,
            json!({"mfa_token": mfa_token, "client_id": "spa", "challenge_type": "otp"}),
        )
        .await;
        assert_eq!((status, answer), (200, json!({"challenge_type": "otp"})));
        let (status, body) = challenge(
            &em,
            json!({"mfa_token": mfa_token, "client_id": "spa", "challenge_type": "oob"}),
        )
        .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("unsupported_challenge_type"))
        );
        let (status, body) = challenge(
            &em,
            json!({"mfa_token": mfa_token, "client_id": "spa", "challenge_type": "sms"}),
        )
        .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_request"))
        );
        // A confidential client must authenticate.
        let (status, body) = challenge(
            &em,
            json!({"mfa_token": mfa_token, "client_id": demo::CLIENT_ID, "challenge_type": "otp"}),
        )
        .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (401, Some("invalid_client"))
        );
        // …and may not use another client's mfa_token.
        let (status, body) = challenge(
            &em,
            json!({"mfa_token": mfa_token, "client_id": demo::CLIENT_ID,
                   "client_secret": demo::CLIENT_SECRET, "challenge_type": "otp"}),
        )
        .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (403, Some("invalid_grant"))
        );
        let (status, body) = challenge(
            &em,
            json!({"mfa_token": "nope", "client_id": "spa", "challenge_type": "otp"}),
        )
        .await;
        assert_eq!(
            (status, body["error_description"].as_str()),
            (403, Some("Invalid mfa_token."))
        );

        // The pre-enrolled secret answers; the public client may use the MFA grant.
        let code = totp_code(secret, now()).unwrap();
        let (status, tokens) = token(
            &em,
            &[
                ("grant_type", OTP),
                ("mfa_token", &mfa_token),
                ("otp", &code),
                ("client_id", "spa"),
            ],
        )
        .await;
        assert_eq!(status, 200, "{tokens}");
        let claims = verify(&em, tokens["id_token"].as_str().unwrap(), "spa").await;
        assert_eq!(claims["sub"], UserConfig::new("pre@example.com", "pw").id());
    })
    .await;
}
