//! [`Auth0Web`] and its builder: the application's base URL, cookie secret, session store,
//! route paths and redirect policy, from code or from the environment variables Auth0's
//! framework SDKs read (`AUTH0_DOMAIN`, `AUTH0_CLIENT_ID`, `AUTH0_CLIENT_SECRET`,
//! `AUTH0_SECRET`, `APP_BASE_URL`, and optionally `AUTH0_AUDIENCE`, `AUTH0_SCOPE`).
//!
//! Imports `auth0-auth`'s client, `auth0-server`'s client and stores, and the sibling `store`
//! and `redirect` modules.

use std::fmt;
use std::sync::Arc;

use auth0_auth::{AuthClient, AuthorizationParams, LogoutTokenReplayGuard, SecretString};
use auth0_server::{
    CookieOptions, CookieTransactionStore, Error, Result, Secrets, ServerClient, SessionConfig,
    SessionStore, SharedClock, StatefulStateStore, StatelessStateStore,
};
use url::Url;

use super::redirect::{origin_of, safe_return_to};
use super::store::{AnySessionStore, WebStateStore};

/// The `auth0-server` client an [`Auth0Web`] drives.
pub type WebClient = ServerClient<CookieTransactionStore, WebStateStore>;

/// The scope of a login when none is configured (`offline_access` for refreshed tokens).
pub const DEFAULT_SCOPE: &str = "openid profile email offline_access";

/// Authorization parameters an application may never take from a login's query: they bind the
/// login to this application and its transaction.
const PROTECTED_PARAMS: &[&str] = &[
    "client_id",
    "redirect_uri",
    "response_type",
    "response_mode",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "request",
    "request_uri",
];

/// One of the routes [`Auth0Web::router`] mounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthRoute {
    /// Starts a login (`/auth/login`).
    Login,
    /// Completes a login (`/auth/callback`).
    Callback,
    /// Logs out (`/auth/logout`).
    Logout,
    /// Receives Auth0's back-channel logout (`/auth/backchannel-logout`).
    BackchannelLogout,
    /// The user's claims as JSON (`/auth/profile`; off unless enabled).
    Profile,
    /// An access token as JSON (`/auth/access-token`; off unless enabled).
    AccessToken,
}

impl AuthRoute {
    fn index(self) -> usize {
        match self {
            Self::Login => 0,
            Self::Callback => 1,
            Self::Logout => 2,
            Self::BackchannelLogout => 3,
            Self::Profile => 4,
            Self::AccessToken => 5,
        }
    }
}

const DEFAULT_PATHS: [&str; 6] = [
    "/auth/login",
    "/auth/callback",
    "/auth/logout",
    "/auth/backchannel-logout",
    "/auth/profile",
    "/auth/access-token",
];

/// Which methods the logout route answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum LogoutMethod {
    /// `GET` and `POST` (the default; a plain link works).
    #[default]
    GetOrPost,
    /// `POST` only: another site cannot log the user out with a link or an image (the
    /// `SameSite=Lax` session cookie is not sent on another site's `POST`).
    PostOnly,
}

pub(crate) struct Inner {
    pub(crate) client: WebClient,
    pub(crate) base: Url,
    pub(crate) paths: [String; 6],
    pub(crate) profile_route: bool,
    pub(crate) access_token_route: bool,
    pub(crate) allowed_origins: Vec<String>,
    pub(crate) query_params: Vec<String>,
    pub(crate) logout_method: LogoutMethod,
    pub(crate) post_logout_return_to: String,
    pub(crate) default_return_to: String,
    pub(crate) replay_guard: LogoutTokenReplayGuard,
}

/// An application's Auth0 web integration: make one with [`Auth0Web::builder`] (or
/// [`Auth0WebBuilder::from_env`]), mount [`router`](Self::router), and install
/// [`layer`](Self::layer) for the extractors. Cheap to clone.
#[derive(Clone)]
pub struct Auth0Web {
    pub(crate) inner: Arc<Inner>,
}

