//! Failures of the API side: [`ApiError`] with the HTTP status, the OAuth error code and the
//! `WWW-Authenticate` challenges (RFC 6750 §3, RFC 9449 §7.1) an API answers with.
//!
//! This module imports nothing from the rest of the crate but the DPoP mode; every other module
//! builds its errors here. Messages are our own words: never a token, a proof, a secret or a
//! claim value taken from a token.

use std::fmt;

use crate::client::DpopMode;

/// What went wrong, as an API reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ApiErrorCode {
    /// The request carried no access token (RFC 6750 §3.1: the challenge names no error).
    /// Status 401.
    MissingToken,
    /// The request is malformed: an unsupported authorization scheme, a DPoP proof sent with the
    /// `Bearer` scheme for an unbound token, DPoP parameters without a scheme, a missing proof.
    /// Status 400, `invalid_request`.
    InvalidRequest,
    /// The access token is malformed, not signed by the tenant, expired, meant for another
    /// audience, of the wrong type, missing a required claim, failing a claim check, or bound to
    /// another key than the proof's. Status 401, `invalid_token`.
    InvalidToken,
    /// The token lacks a scope or permission the operation requires. Status 403,
    /// `insufficient_scope`.
    InsufficientScope,
    /// The DPoP proof is malformed, wrongly signed, for another request, stale or replayed.
    /// Status 401, `invalid_dpop_proof` (RFC 9449 §7.1).
    InvalidDpopProof,
    /// The DPoP proof lacks the server nonce or carries a stale one; answer with the nonce of
    /// [`ApiError::dpop_nonce`] in a `DPoP-Nonce` header. Status 401, `use_dpop_nonce` (RFC
    /// 9449 §9).
    UseDpopNonce,
    /// The tenant's discovery document or key set could not be fetched or used, so nothing could
    /// be verified. Status 503; the challenge names no error (the client is not at fault).
    Unavailable,
    /// The API client or a metadata document was configured wrongly. Status 500.
    InvalidConfiguration,
}

impl ApiErrorCode {
    /// The HTTP status an API answers with.
    pub fn status(self) -> u16 {
        match self {
            Self::InvalidRequest => 400,
            Self::InsufficientScope => 403,
            Self::Unavailable => 503,
            Self::InvalidConfiguration => 500,
            Self::MissingToken
            | Self::InvalidToken
            | Self::InvalidDpopProof
            | Self::UseDpopNonce => 401,
        }
    }

    /// The OAuth `error` value of the challenge, when the failure names one.
    pub fn oauth_error(self) -> Option<&'static str> {
        match self {
            Self::InvalidRequest => Some("invalid_request"),
            Self::InvalidToken => Some("invalid_token"),
            Self::InsufficientScope => Some("insufficient_scope"),
            Self::InvalidDpopProof => Some("invalid_dpop_proof"),
            Self::UseDpopNonce => Some("use_dpop_nonce"),
            Self::MissingToken | Self::Unavailable | Self::InvalidConfiguration => None,
        }
    }
}

/// Which challenge carries the error parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Target {
    Bearer,
    Dpop,
    /// No challenge carries error parameters (a request in an unsupported scheme).
    Neither,
}

/// Why an access token (or its DPoP proof) was refused, with everything the HTTP answer needs.
///
/// ```
/// # fn demo(e: auth0_api::ApiError) {
/// let status = e.status(); // 400, 401, 403, 503 or 500
/// for value in e.www_authenticate() {
///     // add a `WWW-Authenticate: {value}` header for each
/// }
/// if let Some(nonce) = e.dpop_nonce() {
///     // add a `DPoP-Nonce: {nonce}` header
/// }
/// # }
/// ```
#[derive(Clone)]
pub struct ApiError {
    // Boxed: errors travel through every `Result` of the verification path, which stays small.
    inner: Box<Inner>,
}

