//! User info (`GET /userinfo`) and token revocation (RFC 7009).

use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};

use crate::client::AuthClient;
use crate::error::{Error, ErrorCode, ErrorKind, Result};
use crate::grants::required;
use crate::http::Request;
use crate::id_token::Claims;
use crate::values::UserId;

/// Which kind of token is being revoked (`token_type_hint`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenTypeHint {
    /// A refresh token.
    RefreshToken,
    /// An access token.
    AccessToken,
}

/// A user-info request: whose access token, and optionally which user it must be.
///
/// ```no_run
/// # async fn demo(client: auth0_auth::AuthClient, tokens: auth0_auth::TokenResponse) -> auth0_auth::Result<()> {
/// use auth0_auth::{UserId, UserInfoRequest};
///
/// let user = client
///     .get_user_info(
///         UserInfoRequest::new(tokens.access_token.clone())
///             .expected_subject(UserId::new("auth0|123")),
///     )
///     .await?;
/// println!("{:?}", user.email());
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct UserInfoRequest {
    access_token: SecretString,
    expected_subject: Option<UserId>,
}

impl UserInfoRequest {
    /// The claims of the user `access_token` was issued to.
    pub fn new(access_token: SecretString) -> Self {
        Self {
            access_token,
            expected_subject: None,
        }
    }

    /// The answer's `sub` must be this user, or the call fails with a `TokenValidation` error.
    pub fn expected_subject(mut self, subject: UserId) -> Self {
        self.expected_subject = Some(subject);
        self
    }
}

/// A token revocation (RFC 7009).
///
/// ```no_run
/// # async fn demo(client: auth0_auth::AuthClient, tokens: auth0_auth::TokenResponse) -> auth0_auth::Result<()> {
/// use auth0_auth::{RevokeTokenRequest, TokenTypeHint};
///
/// if let Some(refresh_token) = &tokens.refresh_token {
///     client
///         .revoke_token(
///             RevokeTokenRequest::new(refresh_token.clone())
///                 .token_type_hint(TokenTypeHint::RefreshToken),
///         )
///         .await?;
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct RevokeTokenRequest {
    token: SecretString,
    token_type_hint: Option<TokenTypeHint>,
}

impl RevokeTokenRequest {
    /// Revokes `token` (a refresh token, or an access token where the server allows it).
    pub fn new(token: SecretString) -> Self {
        Self {
            token,
            token_type_hint: None,
        }
    }

    /// Tells the server which kind of token it is (`token_type_hint`).
    pub fn token_type_hint(mut self, hint: TokenTypeHint) -> Self {
        self.token_type_hint = Some(hint);
        self
    }
}

impl AuthClient {
    /// The user's claims from the user-info endpoint, with `Authorization: Bearer
    /// <access_token>` (or `DPoP` with a proof when the client has a DPoP key). Works for
    /// public clients (no client authentication). See [`UserInfoRequest`].
    pub async fn get_user_info(&self, request: UserInfoRequest) -> Result<Claims> {
        let code = ErrorCode::UserInfo;
        let access_token = request.access_token.expose_secret();
        let expected_subject = request.expected_subject.as_ref().map(UserId::as_str);
        required(access_token, "the access token", code)?;
        let metadata = self.metadata(code).await?;
        let url = metadata.endpoint(
            "userinfo_endpoint",
            metadata.userinfo_endpoint.as_ref(),
            code,
        )?;
        // With a DPoP key the token is presented as DPoP-bound, with a proof.
        let scheme = if self.inner.dpop.is_some() {
            "DPoP"
        } else {
            "Bearer"
        };
        let request = Request::new(Method::GET, url, code, "the user-info endpoint")
            .header("authorization", &format!("{scheme} {access_token}"))?;
        let response = self.send_dpop(request, Some(access_token)).await?;
        if !response.status.is_success() {
            return Err(userinfo_error(response));
        }
        let claims: Claims = response.json()?;
        match (claims.sub(), expected_subject) {
            (None, _) => Err(Error::new(
                code,
                ErrorKind::InvalidResponse,
                "the user-info answer has no \"sub\" claim",
            )),
            (Some(sub), Some(expected)) if sub != expected => Err(Error::new(
                code,
                ErrorKind::TokenValidation,
                format!("the user-info subject {sub:?} is not the expected {expected:?}"),
            )),
            _ => Ok(claims),
        }
    }

