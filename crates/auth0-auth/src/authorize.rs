//! Authorization URLs (browser login) with PKCE, pushed authorization requests (PAR), rich
//! authorization requests, and the account link / unlink URLs.

use std::fmt;

use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use url::Url;

use crate::client::AuthClient;
use crate::client_auth::now_secs;
use crate::error::{Error, ErrorCode, ErrorKind, Result};
use crate::http::Request;
use crate::id_token::check_organization_input;
use crate::pkce;
use crate::transaction::{self, LoginTransaction, TransactionFields};
use crate::values::Connection;

/// The scope of an authorization request when none is given.
pub const DEFAULT_SCOPE: &str = "openid profile email offline_access";

/// Parameters of an authorization request (`scope`, `audience`, `redirect_uri`, `state`, …).
///
/// Values are kept in the order they were set; setting a key again replaces its value, and
/// [`unset`](Self::unset) removes a value a default would otherwise supply.
///
/// Auth0's documented parameters have setters of their own; [`set`](Self::set) sends any
/// other.
///
/// ```
/// use auth0_auth::{AuthorizationParams, Connection, Prompt};
///
/// let params = AuthorizationParams::new()
///     .redirect_uri("http://localhost:3000/callback")
///     .audience("https://api.example.com/")
///     .screen_hint("signup")
///     .prompt(Prompt::Login)
///     .connection(&Connection::new("google-oauth2"))
///     .set("ext-campaign", "spring");
/// assert_eq!(params.get("screen_hint"), Some("signup"));
/// assert_eq!(params.get("prompt"), Some("login"));
/// assert_eq!(params.get("connection"), Some("google-oauth2"));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthorizationParams {
    entries: Vec<(String, Option<String>)>,
}

impl AuthorizationParams {
    /// No parameters.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets any parameter.
    pub fn set(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.put(key.into(), Some(value.into()));
        self
    }

    /// Removes a parameter, including one a default would supply.
    pub fn unset(mut self, key: impl Into<String>) -> Self {
        self.put(key.into(), None);
        self
    }

