//! Layer 4 of 4, the HTTP surface: the router (which mounts every endpoint family), and the
//! front layer every request passes first (request log, body-size limit, injected faults).
//!
//! May import: anything in the crate.

use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::endpoints::discovery;
use crate::endpoints::token as token_grants;
use crate::endpoints::token::endpoint as token;
use crate::tenant::error::OAuthError;
use crate::tenant::faults::Outcome;
use crate::tenant::log::RecordedRequest;
use crate::tenant::state::Shared;

/// Largest request body accepted (1 MiB); larger ones get `413`.
pub(crate) const MAX_BODY: usize = 1024 * 1024;

/// The whole application.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route(
            "/.well-known/openid-configuration",
            get(|State(shared): State<Arc<Shared>>| async move {
                let grant_types: Vec<&str> = token_grants::supported().collect();
                discovery::openid_configuration(&shared, &grant_types)
            }),
        )
        .route("/.well-known/jwks.json", get(discovery::jwks))
        .route("/authorize", get(crate::endpoints::authorize::authorize))
        .route("/authorize/login", post(crate::endpoints::authorize::login))
        .route("/oidc/logout", get(crate::endpoints::logout::oidc_logout))
        .route("/v2/logout", get(crate::endpoints::logout::v2_logout))
        .route(
            "/oauth/introspect",
            post(crate::endpoints::introspection::introspect_endpoint),
        )
        .merge(endpoints())
        .merge(crate::endpoints::passwordless::routes())
        .merge(crate::endpoints::ciba::routes())
        .merge(crate::endpoints::device::routes())
        .merge(crate::endpoints::mfa::routes())
        .merge(crate::endpoints::passkey::routes())
        .merge(account_routes())
        .nest("/mtls", endpoints())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(shared.clone(), front))
        .with_state(shared)
}

/// Endpoints also reachable under the `/mtls` prefix (the mTLS aliases).
fn endpoints() -> Router<Arc<Shared>> {
    Router::new()
        .route("/oauth/token", post(token::token_endpoint))
        .route(
            "/oauth/par",
            post(crate::endpoints::authorize::par::par_endpoint),
        )
        .merge(mtls_routes())
}

/// Records the request, enforces the body limit and applies any queued fault.
async fn front(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let (bytes, too_large) = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(bytes) => (bytes, false),
        Err(_) => (Bytes::new(), true),
    };
    shared.log.record(RecordedRequest {
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        headers: parts
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: String::from_utf8_lossy(&bytes).into_owned(),
    });
    if too_large {
        return OAuthError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "request_too_large",
            format!("The request body exceeds {MAX_BODY} bytes."),
        )
        .into_response();
    }
    let fault = shared.faults.take(parts.uri.path());
    if let Some(fault) = &fault {
        match fault.outcome() {
            Outcome::Proceed(Some(delay)) => tokio::time::sleep(delay).await,
            Outcome::Proceed(None) | Outcome::Rewrite => {}
            Outcome::Replace(response) => return response,
            Outcome::Hang => {
                tokio::time::sleep(crate::tenant::faults::NEVER_ANSWER_LIMIT).await;
                return StatusCode::GATEWAY_TIMEOUT.into_response();
            }
        }
    }
    // Everything the request does reads this tenant's clock.
    let response = crate::tenant::clock::scope(
        shared.clock.clone(),
        next.run(Request::from_parts(parts, Body::from(bytes))),
    )
    .await;
    match fault {
        Some(fault) => fault.rewrite(response).await,
        None => response,
    }
}

async fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        axum::Json(serde_json::json!({"error": "not_found"})),
    )
        .into_response()
}

async fn method_not_allowed() -> Response {
    OAuthError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "This endpoint does not accept that HTTP method.",
    )
    .into_response()
}

/// The routes of database connections, OTP challenges, WebFinger and anonymous sessions
/// (user info and revocation are in [`mtls_routes`], which the server mounts both at the root
/// and under `/mtls`).
fn account_routes() -> Router<Arc<Shared>> {
    Router::new()
        .route(
            "/dbconnections/signup",
            post(crate::endpoints::database::signup_endpoint),
        )
        .route(
            "/dbconnections/change_password",
            post(crate::endpoints::database::change_password_endpoint),
        )
        .route(
            "/otp/challenge",
            post(crate::endpoints::otp_challenge::challenge_endpoint),
        )
        .route(
            "/.well-known/webfinger",
            get(crate::endpoints::webfinger::webfinger_endpoint),
        )
        .route(
            "/anonymous/token",
            post(crate::endpoints::anonymous::token_endpoint),
        )
        .route(
            "/anonymous/logout",
            post(crate::endpoints::anonymous::logout_endpoint),
        )
}

/// The routes that also have an mTLS alias: `/userinfo` and `/oauth/revoke`.
fn mtls_routes() -> Router<Arc<Shared>> {
    Router::new()
        .route(
            "/userinfo",
            get(crate::endpoints::userinfo::userinfo_endpoint)
                .post(crate::endpoints::userinfo::userinfo_endpoint),
        )
        .route(
            "/oauth/revoke",
            post(crate::endpoints::revocation::revoke_endpoint),
        )
}