#[derive(Clone)]
struct Inner {
    code: ApiErrorCode,
    message: String,
    challenges: Vec<String>,
    dpop_nonce: Option<String>,
    source: Option<auth0_auth::Error>,
}

impl ApiError {
    pub(crate) fn new(code: ApiErrorCode, message: impl Into<String>) -> Self {
        Self {
            inner: Box::new(Inner {
                code,
                message: message.into(),
                challenges: Vec::new(),
                dpop_nonce: None,
                source: None,
            }),
        }
    }

    pub(crate) fn config(message: impl Into<String>) -> Self {
        Self::new(ApiErrorCode::InvalidConfiguration, message)
    }

    pub(crate) fn with_source(mut self, source: auth0_auth::Error) -> Self {
        self.inner.source = Some(source);
        self
    }

    pub(crate) fn with_nonce(mut self, nonce: String) -> Self {
        self.inner.dpop_nonce = Some(nonce);
        self
    }

    /// Adds the challenges for `mode`: the error parameters go to `target`'s challenge.
    pub(crate) fn challenged(
        mut self,
        mode: DpopMode,
        dpop_algs: &str,
        target: Target,
        scope: Option<&str>,
    ) -> Self {
        let params = ChallengeParams {
            error: self.inner.code.oauth_error(),
            description: &self.inner.message,
            scope,
        };
        let empty = ChallengeParams::default();
        let (bearer, dpop) = match target {
            Target::Bearer => (&params, &empty),
            Target::Dpop => (&empty, &params),
            Target::Neither => (&empty, &empty),
        };
        self.inner.challenges = match mode {
            DpopMode::Allowed => vec![bearer_challenge(bearer), dpop_challenge(dpop, dpop_algs)],
            DpopMode::Required => vec![dpop_challenge(dpop, dpop_algs)],
            DpopMode::Disabled => vec![bearer_challenge(bearer)],
        };
        self
    }

    /// What went wrong.
    pub fn code(&self) -> ApiErrorCode {
        self.inner.code
    }

    /// The HTTP status to answer with.
    pub fn status(&self) -> u16 {
        self.inner.code.status()
    }

    /// What went wrong, in words (safe to log and to send: no token, proof or secret).
    pub fn message(&self) -> &str {
        &self.inner.message
    }

    /// The `WWW-Authenticate` header values to answer with, one per scheme (`Bearer` and/or
    /// `DPoP`, as the DPoP mode allows). Empty for configuration errors.
    pub fn www_authenticate(&self) -> &[String] {
        &self.inner.challenges
    }

    /// The fresh server nonce to send in a `DPoP-Nonce` header (for
    /// [`ApiErrorCode::UseDpopNonce`]).
    pub fn dpop_nonce(&self) -> Option<&str> {
        self.inner.dpop_nonce.as_deref()
    }

    /// The `auth0-auth` error underneath (discovery or key-set failures).
    pub fn auth_error(&self) -> Option<&auth0_auth::Error> {
        self.inner.source.as_ref()
    }
}

impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiError")
            .field("code", &self.inner.code)
            .field("status", &self.status())
            .field("message", &self.inner.message)
            .field("www_authenticate", &self.inner.challenges)
            .field("source", &self.inner.source)
            .finish()
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.inner.code.oauth_error() {
            Some(e) => write!(f, "{e}: {}", self.inner.message),
            None => f.write_str(&self.inner.message),
        }
    }
}

impl std::error::Error for ApiError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner
            .source
            .as_ref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

#[derive(Default)]
struct ChallengeParams<'a> {
    error: Option<&'static str>,
    description: &'a str,
    scope: Option<&'a str>,
}

impl ChallengeParams<'_> {
    fn push(&self, out: &mut Vec<String>) {
        let Some(error) = self.error else {
            return;
        };
        out.push(format!("error={}", quoted(error)));
        if !self.description.is_empty() {
            out.push(format!(
                "error_description={}",
                quoted(&description_text(self.description))
            ));
        }
        if let Some(scope) = self.scope {
            out.push(format!("scope={}", quoted(scope)));
        }
    }
}