    fn put(&mut self, key: String, value: Option<String>) {
        match self.entries.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.entries.push((key, value)),
        }
    }

    /// The value of a parameter, if set.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(k, _)| k == key)
            .and_then(|(_, v)| v.as_deref())
    }

    /// The set parameters, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries
            .iter()
            .filter_map(|(k, v)| v.as_deref().map(|v| (k.as_str(), v)))
    }

    /// `self` laid over `base`: later values win, unset values are dropped.
    /// The layers' entries merged as [`over`](Self::over) merges them (first position kept,
    /// later value wins, unset values dropped at the end), borrowing every key and value: an
    /// authorization URL is written straight from this, with no copy of any parameter.
    fn merged<'a>(
        layers: &[&'a AuthorizationParams],
        last: &[(&'a str, &'a str)],
    ) -> Vec<(&'a str, &'a str)> {
        let mut merged: Vec<(&'a str, Option<&'a str>)> = Vec::with_capacity(16);
        let mut put = |k: &'a str, v: Option<&'a str>| match merged.iter_mut().find(|e| e.0 == k) {
            Some(slot) => slot.1 = v,
            None => merged.push((k, v)),
        };
        for layer in layers {
            for (k, v) in &layer.entries {
                put(k, v.as_deref());
            }
        }
        for &(k, v) in last {
            put(k, Some(v));
        }
        merged
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k, v)))
            .collect()
    }

    pub(crate) fn over(&self, base: &AuthorizationParams) -> AuthorizationParams {
        let mut merged = base.clone();
        for (k, v) in &self.entries {
            merged.put(k.clone(), v.clone());
        }
        merged
    }

    /// `scope`.
    pub fn scope(self, scope: impl Into<String>) -> Self {
        self.set("scope", scope)
    }

    /// `audience`: the API the access token is for.
    pub fn audience(self, audience: impl Into<String>) -> Self {
        self.set("audience", audience)
    }

    /// `redirect_uri`: where the browser comes back to.
    pub fn redirect_uri(self, uri: impl Into<String>) -> Self {
        self.set("redirect_uri", uri)
    }

    /// `state`: the value the callback must bring back. Without one (or with an empty one), a
    /// fresh random state is generated; either way it is kept in the [`LoginTransaction`].
    pub fn state(self, state: impl Into<String>) -> Self {
        self.set("state", state)
    }

    /// `nonce`, echoed in the ID token. Without one (or with an empty one), a fresh random
    /// nonce is generated whenever the scope contains `openid`.
    pub fn nonce(self, nonce: impl Into<String>) -> Self {
        self.set("nonce", nonce)
    }

    /// `organization`: an organization id (`org_…`) or name.
    pub fn organization(self, organization: impl Into<String>) -> Self {
        self.set("organization", organization)
    }

    /// `invitation`: an organization invitation ticket.
    pub fn invitation(self, invitation: impl Into<String>) -> Self {
        self.set("invitation", invitation)
    }

    /// `max_age` in seconds: the ID token's `auth_time` is then checked against it.
    pub fn max_age(self, seconds: u64) -> Self {
        self.set("max_age", seconds.to_string())
    }

    /// `authorization_details` (rich authorization requests), sent as a JSON string.
    pub fn authorization_details(self, details: &serde_json::Value) -> Self {
        self.set("authorization_details", details.to_string())
    }

    /// `prompt`: whether the user is asked to log in or consent again ([`Prompt`]). For several
    /// values at once, use [`set`](Self::set) with a space-separated list.
    pub fn prompt(self, prompt: Prompt) -> Self {
        self.set("prompt", prompt.as_str())
    }

    /// `screen_hint`: which Universal Login screen opens first, for example `signup`.
    pub fn screen_hint(self, screen: impl Into<String>) -> Self {
        self.set("screen_hint", screen)
    }

    /// `ui_locales`: the languages for the login pages, as space-separated BCP 47 tags in order
    /// of preference (for example `fr-CA fr en`).
    pub fn ui_locales(self, locales: impl Into<String>) -> Self {
        self.set("ui_locales", locales)
    }

    /// `connection`: sends the user straight to this connection (for example a social
    /// provider), skipping the login page.
    pub fn connection(self, connection: &Connection) -> Self {
        self.set("connection", connection.as_str())
    }

    /// `login_hint`: pre-fills the login page's identifier (an email address or user name).
    pub fn login_hint(self, hint: impl Into<String>) -> Self {
        self.set("login_hint", hint)
    }

    /// `acr_values`: the authentication context classes asked for, space-separated (for
    /// example `http://schemas.openid.net/pape/policies/2007/06/multi-factor`).
    pub fn acr_values(self, values: impl Into<String>) -> Self {
        self.set("acr_values", values)
    }

    /// `display`: how the login page is shown ([`DisplayMode`]).
    pub fn display(self, display: DisplayMode) -> Self {
        self.set("display", display.as_str())
    }
}

/// A `prompt` value (OpenID Connect Core 1.0 section 3.1.2.1, as Auth0 documents them).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Prompt {
    /// `none`: no page at all; an error comes back unless the user already has a session
    /// (silent authentication).
    None,
    /// `login`: the user logs in again even with a session.
    Login,
    /// `consent`: the user is asked for consent again.
    Consent,
    /// `select_account`: the user picks one of their accounts.
    SelectAccount,
}

impl Prompt {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Login => "login",
            Self::Consent => "consent",
            Self::SelectAccount => "select_account",
        }
    }
}

/// A `display` value (OpenID Connect Core 1.0 section 3.1.2.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DisplayMode {
    /// `page`: a full browser page (the default).
    Page,
    /// `popup`: a popup window.
    Popup,
    /// `touch`: a touch interface.
    Touch,
    /// `wap`: a feature phone.
    Wap,
}

impl DisplayMode {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Page => "page",
            Self::Popup => "popup",
            Self::Touch => "touch",
            Self::Wap => "wap",
        }
    }
}

/// Options of [`AuthClient::build_authorization_url`].
#[derive(Clone, Debug, Default)]
pub struct AuthorizationUrlRequest {
    params: AuthorizationParams,
    pushed: bool,
    bind_dpop_key: bool,
    request_object: bool,
}

impl AuthorizationUrlRequest {
    /// The configured defaults only.
    pub fn new() -> Self {
        Self::default()
    }

    /// Parameters for this request, laid over the configured ones.
    pub fn params(mut self, params: AuthorizationParams) -> Self {
        self.params = params;
        self
    }

