//! Protecting axum routes with `auth0-api`: [`ApiGuard`] (the verifier and how to read a
//! request), the [`Authenticated`] extractor, the [`RequireAuth`] layer (required scopes per
//! route) and [`ApiRejection`] (the HTTP answer to a refused request).
//!
//! Imports `auth0-api`, axum and tower's `Layer`/`Service` traits only.

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use auth0_api::{AccessTokenClaims, ApiClient, ApiError, VerifyAccessTokenRequest};
use axum::extract::{FromRef, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tower_layer::Layer;
use tower_service::Service;

const DPOP: HeaderName = HeaderName::from_static("dpop");
const DPOP_NONCE: HeaderName = HeaderName::from_static("dpop-nonce");

/// Verifies the access tokens of requests. Put it in the router's state (or make it reachable
/// with [`FromRef`]) for the [`Authenticated`] extractor; make layers with
/// [`require_scopes`](Self::require_scopes).
#[derive(Clone, Debug)]
pub struct ApiGuard {
    api: ApiClient,
    public_origin: Option<Arc<str>>,
}

impl ApiGuard {
    /// A guard verifying with `api`.
    pub fn new(api: ApiClient) -> Self {
        Self {
            api,
            public_origin: None,
        }
    }

    /// The origin clients call the API at (`https://api.example.com`), from which the URL a
    /// DPoP proof's `htu` must match is built (with the request's path). Without it the origin
    /// is `https://` and the request's `Host`, which is only right when TLS ends in front of
    /// this service and the `Host` header is the public one.
    pub fn public_origin(mut self, origin: impl Into<String>) -> Self {
        let origin: String = origin.into();
        self.public_origin = Some(Arc::from(origin.trim_end_matches('/')));
        self
    }

    /// The API client.
    pub fn api(&self) -> &ApiClient {
        &self.api
    }

    /// A layer that lets through requests with a valid token only (and hands the claims to
    /// [`Authenticated`]).
    pub fn layer(&self) -> RequireAuth {
        RequireAuth {
            guard: self.clone(),
            scopes: Arc::from(Vec::new()),
            permissions: Arc::from(Vec::new()),
        }
    }

    /// A layer that lets through requests whose token holds every one of `scopes`.
    pub fn require_scopes<I, S>(&self, scopes: I) -> RequireAuth
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut layer = self.layer();
        layer.scopes = scopes.into_iter().map(Into::into).collect();
        layer
    }

    /// Verifies the token of a request, requiring `scopes` and `permissions`.
    pub async fn verify(
        &self,
        parts: &Parts,
        scopes: &[String],
        permissions: &[String],
    ) -> Result<AccessTokenClaims, ApiRejection> {
        let request = self
            .request_of(parts)?
            .required_scopes(scopes.iter().cloned())
            .required_permissions(permissions.iter().cloned());
        self.api
            .verify_access_token(request)
            .await
            .map_err(ApiRejection)
    }

    /// Reads the token, the proof and the request line of a request.
    fn request_of(&self, parts: &Parts) -> Result<VerifyAccessTokenRequest, ApiRejection> {
        let bad = |m: &str| ApiRejection(self.api.invalid_request_error(m));
        let mut authorizations = parts.headers.get_all(header::AUTHORIZATION).iter();
        let Some(authorization) = authorizations.next() else {
            return Err(ApiRejection(self.api.missing_token_error()));
        };
        if authorizations.next().is_some() {
            return Err(bad("more than one Authorization header was sent"));
        }
        let authorization = authorization
            .to_str()
            .map_err(|_| bad("the Authorization header is not text"))?;
        let mut request = VerifyAccessTokenRequest::from_authorization_header(authorization);
        let proofs: Vec<&str> = parts
            .headers
            .get_all(DPOP)
            .iter()
            .map(|v| v.to_str().map_err(|_| bad("the DPoP header is not text")))
            .collect::<Result<_, _>>()?;
        if !proofs.is_empty() {
            // Several headers become one list, which the verifier refuses as several proofs.
            request = request
                .dpop_proof(proofs.join(","))
                .http_method(parts.method.as_str());
        }
        let path = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/");
        let url = match &self.public_origin {
            Some(origin) => format!("{origin}{path}"),
            None => {
                let host = parts
                    .headers
                    .get(header::HOST)
                    .and_then(|h| h.to_str().ok())
                    .or_else(|| parts.uri.authority().map(|a| a.as_str()));
                match host {
                    Some(host) => format!("https://{host}{path}"),
                    None => return Ok(request),
                }
            }
        };
        Ok(request.http_url(url))
    }
}

