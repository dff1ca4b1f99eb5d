//! [`TokenResponse`] and the single function every grant sends its request through.
//!
//! A grant describes itself as a [`TokenRequest`] (grant type, parameters, extra headers, what
//! to expect of the ID token); [`AuthClient::request_token`] adds client authentication, sends
//! it through the transport, parses the answer and validates any ID token.

use std::borrow::Cow;
use std::fmt;

use reqwest::Method;
use reqwest::header::{HeaderMap, HeaderName};
use secrecy::SecretString;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::client::AuthClient;
use crate::client_auth::now_secs;
use crate::error::{Error, ErrorCode, ErrorKind, Result};
use crate::http::{FormBody, Request};
use crate::id_token::{Claims, IdTokenExpectations};

/// The tokens a grant returns.
///
/// Tokens are [`SecretString`]s: read them with
/// [`ExposeSecret::expose_secret`](crate::ExposeSecret::expose_secret); `Debug` never shows them.
///
/// ```
/// # fn demo(tokens: auth0_auth::TokenResponse) {
/// use auth0_auth::ExposeSecret;
/// let bearer = format!("Bearer {}", tokens.access_token.expose_secret());
/// if let Some(claims) = &tokens.claims {
///     println!("signed in as {:?}", claims.sub());
/// }
/// # }
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub struct TokenResponse {
    /// The access token.
    pub access_token: SecretString,
    /// The ID token, when one was returned (already validated).
    pub id_token: Option<SecretString>,
    /// The refresh token, when one was returned.
    pub refresh_token: Option<SecretString>,
    /// When the access token expires, in seconds since the Unix epoch (now + `expires_in`).
    pub expires_at: u64,
    /// The granted scope.
    pub scope: Option<String>,
    /// The token type, lower-cased (`bearer`, `dpop`, `n_a`).
    pub token_type: Option<String>,
    /// The issued token type of a token exchange.
    pub issued_token_type: Option<String>,
    /// Granted rich authorization details.
    pub authorization_details: Option<Value>,
    /// The validated ID token's claims.
    pub claims: Option<Claims>,
    /// A new recovery code, after an MFA recovery-code verification.
    pub recovery_code: Option<SecretString>,
    /// The `act` (actor) claim of a token exchange with an actor token, taken from the
    /// validated ID token only (never from the access token, which this SDK cannot verify).
    pub act: Option<Value>,
}

impl fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hidden = |o: &Option<SecretString>| o.as_ref().map(|_| "[redacted]");
        f.debug_struct("TokenResponse")
            .field("access_token", &"[redacted]")
            .field("id_token", &hidden(&self.id_token))
            .field("refresh_token", &hidden(&self.refresh_token))
            .field("expires_at", &self.expires_at)
            .field("scope", &self.scope)
            .field("token_type", &self.token_type)
            .field("issued_token_type", &self.issued_token_type)
            .field("authorization_details", &self.authorization_details)
            .field("claims", &self.claims)
            .field("recovery_code", &hidden(&self.recovery_code))
            .field("act", &self.act)
            .finish()
    }
}

/// The token endpoint's success body, as sent.
#[derive(Deserialize)]
struct RawTokenResponse {
    access_token: String,
    #[serde(default)]
    id_token: Option<String>,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default, deserialize_with = "lenient_seconds")]
    expires_in: Option<u64>,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    token_type: Option<String>,
    #[serde(default)]
    issued_token_type: Option<String>,
    #[serde(default)]
    authorization_details: Option<Value>,
    #[serde(default)]
    recovery_code: Option<String>,
}

/// Reads a token-endpoint answer the way [`AuthClient::request_token`] does, up to (not
/// including) ID-token validation: for the fuzz targets. Returns `expires_at` for `now`.
#[cfg(feature = "fuzzing")]
pub(crate) fn read_token_answer(response: crate::http::Response, now: u64) -> Result<u64> {
    let raw: RawTokenResponse = response.json()?;
    if let Some(id_token) = &raw.id_token {
        let _ = crate::jwt::UnverifiedJwt::parse(id_token);
    }
    Ok(expires_at(now, raw.expires_in))
}

/// When a token given at `now` with this `expires_in` expires. A hostile `expires_in` (up to
/// `u64::MAX`) must not overflow.
fn expires_at(now: u64, expires_in: Option<u64>) -> u64 {
    now.saturating_add(expires_in.unwrap_or(0))
}

