//! MFA end to end: a user who gets `mfa_required` finishes signing in with this SDK alone.

mod common;

use std::time::{SystemTime, UNIX_EPOCH};

use auth0_auth::{
    AuthClient, AuthenticatorType, ChallengeRequest, ChallengeType, EnrollRequest, Enrollment,
    ErrorKind, ExposeSecret, MfaVerification, OobChannel, PasswordRequest, SecretString,
};
use auth0_emulator::{demo, totp_code};
use common::{bounded, client, demo_tenant};

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Signs the MFA user in with their password and returns the `mfa_token`.
async fn mfa_token(c: &AuthClient) -> SecretString {
    let e = bounded(
        c.get_token_by_password(
            PasswordRequest::new(demo::MFA_USERNAME, demo::PASSWORD.into())
                .scope("openid profile email")
                .audience(demo::AUDIENCE),
        ),
    )
    .await
    .unwrap_err();
    assert!(e.is_mfa_required(), "{e}");
    SecretString::from(e.mfa_token().unwrap())
}

async fn enroll_otp(c: &AuthClient) -> (SecretString, auth0_auth::OtpEnrollment) {
    let token = mfa_token(c).await;
    let enrollment = bounded(
        c.mfa(token.clone())
            .enroll_authenticator(EnrollRequest::otp()),
    )
    .await
    .unwrap();
    let Enrollment::Otp(otp) = enrollment else {
        panic!("an OTP enrollment")
    };
    (token, otp)
}

#[tokio::test]
async fn password_then_otp_enrollment_then_verify_gives_tokens() {
    let t = demo_tenant().await;
    let c = client(&t);
    let (token, otp) = enroll_otp(&c).await;
    assert!(
        otp.barcode_uri
            .expose_secret()
            .starts_with("otpauth://totp/")
    );
    let code = totp_code(otp.secret.expose_secret(), now()).expect("a TOTP code");
    let tokens = bounded(
        c.mfa(token.clone())
            .verify(MfaVerification::otp(code.into())),
    )
    .await
    .unwrap();
    assert_eq!(tokens.claims.unwrap().email(), Some(demo::MFA_USERNAME));
    let sent = t.requests_to("/oauth/token").pop().unwrap();
    assert_eq!(
        sent.form_value("grant_type").as_deref(),
        Some("http://auth0.com/oauth/grant-type/mfa-otp")
    );
    let names: Vec<String> = sent.form().into_iter().map(|(k, _)| k).collect();
    assert_eq!(
        names,
        [
            "grant_type",
            "mfa_token",
            "otp",
            "client_id",
            "client_secret"
        ]
    );

    // The authenticator is now listed as active.
    let token = mfa_token(&c).await;
    let list = bounded(c.mfa(token.clone()).list_authenticators())
        .await
        .unwrap();
    assert!(
        list.iter()
            .any(|a| a.authenticator_type == AuthenticatorType::Otp && a.active),
        "{list:?}"
    );
    let sent = t.requests_to("/mfa/authenticators").pop().unwrap();
    assert_eq!(
        sent.header("authorization"),
        Some(format!("Bearer {}", token.expose_secret()).as_str())
    );
}

#[tokio::test]
async fn a_wrong_otp_is_a_typed_verify_error() {
    let t = demo_tenant().await;
    let c = client(&t);
    let (token, _otp) = enroll_otp(&c).await;
    let e = bounded(
        c.mfa(token.clone())
            .verify(MfaVerification::otp("000000".into())),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code().as_str(), "mfa_verify_error");
    assert_eq!(e.kind(), ErrorKind::OAuth);
    assert_eq!(e.oauth().unwrap().error, "invalid_grant");
}