    /// Sends the parameters with a pushed authorization request (PAR) first; the URL then
    /// carries only `client_id` and `request_uri`. Public clients may push too (RFC 9126
    /// section 2.1): they send `client_id` alone, as at the token endpoint.
    pub fn pushed(mut self, on: bool) -> Self {
        self.pushed = on;
        self
    }

    /// Sends the parameters as a signed request object (RFC 9101, JAR), signed with the
    /// client's private-key-JWT key
    /// ([`client_assertion_signing_key`](crate::AuthClientBuilder::client_assertion_signing_key);
    /// other clients fail with a configuration error). The object carries every parameter
    /// plus `iss` and `client_id` (the client), `aud` (the provider's issuer), `iat`, `nbf`,
    /// a 5-minute `exp` and a fresh `jti`, under the header `typ: oauth-authz-req+jwt`.
    ///
    /// By value, the URL carries `client_id`, `response_type`, `scope` (which OpenID Connect
    /// requires outside the object too) and `request`; with [`pushed`](Self::pushed) the
    /// pushed request carries the object instead and the URL only `client_id` and
    /// `request_uri`. The login transaction is the same either way.
    ///
    /// ```no_run
    /// # async fn demo(client: auth0_auth::AuthClient) -> auth0_auth::Result<()> {
    /// use auth0_auth::{AuthorizationParams, AuthorizationUrlRequest};
    ///
    /// let login = client
    ///     .build_authorization_url(
    ///         AuthorizationUrlRequest::new()
    ///             .params(AuthorizationParams::new().redirect_uri("http://localhost:3000/callback"))
    ///             .request_object(true),
    ///     )
    ///     .await?;
    /// assert!(login.url.query_pairs().any(|(k, _)| k == "request"));
    /// # Ok(()) }
    /// ```
    pub fn request_object(mut self, on: bool) -> Self {
        self.request_object = on;
        self
    }

    /// Binds the authorization code to the client's DPoP key (RFC 9449 section 10): adds
    /// `dpop_jkt`, the key's thumbprint, so the code can only be redeemed with proofs from that
    /// key. Needs a [`dpop_key`](crate::AuthClientBuilder::dpop_key); without one the call
    /// fails with a configuration error. (A pushed request carries a DPoP proof, which binds the
    /// code by itself; `dpop_jkt` then says the same.)
    ///
    /// ```no_run
    /// # async fn demo(client: auth0_auth::AuthClient) -> auth0_auth::Result<()> {
    /// use auth0_auth::{AuthorizationParams, AuthorizationUrlRequest};
    ///
    /// let login = client
    ///     .build_authorization_url(
    ///         AuthorizationUrlRequest::new()
    ///             .params(AuthorizationParams::new().redirect_uri("http://localhost:3000/callback"))
    ///             .bind_to_dpop_key(true),
    ///     )
    ///     .await?;
    /// assert!(login.url.query_pairs().any(|(k, _)| k == "dpop_jkt"));
    /// # Ok(()) }
    /// ```
    pub fn bind_to_dpop_key(mut self, on: bool) -> Self {
        self.bind_dpop_key = on;
        self
    }
}

/// An authorization (or link / unlink) URL and the login transaction to keep for the callback.
///
/// Its `Debug` output hides the code verifier and any `id_token_hint` in the URL.
#[derive(Clone)]
pub struct AuthorizationUrl {
    /// Where to send the browser.
    pub url: Url,
    /// Keep this between the redirect and the callback (for example in the session, or an
    /// encrypted cookie: it serializes to JSON) and complete the login with
    /// [`TokenByCodeRequest::from_transaction`](crate::TokenByCodeRequest::from_transaction).
    pub transaction: LoginTransaction,
}

impl fmt::Debug for AuthorizationUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthorizationUrl")
            .field("url", &redacted_url(&self.url).as_str())
            .field("transaction", &self.transaction)
            .finish()
    }
}

