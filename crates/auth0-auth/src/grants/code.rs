//! The authorization-code grant: the browser came back to the callback with a `code`. Also the
//! magic-link variant (no PKCE).
//!
//! The callback is read strictly: a repeated `code`, `state`, `iss` or `error` is refused
//! (RFC 6749 section 3.1), `iss` must be the tenant's issuer and must be present when the
//! tenant advertises `authorization_response_iss_parameter_supported` (RFC 9207 section 2.4),
//! and a `state` must be exactly the one expected, and absent when none is.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use url::Url;
use url::form_urlencoded;

use crate::client::AuthClient;
use crate::error::{Error, ErrorCode, ErrorKind, OAuthError, Result};
use crate::id_token::{IdTokenExpectations, check_organization_input};
use crate::token::{TokenRequest, TokenResponse};
use crate::transaction::LoginTransaction;

/// Which `redirect_uri` goes with the code.
#[derive(Clone, Debug)]
enum RedirectUri {
    /// The callback URL without its query and fragment (nothing for a path-and-query callback).
    FromCallback,
    /// Exactly this (nothing when `None`): the transaction's, or one the caller gave.
    Given(Option<String>),
}

/// What [`AuthClient::get_token_by_code`] exchanges: the callback, and what the login expects.
///
/// The callback is the URL the browser came back to, either absolute
/// (`https://app.example.com/callback?code=…&state=…`) or as the path and query an HTTP
/// framework hands the application (`/callback?code=…&state=…`, or `?code=…&state=…`).
///
/// [`from_transaction`](Self::from_transaction) is the way to use it: every check comes from
/// the [`LoginTransaction`] the URL was built with. [`new`](Self::new) takes the verifier alone
/// and checks only what the setters say, failing closed otherwise: a callback carrying a
/// `state` is refused unless [`expected_state`](Self::expected_state) is given, and an ID token
/// carrying a `nonce` is refused unless [`expected_nonce`](Self::expected_nonce) is given.
///
/// ```no_run
/// # async fn demo(client: auth0_auth::AuthClient, stored: String, callback: String) -> Result<(), Box<dyn std::error::Error>> {
/// use auth0_auth::{LoginTransaction, TokenByCodeRequest};
///
/// // `stored` is the JSON of `AuthorizationUrl::transaction`, kept in the session; `callback`
/// // is the request's path and query, for example "/callback?code=…&state=…".
/// let transaction: LoginTransaction = serde_json::from_str(&stored)?;
/// let tokens = client
///     .get_token_by_code(TokenByCodeRequest::from_transaction(callback, &transaction))
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct TokenByCodeRequest {
    callback: String,
    code_verifier: SecretString,
    state: Option<String>,
    nonce: Option<String>,
    max_age: Option<u64>,
    organization: Option<String>,
    redirect_uri: RedirectUri,
    dpop_jkt: Option<String>,
    resource: Option<String>,
    /// The audience the login asked for (from the transaction).
    login_audience: Option<String>,
}

impl fmt::Debug for TokenByCodeRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenByCodeRequest")
            .field("callback", &"[redacted]")
            .field("code_verifier", &self.code_verifier)
            .field("state", &self.state)
            .field("nonce", &self.nonce)
            .field("max_age", &self.max_age)
            .field("organization", &self.organization)
            .field("redirect_uri", &self.redirect_uri)
            .field("dpop_jkt", &self.dpop_jkt)
            .field("resource", &self.resource)
            .finish()
    }
}

