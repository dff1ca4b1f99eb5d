//! [`ServerClient`]: the web-app operations of `@auth0/auth0-server-js` on top of the
//! `auth0-auth` protocol client, keeping the login transaction and the session in the
//! [`TransactionStore`] and [`StateStore`] it is given, through the request's [`CookieJar`].
//!
//! Imports `auth0-auth`'s public API and this crate's stores, state, cookies and errors; the
//! request values are in `requests`.

use std::fmt;
use std::sync::Arc;

use auth0_auth::{
    AuthClient, AuthorizationParams, AuthorizationUrl, AuthorizationUrlRequest,
    BackchannelAuthenticationRequest, Claims, Database, ExchangeTokenRequest, ExposeSecret,
    LinkUserUrlRequest, LogoutUrlRequest, MagicLinkCodeRequest, Mfa, Passkey, PasskeyTokenRequest,
    PasswordlessSend, PasswordlessTokenRequest, REFRESH_TOKEN_TYPE, RefreshTokenRequest,
    RevokeTokenRequest, SecretString, SendEmailRequest, SendSmsRequest, TokenByCodeRequest,
    TokenResponse, TokenTypeHint, UnlinkUserUrlRequest, VerifyLogoutTokenRequest,
};
use serde_json::{Map, Value};
use url::Url;

use crate::cookies::CookieJar;
use crate::error::{Error, Result};
use crate::state::{
    ConnectionTokenSet, InternalStateData, SharedClock, StateData, SystemClock, TokenSet,
    TransactionData,
};
use crate::store::{LogoutClaims, StateStore, TransactionStore};

mod requests;
mod session_transfer;
mod tenancy;

use tenancy::Tenant;
pub use tenancy::{DomainResolver, MultiDomain, OneDomain, Tenancy};

use requests::PasswordlessTo;
pub use requests::{
    AccessTokenRequest, BackchannelLogoutRequest, CompleteInteractiveLoginRequest,
    CompletePasswordlessRequest, CompletedLogin, ConnectionTokenRequest,
    CustomTokenExchangeRequest, LinkUserRequest, LoginBackchannelRequest, LogoutRequest,
    MfaLoginRequest, PasskeyLoginRequest, StartInteractiveLoginRequest, StartPasswordlessRequest,
    UnlinkUserRequest,
};
pub use session_transfer::{
    SESSION_TRANSFER_TOKEN_TYPE, SessionTransferActor, SessionTransferRedirectRequest,
    SessionTransferToken, SessionTransferTokenRequest,
};

/// The default session cookie name.
pub const DEFAULT_SESSION_COOKIE: &str = "__a0_session";
/// The default transaction cookie name.
pub const DEFAULT_TRANSACTION_COOKIE: &str = "__a0_tx";
/// The token-set key of logins and refreshes that named no audience.
pub const DEFAULT_AUDIENCE_KEY: &str = "default";

/// Builds a [`ServerClient`].
pub struct ServerClientBuilder<T, S, D = OneDomain> {
    tenancy: D,
    transaction_store: T,
    state_store: S,
    params: AuthorizationParams,
    transaction_cookie: String,
    session_cookie: String,
    clock: SharedClock,
}

impl<T, S, D> fmt::Debug for ServerClientBuilder<T, S, D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerClientBuilder")
            .field("transaction_cookie", &self.transaction_cookie)
            .field("session_cookie", &self.session_cookie)
            .finish_non_exhaustive()
    }
}

impl<T: TransactionStore, S: StateStore, D: Tenancy> ServerClientBuilder<T, S, D> {
    /// The application's defaults for every login (`redirect_uri`, `scope`, `audience`, …);
    /// a login's own parameters win by name. The `audience` and `scope` here are also what
    /// [`ServerClient::get_access_token`] uses when its request names none.
    pub fn authorization_params(mut self, params: AuthorizationParams) -> Self {
        self.params = params;
        self
    }

    /// The transaction cookie's name (default `__a0_tx`).
    pub fn transaction_cookie_name(mut self, name: impl Into<String>) -> Self {
        self.transaction_cookie = name.into();
        self
    }

    /// The session cookie's name (default `__a0_session`).
    pub fn session_cookie_name(mut self, name: impl Into<String>) -> Self {
        self.session_cookie = name.into();
        self
    }