fn bearer_challenge(params: &ChallengeParams<'_>) -> String {
    let mut parts = vec![r#"realm="api""#.to_string()];
    params.push(&mut parts);
    format!("Bearer {}", parts.join(", "))
}

fn dpop_challenge(params: &ChallengeParams<'_>, algs: &str) -> String {
    let mut parts = Vec::new();
    params.push(&mut parts);
    parts.push(format!("algs={}", quoted(algs)));
    format!("DPoP {}", parts.join(", "))
}

/// An RFC 9110 quoted-string: `"` and `\` escaped with a backslash; characters a header value
/// cannot hold (controls, non-ASCII) dropped.
pub(crate) fn quoted(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            ' '..='~' => out.push(c),
            _ => {}
        }
    }
    out.push('"');
    out
}

/// RFC 6750 §3 limits `error_description` to %x20-21 / %x23-5B / %x5D-7E: no quote and no
/// backslash even escaped, so they become `'` and `/`.
fn description_text(value: &str) -> String {
    value
        .chars()
        .map(|c| match c {
            '"' => '\'',
            '\\' => '/',
            c => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_and_error_codes_follow_rfc_6750_and_9449() {
        use ApiErrorCode::*;
        assert_eq!(MissingToken.status(), 401);
        assert_eq!(MissingToken.oauth_error(), None);
        assert_eq!(InvalidRequest.status(), 400);
        assert_eq!(InvalidToken.status(), 401);
        assert_eq!(InsufficientScope.status(), 403);
        assert_eq!(InvalidDpopProof.status(), 401);
        assert_eq!(InvalidDpopProof.oauth_error(), Some("invalid_dpop_proof"));
        assert_eq!(UseDpopNonce.oauth_error(), Some("use_dpop_nonce"));
        assert_eq!(Unavailable.status(), 503);
    }

    #[test]
    fn quoted_strings_escape_quotes_and_backslashes_and_drop_controls() {
        assert_eq!(quoted(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(quoted("x\r\ny\u{e9}"), r#""xy""#);
        assert_eq!(description_text(r#"say "hi" \o/"#), "say 'hi' /o/");
    }

    #[test]
    fn challenges_follow_the_mode_and_put_the_error_on_the_target() {
        let e = ApiError::new(ApiErrorCode::InvalidToken, r#"bad "token""#).challenged(
            DpopMode::Allowed,
            "ES256",
            Target::Bearer,
            None,
        );
        assert_eq!(
            e.www_authenticate(),
            [
                r#"Bearer realm="api", error="invalid_token", error_description="bad 'token'""#,
                r#"DPoP algs="ES256""#
            ]
        );
        let e = ApiError::new(ApiErrorCode::InvalidDpopProof, "stale").challenged(
            DpopMode::Required,
            "ES256 PS256",
            Target::Dpop,
            None,
        );
        assert_eq!(
            e.www_authenticate(),
            [r#"DPoP error="invalid_dpop_proof", error_description="stale", algs="ES256 PS256""#]
        );
        let e = ApiError::new(ApiErrorCode::InsufficientScope, "needs more").challenged(
            DpopMode::Disabled,
            "ES256",
            Target::Bearer,
            Some("read:a write:b"),
        );
        assert_eq!(
            e.www_authenticate(),
            [
                r#"Bearer realm="api", error="insufficient_scope", error_description="needs more", scope="read:a write:b""#
            ]
        );
        let e = ApiError::new(ApiErrorCode::MissingToken, "no token").challenged(
            DpopMode::Allowed,
            "ES256",
            Target::Bearer,
            None,
        );
        assert_eq!(
            e.www_authenticate(),
            [r#"Bearer realm="api""#, r#"DPoP algs="ES256""#]
        );
        assert_eq!(e.status(), 401);
        assert_eq!(e.to_string(), "no token");
    }
}
