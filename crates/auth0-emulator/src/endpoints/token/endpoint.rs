//! `POST /oauth/token`: parse the parameters, authenticate the client, dispatch on
//! `grant_type` to one of the small functions in [`crate::endpoints::token`].

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::endpoints::token::GrantContext;
use crate::protocol::client_auth;
use crate::protocol::issue::TokenResponse;
use crate::protocol::params::Params;
use crate::tenant::error::OAuthError;
use crate::tenant::state::Shared;

/// The token endpoint handler.
pub(crate) async fn token_endpoint(
    State(shared): State<Arc<Shared>>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let proof =
        match crate::protocol::dpop::check_token_request(&shared, &headers, uri.path(), &body) {
            Ok(proof) => proof,
            Err(response) => return *response,
        };
    let result = exchange(&shared, &headers, uri.path(), &body)
        .and_then(|tokens| crate::protocol::dpop::bind_tokens(&shared, proof.as_ref(), tokens));
    let mut response = match result {
        Ok(tokens) => {
            let mut response = (StatusCode::OK, Json(tokens)).into_response();
            let h = response.headers_mut();
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
            response
        }
        Err(error) => error.into_response(),
    };
    crate::protocol::dpop::add_nonce(&shared, response.headers_mut());
    response
}

/// Parses, authenticates and runs one grant.
fn exchange(
    shared: &Shared,
    headers: &HeaderMap,
    path: &str,
    body: &[u8],
) -> Result<TokenResponse, OAuthError> {
    let params = Params::parse(headers, body)?;
    let grant_type = params.require("grant_type")?;
    let grant = super::find(grant_type).ok_or_else(|| {
        OAuthError::new(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            format!("Unsupported grant type: {grant_type}"),
        )
    })?;
    let client = client_auth::authenticate(shared, headers, &params, path)?;
    if client.config.is_public() && !grant.public_clients {
        return Err(OAuthError::new(
            StatusCode::FORBIDDEN,
            "unauthorized_client",
            format!(
                "Grant type '{grant_type}' not allowed for the client: {} is a public client.",
                client.config.client_id
            ),
        ));
    }
    crate::tenant::grant_types::check(&client.config, grant_type)?;
    (grant.handle)(&GrantContext {
        shared,
        client,
        params: &params,
        headers,
    })
}
