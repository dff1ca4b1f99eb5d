//! The per-request side: [`Auth0Layer`] (made by [`Auth0Web::layer`] and
//! [`Auth0Web::require_login`]) gives each request a cookie jar that the extractors share and
//! writes the jar's changes (a rolled session, refreshed tokens, a deleted refused cookie) to
//! the response; the extractors [`Session`], [`User`] and [`AccessToken`] read through it.
//!
//! Imports `auth0-server`'s session types, the sibling `config`, `jar` and `error` modules,
//! axum, tokio's `Mutex` and tower's `Layer`/`Service` traits.

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use auth0_auth::{Claims, ErrorClass, SecretString};
use auth0_server::{AccessTokenRequest, StateData, TokenSet};
use axum::extract::{FromRequestParts, OptionalFromRequestParts, Request};
use axum::http::Method;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use tokio::sync::Mutex;
use tower_layer::Layer;
use tower_service::Service;

use super::config::Auth0Web;
use super::error::{WebError, needs_login};
use super::jar::RequestCookieJar;

struct Shared {
    jar: RequestCookieJar,
    /// The session once read in this request (`Some(None)`: there is none).
    session: Option<Option<StateData>>,
}

/// What the layer hands the extractors through the request's extensions.
#[derive(Clone)]
struct RequestContext {
    auth: Auth0Web,
    shared: Arc<Mutex<Shared>>,
}

impl RequestContext {
    fn new(auth: Auth0Web, headers: &axum::http::HeaderMap) -> Self {
        Self {
            auth,
            shared: Arc::new(Mutex::new(Shared {
                jar: RequestCookieJar::from_headers(headers),
                session: None,
            })),
        }
    }

    async fn session(&self) -> Result<Option<StateData>, auth0_server::Error> {
        let mut shared = self.shared.lock().await;
        if let Some(cached) = &shared.session {
            return Ok(cached.clone());
        }
        let read = self.auth.inner.client.get_session(&mut shared.jar).await?;
        shared.session = Some(read.clone());
        Ok(read)
    }

    async fn access_token(
        &self,
        request: AccessTokenRequest,
    ) -> Result<TokenSet, auth0_server::Error> {
        let mut shared = self.shared.lock().await;
        let result = self
            .auth
            .inner
            .client
            .get_access_token(request, &mut shared.jar)
            .await;
        // A refresh rewrites the session: read it afresh if asked again.
        shared.session = None;
        result
    }

    async fn write_cookies(&self, response: &mut Response) {
        let shared = self.shared.lock().await;
        shared.jar.apply(response.headers_mut());
    }
}

/// Where a request without a session is sent: the login route, returning to the request's own
/// path for `GET` and `HEAD` (elsewhere to the default).
fn login_target(auth: &Auth0Web, method: &Method, uri: &axum::http::Uri) -> String {
    if *method == Method::GET || *method == Method::HEAD {
        let here = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
        auth.login_url(here)
    } else {
        auth.login_url(&auth.inner.default_return_to)
    }
}

fn context(parts: &Parts) -> Result<RequestContext, WebError> {
    parts
        .extensions
        .get::<RequestContext>()
        .cloned()
        .ok_or_else(WebError::not_installed)
}

impl Auth0Web {
    /// The layer the extractors need: install it on the whole application
    /// (`Router::layer`). It reads nothing until an extractor asks, and writes the cookie
    /// changes of the request to its response.
    pub fn layer(&self) -> Auth0Layer {
        Auth0Layer {
            auth: self.clone(),
            require_login: false,
        }
    }

    /// [`layer`](Self::layer), and a route group that needs a logged-in user: a request
    /// without a (valid) session is sent to the login route, returning here afterwards.
    pub fn require_login(&self) -> Auth0Layer {
        Auth0Layer {
            auth: self.clone(),
            require_login: true,
        }
    }
}

/// The layer of [`Auth0Web::layer`] and [`Auth0Web::require_login`].
#[derive(Clone, Debug)]
pub struct Auth0Layer {
    auth: Auth0Web,
    require_login: bool,
}

impl<I> Layer<I> for Auth0Layer {
    type Service = Auth0Service<I>;

    fn layer(&self, inner: I) -> Self::Service {
        Auth0Service {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service [`Auth0Layer`] wraps a route in.
#[derive(Clone)]
pub struct Auth0Service<I> {
    inner: I,
    layer: Auth0Layer,
}

impl<I> fmt::Debug for Auth0Service<I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Auth0Service")
            .field("require_login", &self.layer.require_login)
            .finish_non_exhaustive()
    }
}

impl<I> Service<Request> for Auth0Service<I>
where
    I: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    I::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request) -> Self::Future {
        // The clone that was polled ready handles this request.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let layer = self.layer.clone();
        Box::pin(async move {
            // An outer layer already made the context: share it and let it write the cookies.
            let (ctx, owner) = match request.extensions().get::<RequestContext>() {
                Some(ctx) => (ctx.clone(), false),
                None => {
                    let ctx = RequestContext::new(layer.auth.clone(), request.headers());
                    request.extensions_mut().insert(ctx.clone());
                    (ctx, true)
                }
            };
            let mut response = if layer.require_login {
                let target = login_target(&layer.auth, request.method(), request.uri());
                match ctx.session().await {
                    Ok(Some(_)) => inner.call(request).await?,
                    Ok(None) => WebError::login(target).into_response(),
                    Err(e) => WebError::from_server(e, Some(target)).into_response(),
                }
            } else {
                inner.call(request).await?
            };
            if owner {
                ctx.write_cookies(&mut response).await;
            }
            Ok(response)
        })
    }
}

