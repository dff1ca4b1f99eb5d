//! Passkeys end to end over HTTP with the software authenticator: sign-up, login, and every
//! refusal (challenge, origin, RP id, signature, counter, session reuse, client).

mod common;

use auth0_emulator::webauthn::SoftwareAuthenticator;
use auth0_emulator::{Emulator, RunningEmulator, UserConfig, demo, totp_code};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{http, verify, within};
use serde_json::{Value, json};

const GRANT: &str = "urn:okta:params:oauth:grant-type:webauthn";
const RP: &str = "localhost";
const ORIGIN: &str = "http://localhost:3000";

async fn tenant() -> RunningEmulator {
    Emulator::builder()
        .demo_tenant()
        .user(UserConfig::new("guarded@example.com", "pw").require_mfa())
        .start()
        .await
        .unwrap()
}

async fn post(em: &RunningEmulator, path: &str, body: &Value) -> (u16, Value) {
    let response = http()
        .post(format!("{}{path}", em.base_url()))
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

async fn register(em: &RunningEmulator, email: &str) -> Value {
    let (status, body) = post(
        em,
        "/passkey/register",
        &json!({"client_id": demo::CLIENT_ID,
                "user_profile": {"email": email, "name": "Pat Key"}}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn login_challenge(em: &RunningEmulator) -> Value {
    let (status, body) = post(
        em,
        "/passkey/challenge",
        &json!({"client_id": demo::CLIENT_ID}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

/// The passkey grant as the SDK sends it: JSON, `authn_response` nested.
async fn exchange(em: &RunningEmulator, auth_session: &Value, credential: &Value) -> (u16, Value) {
    post(
        em,
        "/oauth/token",
        &json!({
            "grant_type": GRANT,
            "auth_session": auth_session,
            "authn_response": credential,
            "scope": "openid profile email",
            "client_id": demo::CLIENT_ID,
            "client_secret": demo::CLIENT_SECRET,
        }),
    )
    .await
}

/// Signs a new user up; returns their id.
async fn sign_up(
    em: &RunningEmulator,
    authenticator: &mut SoftwareAuthenticator,
    email: &str,
) -> String {
    let started = register(em, email).await;
    let credential = authenticator.create(&started["authn_params_public_key"]);
    let (status, tokens) = exchange(em, &started["auth_session"], &credential).await;
    assert_eq!(status, 200, "{tokens}");
    let claims = verify(em, tokens["id_token"].as_str().unwrap(), demo::CLIENT_ID).await;
    claims["sub"].as_str().unwrap().to_owned()
}

fn description(body: &Value) -> &str {
    body["error_description"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn sign_up_then_log_in() {
    within(async {
        let em = tenant().await;
        let started = register(&em, "pat@example.com").await;
        let options = &started["authn_params_public_key"];
        let challenge = URL_SAFE_NO_PAD
            .decode(options["challenge"].as_str().unwrap())
            .unwrap();
        assert_eq!(challenge.len(), 32);
        assert_eq!(options["rp"]["id"], RP);
        assert_eq!(options["user"]["name"], "pat@example.com");
        assert_eq!(options["user"]["displayName"], "Pat Key");
        assert_eq!(
            options["pubKeyCredParams"],
            json!([{"type": "public-key", "alg": -7}, {"type": "public-key", "alg": -257}])
        );
        assert_eq!(
            options["authenticatorSelection"],
            json!({"residentKey": "required", "userVerification": "required"})
        );
        assert_eq!(options["timeout"], 60_000);

        let mut authenticator = SoftwareAuthenticator::new(RP, ORIGIN);
        let credential = authenticator.create(options);
        let (status, tokens) = exchange(&em, &started["auth_session"], &credential).await;
        assert_eq!(status, 200, "{tokens}");
        let claims = verify(&em, tokens["id_token"].as_str().unwrap(), demo::CLIENT_ID).await;
        assert_eq!(claims["email"], "pat@example.com");
        assert_eq!(claims["name"], "Pat Key");
        let sub = claims["sub"].as_str().unwrap().to_owned();
        assert!(sub.starts_with("auth0|"));
        assert_eq!(
            em.passkey_credential_ids(&sub),
            vec![credential["id"].as_str().unwrap()]
        );

        for _ in 0..2 {
            let started = login_challenge(&em).await;
            let options = &started["authn_params_public_key"];
            assert_eq!(options["rpId"], RP);
            assert_eq!(options["userVerification"], "required");
            assert_eq!(options["timeout"], 60_000);
            let assertion = authenticator.get(options).unwrap();
            assert!(assertion["response"]["userHandle"].is_string());
            let (status, tokens) = exchange(&em, &started["auth_session"], &assertion).await;
            assert_eq!(status, 200, "{tokens}");
            let claims = verify(&em, tokens["id_token"].as_str().unwrap(), demo::CLIENT_ID).await;
            assert_eq!(claims["sub"], sub.as_str());
        }

        // The same email cannot sign up for a second passkey.
        let (status, body) = post(
            &em,
            "/passkey/register",
            &json!({"client_id": demo::CLIENT_ID, "user_profile": {"email": "PAT@example.com"}}),
        )
        .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_request"))
        );
        assert!(
            description(&body).contains("already has a passkey"),
            "{body}"
        );
    })
    .await;
}

#[tokio::test]
async fn tampered_credentials_are_refused() {
    within(async {
        let em = tenant().await;
        let mut authenticator = SoftwareAuthenticator::new(RP, ORIGIN);
        sign_up(&em, &mut authenticator, "pat@example.com").await;

        // A challenge other than the session's.
        let started = login_challenge(&em).await;
        let mut options = started["authn_params_public_key"].clone();
        options["challenge"] = json!(URL_SAFE_NO_PAD.encode([7u8; 32]));
        let assertion = authenticator.get(&options).unwrap();
        let (status, body) = exchange(&em, &started["auth_session"], &assertion).await;
        assert_eq!((status, body["error"].as_str()), (403, Some("invalid_grant")));
        assert_eq!(
            description(&body),
            "clientDataJSON.challenge does not match the challenge of this auth_session."
        );
        // The session is used up by that attempt, even with a good assertion.
        let good = authenticator.get(&started["authn_params_public_key"]).unwrap();
        let (status, body) = exchange(&em, &started["auth_session"], &good).await;
        assert_eq!(
            (status, description(&body)),
            (403, "The auth_session was already used.")
        );

        // Another origin.
        let started = login_challenge(&em).await;
        let assertion = authenticator
            .get_with_origin(&started["authn_params_public_key"], "https://evil.example")
            .unwrap();
        let (status, body) = exchange(&em, &started["auth_session"], &assertion).await;
        assert_eq!(status, 403);
        assert_eq!(
            description(&body),
            "clientDataJSON.origin https://evil.example is not the relying party's origin http://localhost:3000."
        );

        // A signature with one bit flipped.
        let started = login_challenge(&em).await;
        let mut assertion = authenticator.get(&started["authn_params_public_key"]).unwrap();
        let mut signature = URL_SAFE_NO_PAD
            .decode(assertion["response"]["signature"].as_str().unwrap())
            .unwrap();
        let last = signature.len() - 1;
        signature[last] ^= 1;
        assertion["response"]["signature"] = json!(URL_SAFE_NO_PAD.encode(&signature));
        let (status, body) = exchange(&em, &started["auth_session"], &assertion).await;
        assert_eq!(status, 403);
        assert!(description(&body).contains("signature does not verify"), "{body}");

        // A signature counter that went back (a cloned authenticator): after a good login
        // (stored counter 1), an assertion that counts 1 again is refused.
        let started = login_challenge(&em).await;
        let assertion = authenticator.get(&started["authn_params_public_key"]).unwrap();
        let (status, body) = exchange(&em, &started["auth_session"], &assertion).await;
        assert_eq!(status, 200, "{body}");
        let id = authenticator.credential_ids()[0].clone();
        assert!(authenticator.set_sign_count(&id, 0));
        let started = login_challenge(&em).await;
        let assertion = authenticator.get(&started["authn_params_public_key"]).unwrap();
        let (status, body) = exchange(&em, &started["auth_session"], &assertion).await;
        assert_eq!(status, 403);
        assert!(description(&body).contains("signature counter did not increase"), "{body}");
        assert!(authenticator.set_sign_count(&id, 100));

        // An authenticator bound to another RP id.
        let mut foreign = SoftwareAuthenticator::new("example.com", ORIGIN);
        let started = register(&em, "foreign@example.com").await;
        let credential = foreign.create(&started["authn_params_public_key"]);
        let (status, body) = exchange(&em, &started["auth_session"], &credential).await;
        assert_eq!(status, 403);
        assert!(description(&body).contains("rpIdHash"), "{body}");

        // A credential the tenant never registered.
        let mut stranger = SoftwareAuthenticator::new(RP, ORIGIN);
        stranger.create(&json!({"challenge": "eA", "user": {"id": "eA"}}));
        let started = login_challenge(&em).await;
        let assertion = stranger.get(&started["authn_params_public_key"]).unwrap();
        let (status, body) = exchange(&em, &started["auth_session"], &assertion).await;
        assert_eq!(status, 403);
        assert!(description(&body).starts_with("Unknown passkey"), "{body}");

        // A registration answer to a login session.
        let started = login_challenge(&em).await;
        let mut extra = SoftwareAuthenticator::new(RP, ORIGIN);
        let credential = extra.create(&started["authn_params_public_key"]);
        let (status, body) = exchange(&em, &started["auth_session"], &credential).await;
        assert_eq!(status, 403);
        assert_eq!(
            description(&body),
            "clientDataJSON.type is webauthn.create, but this auth_session expects webauthn.get."
        );

        // Malformed input.
        let started = login_challenge(&em).await;
        let (status, body) = exchange(&em, &started["auth_session"], &json!({"type": "public-key"})).await;
        assert_eq!((status, body["error"].as_str()), (400, Some("invalid_request")));
        let (status, body) = exchange(&em, &json!("no-such-session"), &json!({})).await;
        assert_eq!((status, description(&body)), (403, "Unknown auth_session."));

        // The good path still works afterwards.
        let started = login_challenge(&em).await;
        let assertion = authenticator.get(&started["authn_params_public_key"]).unwrap();
        let (status, body) = exchange(&em, &started["auth_session"], &assertion).await;
        assert_eq!(status, 200, "{body}");
    })
    .await;
}

#[tokio::test]
async fn clients_are_checked() {
    within(async {
        let em = tenant().await;
        let (status, body) = post(
            &em,
            "/passkey/register",
            &json!({"client_id": "nobody", "user_profile": {"email": "a@example.com"}}),
        )
        .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (401, Some("invalid_client"))
        );
        let (status, body) = post(&em, "/passkey/challenge", &json!({"client_id": "nobody"})).await;
        assert_eq!(status, 401, "{body}");
        let (status, body) = post(
            &em,
            "/passkey/register",
            &json!({"client_id": demo::CLIENT_ID, "user_profile": {"name": "No Id"}}),
        )
        .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_request"))
        );
        let (status, _) = post(
            &em,
            "/passkey/register",
            &json!({"client_id": demo::CLIENT_ID, "user_profile": {"email": "a@example.com"},
                    "organization": "org_unknown"}),
        )
        .await;
        assert_eq!(status, 400);

        let mut authenticator = SoftwareAuthenticator::new(RP, ORIGIN);
        let (status, started) = post(
            &em,
            "/passkey/register",
            &json!({"client_id": demo::PUBLIC_CLIENT_ID, "user_profile": {"email": "pub@example.com"}}),
        )
        .await;
        assert_eq!(status, 200, "public clients may open sessions: {started}");
        let credential = authenticator.create(&started["authn_params_public_key"]);
        // The grant is for confidential clients only.
        let (status, body) = post(
            &em,
            "/oauth/token",
            &json!({"grant_type": GRANT, "auth_session": started["auth_session"],
                    "authn_response": credential, "client_id": demo::PUBLIC_CLIENT_ID}),
        )
        .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (403, Some("unauthorized_client"))
        );
        let (status, body) = post(
            &em,
            "/oauth/token",
            &json!({"grant_type": GRANT, "auth_session": started["auth_session"],
                    "client_id": demo::CLIENT_ID, "client_secret": demo::CLIENT_SECRET}),
        )
        .await;
        assert_eq!(
            (status, description(&body)),
            (400, "Missing required parameter: authn_response")
        );
        // Sessions are bound to the client that opened them (here the public one opened it,
        // so the confidential client cannot use it).
        let (status, body) = exchange(&em, &started["auth_session"], &credential).await;
        assert_eq!(
            (status, description(&body)),
            (403, "The auth_session was issued to another client.")
        );
        let (status, body) = post(
            &em,
            "/passkey/register",
            &json!({"client_id": demo::CLIENT_ID, "user_profile": {"email": "conf@example.com"}}),
        )
        .await;
        assert_eq!(status, 200);
        let credential = authenticator.create(&body["authn_params_public_key"]);
        let (status, tokens) = exchange(&em, &body["auth_session"], &credential).await;
        assert_eq!(status, 200, "{tokens}");
    })
    .await;
}

#[tokio::test]
async fn organizations_and_mfa_apply() {
    within(async {
        let em = tenant().await;
        // Sign-up into the demo organization: the new user is a member and tokens carry it.
        let (status, started) = post(
            &em,
            "/passkey/register",
            &json!({"client_id": demo::CLIENT_ID, "user_profile": {"email": "org@example.com"},
                    "organization": demo::ORGANIZATION_NAME}),
        )
        .await;
        assert_eq!(status, 200, "{started}");
        let mut authenticator = SoftwareAuthenticator::new(RP, ORIGIN);
        let credential = authenticator.create(&started["authn_params_public_key"]);
        let (status, tokens) = exchange(&em, &started["auth_session"], &credential).await;
        assert_eq!(status, 200, "{tokens}");
        let claims = verify(&em, tokens["id_token"].as_str().unwrap(), demo::CLIENT_ID).await;
        assert_eq!(claims["org_id"], demo::ORGANIZATION_ID);
        assert_eq!(claims["org_name"], demo::ORGANIZATION_NAME);

        // A configured user who needs MFA gets mfa_required after the passkey, then finishes.
        let started = register(&em, "guarded@example.com").await;
        let mut guarded = SoftwareAuthenticator::new(RP, ORIGIN);
        let credential = guarded.create(&started["authn_params_public_key"]);
        let (status, body) = exchange(&em, &started["auth_session"], &credential).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (403, Some("mfa_required")),
            "{body}"
        );
        let user_id = UserConfig::new("guarded@example.com", "pw").id().to_owned();
        assert_eq!(em.passkey_credential_ids(&user_id).len(), 1);
        let mfa_token = body["mfa_token"].as_str().unwrap();
        let enrolled: Value = http()
            .post(format!("{}/mfa/associate", em.base_url()))
            .bearer_auth(mfa_token)
            .json(&json!({"authenticator_types": ["otp"]}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let code = totp_code(enrolled["secret"].as_str().unwrap(), now).unwrap();
        let (status, tokens) = post(
            &em,
            "/oauth/token",
            &json!({"grant_type": "http://auth0.com/oauth/grant-type/mfa-otp",
                    "mfa_token": mfa_token, "otp": code,
                    "client_id": demo::CLIENT_ID, "client_secret": demo::CLIENT_SECRET}),
        )
        .await;
        assert_eq!(status, 200, "{tokens}");
        let claims = verify(&em, tokens["id_token"].as_str().unwrap(), demo::CLIENT_ID).await;
        assert_eq!(claims["sub"], user_id.as_str());
    })
    .await;
}