/// `expires_in` as a number or a numeric string; anything else (or a negative number) reads
/// as none. Read straight from the parser, with no `Value` in between.
fn lenient_seconds<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<u64>, D::Error> {
    struct Seconds;

    impl<'de> serde::de::Visitor<'de> for Seconds {
        type Value = Option<u64>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a number of seconds")
        }

        fn visit_u64<E: serde::de::Error>(self, v: u64) -> std::result::Result<Self::Value, E> {
            Ok(Some(v))
        }

        fn visit_i64<E: serde::de::Error>(self, v: i64) -> std::result::Result<Self::Value, E> {
            // A negative whole number: `as_u64` refused it and `as_f64` clamped it to 0.
            Ok(Some(u64::try_from(v).unwrap_or(0)))
        }

        fn visit_f64<E: serde::de::Error>(self, v: f64) -> std::result::Result<Self::Value, E> {
            Ok(Some(v.max(0.0) as u64))
        }

        fn visit_str<E: serde::de::Error>(self, v: &str) -> std::result::Result<Self::Value, E> {
            Ok(v.trim().parse().ok())
        }

        fn visit_none<E: serde::de::Error>(self) -> std::result::Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_unit<E: serde::de::Error>(self) -> std::result::Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D: Deserializer<'de>>(
            self,
            d: D,
        ) -> std::result::Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }

        fn visit_bool<E: serde::de::Error>(self, _: bool) -> std::result::Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_seq<A: serde::de::SeqAccess<'de>>(
            self,
            mut seq: A,
        ) -> std::result::Result<Self::Value, A::Error> {
            while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
            Ok(None)
        }

        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> std::result::Result<Self::Value, A::Error> {
            while map
                .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
                .is_some()
            {}
            Ok(None)
        }
    }

    d.deserialize_option(Seconds)
}

/// One grant's request, before client authentication.
pub(crate) struct TokenRequest {
    pub code: ErrorCode,
    pub grant_type: Cow<'static, str>,
    pub params: Vec<(Cow<'static, str>, Value)>,
    pub headers: HeaderMap,
    pub expect: IdTokenExpectations,
    pub confidential_only: bool,
    /// Read `act` from the validated ID token's claims.
    pub read_act: bool,
    /// Send the body as JSON instead of a form (the passkey grant).
    pub json_body: bool,
}

impl TokenRequest {
    pub(crate) fn new(code: ErrorCode, grant_type: impl Into<Cow<'static, str>>) -> Self {
        Self {
            code,
            grant_type: grant_type.into(),
            params: Vec::new(),
            headers: HeaderMap::new(),
            expect: IdTokenExpectations::default(),
            confidential_only: false,
            read_act: false,
            json_body: false,
        }
    }

    /// Adds a parameter.
    pub(crate) fn param(
        mut self,
        key: impl Into<Cow<'static, str>>,
        value: impl Into<Value>,
    ) -> Self {
        self.params.push((key.into(), value.into()));
        self
    }

    /// Adds a parameter when it has a value.
    pub(crate) fn opt(self, key: &'static str, value: Option<impl Into<Value>>) -> Self {
        match value {
            Some(v) => self.param(key, v),
            None => self,
        }
    }

    /// Adds a header; values that are not valid header text are refused up front.
    pub(crate) fn header(mut self, name: &'static str, value: &str) -> Result<Self> {
        let value = crate::http::header_value(self.code, name, value)?;
        self.headers.insert(HeaderName::from_static(name), value);
        Ok(self)
    }

    /// Marks the grant as one only confidential clients may use.
    pub(crate) fn confidential(mut self) -> Self {
        self.confidential_only = true;
        self
    }
}

/// The initial room of a token request's form body: enough for a grant with a few parameters
/// and a client secret, so the buffer is not regrown as it fills (it grows when needed).
const FORM_BODY_CAPACITY: usize = 512;

fn form_text(v: &Value) -> Cow<'_, str> {
    match v {
        Value::String(s) => Cow::Borrowed(s),
        other => Cow::Owned(other.to_string()),
    }
}

impl AuthClient {
    /// Sends a grant to the token endpoint: the one path every grant takes.
    pub(crate) async fn request_token(&self, req: TokenRequest) -> Result<TokenResponse> {
        let code = req.code;
        if req.confidential_only {
            self.inner.auth.require_confidential()?;
        }
        let metadata = self.metadata(code).await?;
        let url = self.inner.discovery.token_url(&metadata, code)?;
        let span = tracing::info_span!("auth0.token", grant_type = %req.grant_type);
        tracing::debug!(
            parent: &span,
            endpoint = %crate::http::ShownUrl(&url),
            "requesting tokens"
        );

        let mut req = req;
        if self.inner.audience_parameter == crate::client::AudienceParameter::Resource {
            for (k, _) in req.params.iter_mut() {
                if k == "audience" {
                    *k = Cow::Borrowed("resource");
                }
            }
        }
        let mut http = Request::new(Method::POST, url, code, "the token endpoint");
        http.headers = req.headers;
        let (client_id, issuer) = (&self.inner.client_id, &metadata.issuer);
        if req.json_body {
            let auth = self
                .inner
                .auth
                .form(client_id, issuer)
                .map_err(|e| e.in_operation(code))?;
            if let Some(basic) = auth.header {
                http.headers.insert(reqwest::header::AUTHORIZATION, basic);
            }
            let mut body = serde_json::Map::new();
            body.insert(
                "grant_type".into(),
                Value::String(req.grant_type.to_string()),
            );
            for (k, v) in req.params {
                body.insert(k.into_owned(), v);
            }
            auth.fields.into_json(&mut body);
            http = http.json(&Value::Object(body));
        } else {
            // Room for the usual body at once: the parameters, encoding, client credentials.
            let mut body = FormBody::with_capacity(FORM_BODY_CAPACITY);
            body.pair("grant_type", &req.grant_type);
            for (k, v) in &req.params {
                body.pair(k, &form_text(v));
            }
            let basic = self
                .inner
                .auth
                .append_form(&mut body, client_id, issuer)
                .map_err(|e| e.in_operation(code))?;
            if let Some(basic) = basic {
                http.headers.insert(reqwest::header::AUTHORIZATION, basic);
            }
            http.body = crate::http::Body::Form(body.finish());
        }
        let raw: RawTokenResponse = self.send_dpop(http, None).await?.json()?;
        self.finish_token_response(raw, &req.expect, req.read_act, code)
            .await
    }