/// The URL with the value of every `id_token_hint` replaced (the hint is a user's ID token).
fn redacted_url(url: &Url) -> Url {
    if !url.query_pairs().any(|(k, _)| k == "id_token_hint") {
        return url.clone();
    }
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == "id_token_hint" {
                "[redacted]".to_string()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    let mut redacted = url.clone();
    redacted.query_pairs_mut().clear().extend_pairs(pairs);
    redacted
}

/// The account to link: see [`AuthClient::build_link_user_url`].
///
/// ```no_run
/// # async fn demo(client: auth0_auth::AuthClient, id_token: auth0_auth::SecretString) -> auth0_auth::Result<()> {
/// use auth0_auth::{AuthorizationParams, Connection, LinkUserUrlRequest};
///
/// let link = client
///     .build_link_user_url(
///         LinkUserUrlRequest::new(Connection::new("google-oauth2"), id_token.clone())
///             .params(AuthorizationParams::new().redirect_uri("http://localhost:3000/callback")),
///     )
///     .await?;
/// // redirect to link.url; keep link.transaction for the callback
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct LinkUserUrlRequest {
    connection: Connection,
    connection_scope: Option<String>,
    id_token: SecretString,
    params: AuthorizationParams,
}

impl LinkUserUrlRequest {
    /// Links the account of `connection` to the user of `id_token` (an ID token this client
    /// received for that user).
    pub fn new(connection: Connection, id_token: SecretString) -> Self {
        Self {
            connection,
            connection_scope: None,
            id_token,
            params: AuthorizationParams::default(),
        }
    }

    /// The scopes to request from the linked connection (`requested_connection_scope`).
    pub fn connection_scope(mut self, scope: impl Into<String>) -> Self {
        self.connection_scope = Some(scope.into());
        self
    }

    /// More authorization parameters (for example `redirect_uri`).
    pub fn params(mut self, params: AuthorizationParams) -> Self {
        self.params = params;
        self
    }
}

/// The account to unlink: see [`AuthClient::build_unlink_user_url`].
///
/// ```no_run
/// # async fn demo(client: auth0_auth::AuthClient, id_token: auth0_auth::SecretString) -> auth0_auth::Result<()> {
/// use auth0_auth::{Connection, UnlinkUserUrlRequest};
///
/// let unlink = client
///     .build_unlink_user_url(UnlinkUserUrlRequest::new(
///         Connection::new("google-oauth2"),
///         id_token.clone(),
///     ))
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct UnlinkUserUrlRequest {
    connection: Connection,
    id_token: SecretString,
    params: AuthorizationParams,
}

impl UnlinkUserUrlRequest {
    /// Unlinks the account of `connection` from the user of `id_token` (an ID token this
    /// client received for that user).
    pub fn new(connection: Connection, id_token: SecretString) -> Self {
        Self {
            connection,
            id_token,
            params: AuthorizationParams::default(),
        }
    }

    /// More authorization parameters (for example `redirect_uri`).
    pub fn params(mut self, params: AuthorizationParams) -> Self {
        self.params = params;
        self
    }
}

/// How an authorization request travels: pushed first or not, as a signed request object or
/// as plain parameters.
#[derive(Clone, Copy, Debug, Default)]
struct Delivery {
    pushed: bool,
    request_object: bool,
}

#[derive(Deserialize)]
struct ParResponse {
    request_uri: String,
}

/// The value of `key` among merged pairs.
fn pair<'a>(pairs: &[(&'a str, &'a str)], key: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
}

impl AuthClient {
    /// The default scope, then the configured authorization params, then `call` (later wins).
    pub(crate) fn merged_authorization_params(
        &self,
        call: AuthorizationParams,
    ) -> AuthorizationParams {
        call.over(
            &self
                .inner
                .authorization_params
                .over(&AuthorizationParams::new().scope(DEFAULT_SCOPE)),
        )
    }

    /// Renames `audience` to `resource` when the client names APIs with RFC 8707 resource
    /// indicators ([`AudienceParameter::Resource`](crate::AudienceParameter::Resource)).
    pub(crate) fn name_apis(&self, pairs: &mut [(&str, &str)]) {
        if self.inner.audience_parameter == crate::client::AudienceParameter::Resource {
            for (k, _) in pairs.iter_mut() {
                if *k == "audience" {
                    *k = "resource";
                }
            }
        }
    }

    /// A form request carrying `params` (which include `client_id`) and the client
    /// authentication (fields, or a Basic header), for PAR and back-channel authentication.
    pub(crate) fn with_client_auth(
        &self,
        request: Request,
        params: &AuthorizationParams,
        issuer: &str,
    ) -> Result<Request> {
        let auth = self
            .inner
            .auth
            .form(&self.inner.client_id, issuer)
            .map_err(|e| e.in_operation(request.code))?;
        let mut pairs: Vec<(&str, &str)> = params.iter().collect();
        self.name_apis(&mut pairs);
        pairs.extend(auth.fields.pairs().filter(|(k, _)| *k != "client_id"));
        Ok(request.form(&pairs).authorization(auth.header))
    }

