//! Token introspection (RFC 7662), with the signed JWT answers of RFC 9701 where the provider
//! offers them.
//!
//! May import the client, discovery, client authentication, HTTP, JWT and JWKS modules; the
//! answer is read into [`Introspection`] here and nowhere else.

use std::fmt;

use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value};

use crate::client::AuthClient;
use crate::discovery::ServerMetadata;
use crate::error::{Error, ErrorCode, ErrorKind, Result};
use crate::grants::required;
use crate::http::Request;
use crate::jwks::JwksCache;
use crate::jwt::{Round, SigningAlgorithm, UnverifiedJwt, numeric_date};
use crate::userinfo::TokenTypeHint;

/// The media type of a signed introspection answer (RFC 9701 section 5).
const JWT_ANSWER: &str = "application/token-introspection+jwt";

/// A token introspection (RFC 7662).
///
/// ```no_run
/// # async fn demo(client: auth0_auth::AuthClient, token: auth0_auth::SecretString) -> auth0_auth::Result<()> {
/// use auth0_auth::{IntrospectTokenRequest, TokenTypeHint};
///
/// let answer = client
///     .introspect_token(
///         IntrospectTokenRequest::new(token.clone()).token_type_hint(TokenTypeHint::AccessToken),
///     )
///     .await?;
/// if answer.active {
///     println!("valid for {:?}, scope {:?}", answer.sub, answer.scope);
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct IntrospectTokenRequest {
    token: SecretString,
    token_type_hint: Option<TokenTypeHint>,
}

impl IntrospectTokenRequest {
    /// Asks the provider about `token` (an access or refresh token).
    pub fn new(token: SecretString) -> Self {
        Self {
            token,
            token_type_hint: None,
        }
    }

    /// Tells the provider which kind of token it is (`token_type_hint`).
    pub fn token_type_hint(mut self, hint: TokenTypeHint) -> Self {
        self.token_type_hint = Some(hint);
        self
    }
}

/// What the provider says about a token (RFC 7662 section 2.2).
///
/// An inactive token (expired, revoked, unknown, or not this client's to ask about) is an
/// answer with `active == false`, not an error; the provider then says nothing else about it.
/// Only an active answer's other members mean anything.
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct Introspection {
    /// Whether the token is currently active.
    pub active: bool,
    /// The token's scope (space-separated).
    pub scope: Option<String>,
    /// The client the token was issued to.
    pub client_id: Option<String>,
    /// A human-readable identifier of the resource owner.
    pub username: Option<String>,
    /// The token's type (`Bearer`, `DPoP`, `refresh_token`, …, as the provider names it).
    pub token_type: Option<String>,
    /// When the token expires, in seconds since the Unix epoch.
    pub exp: Option<u64>,
    /// When the token was issued.
    pub iat: Option<u64>,
    /// When the token becomes usable.
    pub nbf: Option<u64>,
    /// The subject (usually the user id).
    pub sub: Option<String>,
    /// The audiences (a single `aud` string becomes one entry).
    pub aud: Vec<String>,
    /// The issuer of the token.
    pub iss: Option<String>,
    /// The token's identifier.
    pub jti: Option<String>,
    /// Every other member of the answer.
    pub extra: Map<String, Value>,
}

impl fmt::Debug for Introspection {
    /// Shows the typed members; the extra members only by name (a provider may put
    /// anything there).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Introspection")
            .field("active", &self.active)
            .field("scope", &self.scope)
            .field("client_id", &self.client_id)
            .field("username", &self.username)
            .field("token_type", &self.token_type)
            .field("exp", &self.exp)
            .field("iat", &self.iat)
            .field("nbf", &self.nbf)
            .field("sub", &self.sub)
            .field("aud", &self.aud)
            .field("iss", &self.iss)
            .field("jti", &self.jti)
            .field("extra", &self.extra.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Introspection {
    /// Reads an answer object. `active` must be a boolean; the typed members must have
    /// their RFC 7662 types.
    pub(crate) fn from_object(mut object: Map<String, Value>) -> std::result::Result<Self, String> {
        let active = match object.remove("active") {
            Some(Value::Bool(b)) => b,
            Some(_) => return Err("\"active\" is not a boolean".into()),
            None => return Err("the answer has no \"active\" member".into()),
        };
        let mut text = |name: &str| match object.remove(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(format!("\"{name}\" is not a string")),
        };
        let scope = text("scope")?;
        let client_id = text("client_id")?;
        let username = text("username")?;
        let token_type = text("token_type")?;
        let sub = text("sub")?;
        let iss = text("iss")?;
        let jti = text("jti")?;
        let exp = numeric_date(&object, "exp", Round::Down)?;
        let iat = numeric_date(&object, "iat", Round::Up)?;
        let nbf = numeric_date(&object, "nbf", Round::Up)?;
        for name in ["exp", "iat", "nbf"] {
            object.remove(name);
        }
        let aud = match object.remove("aud") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::String(s)) => vec![s],
            Some(Value::Array(items)) => items
                .into_iter()
                .map(|v| match v {
                    Value::String(s) => Ok(s),
                    _ => Err("\"aud\" holds something other than strings".to_string()),
                })
                .collect::<std::result::Result<_, _>>()?,
            Some(_) => return Err("\"aud\" is neither a string nor an array".into()),
        };
        Ok(Self {
            active,
            scope,
            client_id,
            username,
            token_type,
            exp,
            iat,
            nbf,
            sub,
            aud,
            iss,
            jti,
            extra: object,
        })
    }
}

