//! The authorization-code grant: the browser came back to the callback URL with a `code`.
//! Also the magic-link variant (no PKCE).

use secrecy::{ExposeSecret, SecretString};
use url::Url;

use crate::client::AuthClient;
use crate::error::{Error, ErrorCode, ErrorKind, OAuthError, Result};
use crate::id_token::{IdTokenExpectations, check_organization_input};
use crate::token::{TokenRequest, TokenResponse};

/// Options of [`AuthClient::get_token_by_code`].
///
/// ```no_run
/// # async fn demo(client: auth0_auth::AuthClient, verifier: String) -> auth0_auth::Result<()> {
/// use auth0_auth::TokenByCodeRequest;
///
/// let tokens = client
///     .get_token_by_code(
///         "http://localhost:3000/callback?code=abc&state=xyz",
///         TokenByCodeRequest::new(verifier).expected_state("xyz").expected_nonce("n-0S6_WzA2Mj"),
///     )
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct TokenByCodeRequest {
    code_verifier: SecretString,
    state: Option<String>,
    nonce: Option<String>,
    max_age: Option<u64>,
    organization: Option<String>,
}

impl TokenByCodeRequest {
    /// Exchanges with the PKCE verifier returned by
    /// [`build_authorization_url`](AuthClient::build_authorization_url).
    pub fn new(code_verifier: impl Into<String>) -> Self {
        Self {
            code_verifier: SecretString::from(code_verifier.into()),
            state: None,
            nonce: None,
            max_age: None,
            organization: None,
        }
    }

    /// The `state` that was sent: the callback's must equal it.
    pub fn expected_state(mut self, state: impl Into<String>) -> Self {
        self.state = Some(state.into());
        self
    }

    /// The `nonce` that was sent: the ID token's must equal it.
    pub fn expected_nonce(mut self, nonce: impl Into<String>) -> Self {
        self.nonce = Some(nonce.into());
        self
    }

    /// The `max_age` that was sent: the ID token's `auth_time` must be within it.
    pub fn max_age(mut self, seconds: u64) -> Self {
        self.max_age = Some(seconds);
        self
    }

    /// The organization (id `org_…` or name) the user must have logged in to.
    pub fn organization(mut self, organization: impl Into<String>) -> Self {
        self.organization = Some(organization.into());
        self
    }
}

/// What a callback URL carried.
#[derive(Debug, PartialEq)]
pub(crate) struct Callback {
    pub code: String,
    pub redirect_uri: String,
}

