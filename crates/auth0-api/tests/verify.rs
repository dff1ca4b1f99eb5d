//! Bearer access tokens against the emulator over real HTTP: a token the tenant issued passes
//! with its scopes and RBAC permissions; a token that breaks exactly one rule is refused with
//! the right error, status and challenge; schemes against the DPoP mode; custom domains.

mod common;

use std::sync::Arc;

use auth0_api::{
    ApiClient, ApiErrorCode, Audience, DpopMode, SecretString, SigningAlgorithm,
    VerifyAccessTokenRequest,
};
use auth0_auth::{AuthClient, ClientCredentialsRequest, ExposeSecret};
use auth0_emulator::demo;
use common::*;
use serde_json::json;

fn bearer(token: &str) -> VerifyAccessTokenRequest {
    VerifyAccessTokenRequest::new(SecretString::from(token.to_string())).scheme("Bearer")
}

#[tokio::test]
async fn a_token_the_tenant_issued_passes_with_scopes_and_permissions() {
    let t = tenant().await;
    let client = AuthClient::builder(t.base_url(), demo::CLIENT_ID)
        .client_secret(demo::CLIENT_SECRET)
        .build()
        .unwrap();
    let tokens =
        bounded(client.get_token_by_client_credentials(
            ClientCredentialsRequest::new().audience(demo::AUDIENCE),
        ))
        .await
        .unwrap();
    let api = api(&t);
    let header = format!("Bearer {}", tokens.access_token.expose_secret());
    let claims = bounded(
        api.verify_access_token(
            VerifyAccessTokenRequest::from_authorization_header(&header)
                .required_scopes(["read:messages", "write:messages"])
                .required_permissions(["read:messages"])
                .claim_equals("azp", demo::CLIENT_ID),
        ),
    )
    .await
    .unwrap();
    assert_eq!(
        claims.subject(),
        Some(format!("{}@clients", demo::CLIENT_ID).as_str())
    );
    assert!(claims.has_scope("write:messages"));
    assert_eq!(claims.permissions(), ["read:messages", "write:messages"]);
    assert_eq!(claims.issuer(), t.issuer());
    // A scope the token lacks is 403 insufficient_scope naming what is needed.
    let e = bounded(
        api.verify_access_token(
            VerifyAccessTokenRequest::from_authorization_header(&header)
                .required_scopes(["read:messages", "delete:messages"]),
        ),
    )
    .await
    .unwrap_err();
    assert_refused(
        &e,
        ApiErrorCode::InsufficientScope,
        403,
        Some("insufficient_scope"),
    );
    assert!(
        e.www_authenticate()[0].contains(r#"scope="read:messages delete:messages""#),
        "{e:?}"
    );
    let e = bounded(
        api.verify_access_token(
            VerifyAccessTokenRequest::from_authorization_header(&header)
                .required_permissions(["admin"]),
        ),
    )
    .await
    .unwrap_err();
    assert_refused(
        &e,
        ApiErrorCode::InsufficientScope,
        403,
        Some("insufficient_scope"),
    );
}

#[tokio::test]
async fn a_request_without_a_token_gets_both_challenges_and_no_error() {
    let t = tenant().await;
    let api = api(&t);
    for e in [
        api.missing_token_error(),
        bounded(api.verify_access_token(VerifyAccessTokenRequest::from_authorization_header("")))
            .await
            .unwrap_err(),
        bounded(api.verify_access_token(bearer("")))
            .await
            .unwrap_err(),
    ] {
        assert_refused(&e, ApiErrorCode::MissingToken, 401, None);
        assert_eq!(
            e.www_authenticate(),
            [r#"Bearer realm="api""#, r#"DPoP algs="ES256""#]
        );
    }
}

#[tokio::test]
async fn accepted_types_audiences_and_dates() {
    let t = tenant().await;
    let api = api(&t);
    let accepted = [
        token_with_header(
            &t,
            json!({"alg": "RS256", "typ": "at+jwt"}),
            &good_claims(&t),
        ),
        token_with_header(
            &t,
            json!({"alg": "RS256", "typ": "application/AT+JWT"}),
            &good_claims(&t),
        ),
        token_with_header(&t, json!({"alg": "RS256", "typ": "JWT"}), &good_claims(&t)),
        token_with_header(&t, json!({"alg": "RS256"}), &good_claims(&t)),
        token(&t, &claims_with(&t, |c| c["aud"] = demo::AUDIENCE.into())),
        token(
            &t,
            &claims_with(&t, |c| {
                c["iat"] = json!(now() as f64 - 0.25);
                c["exp"] = json!(now() as f64 + 10.5);
                c["nbf"] = json!(now() + 30);
            }),
        ),
        token(&t, &claims_with(&t, |c| c["exp"] = json!(now() - 30))),
    ];
    for (i, tok) in accepted.iter().enumerate() {
        bounded(api.verify_access_token(bearer(tok)))
            .await
            .unwrap_or_else(|e| panic!("case {i}: {e:?}"));
    }
}

#[tokio::test]
async fn each_token_rule_refuses_a_token_that_breaks_only_it() {
    let t = tenant().await;
    let api = api(&t);
    let good = token(&t, &good_claims(&t));
    let (head, rest) = good.split_once('.').unwrap();
    let (payload, sig) = rest.split_once('.').unwrap();
    let mut flipped = sig.to_string();
    let first = if flipped.starts_with('A') { "B" } else { "A" };
    flipped.replace_range(0..1, first);
    let hs256_header =
        b64(json!({"alg": "HS256", "typ": "at+jwt", "kid": t.signing_kid()}).to_string());
    let cases: Vec<(&str, String)> = vec![
        ("not a JWT", "abc.def".to_string()),
        ("bad signature", format!("{head}.{payload}.{flipped}")),
        (
            "payload changed",
            format!(
                "{head}.{}.{sig}",
                b64(claims_with(&t, |c| c["sub"] = "auth0|evil".into()).to_string())
            ),
        ),
        (
            "alg none",
            format!(
                "{}.{payload}.",
                b64(json!({"alg": "none", "typ": "at+jwt"}).to_string())
            ),
        ),
        ("alg HS256", format!("{hs256_header}.{payload}.{sig}")),
        (
            "alg outside the allow-list",
            token_with_header(
                &t,
                json!({"alg": "PS256", "typ": "at+jwt"}),
                &good_claims(&t),
            ),
        ),
        (
            "unknown kid",
            token_with_header(
                &t,
                json!({"alg": "RS256", "typ": "at+jwt", "kid": "nope"}),
                &good_claims(&t),
            ),
        ),
        (
            "crit header",
            token_with_header(
                &t,
                json!({"alg": "RS256", "typ": "at+jwt", "crit": ["exp"]}),
                &good_claims(&t),
            ),
        ),
        (
            "logout typ",
            token_with_header(
                &t,
                json!({"alg": "RS256", "typ": "logout+jwt"}),
                &good_claims(&t),
            ),
        ),
        (
            "dpop typ",
            token_with_header(
                &t,
                json!({"alg": "RS256", "typ": "dpop+jwt"}),
                &good_claims(&t),
            ),
        ),
        (
            "logout token",
            token_with_header(
                &t,
                json!({"alg": "RS256", "typ": "JWT"}),
                &claims_with(&t, |c| {
                    c["events"] = json!({auth0_auth::BACKCHANNEL_LOGOUT_EVENT: {}});
                    c["sid"] = "s1".into();
                }),
            ),
        ),
        (
            "ID token with nonce",
            token_with_header(
                &t,
                json!({"alg": "RS256", "typ": "JWT"}),
                &claims_with(&t, |c| c["nonce"] = "n".into()),
            ),
        ),
        (
            "ID token with at_hash",
            token_with_header(
                &t,
                json!({"alg": "RS256"}),
                &claims_with(&t, |c| c["at_hash"] = "h".into()),
            ),
        ),
        (
            "other issuer",
            token(
                &t,
                &claims_with(&t, |c| c["iss"] = "https://evil.example/".into()),
            ),
        ),
        (
            "no issuer",
            token(
                &t,
                &claims_with(&t, |c| {
                    c.as_object_mut().unwrap().remove("iss");
                }),
            ),
        ),
        (
            "other audience",
            token(
                &t,
                &claims_with(&t, |c| c["aud"] = "https://other.example/".into()),
            ),
        ),
        (
            "audience array without the API",
            token(
                &t,
                &claims_with(&t, |c| c["aud"] = json!(["https://a/", "https://b/"])),
            ),
        ),
        (
            "audience of the wrong type",
            token(&t, &claims_with(&t, |c| c["aud"] = json!(1))),
        ),
        (
            "expired",
            token(&t, &claims_with(&t, |c| c["exp"] = json!(now() - 61))),
        ),
        (
            "no exp",
            token(
                &t,
                &claims_with(&t, |c| {
                    c.as_object_mut().unwrap().remove("exp");
                }),
            ),
        ),
        (
            "exp not a number",
            token(&t, &claims_with(&t, |c| c["exp"] = json!("tomorrow"))),
        ),
        (
            "no iat",
            token(
                &t,
                &claims_with(&t, |c| {
                    c.as_object_mut().unwrap().remove("iat");
                }),
            ),
        ),
        (
            "iat in the future",
            token(&t, &claims_with(&t, |c| c["iat"] = json!(now() + 120))),
        ),
        (
            "iat negative",
            token(&t, &claims_with(&t, |c| c["iat"] = json!(-5))),
        ),
        (
            "nbf in the future",
            token(&t, &claims_with(&t, |c| c["nbf"] = json!(now() + 120))),
        ),
        (
            "scope not a string",
            token(
                &t,
                &claims_with(&t, |c| c["scope"] = json!(["read:messages"])),
            ),
        ),
    ];
    for (name, tok) in &cases {
        let e = bounded(api.verify_access_token(bearer(tok)))
            .await
            .expect_err(name);
        assert_refused(&e, ApiErrorCode::InvalidToken, 401, Some("invalid_token"));
        assert!(
            e.www_authenticate()[0].starts_with("Bearer realm=\"api\", error="),
            "{name}: {e:?}"
        );
        assert_eq!(e.www_authenticate()[1], r#"DPoP algs="ES256""#, "{name}");
        assert!(!e.message().contains(tok.as_str()), "{name}");
        assert!(!format!("{e:?}").contains(tok.as_str()), "{name}");
    }
    // A required claim the token lacks.
    let e = bounded(api.verify_access_token(bearer(&good).required_claims(["org_id"])))
        .await
        .unwrap_err();
    assert_refused(&e, ApiErrorCode::InvalidToken, 401, Some("invalid_token"));
    assert!(e.message().contains("org_id"));
    // A good RS256 token under an allow-list without RS256.
    let narrow = api_builder(&t)
        .algorithms([SigningAlgorithm::PS256])
        .build()
        .unwrap();
    let e = bounded(narrow.verify_access_token(bearer(&good)))
        .await
        .unwrap_err();
    assert_refused(&e, ApiErrorCode::InvalidToken, 401, Some("invalid_token"));
    assert_eq!(
        e.auth_error().map(|e| e.kind()),
        Some(auth0_auth::ErrorKind::TokenValidation)
    );
}

#[tokio::test]
async fn claim_checks_and_the_delegation_chain() {
    let t = tenant().await;
    let api = api(&t);
    let tok = token(
        &t,
        &claims_with(&t, |c| {
            c["roles"] = json!(["admin", "ops"]);
            c["amr"] = "mfa pwd".into();
            c["act"] = json!({"sub": "service-b", "act": {"sub": "service-a"}});
        }),
    );
    let claims = bounded(
        api.verify_access_token(
            bearer(&tok)
                .claim_equals("sub", "auth0|abc")
                .claim_includes("roles", ["admin"])
                .claim_includes("amr", ["mfa"])
                .claim_check("must be delegated", |c| c.act().is_some()),
        ),
    )
    .await
    .unwrap();
    assert_eq!(
        claims.delegation_chain().unwrap(),
        ["service-b", "service-a"]
    );
    assert_eq!(claims.current_actor().unwrap(), Some("service-b"));
    let refusals: Vec<(VerifyAccessTokenRequest, &str)> = vec![
        (
            bearer(&tok).claim_equals("sub", "auth0|other"),
            "unexpected \"sub\" value",
        ),
        (
            bearer(&tok).claim_includes("roles", ["admin", "root"]),
            "unexpected \"roles\" value",
        ),
        (
            bearer(&tok).claim_check("needs an organization", |c| c.organization_id().is_some()),
            "needs an organization",
        ),
    ];
    for (request, message) in refusals {
        let e = bounded(api.verify_access_token(request)).await.unwrap_err();
        assert_refused(&e, ApiErrorCode::InvalidToken, 401, Some("invalid_token"));
        assert_eq!(e.message(), message);
    }
}

#[tokio::test]
async fn schemes_are_checked_against_the_dpop_mode() {
    let t = tenant().await;
    let tok = token(&t, &good_claims(&t));
    let secret = || SecretString::from(tok.clone());
    let allowed = api(&t);
    let e = bounded(
        allowed.verify_access_token(VerifyAccessTokenRequest::new(secret()).scheme("Basic")),
    )
    .await
    .unwrap_err();
    assert_refused(&e, ApiErrorCode::InvalidRequest, 400, None);
    let e = bounded(
        allowed.verify_access_token(VerifyAccessTokenRequest::new(secret()).http_method("GET")),
    )
    .await
    .unwrap_err();
    assert_refused(&e, ApiErrorCode::InvalidRequest, 400, None);
    // Without a scheme the token is a bearer token.
    bounded(allowed.verify_access_token(VerifyAccessTokenRequest::new(secret())))
        .await
        .unwrap();

    let required = api_builder(&t)
        .dpop_mode(DpopMode::Required)
        .build()
        .unwrap();
    let e = bounded(required.verify_access_token(bearer(&tok)))
        .await
        .unwrap_err();
    assert_refused(&e, ApiErrorCode::InvalidRequest, 400, None);
    assert_eq!(e.www_authenticate(), [r#"DPoP algs="ES256""#]);

    let disabled = api_builder(&t)
        .dpop_mode(DpopMode::Disabled)
        .build()
        .unwrap();
    let e = bounded(
        disabled.verify_access_token(VerifyAccessTokenRequest::new(secret()).scheme("DPoP")),
    )
    .await
    .unwrap_err();
    assert_refused(&e, ApiErrorCode::InvalidRequest, 400, None);
    assert_eq!(e.www_authenticate(), [r#"Bearer realm="api""#]);
    bounded(disabled.verify_access_token(bearer(&tok)))
        .await
        .unwrap();
}

#[tokio::test]
async fn custom_domains_by_list_and_by_resolver() {
    let t1 = tenant().await;
    let t2 = tenant().await;
    let t3 = tenant().await;
    let tok1 = token(&t1, &good_claims(&t1));
    let tok2 = token(&t2, &good_claims(&t2));
    let tok3 = token(&t3, &good_claims(&t3));
    let listed = api_builder(&t1)
        .domains([t1.base_url(), t2.base_url()])
        .build()
        .unwrap();
    bounded(listed.verify_access_token(bearer(&tok1)))
        .await
        .unwrap();
    let c2 = bounded(listed.verify_access_token(bearer(&tok2)))
        .await
        .unwrap();
    assert_eq!(c2.issuer(), t2.issuer());
    let e = bounded(listed.verify_access_token(bearer(&tok3)))
        .await
        .unwrap_err();
    assert_refused(&e, ApiErrorCode::InvalidToken, 401, Some("invalid_token"));
    // A token claiming a listed issuer but signed by another tenant's key.
    let forged = token(&t3, &good_claims(&t2));
    let e = bounded(listed.verify_access_token(bearer(&forged)))
        .await
        .unwrap_err();
    assert_refused(&e, ApiErrorCode::InvalidToken, 401, Some("invalid_token"));

    let t3_url = t3.base_url();
    let resolver: auth0_api::DomainResolver = Arc::new(move |ctx| {
        if ctx.url == Some("https://api.example.com/tenant3") {
            vec![t3_url.clone()]
        } else {
            Vec::new()
        }
    });
    let resolved = api_builder(&t1).domain_resolver(resolver).build().unwrap();
    bounded(
        resolved.verify_access_token(bearer(&tok3).http_url("https://api.example.com/tenant3")),
    )
    .await
    .unwrap();
    let e = bounded(
        resolved.verify_access_token(bearer(&tok1).http_url("https://api.example.com/tenant3")),
    )
    .await
    .unwrap_err();
    assert_refused(&e, ApiErrorCode::InvalidToken, 401, Some("invalid_token"));
}

#[tokio::test]
async fn an_unreachable_tenant_is_503_not_the_clients_fault() {
    let t = tenant().await;
    let tok = token(&t, &good_claims(&t));
    let base = t.base_url();
    t.shutdown().await;
    let api = ApiClient::builder(base, Audience::new(demo::AUDIENCE))
        .build()
        .unwrap();
    let e = bounded(api.verify_access_token(bearer(&tok)))
        .await
        .unwrap_err();
    assert_refused(&e, ApiErrorCode::Unavailable, 503, None);
    assert!(e.auth_error().is_some());
}

#[tokio::test]
async fn a_real_id_token_is_refused_even_where_its_audience_is_the_api() {
    let t = tenant().await;
    let client = AuthClient::builder(t.base_url(), demo::CLIENT_ID)
        .client_secret(demo::CLIENT_SECRET)
        .build()
        .unwrap();
    let tokens = bounded(
        client.get_token_by_password(
            auth0_auth::PasswordRequest::new(demo::USERNAME, demo::PASSWORD.into())
                .scope("openid profile"),
        ),
    )
    .await
    .unwrap();
    let id_token = tokens.id_token.expect("an ID token");
    // An API whose identifier is the client id: the audience check alone would pass.
    let api = ApiClient::builder(t.base_url(), Audience::new(demo::CLIENT_ID))
        .build()
        .unwrap();
    let e = bounded(api.verify_access_token(bearer(id_token.expose_secret())))
        .await
        .unwrap_err();
    assert_refused(&e, ApiErrorCode::InvalidToken, 401, Some("invalid_token"));
    assert!(e.message().contains("ID token"), "{e:?}");
}