/// The algorithms a provider says it signs introspection answers with
/// (`introspection_signing_alg_values_supported`, RFC 9701 section 7), keeping the asymmetric
/// ones this crate verifies. Empty when it advertises none.
fn signing_algs(metadata: &ServerMetadata) -> Vec<SigningAlgorithm> {
    metadata
        .other
        .get("introspection_signing_alg_values_supported")
        .and_then(Value::as_array)
        .map(|names| {
            names
                .iter()
                .filter_map(Value::as_str)
                .filter_map(SigningAlgorithm::from_name)
                .filter(|a| *a != SigningAlgorithm::HS256)
                .collect()
        })
        .unwrap_or_default()
}

impl AuthClient {
    /// Asks the provider's `introspection_endpoint` (RFC 7662) about a token, with the
    /// client's authentication. Needs a confidential client; a provider without the endpoint
    /// answers `NotSupported` (Auth0 tenants have none).
    ///
    /// When the provider advertises `introspection_signing_alg_values_supported`, the answer
    /// is asked for as a signed JWT (RFC 9701): its signature is verified with the provider's
    /// key set, its `typ` must be `token-introspection+jwt`, its `iss` the provider's issuer
    /// and its `aud` this client. A provider may still answer with plain JSON.
    pub async fn introspect_token(&self, request: IntrospectTokenRequest) -> Result<Introspection> {
        let code = ErrorCode::TokenIntrospection;
        let token = request.token.expose_secret();
        required(token, "the token", code)?;
        self.inner.auth.require_confidential()?;
        let metadata = self.metadata(code).await?;
        let url = metadata.endpoint(
            "introspection_endpoint",
            metadata.introspection_endpoint.as_ref(),
            code,
        )?;
        let auth = self
            .inner
            .auth
            .form(&self.inner.client_id, &metadata.issuer)
            .map_err(|e| e.in_operation(code))?;
        let mut pairs: Vec<(&str, &str)> = vec![("token", token)];
        if let Some(hint) = request.token_type_hint {
            pairs.push((
                "token_type_hint",
                match hint {
                    TokenTypeHint::RefreshToken => "refresh_token",
                    TokenTypeHint::AccessToken => "access_token",
                },
            ));
        }
        pairs.extend(auth.fields.pairs());
        let algs = signing_algs(&metadata);
        let mut http = Request::new(Method::POST, url, code, "the introspection endpoint")
            .form(&pairs)
            .authorization(auth.header);
        if !algs.is_empty() {
            http = http.header("accept", &format!("{JWT_ANSWER}, application/json;q=0.5"))?;
        }
        let response = self.send(http).await?;
        let signed = response
            .headers
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.trim().to_ascii_lowercase().starts_with(JWT_ANSWER));
        let invalid = |m: String| {
            Error::new(
                code,
                ErrorKind::InvalidResponse,
                format!("the introspection answer cannot be read: {m}"),
            )
        };
        let object: Map<String, Value> = if signed && response.status.is_success() {
            let text = String::from_utf8(response.body)
                .map_err(|_| invalid("the signed answer is not text".into()))?;
            self.verified_introspection(&text, &metadata, &algs, code)
                .await?
        } else {
            response.json()?
        };
        Introspection::from_object(object).map_err(invalid)
    }

    /// The `token_introspection` member of a signed answer, after checking its signature,
    /// `typ`, `iss` and `aud`.
    async fn verified_introspection(
        &self,
        token: &str,
        metadata: &ServerMetadata,
        algs: &[SigningAlgorithm],
        code: ErrorCode,
    ) -> Result<Map<String, Value>> {
        let invalid = |m: String| {
            Error::new(
                code,
                ErrorKind::TokenValidation,
                format!("the signed introspection answer was rejected: {m}"),
            )
        };
        let jwt = UnverifiedJwt::parse(token).map_err(invalid)?;
        if jwt.header.media_type().as_deref() != Some("token-introspection+jwt") {
            return Err(invalid(
                "its typ is not token-introspection+jwt (RFC 9701 section 5)".into(),
            ));
        }
        let alg = jwt.algorithm(algs).map_err(invalid)?;
        JwksCache::shared()
            .verify(&self.inner.transport, metadata, &jwt, alg, code)
            .await
            .map_err(|e| {
                if e.kind() == ErrorKind::TokenValidation {
                    invalid(e.message().to_string())
                } else {
                    e
                }
            })?;
        check_signed_answer(&jwt.claims, &metadata.issuer, &self.inner.client_id).map_err(invalid)
    }
}

