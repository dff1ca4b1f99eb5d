//! `POST /oauth/revoke` (RFC 7009): a client revokes one of its refresh tokens, which the
//! `refresh_token` grant then refuses. Client authentication is the token endpoint's.
//!
//! - A refresh token of the calling client is marked revoked; `200` with an empty body.
//! - An unknown token (or an access token: Auth0 only revokes refresh tokens) changes nothing;
//!   `200` with an empty body (RFC 7009 §2.2).
//! - A refresh token of another client is refused (RFC 7009 §2.1): `400 invalid_request`.
//! - No `token`: `400 invalid_request "Missing required parameter: token"`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::protocol::client_auth;
use crate::protocol::params::Params;
use crate::tenant::error::OAuthError;
use crate::tenant::state::Shared;

/// The revocation handler.
pub(crate) async fn revoke_endpoint(
    State(shared): State<Arc<Shared>>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match revoke(&shared, &headers, uri.path(), &body) {
        Ok(()) => {
            let mut response = StatusCode::OK.into_response();
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(error) => error.into_response(),
    }
}

/// Authenticates the client and revokes the token if it is one of the client's refresh tokens.
fn revoke(shared: &Shared, headers: &HeaderMap, path: &str, body: &[u8]) -> Result<(), OAuthError> {
    let params = Params::parse(headers, body)?;
    let client = client_auth::authenticate(shared, headers, &params, path)?;
    let token = params.require("token")?;
    let mut store = shared.store();
    let Some(grant) = store.refresh_tokens.get_mut(token) else {
        return Ok(());
    };
    if grant.client_id != client.config.client_id {
        return Err(OAuthError::invalid_request(format!(
            "The refresh token was not issued to client {}; a client may only revoke its own \
             tokens.",
            client.config.client_id
        )));
    }
    grant.revoked = true;
    Ok(())
}
