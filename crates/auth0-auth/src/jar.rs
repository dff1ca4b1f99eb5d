//! JWT-secured authorization requests (RFC 9101, JAR): the authorization parameters signed
//! into a request object with the client's private-key-JWT key.
//!
//! May import client authentication (for the signer), the JWT helpers and the error types;
//! [`crate::authorize`] decides where the object goes (the URL or a pushed request).

use serde_json::{Map, Value};

use crate::client_auth::{ClientAuth, now_secs};
use crate::error::{Error, ErrorCode, ErrorKind, Result};
use crate::jwt::random_b64url;

/// The `typ` header of a request object (RFC 9101 section 10.8).
pub(crate) const REQUEST_OBJECT_TYP: &str = "oauth-authz-req+jwt";

/// How long a request object stays valid, in seconds.
pub(crate) const REQUEST_OBJECT_LIFETIME: u64 = 300;

/// The claims the SDK sets itself; a parameter of the same name is not copied over them.
const OWN_CLAIMS: [&str; 7] = ["iss", "aud", "client_id", "exp", "nbf", "iat", "jti"];

/// Parameters whose value is JSON text on the wire but a JSON value inside a request object.
const JSON_VALUED: [&str; 2] = ["authorization_details", "claims"];

/// The claims of a request object for `pairs`: every parameter (`max_age` as a number, JSON
/// parameters as JSON), then `iss` and `client_id` = the client, `aud` = the provider's issuer,
/// `iat` = `nbf` = `now`, `exp` = `now` + 5 minutes, and a fresh `jti`.
pub(crate) fn request_object_claims(
    pairs: &[(&str, &str)],
    client_id: &str,
    issuer: &str,
    now: u64,
) -> Map<String, Value> {
    let mut claims = Map::new();
    for &(k, v) in pairs {
        if OWN_CLAIMS.contains(&k) {
            continue;
        }
        let value = if k == "max_age" {
            v.trim()
                .parse::<u64>()
                .map(Value::from)
                .unwrap_or_else(|_| Value::from(v))
        } else if JSON_VALUED.contains(&k) {
            serde_json::from_str(v).unwrap_or_else(|_| Value::from(v))
        } else {
            Value::from(v)
        };
        claims.insert(k.to_string(), value);
    }
    claims.insert("iss".into(), client_id.into());
    claims.insert("aud".into(), issuer.into());
    claims.insert("client_id".into(), client_id.into());
    claims.insert("iat".into(), now.into());
    claims.insert("nbf".into(), now.into());
    claims.insert(
        "exp".into(),
        now.saturating_add(REQUEST_OBJECT_LIFETIME).into(),
    );
    claims.insert("jti".into(), random_b64url(24).into());
    claims
}

/// A signed request object for `pairs`. Needs a private-key-JWT client
/// ([`client_assertion_signing_key`](crate::AuthClientBuilder::client_assertion_signing_key)):
/// any other fails with a configuration error before a request is made.
pub(crate) fn sign_request_object(
    auth: &ClientAuth,
    pairs: &[(&str, &str)],
    client_id: &str,
    issuer: &str,
    code: ErrorCode,
) -> Result<String> {
    let ClientAuth::PrivateKeyJwt(signer) = auth else {
        return Err(Error::new(
            code,
            ErrorKind::Configuration,
            "a signed request object (JAR) is signed with the client's private key: configure \
             one with `client_assertion_signing_key`",
        ));
    };
    let claims = request_object_claims(pairs, client_id, issuer, now_secs());
    signer.sign_typed(REQUEST_OBJECT_TYP, &claims).map_err(|e| {
        Error::new(
            code,
            ErrorKind::Configuration,
            format!("could not sign the request object: {e}"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jwt::{SigningAlgorithm, UnverifiedJwt};
    use serde_json::json;

    #[test]
    fn claims_carry_every_parameter_and_the_rfc_9101_claims() {
        let pairs = [
            ("scope", "openid"),
            ("max_age", "60"),
            ("authorization_details", r#"[{"type":"x"}]"#),
            ("iss", "spoofed"),
            ("client_id", "spoofed"),
            ("state", "s1"),
        ];
        let c = request_object_claims(&pairs, "c1", "https://op/", 1000);
        assert_eq!(c["scope"], "openid");
        assert_eq!(c["max_age"], 60);
        assert_eq!(c["authorization_details"], json!([{"type": "x"}]));
        assert_eq!(c["state"], "s1");
        assert_eq!((&c["iss"], &c["client_id"]), (&json!("c1"), &json!("c1")));
        assert_eq!(c["aud"], "https://op/");
        assert_eq!((&c["iat"], &c["nbf"]), (&json!(1000), &json!(1000)));
        assert_eq!(c["exp"], 1000 + REQUEST_OBJECT_LIFETIME);
        let other = request_object_claims(&pairs, "c1", "https://op/", 1000);
        assert_ne!(c["jti"], other["jti"], "a fresh jti each time");
    }

    #[test]
    fn only_a_private_key_client_can_sign() {
        let e = sign_request_object(
            &ClientAuth::None,
            &[],
            "c",
            "https://op/",
            ErrorCode::BuildAuthorizationUrl,
        )
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Configuration);
    }

    #[test]
    fn the_object_is_typed_and_keeps_the_kid() {
        let key = auth0_emulator::keys::generate_ec_p256();
        let signer = crate::jwt::JwtSigner::from_pem(
            &key.private_key_pem,
            SigningAlgorithm::ES256,
            Some("k1"),
        )
        .unwrap();
        let jwt = sign_request_object(
            &ClientAuth::PrivateKeyJwt(signer),
            &[("scope", "openid")],
            "c",
            "https://op/",
            ErrorCode::BuildAuthorizationUrl,
        )
        .unwrap();
        let parsed = UnverifiedJwt::parse(&jwt).unwrap();
        assert_eq!(
            parsed.header.media_type().as_deref(),
            Some(REQUEST_OBJECT_TYP)
        );
        assert_eq!(parsed.header.kid.as_deref(), Some("k1"));
        assert_eq!(parsed.claims["scope"], "openid");
    }
}