    /// Revokes a refresh token (or access token) at the revocation endpoint (RFC 7009), with
    /// client authentication. See [`RevokeTokenRequest`].
    ///
    /// The endpoint is the discovery document's `revocation_endpoint`. An Auth0 tenant whose
    /// document lacks it is sent to `/oauth/revoke`; any other provider without one answers
    /// `NotSupported` (see [`ServerMetadata::is_auth0`](crate::ServerMetadata::is_auth0)).
    pub async fn revoke_token(&self, request: RevokeTokenRequest) -> Result<()> {
        let code = ErrorCode::TokenRevocation;
        let token = request.token.expose_secret();
        let hint = request.token_type_hint;
        required(token, "the token", code)?;
        let metadata = self.metadata(code).await?;
        let url = metadata.endpoint_or_auth0_path(
            "revocation_endpoint",
            metadata.revocation_endpoint.as_ref(),
            &self.inner.base,
            "oauth/revoke",
            code,
        )?;
        let auth = self
            .inner
            .auth
            .form(&self.inner.client_id, &metadata.issuer)
            .map_err(|e| e.in_operation(code))?;
        let mut pairs: Vec<(&str, &str)> = vec![("token", token)];
        if let Some(hint) = hint {
            pairs.push((
                "token_type_hint",
                match hint {
                    TokenTypeHint::RefreshToken => "refresh_token",
                    TokenTypeHint::AccessToken => "access_token",
                },
            ));
        }
        pairs.extend(auth.fields.pairs());
        let request = Request::new(Method::POST, url, code, "the revocation endpoint")
            .form(&pairs)
            .authorization(auth.header);
        self.send(request).await?.success().map(|_| ())
    }
}

/// A failed user-info answer: the OAuth error from the body, or else from the
/// `WWW-Authenticate` header (`Bearer error="invalid_token", error_description="…"`).
fn userinfo_error(response: crate::http::Response) -> Error {
    let challenge = response
        .headers
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .and_then(parse_bearer_challenge);
    let details = response.details();
    let error = response.into_error();
    match challenge {
        Some(oauth) if error.oauth().is_none() => {
            // Server text, escaped so it cannot forge lines or terminal control sequences.
            let mut message = format!("{}: {}", error.message(), oauth.error.escape_debug());
            if let Some(d) = &oauth.error_description {
                message.push_str(": ");
                message.push_str(&d.escape_debug().to_string());
            }
            Error::new(error.code(), ErrorKind::OAuth, message)
                .with_http(details)
                .with_oauth(oauth)
        }
        _ => error,
    }
}

/// Reads `error` and `error_description` from a `WWW-Authenticate: Bearer …` (or `DPoP …`)
/// challenge.
pub(crate) fn parse_bearer_challenge(header: &str) -> Option<crate::error::OAuthError> {
    let header = header.trim();
    let rest = header
        .strip_prefix("Bearer")
        .or_else(|| header.strip_prefix("DPoP"))?
        .trim();
    let mut error = None;
    let mut description = None;
    let mut remaining = rest;
    while !remaining.is_empty() {
        let (name, after) = remaining.split_once('=')?;
        let name = name.trim().trim_start_matches(',').trim();
        let after = after.trim_start();
        let (value, tail) = if let Some(quoted) = after.strip_prefix('"') {
            let end = quoted.find('"')?;
            (&quoted[..end], &quoted[end + 1..])
        } else {
            match after.find(',') {
                Some(i) => (&after[..i], &after[i..]),
                None => (after, ""),
            }
        };
        match name {
            "error" => error = Some(value.to_string()),
            "error_description" => description = Some(value.to_string()),
            _ => {}
        }
        remaining = tail.trim_start().trim_start_matches(',').trim_start();
    }
    Some(crate::error::OAuthError {
        error: error?,
        error_description: description,
        mfa_token: None,
        mfa_requirements: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_challenges_are_read() {
        let o = parse_bearer_challenge(
            r#"Bearer realm="t", error="invalid_token", error_description="The access token expired""#,
        )
        .unwrap();
        assert_eq!(o.error, "invalid_token");
        assert_eq!(
            o.error_description.as_deref(),
            Some("The access token expired")
        );
        assert_eq!(
            parse_bearer_challenge("Bearer error=insufficient_scope")
                .unwrap()
                .error,
            "insufficient_scope"
        );
        assert!(parse_bearer_challenge(r#"Bearer realm="t""#).is_none());
        assert!(parse_bearer_challenge("Basic realm=x").is_none());
    }
}
