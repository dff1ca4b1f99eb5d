//! `POST /oauth/par`: pushed authorization requests (RFC 9126). A confidential client,
//! authenticated like at the token endpoint, pushes the parameters it would put in the
//! `/authorize` URL; they are checked the same way and kept for 60 seconds under a one-time
//! `request_uri`.
//!
//! A DPoP proof sent with the push binds the authorization code to its key (RFC 9449 section
//! 10.1), as a pushed `dpop_jkt` does; a proof and a `dpop_jkt` naming different keys are
//! `400 invalid_dpop_proof`.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::endpoints::authorize;
use crate::protocol::client_auth;
use crate::protocol::dpop::Proof;
use crate::protocol::params::Params;
use crate::tenant::error::OAuthError;
use crate::tenant::session::PAR_LIFETIME_SECS;
use crate::tenant::state::Shared;

/// The PAR endpoint handler (`404` when the tenant was built
/// [`without_par`](crate::EmulatorBuilder::without_par)).
pub(crate) async fn par_endpoint(
    State(shared): State<Arc<Shared>>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !shared.tenant.par {
        return (StatusCode::NOT_FOUND, Json(json!({"error": "not_found"}))).into_response();
    }
    let proof = match crate::protocol::dpop::check_request(&shared, &headers, uri.path()) {
        Ok(proof) => proof,
        Err(response) => return *response,
    };
    let mut response = match push(&shared, &headers, uri.path(), &body, proof.as_ref()) {
        Ok(answer) => {
            let mut response = (StatusCode::CREATED, Json(answer)).into_response();
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(error) => error.into_response(),
    };
    crate::protocol::dpop::add_nonce(&shared, response.headers_mut());
    response
}

fn push(
    shared: &Shared,
    headers: &HeaderMap,
    path: &str,
    body: &[u8],
    proof: Option<&Proof>,
) -> Result<Value, OAuthError> {
    let params = crate::protocol::request_object::expand(shared, Params::parse(headers, body)?)?;
    if params.has("request_uri") {
        return Err(OAuthError::invalid_request(
            "request_uri must not be sent to the pushed authorization request endpoint.",
        ));
    }
    let client = client_auth::authenticate(shared, headers, &params, path)?;
    if client.config.is_public() {
        return Err(OAuthError::invalid_client(format!(
            "Pushed authorization requests need client authentication: {} is a public client.",
            client.config.client_id
        )));
    }
    let mut request = authorize::validate(&shared.tenant, &client.config, &params)
        .map_err(authorize::Refusal::into_oauth)?;
    request.dpop_jkt = crate::protocol::dpop::pushed_binding(proof, request.dpop_jkt.as_deref())?;
    let request_uri = shared.browser.push(request);
    Ok(json!({"request_uri": request_uri, "expires_in": PAR_LIFETIME_SECS}))
}
