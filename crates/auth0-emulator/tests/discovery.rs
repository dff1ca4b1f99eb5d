//! Discovery and JWKS.

mod common;

use auth0_emulator::Emulator;
use common::{demo_tenant, get_json, http, within};

#[tokio::test]
async fn discovery_lists_endpoints_under_the_issuer() {
    within(async {
        let em = demo_tenant().await;
        assert_eq!(em.base_url(), format!("http://127.0.0.1:{}", em.port()));
        let issuer = em.issuer();
        assert_eq!(issuer, format!("{}/", em.base_url()));
        let doc = get_json(&em, "/.well-known/openid-configuration").await;
        assert_eq!(doc["issuer"], issuer.as_str());
        for (field, path) in [
            ("authorization_endpoint", "authorize"),
            ("token_endpoint", "oauth/token"),
            ("userinfo_endpoint", "userinfo"),
            ("jwks_uri", ".well-known/jwks.json"),
            ("revocation_endpoint", "oauth/revoke"),
            ("end_session_endpoint", "oidc/logout"),
            ("pushed_authorization_request_endpoint", "oauth/par"),
            ("backchannel_authentication_endpoint", "bc-authorize"),
            ("device_authorization_endpoint", "oauth/device/code"),
        ] {
            assert_eq!(doc[field], format!("{issuer}{path}"), "{field}");
        }
        assert_eq!(doc["response_types_supported"], serde_json::json!(["code"]));
        assert_eq!(
            doc["code_challenge_methods_supported"],
            serde_json::json!(["S256", "plain"])
        );
        assert_eq!(doc["request_uri_parameter_supported"], false);
        let auth_methods = doc["token_endpoint_auth_methods_supported"].to_string();
        assert!(auth_methods.contains("private_key_jwt"));
        let grants = doc["grant_types_supported"].to_string();
        assert!(grants.contains("client_credentials") && grants.contains("refresh_token"));
        assert!(doc.get("mtls_endpoint_aliases").is_none());
        em.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn discovery_options() {
    within(async {
        let em = Emulator::builder()
            .issuer("https://tenant.example.com")
            .without_end_session_endpoint()
            .without_par()
            .mtls_endpoint_aliases(true)
            .start()
            .await
            .unwrap();
        assert_eq!(em.issuer(), "https://tenant.example.com/");
        let doc = get_json(&em, "/.well-known/openid-configuration").await;
        assert_eq!(doc["issuer"], "https://tenant.example.com/");
        assert_eq!(
            doc["token_endpoint"],
            "https://tenant.example.com/oauth/token"
        );
        assert!(doc.get("end_session_endpoint").is_none());
        assert!(doc.get("pushed_authorization_request_endpoint").is_none());
        assert_eq!(
            doc["mtls_endpoint_aliases"]["token_endpoint"],
            "https://tenant.example.com/mtls/oauth/token"
        );
        // The /mtls alias answers like the plain endpoint.
        let response = http()
            .post(format!("{}/mtls/oauth/token", em.base_url()))
            .form(&[("grant_type", "nope")])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400);
    })
    .await;
}

#[tokio::test]
async fn jwks_publishes_the_signing_key() {
    within(async {
        let em = demo_tenant().await;
        let jwks = get_json(&em, "/.well-known/jwks.json").await;
        let keys = jwks["keys"].as_array().unwrap();
        assert_eq!(keys.len(), 1);
        let key = &keys[0];
        assert_eq!(key["kty"], "RSA");
        assert_eq!(key["use"], "sig");
        assert_eq!(key["alg"], "RS256");
        assert_eq!(key["kid"], em.signing_kid().as_str());
        assert_eq!(key["e"], "AQAB");
        // 2048-bit modulus: 256 bytes = 342 base64url characters.
        assert_eq!(key["n"].as_str().unwrap().len(), 342);
        assert!(
            em.signing_public_key_pem()
                .starts_with("-----BEGIN PUBLIC KEY-----")
        );
    })
    .await;
}

#[tokio::test]
async fn rotation_keeps_the_old_key_until_retired() {
    within(async {
        let em = demo_tenant().await;
        let old = em.signing_kid();
        em.rotate_signing_key();
        let new = em.signing_kid();
        assert_ne!(old, new);
        let jwks = get_json(&em, "/.well-known/jwks.json").await;
        let kids: Vec<&str> = jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].as_str().unwrap())
            .collect();
        assert_eq!(kids, vec![new.as_str(), old.as_str()]);
        em.retire_old_keys();
        let jwks = get_json(&em, "/.well-known/jwks.json").await;
        assert_eq!(jwks["keys"].as_array().unwrap().len(), 1);
        assert_eq!(jwks["keys"][0]["kid"], new.as_str());
    })
    .await;
}