/// The logged-in user's session. Without one the browser is sent to log in (and back);
/// `Option<Session>` gives `None` instead. Needs [`Auth0Web::layer`] (or
/// [`require_login`](Auth0Web::require_login)) on the route.
#[derive(Clone, Debug)]
pub struct Session(pub StateData);

/// The logged-in user's claims (from the ID token). Without a session the browser is sent to
/// log in (and back); `Option<User>` gives `None` instead.
#[derive(Clone, Debug)]
pub struct User(pub Claims);

async fn session_or_login(parts: &Parts) -> Result<StateData, WebError> {
    let ctx = context(parts)?;
    let target = login_target(&ctx.auth, &parts.method, &parts.uri);
    match ctx.session().await {
        Ok(Some(s)) => Ok(s),
        Ok(None) => Err(WebError::login(target)),
        Err(e) => Err(WebError::from_server(e, Some(target))),
    }
}

async fn optional_session(parts: &Parts) -> Result<Option<StateData>, WebError> {
    let ctx = context(parts)?;
    match ctx.session().await {
        Ok(s) => Ok(s),
        // A refused or expired session cookie is no session (it has been deleted).
        Err(e) if needs_login(&e) => Ok(None),
        Err(e) => Err(WebError::from(e)),
    }
}

fn user_of(state: StateData) -> Option<User> {
    state.user.map(|u| User(Claims::from(u)))
}

impl<S: Send + Sync> FromRequestParts<S> for Session {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, WebError> {
        session_or_login(parts).await.map(Session)
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for Session {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Option<Self>, WebError> {
        Ok(optional_session(parts).await?.map(Session))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for User {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, WebError> {
        let ctx = context(parts)?;
        let state = session_or_login(parts).await?;
        user_of(state)
            .ok_or_else(|| WebError::login(login_target(&ctx.auth, &parts.method, &parts.uri)))
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for User {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Option<Self>, WebError> {
        Ok(optional_session(parts).await?.and_then(user_of))
    }
}

/// Names the API an [`AccessToken`] is for. Implement it on a marker type:
///
/// ```
/// struct Billing;
/// impl auth0_axum::web::Api for Billing {
///     const AUDIENCE: Option<&'static str> = Some("https://billing.example.com/");
///     const SCOPE: Option<&'static str> = Some("read:invoices");
/// }
/// ```
pub trait Api: Send + Sync + 'static {
    /// The audience (`None`: the configured default audience).
    const AUDIENCE: Option<&'static str> = None;
    /// The scopes the token must carry (`None`: the configured scope).
    const SCOPE: Option<&'static str> = None;
}

/// The configured default audience.
#[derive(Debug, Clone, Copy)]
pub struct DefaultApi;

impl Api for DefaultApi {}

/// An access token for API `A` from the session, refreshed with the session's refresh token
/// when it has expired (the session is updated on the way). Without a session, or when the
/// refresh is refused, the browser is sent to log in again.
pub struct AccessToken<A: Api = DefaultApi> {
    set: TokenSet,
    api: PhantomData<fn() -> A>,
}

impl<A: Api> fmt::Debug for AccessToken<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("audience", &self.set.audience)
            .field("scope", &self.set.scope)
            .field("expires_at", &self.set.expires_at)
            .finish_non_exhaustive()
    }
}

impl<A: Api> AccessToken<A> {
    /// The access token.
    pub fn secret(&self) -> &SecretString {
        &self.set.access_token
    }

    /// The token with its audience, scope and expiry.
    pub fn token_set(&self) -> &TokenSet {
        &self.set
    }
}

impl<S: Send + Sync, A: Api> FromRequestParts<S> for AccessToken<A> {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, WebError> {
        let ctx = context(parts)?;
        let target = login_target(&ctx.auth, &parts.method, &parts.uri);
        let mut request = AccessTokenRequest::new();
        if let Some(a) = A::AUDIENCE {
            request = request.audience(a);
        }
        if let Some(s) = A::SCOPE {
            request = request.scope(s);
        }
        match ctx.access_token(request).await {
            Ok(set) => Ok(Self {
                set,
                api: PhantomData,
            }),
            // A refused refresh (revoked or expired refresh token): the user logs in again.
            Err(auth0_server::Error::Auth(e)) if e.class() == ErrorClass::Request => {
                Err(WebError::login(target))
            }
            Err(e) => Err(WebError::from_server(e, Some(target))),
        }
    }
}