/// The verified claims of the request's access token. Taken from the [`RequireAuth`] layer
/// when the route has one; otherwise the token is verified here (no scope required), with the
/// [`ApiGuard`] of the router's state.
#[derive(Clone, Debug)]
pub struct Authenticated(pub AccessTokenClaims);

impl<S> FromRequestParts<S> for Authenticated
where
    ApiGuard: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(claims) = parts.extensions.get::<AccessTokenClaims>() {
            return Ok(Self(claims.clone()));
        }
        let guard = ApiGuard::from_ref(state);
        guard.verify(parts, &[], &[]).await.map(Self)
    }
}

/// A refused request: answers with the error's status, its `WWW-Authenticate` challenges, a
/// `DPoP-Nonce` when a nonce is demanded, and `Cache-Control: no-store`; the body is empty.
#[derive(Clone, Debug)]
pub struct ApiRejection(pub ApiError);

impl IntoResponse for ApiRejection {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.0.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = status.into_response();
        let headers = response.headers_mut();
        for challenge in self.0.www_authenticate() {
            if let Ok(value) = HeaderValue::from_str(challenge) {
                headers.append(header::WWW_AUTHENTICATE, value);
            }
        }
        if let Some(nonce) = self.0.dpop_nonce()
            && let Ok(value) = HeaderValue::from_str(nonce)
        {
            headers.insert(DPOP_NONCE, value);
        }
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }
}

/// A layer that verifies each request's token before the route runs (answering refusals
/// itself) and hands the claims to [`Authenticated`]. Make one with [`ApiGuard::layer`] or
/// [`ApiGuard::require_scopes`].
#[derive(Clone)]
pub struct RequireAuth {
    guard: ApiGuard,
    scopes: Arc<[String]>,
    permissions: Arc<[String]>,
}

impl fmt::Debug for RequireAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequireAuth")
            .field("scopes", &self.scopes)
            .field("permissions", &self.permissions)
            .finish_non_exhaustive()
    }
}

impl RequireAuth {
    /// Also require every one of `permissions` in the token's RBAC `permissions` claim.
    pub fn require_permissions<I, S>(mut self, permissions: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.permissions = permissions.into_iter().map(Into::into).collect();
        self
    }
}

impl<S> Layer<S> for RequireAuth {
    type Service = RequireAuthService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RequireAuthService {
            inner,
            auth: self.clone(),
        }
    }
}

/// The service [`RequireAuth`] wraps a route in.
#[derive(Clone, Debug)]
pub struct RequireAuthService<S> {
    inner: S,
    auth: RequireAuth,
}

impl<S> Service<Request> for RequireAuthService<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        // The clone that was made ready runs this request; the fresh one waits for the next.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let auth = self.auth.clone();
        Box::pin(async move {
            let (mut parts, body) = request.into_parts();
            // An outer layer verified the token already: a proof must not be checked twice
            // (its `jti` would look replayed); only this layer's requirements remain.
            let verified = match parts.extensions.get::<AccessTokenClaims>() {
                Some(claims) => auth
                    .guard
                    .api
                    .check_required_scopes(claims, &auth.scopes, &auth.permissions)
                    .map(|()| claims.clone())
                    .map_err(ApiRejection),
                None => {
                    auth.guard
                        .verify(&parts, &auth.scopes, &auth.permissions)
                        .await
                }
            };
            match verified {
                Ok(claims) => {
                    parts.extensions.insert(claims);
                    inner.call(Request::from_parts(parts, body)).await
                }
                Err(rejection) => Ok(rejection.into_response()),
            }
        })
    }
}
