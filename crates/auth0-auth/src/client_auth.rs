//! How the client proves who it is: mTLS, a private-key-JWT assertion, a client secret, or
//! nothing (a public client).

use std::fmt;
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::header::HeaderValue;
use secrecy::{ExposeSecret, SecretSlice, SecretString};
use serde_json::{Map, Value};

use crate::discovery::ServerMetadata;
use crate::error::{Error, Result};
use crate::http::FormBody;
use crate::jwt::{JwtSigner, random_b64url};

/// The `client_assertion_type` of a JWT-bearer client assertion.
pub(crate) const JWT_BEARER_ASSERTION: &str =
    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// How long a client assertion stays valid.
const ASSERTION_LIFETIME_SECS: u64 = 60;

/// How a client secret is presented to the token, PAR, back-channel and revocation endpoints.
///
/// Auth0 accepts both; other providers may accept only one. Auth0's JSON endpoints
/// (passwordless, MFA challenge, …) always take the secret in the body.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ClientSecretMethod {
    /// `client_secret` in the request body (`client_secret_post`, the default).
    #[default]
    Post,
    /// An `Authorization: Basic` header (`client_secret_basic`, RFC 6749 section 2.3.1).
    Basic,
    /// A fresh JWT assertion signed HS256 with the secret (`client_secret_jwt`, RFC 7523); the
    /// secret itself never travels.
    Jwt,
}

/// The client-secret method in use: the configured one, or the one chosen from the
/// provider's metadata when the builder asked for that and no method was set explicitly.
pub(crate) struct SecretMethod {
    configured: ClientSecretMethod,
    follow_metadata: bool,
    chosen: OnceLock<ClientSecretMethod>,
    /// `client_id=…&client_secret=…` form-encoded for `client_secret_post`, made on first use
    /// (with the client id it was made for): the same bytes every request, encoded once.
    post_fields: OnceLock<(String, SecretSlice<u8>)>,
}

impl SecretMethod {
    /// `configured`; replaced by the metadata's choice when `follow_metadata`.
    pub(crate) fn new(configured: ClientSecretMethod, follow_metadata: bool) -> Self {
        Self {
            configured,
            follow_metadata,
            chosen: OnceLock::new(),
            post_fields: OnceLock::new(),
        }
    }

    /// The method to use now.
    pub(crate) fn get(&self) -> ClientSecretMethod {
        self.chosen.get().copied().unwrap_or(self.configured)
    }
}

/// The strongest client-secret method a provider accepts, from its
/// `token_endpoint_auth_methods_supported`: `client_secret_jwt` (the secret never travels),
/// then `client_secret_basic`, then `client_secret_post`. An absent list means
/// `client_secret_basic` (RFC 8414 section 2); a list with none of them gives `None`.
pub(crate) fn strongest_secret_method(supported: Option<&[String]>) -> Option<ClientSecretMethod> {
    let Some(supported) = supported else {
        return Some(ClientSecretMethod::Basic);
    };
    [
        ("client_secret_jwt", ClientSecretMethod::Jwt),
        ("client_secret_basic", ClientSecretMethod::Basic),
        ("client_secret_post", ClientSecretMethod::Post),
    ]
    .into_iter()
    .find(|(name, _)| supported.iter().any(|s| s == name))
    .map(|(_, method)| method)
}

/// The configured client authentication, in the SPEC's order of preference.
pub(crate) enum ClientAuth {
    /// Mutual TLS: the caller's HTTP client carries the certificate; bodies carry `client_id`.
    Mtls,
    /// `private_key_jwt`: a fresh signed assertion per request.
    PrivateKeyJwt(JwtSigner),
    /// A client secret, sent in the body (`client_secret_post`), an `Authorization: Basic`
    /// header (`client_secret_basic`) or as an HS256 assertion (`client_secret_jwt`).
    Secret(SecretString, SecretMethod),
    /// A public client: `client_id` alone.
    None,
}

impl fmt::Debug for ClientAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Mtls => f.write_str("Mtls"),
            Self::PrivateKeyJwt(s) => write!(f, "PrivateKeyJwt({})", s.alg()),
            Self::Secret(_, method) => write!(f, "ClientSecret({:?}, [redacted])", method.get()),
            Self::None => f.write_str("None"),
        }
    }
}