/// The claims of a verified signed answer: `iss` must be the provider, `aud` this client, and
/// the answer is the `token_introspection` object.
fn check_signed_answer(
    claims: &Map<String, Value>,
    issuer: &str,
    client_id: &str,
) -> std::result::Result<Map<String, Value>, String> {
    if claims.get("iss").and_then(Value::as_str) != Some(issuer) {
        return Err(format!("its iss is not the issuer {issuer:?}"));
    }
    let for_us = match claims.get("aud") {
        Some(Value::String(a)) => a == client_id,
        Some(Value::Array(a)) => a.iter().any(|v| v.as_str() == Some(client_id)),
        _ => false,
    };
    if !for_us {
        return Err("its aud is not this client".into());
    }
    match claims.get("token_introspection") {
        Some(Value::Object(answer)) => Ok(answer.clone()),
        _ => Err("it has no token_introspection object".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => panic!("not an object"),
        }
    }

    #[test]
    fn an_active_answer_is_typed_and_the_rest_kept() {
        let i = Introspection::from_object(object(json!({
            "active": true, "scope": "read write", "client_id": "c1", "sub": "u1",
            "exp": 2000, "iat": 1000.5, "nbf": 1000, "aud": ["api", "other"],
            "iss": "https://op/", "token_type": "Bearer", "jti": "j", "username": "jane",
            "cnf": {"jkt": "x"}
        })))
        .unwrap();
        assert!(i.active);
        assert_eq!(i.scope.as_deref(), Some("read write"));
        assert_eq!(i.aud, ["api", "other"]);
        assert_eq!((i.exp, i.iat, i.nbf), (Some(2000), Some(1001), Some(1000)));
        assert_eq!(i.extra.keys().collect::<Vec<_>>(), ["cnf"]);
        let single = Introspection::from_object(object(json!({"active": true, "aud": "api"})));
        assert_eq!(single.unwrap().aud, ["api"]);
    }

    #[test]
    fn an_inactive_answer_is_a_value() {
        let i = Introspection::from_object(object(json!({"active": false}))).unwrap();
        assert!(!i.active);
        assert_eq!(i.sub, None);
    }

    #[test]
    fn malformed_answers_are_refused() {
        for bad in [
            json!({}),
            json!({"active": "true"}),
            json!({"active": true, "exp": "soon"}),
            json!({"active": true, "aud": 3}),
            json!({"active": true, "scope": ["a"]}),
        ] {
            assert!(
                Introspection::from_object(object(bad.clone())).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_signed_answer_must_be_from_the_issuer_for_this_client() {
        let good = object(json!({
            "iss": "https://op/", "aud": "c1", "iat": 1,
            "token_introspection": {"active": true}
        }));
        assert!(check_signed_answer(&good, "https://op/", "c1").is_ok());
        assert!(check_signed_answer(&good, "https://evil/", "c1").is_err());
        assert!(check_signed_answer(&good, "https://op/", "c2").is_err());
        let flat = object(json!({"iss": "https://op/", "aud": ["c1"], "active": true}));
        assert!(check_signed_answer(&flat, "https://op/", "c1").is_err());
    }

    #[test]
    fn only_asymmetric_known_signing_algorithms_are_taken() {
        let mut m = ServerMetadata::default();
        assert!(signing_algs(&m).is_empty());
        m.other.insert(
            "introspection_signing_alg_values_supported".into(),
            json!(["HS256", "RS256", "none", "ES256"]),
        );
        assert_eq!(
            signing_algs(&m),
            [SigningAlgorithm::RS256, SigningAlgorithm::ES256]
        );
    }
}