impl TokenByCodeRequest {
    /// Completes the login `transaction` began: the callback's `state` must be the
    /// transaction's, the ID token's `nonce` must be its nonce (and absent when it has none),
    /// its `auth_time` within its `max_age`, its organization the transaction's; the
    /// transaction's `redirect_uri` is sent with the code (see
    /// [`redirect_uri`](Self::redirect_uri) to override it); and a code bound to a DPoP key
    /// is only redeemed by a client with that key.
    pub fn from_transaction(callback: impl Into<String>, transaction: &LoginTransaction) -> Self {
        Self {
            callback: callback.into(),
            code_verifier: transaction.code_verifier().clone(),
            state: Some(transaction.state().to_owned()),
            nonce: transaction.nonce().map(str::to_owned),
            max_age: transaction.max_age(),
            organization: transaction.organization().map(str::to_owned),
            redirect_uri: RedirectUri::Given(transaction.redirect_uri().map(str::to_owned)),
            dpop_jkt: transaction.dpop_jkt().map(str::to_owned),
            resource: None,
            login_audience: transaction.audience().map(str::to_owned),
        }
    }

    /// Exchanges with a PKCE verifier kept by other means, checking only what the setters
    /// give (see the type's documentation for what is refused without them). The
    /// `redirect_uri` sent is the callback URL without its query, unless
    /// [`redirect_uri`](Self::redirect_uri) says otherwise.
    pub fn new(callback: impl Into<String>, code_verifier: SecretString) -> Self {
        Self {
            callback: callback.into(),
            code_verifier,
            state: None,
            nonce: None,
            max_age: None,
            organization: None,
            redirect_uri: RedirectUri::FromCallback,
            dpop_jkt: None,
            resource: None,
            login_audience: None,
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

    /// The `redirect_uri` to send with the code, instead of the transaction's (or the
    /// callback's): for an application behind a proxy that rewrites its public URL.
    pub fn redirect_uri(mut self, uri: impl Into<String>) -> Self {
        self.redirect_uri = RedirectUri::Given(Some(uri.into()));
        self
    }

    /// The API (RFC 8707 `resource`) the access token is for, sent with the code: some
    /// providers pick the token's audience at the token endpoint, not at the authorization
    /// request. When not given and the client is built with
    /// [`AudienceParameter::Resource`](crate::AudienceParameter::Resource), the audience the
    /// login was started with (from the transaction) is sent; with Auth0's `audience`
    /// parameter nothing is sent unless set here.
    pub fn resource(mut self, resource: impl Into<String>) -> Self {
        self.resource = Some(resource.into());
        self
    }
}

/// What [`AuthClient::get_token_by_magic_link_code`] exchanges: the callback a passwordless
/// magic link came back to (absolute, or its path and query), and what it must carry.
///
/// As for [`TokenByCodeRequest::new`], a callback carrying a `state` is refused unless
/// [`expected_state`](Self::expected_state) is given, and an ID token carrying a `nonce` is
/// refused unless [`expected_nonce`](Self::expected_nonce) is given.
///
/// ```no_run
/// # async fn demo(client: auth0_auth::AuthClient, callback: String) -> auth0_auth::Result<()> {
/// use auth0_auth::MagicLinkCodeRequest;
///
/// let tokens = client
///     .get_token_by_magic_link_code(
///         MagicLinkCodeRequest::new(callback).expected_state("the state given to passwordless start"),
///     )
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct MagicLinkCodeRequest {
    callback: String,
    state: Option<String>,
    nonce: Option<String>,
    redirect_uri: RedirectUri,
}

impl fmt::Debug for MagicLinkCodeRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MagicLinkCodeRequest")
            .field("callback", &"[redacted]")
            .field("state", &self.state)
            .field("nonce", &self.nonce)
            .field("redirect_uri", &self.redirect_uri)
            .finish()
    }
}

impl MagicLinkCodeRequest {
    /// Exchanges the code this callback carries.
    pub fn new(callback: impl Into<String>) -> Self {
        Self {
            callback: callback.into(),
            state: None,
            nonce: None,
            redirect_uri: RedirectUri::FromCallback,
        }
    }

    /// The `state` given to passwordless start: the callback's must equal it.
    pub fn expected_state(mut self, state: impl Into<String>) -> Self {
        self.state = Some(state.into());
        self
    }