/// The fields client authentication adds to a request body, in the order they are sent.
pub(crate) struct AuthFields(pub Vec<(&'static str, String)>);

/// Client authentication for a form-encoded OAuth endpoint: body fields and, for
/// `client_secret_basic`, an `Authorization` header.
pub(crate) struct FormAuth {
    pub fields: AuthFields,
    pub header: Option<HeaderValue>,
}

impl ClientAuth {
    /// Takes the client-secret method from the provider's metadata, once, when the client
    /// was built with `defaults_from_metadata` and no explicit method. A private key or mTLS
    /// always stays as configured (they are stronger than any secret method).
    pub(crate) fn adopt_metadata(&self, metadata: &ServerMetadata) {
        if let Self::Secret(_, method) = self
            && method.follow_metadata
            && let Some(chosen) =
                strongest_secret_method(metadata.token_endpoint_auth_methods_supported.as_deref())
        {
            let _ = method.chosen.set(chosen);
        }
    }

    /// Whether this is a confidential client (anything but a public one).
    pub(crate) fn is_confidential(&self) -> bool {
        !matches!(self, Self::None)
    }

    /// Fails with `missing_client_auth_error` for public clients.
    pub(crate) fn require_confidential(&self) -> Result<()> {
        if self.is_confidential() {
            Ok(())
        } else {
            Err(Error::missing_client_auth())
        }
    }

    /// The client secret, when one is configured (for HS256 ID tokens).
    pub(crate) fn secret(&self) -> Option<&SecretString> {
        match self {
            Self::Secret(s, _) => Some(s),
            _ => None,
        }
    }

    /// Client authentication for a form-encoded OAuth endpoint (token, PAR, back-channel,
    /// revocation). With `client_secret_basic` the credentials travel in the header and the
    /// body carries no `client_id`.
    pub(crate) fn form(&self, client_id: &str, audience: &str) -> Result<FormAuth> {
        if let Self::Secret(secret, method) = self
            && method.get() == ClientSecretMethod::Basic
        {
            return Ok(FormAuth {
                fields: AuthFields(Vec::new()),
                header: Some(basic_header(client_id, secret)?),
            });
        }
        Ok(FormAuth {
            fields: self.fields(client_id, audience)?,
            header: None,
        })
    }

    /// What [`form`](Self::form) gives, with the fields appended straight to `body` (same
    /// fields, same order, same bytes) instead of copied out: the token path's way, which
    /// spares a copy of the client id and of the secret per request. Returns the
    /// `Authorization` header of `client_secret_basic`.
    pub(crate) fn append_form(
        &self,
        body: &mut FormBody,
        client_id: &str,
        audience: &str,
    ) -> Result<Option<HeaderValue>> {
        match self {
            Self::Secret(secret, method) => match method.get() {
                ClientSecretMethod::Basic => return basic_header(client_id, secret).map(Some),
                ClientSecretMethod::Post => {
                    let encode = |body: &mut FormBody| {
                        body.pair("client_id", client_id);
                        body.pair("client_secret", secret.expose_secret());
                    };
                    let (made_for, fields) = method.post_fields.get_or_init(|| {
                        let mut fields = FormBody::with_capacity(0);
                        encode(&mut fields);
                        (client_id.to_string(), SecretSlice::from(fields.finish()))
                    });
                    if made_for == client_id {
                        body.encoded_pairs(fields.expose_secret());
                    } else {
                        encode(body);
                    }
                }
                ClientSecretMethod::Jwt => self.append_fields(body, client_id, audience)?,
            },
            Self::PrivateKeyJwt(_) => self.append_fields(body, client_id, audience)?,
            Self::Mtls | Self::None => body.pair("client_id", client_id),
        }
        Ok(None)
    }

    /// Appends [`fields`](Self::fields) to a form body (assertions are made per request).
    fn append_fields(&self, body: &mut FormBody, client_id: &str, audience: &str) -> Result<()> {
        for (k, v) in self.fields(client_id, audience)?.pairs() {
            body.pair(k, v);
        }
        Ok(())
    }

    /// `client_id` and the credentials, to append last to a body. `audience` is the `aud` of a
    /// private-key-JWT assertion (the issuer for token requests).
    pub(crate) fn fields(&self, client_id: &str, audience: &str) -> Result<AuthFields> {
        let mut out = vec![("client_id", client_id.to_string())];
        match self {
            Self::Mtls | Self::None => {}
            Self::Secret(s, method) if method.get() == ClientSecretMethod::Jwt => {
                let claims = assertion_claims(client_id, audience);
                out.push((
                    "client_assertion",
                    crate::jwt::sign_hs256(s.expose_secret().as_bytes(), &claims),
                ));
                out.push(("client_assertion_type", JWT_BEARER_ASSERTION.to_string()));
            }
            Self::Secret(s, _) => out.push(("client_secret", s.expose_secret().to_string())),
            Self::PrivateKeyJwt(signer) => {
                out.push(("client_assertion", assertion(signer, client_id, audience)?));
                out.push(("client_assertion_type", JWT_BEARER_ASSERTION.to_string()));
            }
        }
        Ok(AuthFields(out))
    }
}

impl AuthFields {
    /// The fields as borrowed pairs, for a form body.
    pub(crate) fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (*k, v.as_str()))
    }

    /// Adds the fields to a JSON object body.
    pub(crate) fn into_json(self, body: &mut Map<String, Value>) {
        for (k, v) in self.0 {
            body.insert(k.to_string(), Value::String(v));
        }
    }
}