#[tokio::test]
async fn an_sms_authenticator_verifies_with_the_binding_code() {
    let t = demo_tenant().await;
    let c = client(&t);
    let token = mfa_token(&c).await;
    let enrollment =
        bounded(c.mfa(token.clone()).enroll_authenticator(
            EnrollRequest::oob([OobChannel::Sms]).phone_number("+14155550100"),
        ))
        .await
        .unwrap();
    let Enrollment::Oob(oob) = enrollment else {
        panic!("an OOB enrollment")
    };
    assert_eq!(oob.binding_method.as_deref(), Some("prompt"));
    let binding = t
        .last_mfa_binding_code("+14155550100")
        .expect("a texted code");
    let tokens =
        bounded(c.mfa(token.clone()).verify(
            MfaVerification::oob(oob.oob_code.unwrap().clone()).binding_code(binding.into()),
        ))
        .await
        .unwrap();
    assert!(tokens.claims.is_some());
    let sent = t.requests_to("/mfa/associate").pop().unwrap();
    let body = sent.json().unwrap();
    assert_eq!(
        body,
        serde_json::json!({
            "authenticator_types": ["oob"],
            "oob_channels": ["sms"],
            "phone_number": "+14155550100"
        })
    );

    // Next sign-in: challenge the enrolled authenticator, which texts a fresh code.
    let token = mfa_token(&c).await;
    let list = bounded(c.mfa(token.clone()).list_authenticators())
        .await
        .unwrap();
    let sms = list
        .iter()
        .find(|a| a.authenticator_type == AuthenticatorType::Oob)
        .unwrap();
    let challenge = bounded(c.mfa(token.clone()).challenge_authenticator(
        ChallengeRequest::new(ChallengeType::Oob).authenticator_id(&sms.id),
    ))
    .await
    .unwrap();
    assert_eq!(challenge.challenge_type, ChallengeType::Oob);
    let sent = t
        .requests_to("/mfa/challenge")
        .pop()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(sent["client_id"], demo::CLIENT_ID);
    assert_eq!(sent["client_secret"], demo::CLIENT_SECRET);
    assert_eq!(sent["challenge_type"], "oob");
    assert_eq!(sent["authenticator_id"], sms.id.as_str());
    let binding = t.last_mfa_binding_code("+14155550100").unwrap();
    bounded(c.mfa(token.clone()).verify(
        MfaVerification::oob(challenge.oob_code.unwrap().clone()).binding_code(binding.into()),
    ))
    .await
    .unwrap();
}