impl fmt::Debug for Auth0Web {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Auth0Web")
            .field("base", &self.inner.base.as_str())
            .field("paths", &self.inner.paths)
            .field("client", &self.inner.client)
            .finish_non_exhaustive()
    }
}

impl Auth0Web {
    /// A builder for an application at `app_base_url` (`https://…`, or plain `http://` on a
    /// loopback host), with the protocol client `auth` and the cookie secret `secret` (at
    /// least 32 characters).
    pub fn builder(auth: AuthClient, secret: SecretString, app_base_url: Url) -> Auth0WebBuilder {
        Auth0WebBuilder {
            auth,
            secret,
            previous_secrets: Vec::new(),
            base: app_base_url,
            params: AuthorizationParams::new(),
            session_store: None,
            session_config: None,
            paths: DEFAULT_PATHS.map(str::to_owned),
            profile_route: false,
            access_token_route: false,
            allowed_origins: Vec::new(),
            query_params: Vec::new(),
            logout_method: LogoutMethod::default(),
            post_logout_return_to: None,
            default_return_to: "/".to_owned(),
            clock: None,
        }
    }

    /// The `auth0-server` client (for operations the routes do not cover).
    pub fn client(&self) -> &WebClient {
        &self.inner.client
    }

    /// The path of a route.
    pub fn path(&self, route: AuthRoute) -> &str {
        &self.inner.paths[route.index()]
    }

    /// The login route's URL (a path) that returns to `return_to` afterwards.
    pub fn login_url(&self, return_to: &str) -> String {
        let mut out = self.path(AuthRoute::Login).to_owned();
        out.push_str("?returnTo=");
        out.extend(url::form_urlencoded::byte_serialize(return_to.as_bytes()));
        out
    }

    /// `return_to` if it stays on this application (or an allowed origin); `None` otherwise.
    pub fn safe_return_to(&self, return_to: &str) -> Option<String> {
        safe_return_to(return_to, &self.inner.base, &self.inner.allowed_origins)
    }

    pub(crate) fn callback_url(&self) -> Result<Url> {
        self.inner
            .base
            .join(self.path(AuthRoute::Callback))
            .map_err(|_| Error::InvalidConfiguration("the callback path is not a URL path".into()))
    }
}

/// Builds an [`Auth0Web`].
pub struct Auth0WebBuilder {
    auth: AuthClient,
    secret: SecretString,
    previous_secrets: Vec<SecretString>,
    base: Url,
    params: AuthorizationParams,
    session_store: Option<AnySessionStore>,
    session_config: Option<SessionConfig>,
    paths: [String; 6],
    profile_route: bool,
    access_token_route: bool,
    allowed_origins: Vec<String>,
    query_params: Vec<String>,
    logout_method: LogoutMethod,
    post_logout_return_to: Option<String>,
    default_return_to: String,
    clock: Option<SharedClock>,
}

impl fmt::Debug for Auth0WebBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Auth0WebBuilder")
            .field("base", &self.base.as_str())
            .field("paths", &self.paths)
            .finish_non_exhaustive()
    }
}

/// Reads a configuration from `lookup` (the environment, in [`Auth0WebBuilder::from_env`]).
pub(crate) fn builder_from(lookup: impl Fn(&str) -> Option<String>) -> Result<Auth0WebBuilder> {
    let get = |name: &'static str| {
        lookup(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let require = |name: &'static str| {
        get(name).ok_or_else(|| {
            Error::InvalidConfiguration(format!("the environment variable {name} is not set"))
        })
    };
    let domain = require("AUTH0_DOMAIN")?;
    let client_id = require("AUTH0_CLIENT_ID")?;
    let secret = require("AUTH0_SECRET")?;
    let base = require("APP_BASE_URL")?;
    let base = Url::parse(&base)
        .map_err(|_| Error::InvalidConfiguration("APP_BASE_URL is not an absolute URL".into()))?;
    let mut auth = AuthClient::builder(domain, client_id);
    if let Some(client_secret) = get("AUTH0_CLIENT_SECRET") {
        auth = auth.client_secret(client_secret);
    }
    let mut builder = Auth0Web::builder(auth.build()?, SecretString::from(secret), base);
    if let Some(audience) = get("AUTH0_AUDIENCE") {
        builder = builder.audience(audience);
    }
    if let Some(scope) = get("AUTH0_SCOPE") {
        builder = builder.scope(scope);
    }
    Ok(builder)
}