    async fn finish_token_response(
        &self,
        raw: RawTokenResponse,
        expect: &IdTokenExpectations,
        read_act: bool,
        code: ErrorCode,
    ) -> Result<TokenResponse> {
        let claims = match &raw.id_token {
            Some(id_token) => Some(self.validate_id_token(id_token, expect, code).await?),
            // A nonce was sent, so an ID token must come back; an organization is checked
            // only when one does (as the reference does).
            None if expect.nonce.is_some() => {
                return Err(Error::new(
                    code,
                    ErrorKind::InvalidResponse,
                    "the token endpoint returned no ID token, but a nonce was sent",
                ));
            }
            None => None,
        };
        // Only a verified token may say who acts: the access token is opaque to this client
        // (its audience is an API), so an `act` read from it would be unchecked.
        let act = if read_act {
            claims.as_ref().and_then(|c| c.get("act").cloned())
        } else {
            None
        };
        Ok(TokenResponse {
            expires_at: expires_at(now_secs(), raw.expires_in),
            access_token: SecretString::from(raw.access_token),
            id_token: raw.id_token.map(SecretString::from),
            refresh_token: raw.refresh_token.map(SecretString::from),
            scope: raw.scope,
            token_type: raw.token_type.map(|mut t| {
                t.make_ascii_lowercase();
                t
            }),
            issued_token_type: raw.issued_token_type,
            authorization_details: raw.authorization_details,
            claims,
            recovery_code: raw.recovery_code.map(SecretString::from),
            act,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jwt::b64url;

    #[tokio::test]
    async fn act_is_never_read_from_an_unverified_access_token() {
        let client = AuthClient::builder("https://tenant.example.com", "client-1")
            .build()
            .unwrap();
        // A JWT access token claiming an actor, with no ID token: nothing verified it, so
        // nothing of it may surface as `act`.
        let forged = format!(
            "{}.{}.sig",
            b64url(br#"{"alg":"none"}"#),
            b64url(br#"{"sub":"victim","act":{"sub":"attacker"}}"#)
        );
        let raw: RawTokenResponse = serde_json::from_value(serde_json::json!({
            "access_token": forged,
            "token_type": "Bearer",
            "expires_in": 60,
        }))
        .unwrap();
        let tokens = client
            .finish_token_response(
                raw,
                &IdTokenExpectations::default(),
                true,
                ErrorCode::TokenExchange,
            )
            .await
            .unwrap();
        assert_eq!(tokens.act, None);
    }

    #[test]
    fn expires_in_is_read_leniently() {
        let read = |json: &str| {
            let body = format!(r#"{{"access_token":"a","expires_in":{json},"scope":"s"}}"#);
            serde_json::from_str::<RawTokenResponse>(&body)
                .unwrap_or_else(|e| panic!("{json}: {e}"))
                .expires_in
        };
        assert_eq!(read("3600"), Some(3600));
        assert_eq!(read(r#"" 3600 ""#), Some(3600));
        assert_eq!(read("3600.9"), Some(3600));
        assert_eq!(read("-5"), Some(0));
        assert_eq!(read("-5.5"), Some(0));
        assert_eq!(read("1e30"), Some(u64::MAX));
        assert_eq!(read(r#""soon""#), None);
        assert_eq!(read("null"), None);
        assert_eq!(read("true"), None);
        assert_eq!(read("[1, [2], {}]"), None);
        assert_eq!(read(r#"{"a": [1], "b": {"c": null}}"#), None);
        let absent: RawTokenResponse = serde_json::from_str(r#"{"access_token":"a"}"#).unwrap();
        assert_eq!(absent.expires_in, None);
    }

    #[test]
    fn hostile_expires_in_does_not_overflow() {
        assert_eq!(expires_at(u64::MAX - 1, Some(u64::MAX)), u64::MAX);
        assert_eq!(expires_at(10, None), 10);
    }
}
