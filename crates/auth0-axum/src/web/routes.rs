//! The routes [`Auth0Web::router`] mounts: login, callback, logout, back-channel logout, and
//! (when enabled) profile and access token.
//!
//! Imports `auth0-server`'s request values, the sibling `config`, `jar` and `error` modules,
//! and axum.

use auth0_auth::{AuthorizationParams, ExposeSecret, SecretString};
use auth0_server::{
    AccessTokenRequest, BackchannelLogoutRequest, CompleteInteractiveLoginRequest, LogoutRequest,
    StartInteractiveLoginRequest,
};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::config::{Auth0Web, AuthRoute, LogoutMethod};
use super::error::WebError;
use super::jar::RequestCookieJar;

/// The most bytes of a back-channel logout body read.
const MAX_LOGOUT_BODY: usize = 16 * 1024;

fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    query
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default()
}

/// A 303 to `location` carrying the jar's cookie changes.
fn redirect(location: &str, jar: &RequestCookieJar) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    match HeaderValue::from_str(location) {
        Ok(v) => {
            response.headers_mut().insert(header::LOCATION, v);
        }
        Err(_) => return WebError::refused(StatusCode::BAD_REQUEST, "Bad Request").into_response(),
    }
    jar.apply(response.headers_mut());
    response
}

/// `response` with the jar's cookie changes.
fn with_cookies(mut response: Response, jar: &RequestCookieJar) -> Response {
    jar.apply(response.headers_mut());
    response
}

impl Auth0Web {
    /// The authentication routes, for `Router::merge` into the application's router (any state
    /// type). Paths are absolute: merge it at the root.
    pub fn router<S>(&self) -> Router<S>
    where
        S: Clone + Send + Sync + 'static,
    {
        let logout = match self.inner.logout_method {
            LogoutMethod::GetOrPost => get(logout).post(logout),
            LogoutMethod::PostOnly => post(logout),
        };
        let mut router = Router::new()
            .route(self.path(AuthRoute::Login), get(login))
            .route(self.path(AuthRoute::Callback), get(callback))
            .route(self.path(AuthRoute::Logout), logout)
            .route(
                self.path(AuthRoute::BackchannelLogout),
                post(backchannel_logout),
            );
        if self.inner.profile_route {
            router = router.route(self.path(AuthRoute::Profile), get(profile));
        }
        if self.inner.access_token_route {
            router = router.route(self.path(AuthRoute::AccessToken), get(access_token));
        }
        router.with_state(self.clone())
    }
}

/// `GET login?returnTo=…&<allowed params>`: redirects to Auth0 with a fresh transaction.
async fn login(
    State(auth): State<Auth0Web>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let pairs = query_pairs(q.as_deref());
    let return_to = match pairs.iter().find(|(k, _)| k == "returnTo") {
        Some((_, r)) => match auth.safe_return_to(r) {
            Some(safe) => safe,
            None => {
                return WebError::refused(
                    StatusCode::BAD_REQUEST,
                    "The returnTo address is not on this application.",
                )
                .into_response();
            }
        },
        None => auth.inner.default_return_to.clone(),
    };
    let mut params = AuthorizationParams::new();
    for (k, v) in &pairs {
        if auth.inner.query_params.iter().any(|p| p == k) {
            params = params.set(k.as_str(), v.as_str());
        }
    }
    let mut jar = RequestCookieJar::from_headers(&headers);
    let started = auth
        .inner
        .client
        .start_interactive_login(
            StartInteractiveLoginRequest::new()
                .params(params)
                .app_state(json!({ "returnTo": return_to })),
            &mut jar,
        )
        .await;
    match started {
        Ok(url) => redirect(url.as_str(), &jar),
        Err(e) => with_cookies(WebError::from(e).into_response(), &jar),
    }
}

/// `GET callback?code=…&state=…`: completes the login, then returns to its `returnTo`.
async fn callback(
    State(auth): State<Auth0Web>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let mut jar = RequestCookieJar::from_headers(&headers);
    let mut url = match auth.callback_url() {
        Ok(u) => u,
        Err(e) => return WebError::from(e).into_response(),
    };
    url.set_query(q.as_deref());
    let done = auth
        .inner
        .client
        .complete_interactive_login(CompleteInteractiveLoginRequest::new(url.as_str()), &mut jar)
        .await;
    match done {
        Ok(done) => {
            // Checked again: the transaction is authentic, but policy may have changed.
            let to = done
                .app_state
                .as_ref()
                .and_then(|s| s.get("returnTo"))
                .and_then(Value::as_str)
                .and_then(|r| auth.safe_return_to(r))
                .unwrap_or_else(|| auth.inner.default_return_to.clone());
            redirect(&to, &jar)
        }
        Err(e) => with_cookies(WebError::from(e).into_response(), &jar),
    }
}