#[tokio::test]
async fn a_recovery_code_signs_in_and_returns_the_next_one() {
    let t = demo_tenant().await;
    let c = client(&t);
    let (token, otp) = enroll_otp(&c).await;
    let first_code = otp
        .recovery_codes
        .as_ref()
        .and_then(|c| c.first())
        .cloned()
        .expect("a recovery code");
    let code = totp_code(otp.secret.expose_secret(), now()).unwrap();
    bounded(
        c.mfa(token.clone())
            .verify(MfaVerification::otp(code.into())),
    )
    .await
    .unwrap();

    let token = mfa_token(&c).await;
    let tokens = bounded(
        c.mfa(token.clone())
            .verify(MfaVerification::recovery_code(first_code.clone())),
    )
    .await
    .unwrap();
    let next = tokens
        .recovery_code
        .clone()
        .expect("the next recovery code");
    assert_ne!(next.expose_secret(), first_code.expose_secret());
    assert!(!format!("{tokens:?}").contains(next.expose_secret()));

    let token = mfa_token(&c).await;
    let e = bounded(
        c.mfa(token.clone())
            .verify(MfaVerification::recovery_code(first_code.clone())),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code().as_str(), "mfa_verify_error");
    bounded(
        c.mfa(token.clone())
            .verify(MfaVerification::recovery_code(next.clone())),
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn authenticators_can_be_deleted_with_an_encoded_id() {
    let t = demo_tenant().await;
    let c = client(&t);
    let (token, otp) = enroll_otp(&c).await;
    let id = otp.id.clone().expect("an authenticator id");
    bounded(c.mfa(token.clone()).delete_authenticator(&id))
        .await
        .unwrap();
    let sent = t
        .requests()
        .into_iter()
        .rfind(|r| r.method == "DELETE")
        .unwrap();
    assert!(
        !sent.path.contains('|'),
        "the id is URL-encoded: {}",
        sent.path
    );
    let list = bounded(c.mfa(token.clone()).list_authenticators())
        .await
        .unwrap();
    assert!(list.iter().all(|a| a.id != id));
    let e = bounded(
        c.mfa(token.clone())
            .delete_authenticator("totp|dev_missing"),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code().as_str(), "mfa_delete_authenticator_error");
    assert_eq!(e.status(), Some(404));
}

#[tokio::test]
async fn a_bad_mfa_token_is_refused_with_each_operations_code() {
    let t = demo_tenant().await;
    let c = client(&t);
    let e = bounded(c.mfa("not-a-real-mfa-token".into()).list_authenticators())
        .await
        .unwrap_err();
    assert_eq!(e.code().as_str(), "mfa_list_authenticators_error");
    assert_eq!(e.status(), Some(401));
    let e = bounded(
        c.mfa("not-a-real-mfa-token".into())
            .enroll_authenticator(EnrollRequest::otp()),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code().as_str(), "mfa_enrollment_error");
    let e = bounded(
        c.mfa("not-a-real-mfa-token".into())
            .challenge_authenticator(ChallengeRequest::new(ChallengeType::Otp)),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code().as_str(), "mfa_challenge_error");
    let e = bounded(c.mfa("".into()).list_authenticators())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
}

/// An authenticator id becomes one path segment: ids that a URL parser would turn into a
/// different path (`.`, `..` and their percent-encoded spellings) or an empty one are refused
/// before any request, and `/`, `?`, `#`, `%` stay inside the segment.
#[tokio::test]
async fn authenticator_ids_cannot_change_the_delete_path() {
    let t = demo_tenant().await;
    let c = client(&t);
    let token = mfa_token(&c).await;
    t.clear_requests();
    for id in ["", ".", ".."] {
        let e = bounded(c.mfa(token.clone()).delete_authenticator(id))
            .await
            .unwrap_err();
        assert_eq!(
            e.code().as_str(),
            "mfa_delete_authenticator_error",
            "{id:?}"
        );
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{id:?}");
    }
    assert!(
        t.requests().is_empty(),
        "no request may reach the tenant: {:?}",
        t.requests().iter().map(|r| &r.path).collect::<Vec<_>>()
    );

    // Everything else stays one segment under /mfa/authenticators/.
    for id in [
        "%2e",
        "%2E%2e",
        ".%2e",
        "../../oauth/token",
        "a?b#c",
        "a\\b",
    ] {
        t.clear_requests();
        let _ = bounded(c.mfa(token.clone()).delete_authenticator(id)).await;
        let sent = t.requests();
        assert_eq!(sent.len(), 1, "{id:?}");
        assert_eq!(sent[0].method, "DELETE", "{id:?}");
        let rest = sent[0]
            .path
            .strip_prefix("/mfa/authenticators/")
            .unwrap_or_else(|| panic!("{id:?} went to {}", sent[0].path));
        assert!(!rest.is_empty() && !rest.contains('/'), "{id:?} -> {rest}");
    }
}

#[tokio::test]
async fn an_empty_mfa_token_is_refused_before_any_request() {
    let t = demo_tenant().await;
    let c = client(&t);
    t.clear_requests();
    let e = bounded(c.mfa(SecretString::from("")).list_authenticators())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    let e = bounded(
        c.mfa(SecretString::from(" "))
            .verify(MfaVerification::otp("123456".into())),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code().as_str(), "mfa_verify_error");
    assert!(t.requests().is_empty());
    // The token never shows in Debug output.
    let shown = format!("{:?}", c.mfa(SecretString::from("mfa-token-value")));
    assert!(!shown.contains("mfa-token-value"), "{shown}");
}