    /// The `nonce` given to passwordless start: the ID token's must equal it.
    pub fn expected_nonce(mut self, nonce: impl Into<String>) -> Self {
        self.nonce = Some(nonce.into());
        self
    }

    /// The `redirect_uri` to send with the code, instead of the callback URL without its
    /// query.
    pub fn redirect_uri(mut self, uri: impl Into<String>) -> Self {
        self.redirect_uri = RedirectUri::Given(Some(uri.into()));
        self
    }
}

/// What a callback carried.
#[derive(Debug, PartialEq)]
pub(crate) struct Callback {
    pub code: String,
    /// The callback URL without query and fragment; `None` for a path-and-query callback.
    pub redirect_uri: Option<String>,
}

/// What a callback is checked against.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CallbackRules<'a> {
    /// The state the callback must carry; `None`: it must carry none.
    pub expected_state: Option<&'a str>,
    /// The tenant's issuer: an `iss` must be exactly this.
    pub issuer: &'a str,
    /// Whether `iss` must be present (the tenant advertises it, RFC 9207 section 2.4).
    pub iss_required: bool,
}

/// The parameters whose repetition makes a callback ambiguous (RFC 6749 section 3.1).
const SINGLE: [&str; 4] = ["code", "state", "iss", "error"];

/// A callback value shown in a message only when it is short and made of the characters
/// RFC 6749 allows in `error` and `error_description` (printable ASCII without `"` and `\`), so
/// that no server text can forge a log line.
fn shown(value: &str, max: usize) -> Option<&str> {
    (value.len() <= max
        && value
            .bytes()
            .all(|b| matches!(b, 0x20..=0x21 | 0x23..=0x5B | 0x5D..=0x7E)))
    .then_some(value)
}

/// Reads a callback (an absolute URL, a path with its query, or the query alone starting with
/// `?`) and checks it against `rules`:
/// no repeated `code`, `state`, `iss` or `error`; `iss`, then `state`; then surfaces an
/// `error`; then returns the code and, for an absolute URL, the redirect URI (the URL without
/// query and fragment).
pub(crate) fn read_callback(
    callback: &str,
    rules: &CallbackRules<'_>,
    code: ErrorCode,
) -> Result<Callback> {
    let callback = callback.trim();
    let relative =
        (callback.starts_with('/') && !callback.starts_with("//")) || callback.starts_with('?');
    let (query, redirect_uri) = if relative {
        let before_fragment = callback.split('#').next().unwrap_or_default();
        let query = before_fragment
            .split_once('?')
            .map(|(_, q)| q.to_owned())
            .unwrap_or_default();
        (query, None)
    } else {
        let url = Url::parse(callback).map_err(|_| {
            Error::invalid_input(
                code,
                "the callback is neither an absolute URL nor a path with its query",
            )
        })?;
        let query = url.query().unwrap_or_default().to_owned();
        let mut redirect = url;
        redirect.set_query(None);
        redirect.set_fragment(None);
        (query, Some(redirect.to_string()))
    };
    let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    for name in SINGLE {
        if pairs.iter().filter(|(k, _)| k == name).count() > 1 {
            return Err(Error::invalid_input(
                code,
                format!("the callback carries {name} more than once"),
            ));
        }
    }
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    match get("iss") {
        Some(iss) if iss != rules.issuer => {
            return Err(Error::invalid_input(
                code,
                format!(
                    "the callback's iss is not the tenant's issuer {:?}",
                    rules.issuer
                ),
            ));
        }
        None if rules.iss_required => {
            return Err(Error::invalid_input(
                code,
                "the callback has no iss, but the tenant says it sends one (RFC 9207)",
            ));
        }
        _ => {}
    }
    match (rules.expected_state, get("state")) {
        (Some(_), None) => {
            return Err(Error::invalid_input(
                code,
                "the callback has no state, but one was expected",
            ));
        }
        (Some(expected), Some(state)) if state != expected => {
            return Err(Error::invalid_input(
                code,
                "the callback's state does not match the expected state",
            ));
        }
        (None, Some(_)) => {
            return Err(Error::invalid_input(
                code,
                "the callback carries a state, but none was expected: complete the login \
                 from its transaction, or give the expected state",
            ));
        }
        _ => {}
    }
    if let Some(error) = get("error") {
        let description = get("error_description");
        let mut message = format!(
            "the authorization server answered the callback with {}",
            shown(error, 64).unwrap_or("an error")
        );
        if let Some(d) = description.and_then(|d| shown(d, 256)) {
            message.push_str(": ");
            message.push_str(d);
        }
        return Err(
            Error::new(code, ErrorKind::OAuth, message).with_oauth(OAuthError {
                error: error.to_owned(),
                error_description: description.map(str::to_owned),
                mfa_token: None,
                mfa_requirements: None,
            }),
        );
    }
    let auth_code = get("code")
        .filter(|c| !c.is_empty())
        .ok_or_else(|| Error::invalid_input(code, "the callback has no code"))?;
    Ok(Callback {
        code: auth_code.to_owned(),
        redirect_uri,
    })
}