/// `GET`/`POST logout`: ends the session here and sends the browser to end it at Auth0.
async fn logout(State(auth): State<Auth0Web>, headers: HeaderMap) -> Response {
    let mut jar = RequestCookieJar::from_headers(&headers);
    let out = auth
        .inner
        .client
        .logout(
            LogoutRequest::new(auth.inner.post_logout_return_to.clone()),
            &mut jar,
        )
        .await;
    match out {
        Ok(url) => redirect(url.as_str(), &jar),
        Err(e) => with_cookies(WebError::from(e).into_response(), &jar),
    }
}

/// `POST backchannel-logout` (form `logout_token`): ends the sessions the verified token names.
/// A missing or refused token is a 400 and ends nothing.
async fn backchannel_logout(State(auth): State<Auth0Web>, body: Bytes) -> Response {
    if body.len() > MAX_LOGOUT_BODY {
        return WebError::refused(StatusCode::PAYLOAD_TOO_LARGE, "Payload Too Large")
            .into_response();
    }
    let token = url::form_urlencoded::parse(&body)
        .find(|(k, _)| k == "logout_token")
        .map(|(_, v)| SecretString::from(v.into_owned()));
    let Some(token) = token.filter(|t| !t.expose_secret().is_empty()) else {
        return WebError::refused(StatusCode::BAD_REQUEST, "Missing logout_token.").into_response();
    };
    let handled = auth
        .inner
        .client
        .handle_backchannel_logout(
            BackchannelLogoutRequest::new(token).replay_guard(&auth.inner.replay_guard),
        )
        .await;
    match handled {
        Ok(_) => {
            let mut r = StatusCode::NO_CONTENT.into_response();
            r.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            r
        }
        Err(e) => {
            let e = WebError::from(e);
            // A token that does not verify is the caller's fault, whatever its detail.
            if e.status().is_client_error() {
                WebError::refused(StatusCode::BAD_REQUEST, "The logout token was refused.")
                    .into_response()
            } else {
                e.into_response()
            }
        }
    }
}

fn json_no_store(status: StatusCode, body: Value, jar: &RequestCookieJar) -> Response {
    let mut r = (status, Json(body)).into_response();
    jar.apply(r.headers_mut());
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// `GET profile`: the user's claims, or 401 without a session.
async fn profile(State(auth): State<Auth0Web>, headers: HeaderMap) -> Response {
    let mut jar = RequestCookieJar::from_headers(&headers);
    match auth.inner.client.get_session(&mut jar).await {
        Ok(Some(s)) => match s.user {
            Some(user) => json_no_store(StatusCode::OK, Value::Object(user), &jar),
            None => json_no_store(
                StatusCode::UNAUTHORIZED,
                json!({"error": "unauthorized"}),
                &jar,
            ),
        },
        Ok(None) => json_no_store(
            StatusCode::UNAUTHORIZED,
            json!({"error": "unauthorized"}),
            &jar,
        ),
        Err(e) => {
            let e = WebError::from(e);
            if super::error::needs_login_web(&e) {
                json_no_store(
                    StatusCode::UNAUTHORIZED,
                    json!({"error": "unauthorized"}),
                    &jar,
                )
            } else {
                with_cookies(e.into_response(), &jar)
            }
        }
    }
}

/// `GET access-token`: the default audience's access token (refreshed when expired), or 401.
async fn access_token(State(auth): State<Auth0Web>, headers: HeaderMap) -> Response {
    let mut jar = RequestCookieJar::from_headers(&headers);
    match auth
        .inner
        .client
        .get_access_token(AccessTokenRequest::new(), &mut jar)
        .await
    {
        Ok(set) => json_no_store(
            StatusCode::OK,
            json!({
                "token": set.access_token.expose_secret(),
                "scope": set.scope,
                "expires_at": set.expires_at,
            }),
            &jar,
        ),
        Err(e) => {
            let e = WebError::from(e);
            if super::error::needs_login_web(&e) {
                json_no_store(
                    StatusCode::UNAUTHORIZED,
                    json!({"error": "unauthorized"}),
                    &jar,
                )
            } else {
                with_cookies(e.into_response(), &jar)
            }
        }
    }
}