/// The `Authorization: Basic` header of `client_secret_basic`: both parts form-encoded first
/// (RFC 6749 section 2.3.1), marked sensitive.
fn basic_header(client_id: &str, secret: &SecretString) -> Result<HeaderValue> {
    let encode = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let pair = format!("{}:{}", encode(client_id), encode(secret.expose_secret()));
    let mut value = HeaderValue::from_str(&format!("Basic {}", STANDARD.encode(pair)))
        .map_err(|_| Error::config("the client credentials cannot form a Basic header"))?;
    value.set_sensitive(true);
    Ok(value)
}

pub(crate) fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The claims of a fresh client assertion: `iss` = `sub` = client id, `aud`, unique `jti`,
/// `iat`, short `exp`.
fn assertion_claims(client_id: &str, audience: &str) -> Map<String, Value> {
    let now = now_secs();
    let mut claims = Map::new();
    claims.insert("iss".into(), client_id.into());
    claims.insert("sub".into(), client_id.into());
    claims.insert("aud".into(), audience.into());
    claims.insert("iat".into(), now.into());
    claims.insert("exp".into(), (now + ASSERTION_LIFETIME_SECS).into());
    claims.insert("jti".into(), random_b64url(24).into());
    claims
}

/// A fresh private-key-JWT client assertion.
fn assertion(signer: &JwtSigner, client_id: &str, audience: &str) -> Result<String> {
    signer
        .sign(&assertion_claims(client_id, audience))
        .map_err(|e| Error::config(format!("could not sign the client assertion: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_fields_come_last_in_reference_order_and_debug_hides_them() {
        let auth = ClientAuth::Secret(
            SecretString::from("s3cr3t-value"),
            SecretMethod::new(ClientSecretMethod::Post, false),
        );
        let f = auth.fields("my-client", "https://t/").unwrap();
        let names: Vec<_> = f.0.iter().map(|(k, _)| *k).collect();
        assert_eq!(names, ["client_id", "client_secret"]);
        assert!(!format!("{auth:?}").contains("s3cr3t-value"));
    }

    #[test]
    fn basic_auth_form_encodes_both_parts_and_leaves_the_body_empty() {
        let auth = ClientAuth::Secret(
            SecretString::from("p@ss word"),
            SecretMethod::new(ClientSecretMethod::Basic, false),
        );
        let form = auth.form("client:1", "https://t/").unwrap();
        assert!(form.fields.0.is_empty());
        let header = form.header.unwrap();
        let encoded = header.to_str().unwrap().strip_prefix("Basic ").unwrap();
        assert_eq!(
            STANDARD.decode(encoded).unwrap(),
            b"client%3A1:p%40ss+word".to_vec()
        );
        assert!(header.is_sensitive());
        // JSON endpoints still get the secret in the body.
        assert_eq!(auth.fields("c", "a").unwrap().0.len(), 2);
    }

    #[test]
    fn client_secret_jwt_sends_an_hs256_assertion_and_never_the_secret() {
        let auth = ClientAuth::Secret(
            SecretString::from("shared-secret"),
            SecretMethod::new(ClientSecretMethod::Jwt, false),
        );
        let f = auth.fields("c1", "https://t/").unwrap();
        let names: Vec<_> = f.0.iter().map(|(k, _)| *k).collect();
        assert_eq!(
            names,
            ["client_id", "client_assertion", "client_assertion_type"]
        );
        let assertion = &f.0[1].1;
        let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
        v.set_audience(&["https://t/"]);
        let key = jsonwebtoken::DecodingKey::from_secret(b"shared-secret").unwrap();
        let data = jsonwebtoken::decode::<serde_json::Value>(assertion, &key, &v).unwrap();
        assert_eq!(data.claims["iss"], "c1");
        assert!(!f.0.iter().any(|(_, v)| v.contains("shared-secret")));
    }

    #[test]
    fn public_and_mtls_clients_send_client_id_only() {
        for auth in [ClientAuth::None, ClientAuth::Mtls] {
            let f = auth.fields("c", "https://t/").unwrap();
            assert_eq!(f.0, vec![("client_id", "c".to_string())]);
        }
        assert!(ClientAuth::None.require_confidential().is_err());
        assert!(ClientAuth::Mtls.require_confidential().is_ok());
    }

    #[test]
    fn appended_form_fields_are_the_bytes_of_the_copied_ones() {
        let secret = || SecretString::from("p@ss word&=/é");
        let cases = [
            ClientAuth::Secret(secret(), SecretMethod::new(ClientSecretMethod::Post, false)),
            ClientAuth::Secret(
                secret(),
                SecretMethod::new(ClientSecretMethod::Basic, false),
            ),
            ClientAuth::None,
            ClientAuth::Mtls,
        ];
        for auth in cases {
            // Twice (the second time from what the first encoded), then for another client id.
            for client_id in ["client 1+2", "client 1+2", "other/client"] {
                let copied = auth.form(client_id, "https://t/").unwrap();
                let mut body = FormBody::with_capacity(0);
                body.pair("grant_type", "client_credentials");
                let header = auth
                    .append_form(&mut body, client_id, "https://t/")
                    .unwrap();
                let mut expected = vec![("grant_type", "client_credentials")];
                expected.extend(copied.fields.pairs());
                assert_eq!(
                    body.finish(),
                    crate::http::encode_form(&expected),
                    "{auth:?}"
                );
                assert_eq!(header, copied.header, "{auth:?}");
            }
        }
        // Assertions are fresh per request: the same fields, in the same order.
        let jwt = ClientAuth::Secret(
            SecretString::from("shared-secret"),
            SecretMethod::new(ClientSecretMethod::Jwt, false),
        );
        let mut body = FormBody::with_capacity(0);
        assert!(
            jwt.append_form(&mut body, "c1", "https://t/")
                .unwrap()
                .is_none()
        );
        let names: Vec<String> = String::from_utf8(body.finish())
            .unwrap()
            .split('&')
            .map(|p| p.split('=').next().unwrap_or_default().to_string())
            .collect();
        assert_eq!(
            names,
            ["client_id", "client_assertion", "client_assertion_type"]
        );
    }

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_strongest_supported_secret_method_wins() {
        let pick = |list: &[&str]| strongest_secret_method(Some(&names(list)));
        assert_eq!(
            pick(&[
                "client_secret_post",
                "client_secret_basic",
                "client_secret_jwt"
            ]),
            Some(ClientSecretMethod::Jwt)
        );
        assert_eq!(
            pick(&[
                "client_secret_post",
                "client_secret_basic",
                "private_key_jwt"
            ]),
            Some(ClientSecretMethod::Basic)
        );
        assert_eq!(
            pick(&["client_secret_post"]),
            Some(ClientSecretMethod::Post)
        );
        assert_eq!(pick(&["private_key_jwt", "tls_client_auth"]), None);
        // RFC 8414: no list means client_secret_basic.
        assert_eq!(
            strongest_secret_method(None),
            Some(ClientSecretMethod::Basic)
        );
    }

    fn metadata(methods: &[&str]) -> ServerMetadata {
        ServerMetadata {
            issuer: "https://op.example/".into(),
            token_endpoint_auth_methods_supported: Some(names(methods)),
            ..Default::default()
        }
    }

    #[test]
    fn metadata_chooses_the_method_unless_one_was_set_explicitly() {
        let secret = || SecretString::from("s");
        let following =
            ClientAuth::Secret(secret(), SecretMethod::new(ClientSecretMethod::Post, true));
        following.adopt_metadata(&metadata(&["client_secret_basic", "client_secret_post"]));
        assert!(following.form("c", "a").unwrap().header.is_some(), "basic");
        // Chosen once: a later document does not flip it mid-flight.
        following.adopt_metadata(&metadata(&["client_secret_post"]));
        assert!(following.form("c", "a").unwrap().header.is_some());

        let explicit =
            ClientAuth::Secret(secret(), SecretMethod::new(ClientSecretMethod::Post, false));
        explicit.adopt_metadata(&metadata(&["client_secret_basic"]));
        assert!(
            explicit.form("c", "a").unwrap().header.is_none(),
            "post stays"
        );

        // Nothing usable advertised: the configured method stays.
        let unusable =
            ClientAuth::Secret(secret(), SecretMethod::new(ClientSecretMethod::Post, true));
        unusable.adopt_metadata(&metadata(&["private_key_jwt"]));
        assert!(unusable.form("c", "a").unwrap().header.is_none());
    }
}