    /// Builds the URL that sends a browser to log in, with PKCE (S256, a fresh verifier each
    /// call), and the [`LoginTransaction`] that completes it.
    ///
    /// The parameters are `scope` (default `openid profile email offline_access`), then the
    /// configured authorization params, then this request's (later wins), then a generated
    /// `state` and `nonce` when none is given (the nonce only when the scope contains
    /// `openid`), then `client_id`, `code_challenge`, `code_challenge_method=S256` and
    /// `response_type=code`. A `max_age` that is not a whole number and a blank
    /// `organization` are refused.
    ///
    /// ```no_run
    /// # async fn demo(client: auth0_auth::AuthClient) -> Result<(), Box<dyn std::error::Error>> {
    /// use auth0_auth::{AuthorizationParams, AuthorizationUrlRequest};
    ///
    /// let login = client
    ///     .build_authorization_url(AuthorizationUrlRequest::new().params(
    ///         AuthorizationParams::new().redirect_uri("http://localhost:3000/callback"),
    ///     ))
    ///     .await?;
    /// let keep = serde_json::to_string(&login.transaction)?; // in the session
    /// // then redirect the browser to login.url
    /// # Ok(()) }
    /// ```
    pub async fn build_authorization_url(
        &self,
        request: AuthorizationUrlRequest,
    ) -> Result<AuthorizationUrl> {
        let mut params = request.params;
        if request.bind_dpop_key {
            let dpop = self.inner.dpop.as_ref().ok_or_else(|| {
                Error::new(
                    ErrorCode::BuildAuthorizationUrl,
                    ErrorKind::Configuration,
                    "binding the authorization code to a DPoP key needs a DPoP key: \
                     configure one with `dpop_key`",
                )
            })?;
            params = params.set("dpop_jkt", dpop.key.thumbprint());
        }
        self.authorization_url(
            params,
            Delivery {
                pushed: request.pushed,
                request_object: request.request_object,
            },
            ErrorCode::BuildAuthorizationUrl,
        )
        .await
    }

    /// Builds the URL that links another connection's account to the user of an ID token
    /// (`scope=openid link_account offline_access`), with its [`LoginTransaction`]: the login
    /// completes like any other, with
    /// [`TokenByCodeRequest::from_transaction`](crate::TokenByCodeRequest::from_transaction).
    pub async fn build_link_user_url(
        &self,
        request: LinkUserUrlRequest,
    ) -> Result<AuthorizationUrl> {
        let mut params = request
            .params
            .set("requested_connection", request.connection.as_str());
        if let Some(scope) = request.connection_scope {
            params = params.set("requested_connection_scope", scope);
        }
        let params = params
            .scope("openid link_account offline_access")
            .set("id_token_hint", request.id_token.expose_secret());
        self.authorization_url(params, Delivery::default(), ErrorCode::BuildLinkUserUrl)
            .await
    }

    /// Builds the URL that unlinks a connection's account from the user of an ID token
    /// (`scope=openid unlink_account`), with its [`LoginTransaction`].
    pub async fn build_unlink_user_url(
        &self,
        request: UnlinkUserUrlRequest,
    ) -> Result<AuthorizationUrl> {
        let params = request
            .params
            .set("requested_connection", request.connection.as_str())
            .scope("openid unlink_account")
            .set("id_token_hint", request.id_token.expose_secret());
        self.authorization_url(params, Delivery::default(), ErrorCode::BuildUnlinkUserUrl)
            .await
    }