impl Auth0WebBuilder {
    /// A builder from the environment: `AUTH0_DOMAIN`, `AUTH0_CLIENT_ID`, `AUTH0_SECRET` and
    /// `APP_BASE_URL` are required; `AUTH0_CLIENT_SECRET`, `AUTH0_AUDIENCE` and `AUTH0_SCOPE`
    /// are used when set. Errors name the variable, never its value.
    pub fn from_env() -> Result<Self> {
        builder_from(|name| std::env::var(name).ok())
    }

    /// The API logins ask a token for (and the default of [`AccessToken`](super::AccessToken)).
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.params = self.params.audience(audience.into());
        self
    }

    /// The scope of logins (default [`DEFAULT_SCOPE`]; `openid` is always added).
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.params = self.params.scope(scope.into());
        self
    }

    /// Further authorization parameters of every login (laid under the scope and audience).
    pub fn authorization_params(mut self, params: AuthorizationParams) -> Self {
        for (k, v) in params.iter() {
            self.params = self.params.set(k, v);
        }
        self
    }

    /// An older cookie secret still accepted while it is rotated out.
    pub fn previous_secret(mut self, secret: SecretString) -> Self {
        self.previous_secrets.push(secret);
        self
    }

    /// Keeps sessions on the server in `store` (the cookie holds only an encrypted id), which
    /// also lets back-channel logout end them. Without this, sessions live in encrypted
    /// cookies.
    pub fn session_store(mut self, store: impl SessionStore) -> Self {
        self.session_store = Some(AnySessionStore::new(store));
        self
    }

    /// Session durations and cookie attributes. By default sessions roll (1 day of inactivity,
    /// 3 days at most) and cookies are `HttpOnly`, `SameSite=Lax`, and `Secure` when the base
    /// URL is `https`.
    pub fn session_config(mut self, config: SessionConfig) -> Self {
        self.session_config = Some(config);
        self
    }

    /// Mounts `route` at `path` (an absolute path, such as `/signin`).
    pub fn path(mut self, route: AuthRoute, path: impl Into<String>) -> Self {
        self.paths[route.index()] = path.into();
        self
    }

    /// Mounts the profile route (the user's claims as JSON).
    pub fn profile_route(mut self, on: bool) -> Self {
        self.profile_route = on;
        self
    }

    /// Mounts the access-token route (the default audience's token as JSON, for the app's own
    /// front end).
    pub fn access_token_route(mut self, on: bool) -> Self {
        self.access_token_route = on;
        self
    }

    /// Also allows `returnTo` URLs on `origin` (`https://docs.example.com`).
    pub fn allowed_return_origin(mut self, origin: impl Into<String>) -> Self {
        let origin: String = origin.into();
        // An unparsable origin is kept verbatim: it never equals a parsed one, so it allows
        // nothing, and `build` refuses it.
        self.allowed_origins
            .push(origin_of(&origin).unwrap_or(origin));
        self
    }

    /// Authorization parameters the login route takes from its query (such as `screen_hint`,
    /// `ui_locales`, `organization`, `connection`); any other query parameter is ignored.
    pub fn login_query_params<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.query_params.extend(names.into_iter().map(Into::into));
        self
    }

    /// Which methods the logout route answers (default: `GET` and `POST`).
    pub fn logout_method(mut self, method: LogoutMethod) -> Self {
        self.logout_method = method;
        self
    }

    /// Where Auth0 sends the browser after logout (default: the base URL). It must be an
    /// allowed logout URL of the application at Auth0.
    pub fn post_logout_return_to(mut self, url: impl Into<String>) -> Self {
        self.post_logout_return_to = Some(url.into());
        self
    }

    /// Where a login without `returnTo` ends (default `/`).
    pub fn default_return_to(mut self, path: impl Into<String>) -> Self {
        self.default_return_to = path.into();
        self
    }

    /// Where "now" comes from for sessions and tokens (default: the system clock).
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.clock = Some(clock);
        self
    }

    /// The integration. Refuses a plain `http://` base URL off loopback, paths that are not
    /// distinct absolute paths, protected authorization parameters in the query allow-list,
    /// and a short cookie secret.
    pub fn build(self) -> Result<Auth0Web> {
        let base = self.base;
        match base.scheme() {
            "https" => {}
            "http" if auth0_auth::is_loopback(&base) => {}
            _ => {
                return Err(Error::InvalidConfiguration(
                    "APP_BASE_URL must be https:// (plain http:// only on a loopback host)".into(),
                ));
            }
        }
        if base.cannot_be_a_base() || base.host().is_none() {
            return Err(Error::InvalidConfiguration(
                "APP_BASE_URL must be an absolute URL with a host".into(),
            ));
        }
        for (i, p) in self.paths.iter().enumerate() {
            if !p.starts_with('/') || p.starts_with("//") || p.contains(['?', '#', '\\', ' ']) {
                return Err(Error::InvalidConfiguration(format!(
                    "the route path {p:?} must be an absolute path"
                )));
            }
            if self.paths[..i].contains(p) {
                return Err(Error::InvalidConfiguration(format!(
                    "the route path {p:?} is used twice"
                )));
            }
        }
        if let Some(p) = self
            .query_params
            .iter()
            .find(|p| PROTECTED_PARAMS.contains(&p.as_str()) || *p == "returnTo")
        {
            return Err(Error::InvalidConfiguration(format!(
                "the authorization parameter {p:?} cannot come from the login's query"
            )));
        }
        for o in &self.allowed_origins {
            if origin_of(o).as_deref() != Some(o.as_str()) {
                return Err(Error::InvalidConfiguration(format!(
                    "{o:?} is not an http(s) origin"
                )));
            }
        }
        if safe_return_to(&self.default_return_to, &base, &self.allowed_origins).is_none() {
            return Err(Error::InvalidConfiguration(
                "the default return path must be on the application".into(),
            ));
        }
        let mut secrets = Secrets::new(self.secret)?;
        for previous in self.previous_secrets {
            secrets = secrets.with_previous(previous)?;
        }
        let secure = base.scheme() == "https";
        let cookie = CookieOptions {
            secure,
            ..CookieOptions::default()
        };
        let session_config = self.session_config.unwrap_or_else(|| SessionConfig {
            cookie: cookie.clone(),
            ..SessionConfig::default()
        });
        let transactions = CookieTransactionStore::new(secrets.clone()).cookie_options(cookie);
        let sessions = match self.session_store {
            Some(store) => WebStateStore::server(
                StatefulStateStore::new(secrets, store).config(session_config),
            ),
            None => {
                WebStateStore::cookies(StatelessStateStore::new(secrets).config(session_config))
            }
        };
        let callback = base
            .join(&self.paths[AuthRoute::Callback.index()])
            .map_err(|_| {
                Error::InvalidConfiguration("the callback path is not a URL path".into())
            })?;
        let mut params = AuthorizationParams::new()
            .scope(DEFAULT_SCOPE)
            .redirect_uri(callback.as_str());
        for (k, v) in self.params.iter() {
            params = params.set(k, v);
        }
        let mut client =
            ServerClient::builder(self.auth, transactions, sessions).authorization_params(params);
        if let Some(clock) = self.clock {
            client = client.clock(clock);
        }
        let client = client.build()?;
        let post_logout_return_to = self
            .post_logout_return_to
            .unwrap_or_else(|| base.as_str().to_owned());
        Ok(Auth0Web {
            inner: Arc::new(Inner {
                client,
                base,
                paths: self.paths,
                profile_route: self.profile_route,
                access_token_route: self.access_token_route,
                allowed_origins: self.allowed_origins,
                query_params: self.query_params,
                logout_method: self.logout_method,
                post_logout_return_to,
                default_return_to: self.default_return_to,
                replay_guard: LogoutTokenReplayGuard::new(),
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const SECRET: &str = "a-unit-test-cookie-secret-of-32-chars!!";

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |k| map.get(k).cloned()
    }

    fn full_env() -> Vec<(&'static str, &'static str)> {
        vec![
            ("AUTH0_DOMAIN", "tenant.eu.auth0.com"),
            ("AUTH0_CLIENT_ID", "cid"),
            ("AUTH0_CLIENT_SECRET", "very-secret-client-secret"),
            ("AUTH0_SECRET", SECRET),
            ("APP_BASE_URL", "https://app.example.com"),
            ("AUTH0_AUDIENCE", "https://api.example.com/"),
        ]
    }

    #[test]
    fn the_environment_configures_everything() {
        let web = builder_from(env(&full_env())).unwrap().build().unwrap();
        assert_eq!(
            web.callback_url().unwrap().as_str(),
            "https://app.example.com/auth/callback"
        );
        assert_eq!(web.path(AuthRoute::Login), "/auth/login");
        assert_eq!(
            web.login_url("/a b?c=1"),
            "/auth/login?returnTo=%2Fa+b%3Fc%3D1"
        );
    }

    #[test]
    fn missing_variables_are_named_and_values_never_echoed() {
        for missing in [
            "AUTH0_DOMAIN",
            "AUTH0_CLIENT_ID",
            "AUTH0_SECRET",
            "APP_BASE_URL",
        ] {
            let vars: Vec<_> = full_env()
                .into_iter()
                .filter(|(k, _)| *k != missing)
                .collect();
            let e = builder_from(env(&vars)).err().unwrap().to_string();
            assert!(e.contains(missing), "{e}");
        }
        let mut vars = full_env();
        vars.retain(|(k, _)| *k != "AUTH0_SECRET");
        vars.push(("AUTH0_SECRET", "too-short-secret"));
        let e = builder_from(env(&vars)).unwrap().build().err().unwrap();
        assert!(!e.to_string().contains("too-short-secret"));
        assert!(!format!("{e:?}").contains("very-secret-client-secret"));
    }

    #[test]
    fn plain_http_only_on_loopback() {
        for (url, ok) in [
            ("http://localhost:3000", true),
            ("http://127.0.0.1:3000", true),
            ("http://[::1]:3000", true),
            ("http://app.example.com", false),
            ("ftp://app.example.com", false),
        ] {
            let mut vars = full_env();
            vars.retain(|(k, _)| *k != "APP_BASE_URL");
            vars.push(("APP_BASE_URL", url));
            let built = builder_from(env(&vars)).unwrap().build();
            assert_eq!(built.is_ok(), ok, "{url}");
        }
    }

    #[test]
    fn bad_paths_and_protected_query_params_are_refused() {
        let b = || builder_from(env(&full_env())).unwrap();
        assert!(b().path(AuthRoute::Login, "login").build().is_err());
        assert!(b().path(AuthRoute::Login, "//evil").build().is_err());
        assert!(b().path(AuthRoute::Logout, "/auth/login").build().is_err());
        assert!(b().login_query_params(["redirect_uri"]).build().is_err());
        assert!(b().login_query_params(["state"]).build().is_err());
        assert!(b().login_query_params(["screen_hint"]).build().is_ok());
        assert!(b().allowed_return_origin("javascript:x").build().is_err());
        assert!(b().default_return_to("https://evil.com/").build().is_err());
        let web = b()
            .allowed_return_origin("https://Docs.Example.com/")
            .build()
            .unwrap();
        assert!(web.safe_return_to("https://docs.example.com/x").is_some());
    }
}