/// Reads a callback URL: surfaces its `error`, checks `state` (when expected) and `iss`
/// (when present), and returns the code and the redirect URI (the URL without query and
/// fragment).
pub(crate) fn read_callback(
    callback_url: &str,
    expected_state: Option<&str>,
    issuer: &str,
    code: ErrorCode,
) -> Result<Callback> {
    let url = Url::parse(callback_url.trim())
        .map_err(|_| Error::invalid_input(code, "the callback URL is not an absolute URL"))?;
    let get = |name: &str| {
        url.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    if let Some(error) = get("error") {
        let description = get("error_description");
        let mut message = format!("the authorization server answered the callback with {error}");
        if let Some(d) = &description {
            message.push_str(": ");
            message.push_str(d);
        }
        return Err(
            Error::new(code, ErrorKind::OAuth, message).with_oauth(OAuthError {
                error,
                error_description: description,
                mfa_token: None,
                mfa_requirements: None,
            }),
        );
    }
    if let Some(expected) = expected_state {
        match get("state") {
            None => {
                return Err(Error::invalid_input(
                    code,
                    "the callback URL has no state, but one was expected",
                ));
            }
            Some(s) if s != expected => {
                return Err(Error::invalid_input(
                    code,
                    "the callback URL's state does not match the expected state",
                ));
            }
            Some(_) => {}
        }
    }
    if let Some(iss) = get("iss")
        && iss != issuer
    {
        return Err(Error::invalid_input(
            code,
            format!("the callback URL's iss {iss:?} is not the tenant's issuer {issuer:?}"),
        ));
    }
    let auth_code = get("code")
        .filter(|c| !c.is_empty())
        .ok_or_else(|| Error::invalid_input(code, "the callback URL has no code"))?;
    let mut redirect = url.clone();
    redirect.set_query(None);
    redirect.set_fragment(None);
    Ok(Callback {
        code: auth_code,
        redirect_uri: redirect.to_string(),
    })
}

impl AuthClient {
    /// Exchanges the `code` of a login callback for tokens, validating the ID token fully
    /// (signature, issuer, audience, expiry, nonce and `max_age` when given, organization).
    ///
    /// `callback_url` is the full URL the browser came back to, query included.
    pub async fn get_token_by_code(
        &self,
        callback_url: &str,
        request: TokenByCodeRequest,
    ) -> Result<TokenResponse> {
        let code = ErrorCode::TokenByCode;
        check_organization_input(request.organization.as_deref(), code)?;
        let verifier = request.code_verifier.expose_secret();
        super::required(verifier, "the code verifier", code)?;
        let metadata = self.metadata(code).await?;
        let callback = read_callback(
            callback_url,
            request.state.as_deref(),
            &metadata.issuer,
            code,
        )?;
        let mut grant = TokenRequest::new(code, "authorization_code")
            .param("code", callback.code)
            .param("redirect_uri", callback.redirect_uri)
            .param("code_verifier", verifier);
        grant.expect = IdTokenExpectations {
            nonce: request.nonce,
            max_age: request.max_age,
            organization: request.organization,
        };
        self.request_token(grant).await
    }

    /// Exchanges the code of a passwordless magic link (no PKCE). When `expected_state` is
    /// given, the callback's `state` must equal it.
    pub async fn get_token_by_magic_link_code(
        &self,
        callback_url: &str,
        expected_state: Option<&str>,
    ) -> Result<TokenResponse> {
        let code = ErrorCode::TokenByCode;
        let metadata = self.metadata(code).await?;
        let callback = read_callback(callback_url, expected_state, &metadata.issuer, code)?;
        self.request_token(
            TokenRequest::new(code, "authorization_code")
                .param("code", callback.code)
                .param("redirect_uri", callback.redirect_uri),
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISS: &str = "https://t.auth0.com/";
    const C: ErrorCode = ErrorCode::TokenByCode;

    #[test]
    fn the_redirect_uri_is_the_callback_without_query_and_fragment() {
        let cb = read_callback(
            "https://app.example.com/cb?code=abc&state=s#frag",
            Some("s"),
            ISS,
            C,
        )
        .unwrap();
        assert_eq!(cb.code, "abc");
        assert_eq!(cb.redirect_uri, "https://app.example.com/cb");
    }

    #[test]
    fn an_error_in_the_callback_is_surfaced() {
        let e = read_callback(
            "https://app/cb?error=access_denied&error_description=User+said+no",
            None,
            ISS,
            C,
        )
        .unwrap_err();
        assert_eq!(e.oauth().unwrap().error, "access_denied");
        assert!(e.message().contains("User said no"));
        assert_eq!(e.code(), C);
    }

    #[test]
    fn state_is_checked_only_when_expected() {
        assert!(read_callback("https://app/cb?code=a&state=x", Some("y"), ISS, C).is_err());
        assert!(read_callback("https://app/cb?code=a", Some("y"), ISS, C).is_err());
        assert!(read_callback("https://app/cb?code=a&state=x", None, ISS, C).is_ok());
    }

    #[test]
    fn iss_is_checked_when_present() {
        let ok = format!(
            "https://app/cb?code=a&iss={}",
            "https%3A%2F%2Ft.auth0.com%2F"
        );
        assert!(read_callback(&ok, None, ISS, C).is_ok());
        let bad = "https://app/cb?code=a&iss=https%3A%2F%2Fevil%2F";
        assert!(
            read_callback(bad, None, ISS, C)
                .unwrap_err()
                .message()
                .contains("iss")
        );
    }

    #[test]
    fn missing_code_and_relative_urls_are_refused() {
        assert!(read_callback("https://app/cb?state=x", None, ISS, C).is_err());
        assert!(read_callback("/cb?code=x", None, ISS, C).is_err());
        assert!(read_callback("https://app/cb?code=", None, ISS, C).is_err());
    }
}