/// Refuses an ID token that carries a nonce when none was sent: it was issued for another
/// authorization request.
fn refuse_unexpected_nonce(
    tokens: &TokenResponse,
    expected: Option<&str>,
    code: ErrorCode,
) -> Result<()> {
    if expected.is_none()
        && tokens
            .claims
            .as_ref()
            .is_some_and(|c| c.get("nonce").is_some())
    {
        return Err(Error::new(
            code,
            ErrorKind::TokenValidation,
            "ID token rejected: it carries a nonce, but none was sent",
        ));
    }
    Ok(())
}

impl AuthClient {
    /// Exchanges the `code` of a login callback for tokens, after checking the callback (see
    /// [`TokenByCodeRequest`]), and validates the ID token fully (signature, issuer, audience,
    /// expiry, nonce, `max_age`, organization).
    ///
    /// ```no_run
    /// # async fn demo(client: auth0_auth::AuthClient, login: auth0_auth::AuthorizationUrl) -> auth0_auth::Result<()> {
    /// use auth0_auth::TokenByCodeRequest;
    ///
    /// let tokens = client
    ///     .get_token_by_code(TokenByCodeRequest::from_transaction(
    ///         "/callback?code=SplxlOBeZQQYbYS6WxSbIA&state=…",
    ///         &login.transaction,
    ///     ))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn get_token_by_code(&self, request: TokenByCodeRequest) -> Result<TokenResponse> {
        let code = ErrorCode::TokenByCode;
        check_organization_input(request.organization.as_deref(), code)?;
        let verifier = request.code_verifier.expose_secret();
        super::required(verifier, "the code verifier", code)?;
        if let Some(resource) = &request.resource {
            super::required(resource, "the resource", code)?;
        }
        if let Some(jkt) = &request.dpop_jkt {
            let client_jkt = self.inner.dpop.as_ref().map(|d| d.key.thumbprint());
            if client_jkt != Some(jkt.as_str()) {
                return Err(Error::new(
                    code,
                    ErrorKind::Configuration,
                    "the authorization code is bound to a DPoP key this client does not have",
                ));
            }
        }
        let metadata = self.metadata(code).await?;
        let rules = CallbackRules {
            expected_state: request.state.as_deref(),
            issuer: &metadata.issuer,
            iss_required: metadata.authorization_response_iss_parameter_supported == Some(true),
        };
        let callback = read_callback(&request.callback, &rules, code)?;
        let redirect_uri = match request.redirect_uri {
            RedirectUri::FromCallback => callback.redirect_uri,
            RedirectUri::Given(uri) => uri,
        };
        let mut grant = TokenRequest::new(code, "authorization_code").param("code", callback.code);
        if let Some(uri) = redirect_uri {
            grant = grant.param("redirect_uri", uri);
        }
        let mut grant = grant.param("code_verifier", verifier);
        let resource = request.resource.or(match self.inner.audience_parameter {
            crate::client::AudienceParameter::Resource => request.login_audience,
            crate::client::AudienceParameter::Audience => None,
        });
        if let Some(resource) = resource.filter(|r| !r.trim().is_empty()) {
            grant = grant.param("resource", resource);
        }
        let expected_nonce = request.nonce;
        grant.expect = IdTokenExpectations {
            nonce: expected_nonce.clone(),
            max_age: request.max_age,
            organization: request.organization,
        };
        let tokens = self.request_token(grant).await?;
        refuse_unexpected_nonce(&tokens, expected_nonce.as_deref(), code)?;
        Ok(tokens)
    }

    /// Exchanges the code of a passwordless magic link (no PKCE), after checking the callback
    /// as [`get_token_by_code`](Self::get_token_by_code) does.
    ///
    /// ```no_run
    /// # async fn demo(client: auth0_auth::AuthClient) -> auth0_auth::Result<()> {
    /// use auth0_auth::MagicLinkCodeRequest;
    ///
    /// let tokens = client
    ///     .get_token_by_magic_link_code(MagicLinkCodeRequest::new(
    ///         "http://localhost:3000/callback?code=abc",
    ///     ))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn get_token_by_magic_link_code(
        &self,
        request: MagicLinkCodeRequest,
    ) -> Result<TokenResponse> {
        let code = ErrorCode::TokenByCode;
        let metadata = self.metadata(code).await?;
        let rules = CallbackRules {
            expected_state: request.state.as_deref(),
            issuer: &metadata.issuer,
            iss_required: metadata.authorization_response_iss_parameter_supported == Some(true),
        };
        let callback = read_callback(&request.callback, &rules, code)?;
        let redirect_uri = match request.redirect_uri {
            RedirectUri::FromCallback => callback.redirect_uri,
            RedirectUri::Given(uri) => uri,
        };
        let mut grant = TokenRequest::new(code, "authorization_code").param("code", callback.code);
        if let Some(uri) = redirect_uri {
            grant = grant.param("redirect_uri", uri);
        }
        grant.expect = IdTokenExpectations {
            nonce: request.nonce.clone(),
            ..Default::default()
        };
        let tokens = self.request_token(grant).await?;
        refuse_unexpected_nonce(&tokens, request.nonce.as_deref(), code)?;
        Ok(tokens)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISS: &str = "https://t.auth0.com/";
    const ISS_Q: &str = "https%3A%2F%2Ft.auth0.com%2F";
    const C: ErrorCode = ErrorCode::TokenByCode;

    fn rules(state: Option<&'static str>) -> CallbackRules<'static> {
        CallbackRules {
            expected_state: state,
            issuer: ISS,
            iss_required: false,
        }
    }

    fn read(callback: &str, state: Option<&'static str>) -> Result<Callback> {
        read_callback(callback, &rules(state), C)
    }

    #[test]
    fn the_redirect_uri_is_the_callback_without_query_and_fragment() {
        let cb = read(
            "https://app.example.com/cb?code=abc&state=s#frag",
            Some("s"),
        )
        .unwrap();
        assert_eq!(cb.code, "abc");
        assert_eq!(
            cb.redirect_uri.as_deref(),
            Some("https://app.example.com/cb")
        );
    }

    #[test]
    fn a_path_with_its_query_is_a_callback_without_a_redirect_uri() {
        let cb = read("/cb?code=abc&state=s#frag", Some("s")).unwrap();
        assert_eq!(cb.code, "abc");
        assert_eq!(cb.redirect_uri, None);
        assert_eq!(read("?code=abc&state=s", Some("s")).unwrap().code, "abc");
        assert!(read("/cb?state=s", Some("s")).is_err());
        assert!(read("//evil.example/cb?code=a", None).is_err());
        assert!(read("cb?code=a", None).is_err());
    }

    #[test]
    fn an_error_in_the_callback_is_surfaced() {
        let e = read(
            "https://app/cb?error=access_denied&error_description=User+said+no",
            None,
        )
        .unwrap_err();
        assert_eq!(e.oauth().unwrap().error, "access_denied");
        assert!(e.message().contains("User said no"));
        assert_eq!(e.code(), C);
    }

    #[test]
    fn callback_text_cannot_forge_log_lines() {
        let e = read(
            "https://app/cb?error=bad%0Aforged&error_description=x%0D%0AERROR+admin+logged+in",
            None,
        )
        .unwrap_err();
        assert!(
            !e.message().contains('\n') && !e.message().contains('\r'),
            "{e}"
        );
        assert!(
            !e.message().contains("forged") && !e.message().contains("admin"),
            "{e}"
        );
        assert_eq!(e.oauth().unwrap().error, "bad\nforged");
        let long = "a".repeat(300);
        let e = read(
            &format!("https://app/cb?error=x&error_description={long}"),
            None,
        )
        .unwrap_err();
        assert!(!e.message().contains(&long), "{e}");
        let e = read("https://app/cb?code=a&iss=https%3A%2F%2Fevil%0Aline", None).unwrap_err();
        assert!(!e.message().contains("evil"), "{e}");
    }

    #[test]
    fn state_must_match_and_is_refused_when_not_expected() {
        assert!(read("https://app/cb?code=a&state=x", Some("y")).is_err());
        assert!(read("https://app/cb?code=a", Some("y")).is_err());
        assert!(read("https://app/cb?code=a&state=y", Some("y")).is_ok());
        let e = read("https://app/cb?code=a&state=x", None).unwrap_err();
        assert!(e.message().contains("none was expected"), "{e}");
        assert!(read("https://app/cb?code=a", None).is_ok());
    }

    #[test]
    fn iss_must_be_the_issuer_and_present_when_advertised() {
        let ok = format!("https://app/cb?code=a&iss={ISS_Q}");
        assert!(read(&ok, None).is_ok());
        let bad = "https://app/cb?code=a&iss=https%3A%2F%2Fevil%2F";
        assert!(read(bad, None).unwrap_err().message().contains("iss"));
        let strict = CallbackRules {
            iss_required: true,
            ..rules(None)
        };
        assert!(read_callback(&ok, &strict, C).is_ok());
        let e = read_callback("https://app/cb?code=a", &strict, C).unwrap_err();
        assert!(e.message().contains("no iss"), "{e}");
        // An error answer is checked for iss too.
        let e = read_callback("https://app/cb?error=access_denied", &strict, C).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
    }

    #[test]
    fn repeated_parameters_are_refused() {
        for cb in [
            "https://app/cb?code=a&code=b".to_string(),
            "https://app/cb?code=a&state=s&state=s".to_string(),
            format!("https://app/cb?code=a&iss={ISS_Q}&iss={ISS_Q}"),
            "https://app/cb?error=x&error=y".to_string(),
            "/cb?code=a&code=a".to_string(),
        ] {
            let e = read(&cb, Some("s")).unwrap_err();
            assert!(e.message().contains("more than once"), "{cb}: {e}");
        }
        // Other parameters may repeat.
        assert!(read("https://app/cb?code=a&x=1&x=2", None).is_ok());
    }

    #[test]
    fn missing_code_and_garbage_are_refused() {
        assert!(read("https://app/cb?state=x", Some("x")).is_err());
        assert!(read("https://app/cb?code=", None).is_err());
        assert!(read("not a url", None).is_err());
        assert!(read("", None).is_err());
    }

    #[test]
    fn debug_hides_the_callback_and_the_verifier() {
        let r = TokenByCodeRequest::new("/cb?code=the-code", SecretString::from("the-verifier"));
        let text = format!("{r:?}");
        assert!(
            !text.contains("the-code") && !text.contains("the-verifier"),
            "{text}"
        );
        let text = format!("{:?}", MagicLinkCodeRequest::new("/cb?code=the-code"));
        assert!(!text.contains("the-code"), "{text}");
    }
}