    /// Where "now" comes from for session and token expiry (default: the system clock).
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// The client. Cookie names must be non-empty cookie tokens and differ.
    pub fn build(self) -> Result<ServerClient<T, S, D>> {
        if let tenancy::sealed::Mode::Many(many) = self.tenancy.mode() {
            many.validate()?;
        }
        for name in [&self.transaction_cookie, &self.session_cookie] {
            let ok = !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-^_`|~".contains(&b));
            if !ok {
                return Err(Error::InvalidConfiguration(format!(
                    "{name:?} is not a usable cookie name"
                )));
            }
        }
        if self.transaction_cookie == self.session_cookie {
            return Err(Error::InvalidConfiguration(
                "the transaction and session cookies need different names".into(),
            ));
        }
        Ok(ServerClient {
            inner: Arc::new(Inner {
                tenancy: self.tenancy,
                transaction_store: self.transaction_store,
                state_store: self.state_store,
                params: self.params,
                transaction_cookie: self.transaction_cookie,
                session_cookie: self.session_cookie,
                clock: self.clock,
            }),
        })
    }
}

struct Inner<T, S, D> {
    tenancy: D,
    transaction_store: T,
    state_store: S,
    params: AuthorizationParams,
    transaction_cookie: String,
    session_cookie: String,
    clock: SharedClock,
}

/// A web application's Auth0 client: interactive login, sessions, access tokens per API, logout
/// and back-channel logout. Cheap to clone; build one per application.
pub struct ServerClient<T, S, D = OneDomain> {
    inner: Arc<Inner<T, S, D>>,
}

impl<T, S, D> Clone for ServerClient<T, S, D> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<T, S, D> fmt::Debug for ServerClient<T, S, D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerClient")
            .field("transaction_cookie", &self.inner.transaction_cookie)
            .field("session_cookie", &self.inner.session_cookie)
            .finish_non_exhaustive()
    }
}

/// How early (seconds) an identity provider's `session_expiry` ceiling counts as reached.
const SESSION_EXPIRY_LEEWAY: u64 = 30;
/// Times at or above this are not seconds (year 2286; milliseconds are far above).
const MAX_PLAUSIBLE_SECONDS: u64 = 10_000_000_000;

/// The IPSIE `session_expiry` claim, when it is a plausible time in seconds (a missing or
/// malformed one is no ceiling, never an expired session).
fn session_expiry(claims: &Claims) -> Option<u64> {
    claims
        .get("session_expiry")
        .and_then(Value::as_u64)
        .filter(|v| *v > 0 && *v < MAX_PLAUSIBLE_SECONDS)
}

/// A fresh anti-forgery `state`: 32 random bytes, base64url.
fn random_state() -> Result<String> {
    use base64::Engine;
    let mut b = [0u8; 32];
    aws_lc_rs::rand::fill(&mut b).map_err(|_| Error::Crypto("no randomness"))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b))
}

/// Whether every scope of `required` is in `granted` (as the reference compares them).
fn scopes_cover(granted: Option<&str>, required: Option<&str>) -> bool {
    if granted == required {
        return true;
    }
    let (Some(granted), Some(required)) = (granted, required) else {
        return false;
    };
    let have: Vec<&str> = granted.split_whitespace().collect();
    required.split_whitespace().all(|s| have.contains(&s))
}

fn token_set(audience: &str, tokens: &TokenResponse) -> TokenSet {
    TokenSet {
        audience: audience.to_owned(),
        access_token: tokens.access_token.clone(),
        scope: tokens.scope.clone(),
        expires_at: tokens.expires_at,
    }
}

/// In resolver mode, the transaction remembers the domain its login was started on.
fn remember_domain(data: &mut TransactionData, tenant: &Tenant) {
    if tenant.multi {
        data.extra
            .insert("domain".into(), Value::from(tenant.domain.clone()));
    }
}

/// The domain a transaction remembered, if any.
fn remembered_domain(data: &TransactionData) -> Option<&str> {
    data.extra.get("domain").and_then(Value::as_str)
}

/// `{host}` or `{host}:{port}` of a tenant's base URL, lower-cased: the `domain` a session
/// remembers and the `{domain}` of `urn:{domain}:session_transfer` (the reference's
/// normalisation).
pub(crate) fn domain_of(base: &Url) -> String {
    let host = base.host_str().unwrap_or_default().to_ascii_lowercase();
    match base.port() {
        Some(port) => format!("{host}:{port}"),
        None => host,
    }
}

/// The session after a token response from `domain`, as the reference updates it: a different
/// user (`sub` or `iss`) starts a fresh session; otherwise the token set of that audience and
/// scope is replaced (or added) and the ID and refresh tokens are kept unless new ones came.
/// Either way the session remembers the tenant domain it belongs to.
pub(crate) fn update_state(
    audience: &str,
    existing: Option<StateData>,
    tokens: &TokenResponse,
    now: u64,
    domain: &str,
) -> StateData {
    let claims = tokens.claims.as_ref();
    let existing = existing.filter(|state| {
        let Some(claims) = claims else { return true };
        let differs = |new: Option<&str>, old: Option<&str>| matches!((new, old), (Some(a), Some(b)) if a != b);
        !(differs(claims.sub(), state.sub()) || differs(claims.iss(), state.iss()))
    });
    match existing {
        Some(mut state) => {
            let fresh = token_set(audience, tokens);
            match state
                .token_sets
                .iter_mut()
                .find(|t| t.audience == audience && t.scope == tokens.scope)
            {
                Some(slot) => *slot = fresh,
                None => state.token_sets.push(fresh),
            }
            if let Some(id) = &tokens.id_token {
                state.id_token = Some(id.clone());
            }
            if let Some(rt) = &tokens.refresh_token {
                state.refresh_token = Some(rt.clone());
            }
            state.domain = Some(domain.to_owned());
            state
        }
        None => {
            let user: Option<Map<String, Value>> = claims.map(|c| c.as_map().clone());
            let sid = user
                .as_ref()
                .and_then(|u| u.get("sid"))
                .and_then(Value::as_str)
                .map(str::to_owned);
            StateData {
                user,
                id_token: tokens.id_token.clone(),
                refresh_token: tokens.refresh_token.clone(),
                token_sets: vec![token_set(audience, tokens)],
                connection_token_sets: None,
                domain: Some(domain.to_owned()),
                session_expires_at: None,
                internal: InternalStateData {
                    sid,
                    created_at: now,
                },
                extra: Map::new(),
            }
        }
    }
}

fn builder_over<T, S, D>(
    tenancy: D,
    transaction_store: T,
    state_store: S,
) -> ServerClientBuilder<T, S, D> {
    ServerClientBuilder {
        tenancy,
        transaction_store,
        state_store,
        params: AuthorizationParams::new(),
        transaction_cookie: DEFAULT_TRANSACTION_COOKIE.into(),
        session_cookie: DEFAULT_SESSION_COOKIE.into(),
        clock: Arc::new(SystemClock),
    }
}

/// What the request's session is, seen from its resolved domain.
enum Session {
    /// No (live) session.
    None,
    /// A session of another domain (resolver mode): not this request's.
    Foreign,
    /// This domain's session.
    Own(Box<StateData>),
}

/// The error of an operation that needs this domain's session and found another's.
fn foreign_session() -> Error {
    Error::MissingSession("Session domain does not match the current domain.".into())
}

/// The domain a session belongs to: the one it recorded, else its user's issuer.
fn session_domain(state: &StateData) -> Option<String> {
    if let Some(d) = state.domain.as_deref() {
        return tenancy::normalize_domain(d).ok();
    }
    state
        .user
        .as_ref()
        .and_then(|u| u.get("iss"))
        .and_then(Value::as_str)
        .and_then(|iss| tenancy::normalize_domain(iss).ok())
}

impl<T: TransactionStore, S: StateStore> ServerClient<T, S, OneDomain> {
    /// A builder over the protocol client `auth` (one static tenant domain) and the two stores.
    pub fn builder(
        auth: AuthClient,
        transaction_store: T,
        state_store: S,
    ) -> ServerClientBuilder<T, S, OneDomain> {
        builder_over(OneDomain::new(auth), transaction_store, state_store)
    }

    /// The protocol client underneath (static-domain clients only).
    pub fn auth_client(&self) -> &AuthClient {
        &self.inner.tenancy.client
    }

    /// The same exchange without touching the session (delegation, service calls).
    /// Static-domain clients only: without a request there is no domain to resolve.
    pub async fn custom_token_exchange(
        &self,
        request: CustomTokenExchangeRequest,
    ) -> Result<TokenResponse> {
        let (exchange, _) = self.exchange_request(request);
        Ok(self.inner.tenancy.client.exchange_token(exchange).await?)
    }

    /// The MFA API for an `mfa_token` (list, enroll, challenge, verify), as the protocol client
    /// has it; [`complete_mfa_login`](Self::complete_mfa_login) verifies and keeps the session.
    /// Static-domain clients only (as the reference).
    pub fn mfa(&self, mfa_token: SecretString) -> Mfa<'_> {
        self.inner.tenancy.client.mfa(mfa_token)
    }

    /// The passkey API of the protocol client (static-domain clients only).
    pub fn passkey(&self) -> Passkey<'_> {
        self.inner.tenancy.client.passkey()
    }

    /// The database-connection API (sign-up, password change) of the protocol client
    /// (static-domain clients only).
    pub fn database(&self) -> Database<'_> {
        self.inner.tenancy.client.database()
    }
}

impl<T: TransactionStore, S: StateStore> ServerClient<T, S, MultiDomain> {
    /// A builder of a multi-domain (resolver mode) client: each request's tenant domain is
    /// resolved from its host by `tenancy`, and sessions and transactions remember theirs.
    pub fn builder_for_domains(
        tenancy: MultiDomain,
        transaction_store: T,
        state_store: S,
    ) -> ServerClientBuilder<T, S, MultiDomain> {
        builder_over(tenancy, transaction_store, state_store)
    }
}

impl<T: TransactionStore, S: StateStore, D: Tenancy> ServerClient<T, S, D> {
    /// The tenant of a request to `host`.
    fn tenant(&self, host: Option<&str>) -> Result<Tenant> {
        Tenant::of(&self.inner.tenancy, host)
    }

    /// The tenant of the jar's request.
    fn tenant_of(&self, jar: &dyn CookieJar) -> Result<Tenant> {
        self.tenant(jar.request_host())
    }

    /// The session seen from `tenant` (another domain's is [`Session::Foreign`]).
    async fn session_of(&self, tenant: &Tenant, jar: &mut dyn CookieJar) -> Result<Session> {
        match self.live_session(jar).await? {
            None => Ok(Session::None),
            Some(state)
                if tenant.multi && session_domain(&state).as_deref() != Some(&tenant.domain) =>
            {
                Ok(Session::Foreign)
            }
            Some(state) => Ok(Session::Own(Box::new(state))),
        }
    }

    /// The session store.
    pub fn state_store(&self) -> &S {
        &self.inner.state_store
    }

    fn now(&self) -> u64 {
        self.inner.clock.now()
    }

    /// Starts a login: builds the authorization URL (PKCE, `state`, `nonce`), keeps the login
    /// transaction and `app_state` in the transaction store, and returns the URL to redirect
    /// the browser to. A `redirect_uri` (the client's or this login's) is required; `openid`
    /// is always part of a scope that is given.
    pub async fn start_interactive_login(
        &self,
        request: StartInteractiveLoginRequest,
        jar: &mut dyn CookieJar,
    ) -> Result<Url> {
        let mut params = self.inner.params.clone();
        for (k, v) in request.params.iter() {
            params = params.set(k, v);
        }
        if let Some(token) = &request.session_transfer_token {
            params = params.set("session_transfer_token", token.expose_secret());
        }
        if params.get("redirect_uri").is_none_or(str::is_empty) {
            return Err(Error::MissingRequiredArgument(
                "authorizationParams.redirect_uri",
            ));
        }
        if let Some(scope) = params.get("scope").map(str::to_owned) {
            let mut scopes: Vec<&str> = scope.split_whitespace().collect();
            if !scopes.contains(&"openid") {
                scopes.insert(0, "openid");
            }
            params = params.set("scope", scopes.join(" "));
        }
        let tenant = self.tenant_of(jar)?;
        let login = tenant
            .client
            .build_authorization_url(
                AuthorizationUrlRequest::new()
                    .params(params)
                    .pushed(request.pushed),
            )
            .await?;
        self.keep_transaction(login, request.app_state, &tenant, jar)
            .await
    }

    /// The client's parameters with `own` laid over them (by name), `openid` ensured in a
    /// given scope.
    fn params_over(&self, own: &AuthorizationParams) -> AuthorizationParams {
        let mut params = self.inner.params.clone();
        for (k, v) in own.iter() {
            params = params.set(k, v);
        }
        if let Some(scope) = params.get("scope").map(str::to_owned) {
            let mut scopes: Vec<&str> = scope.split_whitespace().collect();
            if !scopes.contains(&"openid") {
                scopes.insert(0, "openid");
            }
            params = params.set("scope", scopes.join(" "));
        }
        params
    }

    /// [`params_over`](Self::params_over), requiring a `redirect_uri`.
    fn redirect_params(&self, own: &AuthorizationParams) -> Result<AuthorizationParams> {
        let params = self.params_over(own);
        if params.get("redirect_uri").is_none_or(str::is_empty) {
            return Err(Error::MissingRequiredArgument(
                "authorizationParams.redirect_uri",
            ));
        }
        Ok(params)
    }

    async fn keep_transaction(
        &self,
        login: AuthorizationUrl,
        app_state: Option<Value>,
        tenant: &Tenant,
        jar: &mut dyn CookieJar,
    ) -> Result<Url> {
        let mut data = TransactionData::from_login(login.transaction, app_state);
        remember_domain(&mut data, tenant);
        self.inner
            .transaction_store
            .set(&self.inner.transaction_cookie, &data, jar, self.now())
            .await?;
        Ok(login.url)
    }

    /// Keeps a new login's tokens as the session (under a new id; the same user's existing
    /// session is updated, another user's replaced).
    async fn keep_login(
        &self,
        audience: &str,
        tokens: &TokenResponse,
        domain: &str,
        jar: &mut dyn CookieJar,
    ) -> Result<()> {
        let now = self.now();
        // An identity provider's ceiling already past: the session would be born expired.
        let ceiling = tokens.claims.as_ref().and_then(session_expiry);
        if let Some(ceiling) = ceiling {
            let issued = tokens
                .claims
                .as_ref()
                .and_then(|c| c.iat())
                .filter(|iat| *iat > 0 && *iat < MAX_PLAUSIBLE_SECONDS)
                .unwrap_or(now);
            if ceiling <= issued.saturating_add(SESSION_EXPIRY_LEEWAY) {
                return Err(Error::SessionExpired);
            }
        }
        let name = &self.inner.session_cookie;
        // A refused old session cookie does not stop a fresh login: it is replaced.
        let existing = self
            .inner
            .state_store
            .get(name, jar, now)
            .await
            .unwrap_or(None);
        let mut state = update_state(audience, existing, tokens, now, domain);
        // Each login sets (or clears) the ceiling; refreshes never move it.
        state.session_expires_at = ceiling;
        self.inner
            .state_store
            .set(name, &state, true, jar, now)
            .await
    }

    /// The session, unless its identity provider's ceiling is reached (then it is deleted).
    async fn live_session(&self, jar: &mut dyn CookieJar) -> Result<Option<StateData>> {
        let now = self.now();
        let name = &self.inner.session_cookie;
        let Some(state) = self.inner.state_store.get(name, jar, now).await? else {
            return Ok(None);
        };
        if state
            .session_expires_at
            .is_some_and(|ceiling| now >= ceiling.saturating_sub(SESSION_EXPIRY_LEEWAY))
        {
            self.inner.state_store.delete(name, jar).await?;
            return Err(Error::SessionExpired);
        }
        Ok(Some(state))
    }

    /// The session's ID token, required to link or unlink.
    async fn session_id_token(
        &self,
        tenant: &Tenant,
        jar: &mut dyn CookieJar,
        what: &str,
    ) -> Result<SecretString> {
        let state = match self.session_of(tenant, jar).await {
            Ok(Session::Own(state)) => Some(*state),
            Ok(Session::Foreign) => return Err(foreign_session()),
            Ok(Session::None) | Err(Error::SessionExpired) => None,
            Err(e) => return Err(e),
        };
        state.and_then(|s| s.id_token).ok_or_else(|| {
            Error::MissingSession(format!("Unable to {what} without a logged in user."))
        })
    }

    /// Starts linking another account (`connection`) to the logged-in user: returns the URL to
    /// send the browser to; complete with [`complete_link_user`](Self::complete_link_user).
    pub async fn start_link_user(
        &self,
        request: LinkUserRequest,
        jar: &mut dyn CookieJar,
    ) -> Result<Url> {
        let tenant = self.tenant_of(jar)?;
        let id_token = self
            .session_id_token(&tenant, jar, "start the user linking process")
            .await?;
        let params = self.redirect_params(&request.params)?;
        let mut link = LinkUserUrlRequest::new(request.connection, id_token).params(params);
        if let Some(scope) = request.connection_scope {
            link = link.connection_scope(scope);
        }
        let login = tenant.client.build_link_user_url(link).await?;
        self.keep_transaction(login, request.app_state, &tenant, jar)
            .await
    }

    /// Completes linking from its callback (as an interactive login); returns the app state.
    pub async fn complete_link_user(
        &self,
        request: CompleteInteractiveLoginRequest,
        jar: &mut dyn CookieJar,
    ) -> Result<CompletedLogin> {
        self.complete_interactive_login(request, jar).await
    }

    /// Starts unlinking an account (`connection`) from the logged-in user; complete with
    /// [`complete_unlink_user`](Self::complete_unlink_user).
    pub async fn start_unlink_user(
        &self,
        request: UnlinkUserRequest,
        jar: &mut dyn CookieJar,
    ) -> Result<Url> {
        let tenant = self.tenant_of(jar)?;
        let id_token = self
            .session_id_token(&tenant, jar, "start the user unlinking process")
            .await?;
        let params = self.redirect_params(&request.params)?;
        let login = tenant
            .client
            .build_unlink_user_url(
                UnlinkUserUrlRequest::new(request.connection, id_token).params(params),
            )
            .await?;
        self.keep_transaction(login, request.app_state, &tenant, jar)
            .await
    }

    /// Completes unlinking from its callback (as an interactive login); returns the app state.
    pub async fn complete_unlink_user(
        &self,
        request: CompleteInteractiveLoginRequest,
        jar: &mut dyn CookieJar,
    ) -> Result<CompletedLogin> {
        self.complete_interactive_login(request, jar).await
    }

    /// Logs a user in on another device (Client-Initiated Backchannel Authentication): asks
    /// them to approve, polls until they answer, and keeps the session. Returns the granted
    /// rich authorization details.
    pub async fn login_backchannel(
        &self,
        request: LoginBackchannelRequest,
        jar: &mut dyn CookieJar,
    ) -> Result<Option<Value>> {
        let params = self.params_over(&request.params);
        let audience = params
            .get("audience")
            .unwrap_or(DEFAULT_AUDIENCE_KEY)
            .to_owned();
        let tenant = self.tenant_of(jar)?;
        let tokens = tenant
            .client
            .backchannel_authentication(
                BackchannelAuthenticationRequest::new(request.user_id, request.binding_message)
                    .params(params),
            )
            .await?;
        self.keep_login(&audience, &tokens, &tenant.domain, jar)
            .await?;
        Ok(tokens.authorization_details)
    }

    /// Sends a passwordless one-time code by email or SMS (nothing is kept; complete with
    /// [`complete_passwordless`](Self::complete_passwordless)), or a magic link (its `state` is
    /// kept in the transaction store; complete with
    /// [`complete_passwordless_magic_link`](Self::complete_passwordless_magic_link)).
    pub async fn start_passwordless(
        &self,
        request: StartPasswordlessRequest,
        jar: &mut dyn CookieJar,
    ) -> Result<()> {
        let tenant = self.tenant_of(jar)?;
        let passwordless = tenant.client.passwordless();
        match request.to {
            PasswordlessTo::Email(email) => {
                let mut r = SendEmailRequest::new(email);
                if let Some(l) = request.language {
                    r = r.language(l);
                }
                passwordless.send_email(r).await?;
            }
            PasswordlessTo::Sms(phone) => {
                let mut r = SendSmsRequest::new(phone);
                if let Some(l) = request.language {
                    r = r.language(l);
                }
                passwordless.send_sms(r).await?;
            }
            PasswordlessTo::EmailLink(email, redirect_uri) => {
                if redirect_uri.is_empty() {
                    return Err(Error::MissingRequiredArgument("redirectUri"));
                }
                let state = random_state()?;
                let mut params = self.params_over(&request.params);
                if params.get("scope").is_none() {
                    params = params.set("scope", auth0_auth::DEFAULT_SCOPE);
                }
                let params = params
                    .set("redirect_uri", redirect_uri.clone())
                    .set("response_type", "code")
                    .set("state", state.clone());
                let audience = params.get("audience").map(str::to_owned);
                let mut r = SendEmailRequest::new(email)
                    .send(PasswordlessSend::Link)
                    .auth_params(params);
                if let Some(l) = request.language {
                    r = r.language(l);
                }
                passwordless.send_email(r).await?;
                let mut extra = Map::new();
                extra.insert("redirectUri".into(), Value::from(redirect_uri));
                let mut data = TransactionData {
                    login: None,
                    code_verifier: None,
                    state: Some(state),
                    audience,
                    organization: None,
                    app_state: None,
                    extra,
                };
                remember_domain(&mut data, &tenant);
                self.inner
                    .transaction_store
                    .set(&self.inner.transaction_cookie, &data, jar, self.now())
                    .await?;
            }
        }
        Ok(())
    }

    /// Completes a magic-link login from its callback: the callback's `state` must be the kept
    /// one; the code is exchanged and the session kept.
    pub async fn complete_passwordless_magic_link(
        &self,
        request: CompleteInteractiveLoginRequest,
        jar: &mut dyn CookieJar,
    ) -> Result<Option<Value>> {
        let tx_name = &self.inner.transaction_cookie;
        let transaction = self
            .inner
            .transaction_store
            .get(tx_name, jar, self.now())
            .await?
            .ok_or(Error::MissingTransaction)?;
        let state = transaction
            .state
            .clone()
            .or_else(|| transaction.login.as_ref().map(|l| l.state().to_owned()))
            .ok_or(Error::MissingTransaction)?;
        let mut code = MagicLinkCodeRequest::new(request.callback).expected_state(state);
        if let Some(Value::String(uri)) = transaction.extra.get("redirectUri") {
            code = code.redirect_uri(uri.clone());
        }
        let tenant = self
            .tenant_of(jar)?
            .remembered(&self.inner.tenancy, remembered_domain(&transaction))?;
        let tokens = tenant.client.get_token_by_magic_link_code(code).await?;
        let audience = transaction
            .audience
            .as_deref()
            .unwrap_or(DEFAULT_AUDIENCE_KEY);
        self.keep_login(audience, &tokens, &tenant.domain, jar)
            .await?;
        self.inner.transaction_store.delete(tx_name, jar).await?;
        Ok(tokens.authorization_details)
    }

    fn exchange_request(
        &self,
        request: CustomTokenExchangeRequest,
    ) -> (ExchangeTokenRequest, Option<String>) {
        let audience = request
            .audience
            .or_else(|| self.inner.params.get("audience").map(str::to_owned));
        let scope = request
            .scope
            .or_else(|| self.inner.params.get("scope").map(str::to_owned));
        let mut exchange =
            ExchangeTokenRequest::profile(request.subject_token_type, request.subject_token);
        if let Some(a) = &audience {
            exchange = exchange.audience(a.clone());
        }
        if let Some(s) = scope {
            exchange = exchange.scope(s);
        }
        if let Some(o) = request.organization {
            exchange = exchange.organization(o);
        }
        (exchange, audience)
    }

    /// Exchanges a token from elsewhere for Auth0 tokens (RFC 8693, a Token Exchange Profile)
    /// and keeps them as the session: a login without a browser. Returns the granted rich
    /// authorization details.
    pub async fn login_with_custom_token_exchange(
        &self,
        request: CustomTokenExchangeRequest,
        jar: &mut dyn CookieJar,
    ) -> Result<Option<Value>> {
        let (exchange, audience) = self.exchange_request(request);
        let tenant = self.tenant_of(jar)?;
        let tokens = tenant.client.exchange_token(exchange).await?;
        self.keep_login(
            audience.as_deref().unwrap_or(DEFAULT_AUDIENCE_KEY),
            &tokens,
            &tenant.domain,
            jar,
        )
        .await?;
        Ok(tokens.authorization_details)
    }

    /// Completes a passkey sign-up or login: exchanges the browser's credential and keeps the
    /// session. Returns the granted rich authorization details.
    pub async fn complete_passkey_login(
        &self,
        request: PasskeyLoginRequest,
        jar: &mut dyn CookieJar,
    ) -> Result<Option<Value>> {
        let params = self.params_over(&request.params);
        let mut token_request = PasskeyTokenRequest::new(request.auth_session, request.credential)
            .scope(params.get("scope").unwrap_or(auth0_auth::DEFAULT_SCOPE));
        if let Some(a) = params.get("audience") {
            token_request = token_request.audience(a);
        }
        if let Some(o) = params.get("organization") {
            token_request = token_request.organization(o);
        }
        if let Some(r) = request.realm {
            token_request = token_request.realm(r);
        }
        let tenant = self.tenant_of(jar)?;
        let tokens = tenant
            .client
            .passkey()
            .get_token_by_passkey(token_request)
            .await?;
        let audience = params
            .get("audience")
            .unwrap_or(DEFAULT_AUDIENCE_KEY)
            .to_owned();
        self.keep_login(&audience, &tokens, &tenant.domain, jar)
            .await?;
        Ok(tokens.authorization_details)
    }

    /// Completes a login that needed MFA: verifies the code and keeps the session.
    pub async fn complete_mfa_login(
        &self,
        request: MfaLoginRequest,
        jar: &mut dyn CookieJar,
    ) -> Result<Option<Value>> {
        let audience = request
            .audience
            .or_else(|| self.inner.params.get("audience").map(str::to_owned));
        let tenant = self.tenant_of(jar)?;
        let tokens = tenant
            .client
            .mfa(request.mfa_token)
            .verify(request.verification)
            .await?;
        self.keep_login(
            audience.as_deref().unwrap_or(DEFAULT_AUDIENCE_KEY),
            &tokens,
            &tenant.domain,
            jar,
        )
        .await?;
        Ok(tokens.authorization_details)
    }

    /// Completes a passwordless login with the one-time code and keeps the session.
    pub async fn complete_passwordless(
        &self,
        request: CompletePasswordlessRequest,
        jar: &mut dyn CookieJar,
    ) -> Result<Option<Value>> {
        let params = self.params_over(&request.params);
        let audience = params.get("audience").map(str::to_owned);
        let (username, sms) = match request.to {
            PasswordlessTo::Email(e) | PasswordlessTo::EmailLink(e, _) => (e, false),
            PasswordlessTo::Sms(p) => (p, true),
        };
        let mut token_request = PasswordlessTokenRequest::new(username, request.code);
        if let Some(a) = &audience {
            token_request = token_request.audience(a.clone());
        }
        if let Some(s) = params.get("scope") {
            token_request = token_request.scope(s);
        }
        let tenant = self.tenant_of(jar)?;
        let tokens = if sms {
            tenant
                .client
                .get_token_by_passwordless_sms(token_request)
                .await?
        } else {
            tenant
                .client
                .get_token_by_passwordless_email(token_request)
                .await?
        };
        self.keep_login(
            audience.as_deref().unwrap_or(DEFAULT_AUDIENCE_KEY),
            &tokens,
            &tenant.domain,
            jar,
        )
        .await?;
        Ok(tokens.authorization_details)
    }

    /// A federated connection's access token (Token Vault) for the logged-in user, kept in the
    /// session until it expires, got with the session's refresh token otherwise.
    pub async fn get_access_token_for_connection(
        &self,
        request: ConnectionTokenRequest,
        jar: &mut dyn CookieJar,
    ) -> Result<ConnectionTokenSet> {
        let now = self.now();
        let name = &self.inner.session_cookie;
        let tenant = self.tenant_of(jar)?;
        let state = match self.session_of(&tenant, jar).await? {
            Session::None => None,
            Session::Foreign => return Err(foreign_session()),
            Session::Own(state) => Some(*state),
        };
        let connection = request.connection.as_str().to_owned();
        let matches = |t: &ConnectionTokenSet| {
            t.connection == connection
                && request
                    .login_hint
                    .as_ref()
                    .is_none_or(|h| t.login_hint.as_ref() == Some(h))
        };
        if let Some(found) = state
            .as_ref()
            .and_then(|s| s.connection_token_sets.as_ref())
            .and_then(|sets| sets.iter().find(|t| matches(t)))
            && found.expires_at > now
        {
            return Ok(found.clone());
        }
        let Some(mut state) = state else {
            return Err(Error::MissingSession(
                "Unable to retrieve an access token for a connection without a logged in user."
                    .into(),
            ));
        };
        let Some(refresh_token) = state.refresh_token.clone() else {
            return Err(Error::MissingRefreshToken);
        };
        let mut vault =
            ExchangeTokenRequest::token_vault(request.connection.clone(), refresh_token)
                .subject_token_type(REFRESH_TOKEN_TYPE);
        if let Some(h) = &request.login_hint {
            vault = vault.login_hint(h.clone());
        }
        let tokens = tenant.client.exchange_token(vault).await?;
        let fresh = ConnectionTokenSet {
            connection: connection.clone(),
            login_hint: request.login_hint.clone(),
            access_token: tokens.access_token.clone(),
            scope: tokens.scope.clone(),
            expires_at: tokens.expires_at,
        };
        let sets = state.connection_token_sets.get_or_insert_with(Vec::new);
        match sets.iter_mut().find(|t| matches(t)) {
            Some(slot) => *slot = fresh.clone(),
            None => sets.push(fresh.clone()),
        }
        self.inner
            .state_store
            .set(name, &state, false, jar, now)
            .await?;
        Ok(fresh)
    }

    /// Completes a login from its callback: checks it against the kept transaction, exchanges
    /// the code (validating the ID token), removes the transaction, and keeps the new session
    /// under a new id. Returns the `app_state` the login was started with.
    pub async fn complete_interactive_login(
        &self,
        request: CompleteInteractiveLoginRequest,
        jar: &mut dyn CookieJar,
    ) -> Result<CompletedLogin> {
        let now = self.now();
        let tx_name = &self.inner.transaction_cookie;
        let transaction = self
            .inner
            .transaction_store
            .get(tx_name, jar, now)
            .await?
            .ok_or(Error::MissingTransaction)?;
        let code_request = match &transaction.login {
            Some(login) => TokenByCodeRequest::from_transaction(request.callback, login),
            // Begun by auth0-server-js: it keeps only the verifier (and organization).
            None => {
                // A magic-link transaction has no verifier: not this callback's.
                let verifier = transaction
                    .code_verifier
                    .clone()
                    .ok_or(Error::MissingTransaction)?;
                let mut r = TokenByCodeRequest::new(request.callback, verifier);
                // The configured callback URL, when there is one (behind a proxy the callback's
                // own URL may differ); otherwise the callback's.
                if let Some(uri) = self.inner.params.get("redirect_uri") {
                    r = r.redirect_uri(uri);
                }
                if let Some(org) = &transaction.organization {
                    r = r.organization(org.clone());
                }
                r
            }
        };
        // The domain the login was started on (resolver mode), not this request's.
        let tenant = self
            .tenant_of(jar)?
            .remembered(&self.inner.tenancy, remembered_domain(&transaction))?;
        let tokens = tenant.client.get_token_by_code(code_request).await?;
        self.inner.transaction_store.delete(tx_name, jar).await?;
        let audience = transaction
            .audience
            .as_deref()
            .unwrap_or(DEFAULT_AUDIENCE_KEY);
        self.keep_login(audience, &tokens, &tenant.domain, jar)
            .await?;
        Ok(CompletedLogin {
            app_state: transaction.app_state,
            authorization_details: tokens.authorization_details,
        })
    }

    /// The logged-in user's claims, or `None` without a (valid) session. Reading a rolling
    /// session extends it.
    pub async fn get_user(&self, jar: &mut dyn CookieJar) -> Result<Option<Claims>> {
        Ok(self
            .get_session(jar)
            .await?
            .and_then(|s| s.user)
            .map(Claims::from))
    }

    /// The session, or `None` without a (valid) session. Reading a rolling session extends it.
    pub async fn get_session(&self, jar: &mut dyn CookieJar) -> Result<Option<StateData>> {
        let tenant = self.tenant_of(jar)?;
        match self.session_of(&tenant, jar).await {
            Ok(Session::Own(state)) => Ok(Some(*state)),
            Ok(Session::None | Session::Foreign) | Err(Error::SessionExpired) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// An access token from the session for the requested (or default) audience and scope;
    /// when the kept one has expired, or there is none for that audience, one is got with the
    /// refresh token and kept in the session (one token set per audience and scope).
    pub async fn get_access_token(
        &self,
        request: AccessTokenRequest,
        jar: &mut dyn CookieJar,
    ) -> Result<TokenSet> {
        let now = self.now();
        let name = &self.inner.session_cookie;
        let tenant = self.tenant_of(jar)?;
        let state = match self.session_of(&tenant, jar).await? {
            Session::None => None,
            Session::Foreign => return Err(foreign_session()),
            Session::Own(state) => Some(*state),
        };
        let requested_audience = request
            .audience
            .clone()
            .or_else(|| self.inner.params.get("audience").map(str::to_owned));
        let audience = requested_audience
            .as_deref()
            .unwrap_or(DEFAULT_AUDIENCE_KEY);
        let scope = request
            .scope
            .clone()
            .or_else(|| self.inner.params.get("scope").map(str::to_owned));
        if let Some(found) = state.as_ref().and_then(|s| {
            s.token_sets.iter().find(|t| {
                t.audience == audience
                    && (scope.is_none() || scopes_cover(t.scope.as_deref(), scope.as_deref()))
            })
        }) && found.expires_at > now
        {
            return Ok(found.clone());
        }
        let Some(state) = state else {
            return Err(Error::MissingRefreshToken);
        };
        let Some(refresh_token) = state.refresh_token.clone() else {
            return Err(Error::MissingRefreshToken);
        };
        let mut refresh = RefreshTokenRequest::new(refresh_token);
        // Only what the caller asked for goes to Auth0; `default` is a key, not an audience.
        if request.audience.is_some() || request.scope.is_some() {
            if let Some(a) = &requested_audience {
                refresh = refresh.audience(a.clone());
            }
            if let Some(s) = &scope {
                refresh = refresh.scope(s.clone());
            }
        }
        // The session's domain: equal to the resolved one after the check above.
        let tokens = tenant.client.get_token_by_refresh_token(refresh).await?;
        let updated = update_state(audience, Some(state), &tokens, now, &tenant.domain);
        self.inner
            .state_store
            .set(name, &updated, false, jar, now)
            .await?;
        Ok(token_set(audience, &tokens))
    }

    /// Revokes the session's refresh token at Auth0.
    /// In resolver mode another domain's session is left alone (nothing is revoked).
    pub async fn revoke_refresh_token(&self, jar: &mut dyn CookieJar) -> Result<()> {
        let tenant = self.tenant_of(jar)?;
        let state = match self.session_of(&tenant, jar).await {
            Ok(Session::Foreign) => return Ok(()),
            Ok(Session::Own(state)) => Some(*state),
            Ok(Session::None) | Err(Error::SessionExpired) => None,
            Err(e) => return Err(e),
        };
        let token = state.and_then(|s| s.refresh_token).ok_or_else(|| {
            Error::MissingSession(
                "Unable to revoke refresh token: no refresh token found in session.".into(),
            )
        })?;
        tenant
            .client
            .revoke_token(
                RevokeTokenRequest::new(token).token_type_hint(TokenTypeHint::RefreshToken),
            )
            .await?;
        Ok(())
    }

    /// Logs out: revokes the refresh token (best effort), deletes the session, and returns the
    /// URL that ends the Auth0 session.
    /// In resolver mode the URL is the resolved domain's, and another domain's session is
    /// neither revoked nor deleted.
    pub async fn logout(&self, request: LogoutRequest, jar: &mut dyn CookieJar) -> Result<Url> {
        let tenant = self.tenant_of(jar)?;
        let foreign =
            tenant.multi && matches!(self.session_of(&tenant, jar).await, Ok(Session::Foreign));
        if !foreign {
            let _ = self.revoke_refresh_token(jar).await;
            self.inner
                .state_store
                .delete(&self.inner.session_cookie, jar)
                .await?;
        }
        let url = tenant
            .client
            .build_logout_url(LogoutUrlRequest::new(request.return_to).federated(request.federated))
            .await?;
        Ok(url)
    }

    /// Handles a back-channel logout: verifies the logout token (signature, issuer, audience,
    /// event, …), then deletes every session it names by `sid` and/or `sub`. Returns how many
    /// sessions ended. With a cookie-only state store this fails: no server can reach a cookie.
    pub async fn handle_backchannel_logout(
        &self,
        request: BackchannelLogoutRequest,
    ) -> Result<usize> {
        if request.logout_token.expose_secret().is_empty() {
            return Err(Error::BackchannelLogout("Missing Logout Token".into()));
        }
        // Resolver mode: the domain of the host the logout was POSTed to.
        let tenant = self.tenant(request.request_host.as_deref())?;
        if tenant.multi {
            // The issuer (read before verifying) must be the resolved domain; that domain's
            // client then verifies the token.
            let iss = auth0_auth::jws::decode_unverified(request.logout_token.expose_secret())
                .ok()
                .and_then(|jws| {
                    jws.claims
                        .get("iss")
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                })
                .ok_or_else(|| {
                    Error::BackchannelLogout("The logout token has no issuer.".into())
                })?;
            if tenancy::normalize_domain(&iss).ok().as_deref() != Some(&tenant.domain) {
                return Err(Error::BackchannelLogout(
                    "The logout token's issuer does not match the current domain.".into(),
                ));
            }
        }
        let mut verify = VerifyLogoutTokenRequest::new(request.logout_token);
        if let Some(guard) = &request.replay_guard {
            verify = verify.replay_guard(guard);
        }
        let claims = tenant.client.verify_logout_token(verify).await?;
        let iss = claims
            .as_map()
            .get("iss")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let target = LogoutClaims {
            sid: claims.sid.clone(),
            sub: claims.sub.clone(),
            iss,
        };
        self.inner.state_store.delete_by_logout_token(&target).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_belongs_to_its_recorded_domain_else_its_issuers() {
        let state = |domain: Option<&str>, iss: Option<&str>| {
            let mut user = Map::new();
            if let Some(iss) = iss {
                user.insert("iss".into(), Value::from(iss));
            }
            StateData {
                user: Some(user),
                id_token: None,
                refresh_token: None,
                token_sets: Vec::new(),
                connection_token_sets: None,
                domain: domain.map(str::to_owned),
                session_expires_at: None,
                internal: InternalStateData {
                    sid: None,
                    created_at: 0,
                },
                extra: Map::new(),
            }
        };
        let recorded = state(Some("A.example"), Some("https://b.example/"));
        assert_eq!(session_domain(&recorded).as_deref(), Some("a.example"));
        let legacy = state(None, Some("https://B.example:8443/"));
        assert_eq!(session_domain(&legacy).as_deref(), Some("b.example:8443"));
        assert_eq!(session_domain(&state(None, None)), None);
    }

    #[test]
    fn session_expiry_takes_only_plausible_seconds() {
        let c = |v: Value| {
            Claims::from(
                serde_json::json!({"session_expiry": v})
                    .as_object()
                    .cloned()
                    .unwrap(),
            )
        };
        assert_eq!(
            session_expiry(&c(Value::from(1_900_000_000u64))),
            Some(1_900_000_000)
        );
        assert_eq!(session_expiry(&c(Value::from(1_900_000_000_000u64))), None);
        assert_eq!(session_expiry(&c(Value::from(1.5))), None);
        assert_eq!(session_expiry(&c(Value::from("1900000000"))), None);
        assert_eq!(session_expiry(&c(Value::from(0))), None);
        assert_eq!(session_expiry(&Claims::default()), None);
    }

    #[test]
    fn scopes_compare_as_the_reference() {
        assert!(scopes_cover(None, None));
        assert!(scopes_cover(Some("a b"), Some("b")));
        assert!(scopes_cover(Some("a b"), Some("b a")));
        assert!(!scopes_cover(Some("a"), Some("a b")));
        assert!(!scopes_cover(None, Some("a")));
        assert!(!scopes_cover(Some("a"), None));
    }
}