    async fn authorization_url(
        &self,
        call_params: AuthorizationParams,
        delivery: Delivery,
        code: ErrorCode,
    ) -> Result<AuthorizationUrl> {
        let pushed = delivery.pushed;
        let metadata = self.metadata(code).await?;
        let endpoint = metadata.endpoint(
            "authorization_endpoint",
            metadata.authorization_endpoint.as_ref(),
            code,
        )?;
        let verifier = pkce::new_verifier();
        let challenge = pkce::challenge(&verifier);
        // The default scope, then the configured params, then this call's (later wins, in
        // place), as `merged_authorization_params` would give.
        let default_scope = AuthorizationParams {
            entries: vec![("scope".into(), Some(DEFAULT_SCOPE.into()))],
        };
        let layers = [
            &default_scope,
            &self.inner.authorization_params,
            &call_params,
        ];
        let given = AuthorizationParams::merged(&layers, &[]);
        // A state always, and a nonce whenever an ID token will come back: generated unless
        // given (an empty value counts as none given).
        let generated_state = pair(&given, "state")
            .is_none_or(str::is_empty)
            .then(transaction::random_value);
        let wants_nonce =
            pair(&given, "scope").is_some_and(|s| s.split_whitespace().any(|s| s == "openid"));
        let generated_nonce = (wants_nonce && pair(&given, "nonce").is_none_or(str::is_empty))
            .then(transaction::random_value);
        let max_age = match pair(&given, "max_age") {
            None => None,
            Some(text) => Some(text.trim().parse::<u64>().map_err(|_| {
                Error::invalid_input(code, "max_age must be a whole number of seconds")
            })?),
        };
        let organization = pair(&given, "organization").map(str::to_owned);
        check_organization_input(organization.as_deref(), code)?;
        // Then the SDK's own values, in place of any given under the same names.
        let mut own: Vec<(&str, &str)> = Vec::with_capacity(6);
        if let Some(state) = &generated_state {
            own.push(("state", state));
        }
        if let Some(nonce) = &generated_nonce {
            own.push(("nonce", nonce));
        }
        own.extend([
            ("client_id", self.inner.client_id.as_str()),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
            ("response_type", "code"),
        ]);
        let mut pairs = AuthorizationParams::merged(&layers, &own);
        let audience = pair(&pairs, "audience").or(pair(&pairs, "resource"));
        let audience = audience.map(str::to_owned);
        self.name_apis(&mut pairs);
        // A pushed request carries a DPoP proof when the client has a key, which binds the
        // code to that key as `dpop_jkt` would.
        let client_jkt = self.inner.dpop.as_ref().map(|d| d.key.thumbprint());
        let dpop_jkt = pair(&pairs, "dpop_jkt").or(if pushed { client_jkt } else { None });
        let fields = TransactionFields {
            state: pair(&pairs, "state").unwrap_or_default().to_owned(),
            nonce: pair(&pairs, "nonce")
                .filter(|n| !n.is_empty())
                .map(str::to_owned),
            redirect_uri: pair(&pairs, "redirect_uri").map(str::to_owned),
            max_age,
            organization,
            scope: pair(&pairs, "scope").map(str::to_owned),
            audience,
            dpop_jkt: dpop_jkt.map(str::to_owned),
            created_at: now_secs(),
        };
        let request_object = if delivery.request_object {
            Some(crate::jar::sign_request_object(
                &self.inner.auth,
                &pairs,
                &self.inner.client_id,
                &metadata.issuer,
                code,
            )?)
        } else {
            None
        };
        // What travels outside a request object: the client, and what OpenID Connect wants
        // repeated outside it.
        let outside: std::borrow::Cow<'_, [(&str, &str)]> = match &request_object {
            None => std::borrow::Cow::Borrowed(&pairs),
            Some(jwt) => {
                let mut outside = vec![("client_id", self.inner.client_id.as_str())];
                if !pushed {
                    outside.push(("response_type", "code"));
                    if let Some(scope) = pair(&pairs, "scope") {
                        outside.push(("scope", scope));
                    }
                }
                outside.push(("request", jwt.as_str()));
                std::borrow::Cow::Owned(outside)
            }
        };
        let mut url = endpoint;
        if pushed {
            let mut params = AuthorizationParams::new();
            for (k, v) in outside.iter() {
                params.put((*k).to_string(), Some((*v).to_string()));
            }
            let par = metadata
                .pushed_authorization_request_endpoint
                .as_ref()
                .ok_or_else(|| {
                    Error::new(
                        ErrorCode::ParNotSupported,
                        ErrorKind::NotSupported,
                        "The Auth0 tenant does not have pushed authorization requests enabled. \
                         Learn how to enable it here: \
                         https://auth0.com/docs/get-started/applications/configure-par",
                    )
                })?;
            let par =
                metadata.endpoint("pushed_authorization_request_endpoint", Some(par), code)?;
            let request = Request::new(
                Method::POST,
                par,
                code,
                "the pushed authorization request endpoint",
            );
            let request = self.with_client_auth(request, &params, &metadata.issuer)?;
            let pushed: ParResponse = self.send_dpop(request, None).await?.json()?;
            url.query_pairs_mut()
                .append_pair("client_id", &self.inner.client_id)
                .append_pair("request_uri", &pushed.request_uri);
        } else {
            let mut query = url.query_pairs_mut();
            for (k, v) in outside.iter() {
                query.append_pair(k, v);
            }
        }
        Ok(AuthorizationUrl {
            url,
            transaction: LoginTransaction::begin(SecretString::from(verifier), fields),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_borrowed_merge_gives_what_over_and_set_give() {
        let defaults = AuthorizationParams::new().scope(DEFAULT_SCOPE);
        let configured = AuthorizationParams::new()
            .audience("https://a/")
            .set("client_id", "spoofed")
            .redirect_uri("http://localhost/cb")
            .unset("scope");
        let call = AuthorizationParams::new()
            .scope("openid")
            .unset("redirect_uri")
            .state("xyz")
            .unset("nothing-to-unset");
        let expected = call
            .over(&configured.over(&defaults))
            .set("client_id", "c1")
            .set("response_type", "code");
        let merged = AuthorizationParams::merged(
            &[&defaults, &configured, &call],
            &[("client_id", "c1"), ("response_type", "code")],
        );
        assert_eq!(merged, expected.iter().collect::<Vec<_>>());
        assert_eq!(
            merged,
            [
                ("scope", "openid"),
                ("audience", "https://a/"),
                ("client_id", "c1"),
                ("state", "xyz"),
                ("response_type", "code")
            ]
        );
    }

    #[test]
    fn later_values_win_and_unset_values_are_dropped() {
        let defaults = AuthorizationParams::new()
            .scope("openid")
            .audience("https://a/")
            .redirect_uri("http://localhost/cb");
        let call = AuthorizationParams::new()
            .audience("https://b/")
            .unset("redirect_uri")
            .state("xyz");
        let merged = call.over(&defaults);
        let pairs: Vec<_> = merged.iter().collect();
        assert_eq!(
            pairs,
            [
                ("scope", "openid"),
                ("audience", "https://b/"),
                ("state", "xyz")
            ]
        );
    }

    #[test]
    fn authorization_details_are_a_json_string() {
        let p = AuthorizationParams::new()
            .authorization_details(&serde_json::json!([{"type": "payment", "amount": 10}]));
        assert_eq!(
            p.get("authorization_details"),
            Some(r#"[{"amount":10,"type":"payment"}]"#)
        );
    }

    #[test]
    fn documented_parameters_have_setters() {
        let p = AuthorizationParams::new()
            .prompt(Prompt::SelectAccount)
            .screen_hint("signup")
            .ui_locales("fr-CA fr")
            .connection(&Connection::new("github"))
            .login_hint("jane@example.com")
            .acr_values("urn:mfa")
            .display(DisplayMode::Popup)
            .invitation("inv")
            .max_age(30)
            .organization("org_1");
        let pairs: Vec<_> = p.iter().collect();
        assert_eq!(
            pairs,
            [
                ("prompt", "select_account"),
                ("screen_hint", "signup"),
                ("ui_locales", "fr-CA fr"),
                ("connection", "github"),
                ("login_hint", "jane@example.com"),
                ("acr_values", "urn:mfa"),
                ("display", "popup"),
                ("invitation", "inv"),
                ("max_age", "30"),
                ("organization", "org_1"),
            ]
        );
        for (prompt, text) in [
            (Prompt::None, "none"),
            (Prompt::Login, "login"),
            (Prompt::Consent, "consent"),
        ] {
            assert_eq!(prompt.as_str(), text);
        }
        for (d, text) in [
            (DisplayMode::Page, "page"),
            (DisplayMode::Touch, "touch"),
            (DisplayMode::Wap, "wap"),
        ] {
            assert_eq!(d.as_str(), text);
        }
    }

    #[test]
    fn debug_hides_the_id_token_hint() {
        let url = Url::parse(
            "https://t/authorize?scope=openid&id_token_hint=eyJ.secret-hint.sig&state=s",
        )
        .unwrap();
        let text = format!("{:?}", redacted_url(&url).as_str());
        assert!(!text.contains("secret-hint"), "{text}");
        assert!(
            text.contains("scope=openid") && text.contains("state=s"),
            "{text}"
        );
        let plain = Url::parse("https://t/authorize?scope=openid").unwrap();
        assert_eq!(redacted_url(&plain), plain);
    }
}
