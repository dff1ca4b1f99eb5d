//! JWT-secured authorization requests (RFC 9101) against the emulator: a signed request
//! object by value and through PAR, the login completing either way, and the emulator
//! refusing an object that does not verify.

mod common;

use auth0_auth::{
    AuthClient, AuthorizationParams, AuthorizationUrlRequest, ErrorKind, SigningAlgorithm,
    TokenByCodeRequest,
};
use auth0_emulator::{ClientConfig, Emulator, RunningEmulator, demo, keys};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{bounded, browser_login, claims_of, client, demo_tenant, query, tenant};

const CALLBACK: &str = "http://localhost:3000/callback";
const CLIENT: &str = "jar-client";

async fn jar_tenant() -> (RunningEmulator, AuthClient) {
    let key = keys::generate_ec_p256();
    let t = tenant(
        Emulator::builder()
            .demo_tenant()
            .client(ClientConfig::private_key_jwt(CLIENT, &key.public_key_pem).callback(CALLBACK)),
    )
    .await;
    let c = AuthClient::builder(t.base_url(), CLIENT)
        .client_assertion_signing_key(&key.private_key_pem)
        .client_assertion_signing_alg(SigningAlgorithm::ES256)
        .client_assertion_kid("jar-key-1")
        .build()
        .unwrap();
    (t, c)
}

fn header_of(jwt: &str) -> serde_json::Value {
    let h = jwt.split('.').next().unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(h).unwrap()).unwrap()
}

fn params() -> AuthorizationParams {
    AuthorizationParams::new()
        .redirect_uri(CALLBACK)
        .scope("openid profile")
        .max_age(600)
}

#[tokio::test]
async fn a_request_object_by_value_carries_the_parameters_and_the_login_completes() {
    let (t, c) = jar_tenant().await;
    let login = bounded(
        c.build_authorization_url(
            AuthorizationUrlRequest::new()
                .params(params())
                .request_object(true),
        ),
    )
    .await
    .unwrap();
    let outside = query(login.url.as_str());
    let names: Vec<&str> = outside.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, ["client_id", "response_type", "scope", "request"]);
    let jwt = &outside[3].1;
    let header = header_of(jwt);
    assert_eq!(header["typ"], "oauth-authz-req+jwt");
    assert_eq!(header["alg"], "ES256");
    assert_eq!(header["kid"], "jar-key-1");
    let claims = claims_of(jwt);
    assert_eq!(claims["iss"], CLIENT);
    assert_eq!(claims["client_id"], CLIENT);
    assert_eq!(claims["aud"], t.issuer());
    assert_eq!(claims["redirect_uri"], CALLBACK);
    assert_eq!(claims["max_age"], 600);
    assert_eq!(claims["state"], login.transaction.state());
    assert_eq!(claims["nonce"].as_str(), login.transaction.nonce());
    assert_eq!(claims["code_challenge_method"], "S256");
    assert!(claims["exp"].as_u64().unwrap() > claims["nbf"].as_u64().unwrap());
    assert!(claims["jti"].as_str().is_some_and(|j| !j.is_empty()));

    let callback = browser_login(login.url.as_str(), demo::USERNAME, demo::PASSWORD).await;
    let tokens = bounded(c.get_token_by_code(TokenByCodeRequest::from_transaction(
        &callback,
        &login.transaction,
    )))
    .await
    .unwrap();
    assert_eq!(
        tokens.claims.unwrap().get_str("nonce"),
        login.transaction.nonce()
    );
}

#[tokio::test]
async fn a_request_object_goes_through_par_and_the_login_completes() {
    let (t, c) = jar_tenant().await;
    let login = bounded(
        c.build_authorization_url(
            AuthorizationUrlRequest::new()
                .params(params())
                .request_object(true)
                .pushed(true),
        ),
    )
    .await
    .unwrap();
    let pushed = t.requests_to("/oauth/par").pop().unwrap();
    let names: Vec<String> = pushed.form().into_iter().map(|(k, _)| k).collect();
    assert_eq!(
        names,
        [
            "client_id",
            "request",
            "client_assertion",
            "client_assertion_type"
        ]
    );
    let outside = query(login.url.as_str());
    let names: Vec<&str> = outside.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, ["client_id", "request_uri"]);

    let callback = browser_login(login.url.as_str(), demo::USERNAME, demo::PASSWORD).await;
    bounded(c.get_token_by_code(TokenByCodeRequest::from_transaction(
        &callback,
        &login.transaction,
    )))
    .await
    .unwrap();
}

#[tokio::test]
async fn a_client_without_a_private_key_cannot_sign_a_request_object() {
    let t = demo_tenant().await;
    t.clear_requests();
    let e = bounded(
        client(&t).build_authorization_url(
            AuthorizationUrlRequest::new()
                .params(params())
                .request_object(true)
                .pushed(true),
        ),
    )
    .await
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Configuration);
    assert!(e.message().contains("client_assertion_signing_key"), "{e}");
    assert!(t.requests_to("/oauth/par").is_empty());
}

#[tokio::test]
async fn the_emulator_refuses_a_request_object_that_does_not_verify() {
    let (_t, c) = jar_tenant().await;
    let login = bounded(
        c.build_authorization_url(
            AuthorizationUrlRequest::new()
                .params(params())
                .request_object(true),
        ),
    )
    .await
    .unwrap();
    let jwt = query(login.url.as_str())
        .into_iter()
        .find(|(k, _)| k == "request")
        .unwrap()
        .1;
    // The same signature over other claims.
    let mut parts: Vec<String> = jwt.split('.').map(str::to_owned).collect();
    let mut claims = claims_of(&jwt);
    claims["redirect_uri"] = "http://localhost:8080/callback".into();
    parts[1] = URL_SAFE_NO_PAD.encode(claims.to_string());
    let mut forged = login.url.clone();
    forged
        .query_pairs_mut()
        .clear()
        .append_pair("client_id", CLIENT)
        .append_pair("response_type", "code")
        .append_pair("request", &parts.join("."));
    let answer = bounded(reqwest::get(forged.as_str())).await.unwrap();
    assert_eq!(answer.status(), 400);
    let body: serde_json::Value = bounded(answer.json()).await.unwrap();
    assert_eq!(body["error"], "invalid_request_object");
}
