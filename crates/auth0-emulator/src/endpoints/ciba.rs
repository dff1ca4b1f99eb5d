//! Client-initiated back-channel authentication (CIBA, poll mode): `POST /bc-authorize` starts
//! a request for a user. Tests play the user's device with
//! [`approve_ciba`](crate::RunningEmulator::approve_ciba) /
//! [`deny_ciba`](crate::RunningEmulator::deny_ciba); the `urn:openid:params:grant-type:ciba`
//! grant (in [`crate::endpoints::token`]) polls it (see [`crate::tenant::poll`]).

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::protocol::client_auth;
use crate::protocol::params::{Params, split_scope};
use crate::tenant::ciba::{CibaRequest, CibaRequestInfo, CibaStatus};
use crate::tenant::error::OAuthError;
use crate::tenant::poll::PollState;
use crate::tenant::state::{Shared, random_token};

/// `expires_in` when the client names no `requested_expiry`, in seconds.
const DEFAULT_EXPIRY: u64 = 300;
/// The longest `requested_expiry` accepted, in seconds.
const MAX_EXPIRY: u64 = 86_400;
/// The CIBA routes.
pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new().route("/bc-authorize", post(bc_authorize))
}

/// `POST /bc-authorize`.
async fn bc_authorize(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match initiate(&shared, &headers, &body) {
        Ok(answer) => (StatusCode::OK, Json(answer)).into_response(),
        Err(error) => error.into_response(),
    }
}

fn initiate(shared: &Shared, headers: &HeaderMap, body: &[u8]) -> Result<Value, OAuthError> {
    let params = Params::parse(headers, body)?;
    let client = client_auth::authenticate(shared, headers, &params, "/bc-authorize")?;
    if client.config.is_public() {
        return Err(OAuthError::new(
            StatusCode::FORBIDDEN,
            "unauthorized_client",
            format!(
                "Back-channel authentication needs a confidential client: {} is a public client.",
                client.config.client_id
            ),
        ));
    }
    let scope = params.require("scope")?;
    let scopes = split_scope(scope);
    if !scopes.iter().any(|s| s == "openid") {
        return Err(OAuthError::invalid_request(
            "scope must contain openid for back-channel authentication.",
        ));
    }
    let binding_message = params.require("binding_message")?;
    let user_id = login_hint_user(shared, params.require("login_hint")?)?;
    let audience = params.get("audience");
    if let Some(audience) = audience {
        shared.tenant.api(audience)?;
    }
    let expires_in = match params.get("requested_expiry") {
        None => DEFAULT_EXPIRY,
        Some(text) => text
            .parse::<u64>()
            .ok()
            .filter(|s| (1..=MAX_EXPIRY).contains(s))
            .ok_or_else(|| {
                OAuthError::invalid_request(format!(
                    "requested_expiry must be a number of seconds from 1 to {MAX_EXPIRY}, got \
                     {text}."
                ))
            })?,
    };
    let authorization_details = match params.get("authorization_details") {
        None => None,
        Some(text) => Some(
            serde_json::from_str::<Value>(text)
                .ok()
                .filter(|v| v.is_array() || v.is_object())
                .ok_or_else(|| {
                    OAuthError::invalid_request(
                        "authorization_details must be a JSON array (or object), sent as a \
                         string.",
                    )
                })?,
        ),
    };

    let interval = shared.tenant.flows.ciba_interval;
    let auth_req_id = random_token(24);
    let now = crate::tenant::clock::now();
    let request = CibaRequest {
        info: CibaRequestInfo {
            auth_req_id: auth_req_id.clone(),
            client_id: client.config.client_id.clone(),
            user_id,
            binding_message: binding_message.to_owned(),
            scope: scopes.join(" "),
            audience: audience.map(str::to_owned),
            authorization_details,
            interval,
            status: CibaStatus::Pending,
            redeemed: false,
        },
        poll: PollState::new(now, Duration::from_secs(expires_in), interval),
    };
    let mut store = shared.store();
    store.flows.ciba.order.push(auth_req_id.clone());
    store
        .flows
        .ciba
        .requests
        .insert(auth_req_id.clone(), request);
    Ok(json!({
        "auth_req_id": auth_req_id,
        "expires_in": expires_in,
        "interval": interval,
    }))
}

/// The user named by a `login_hint` of the form `{"format":"iss_sub","iss":…,"sub":…}`.
fn login_hint_user(shared: &Shared, hint: &str) -> Result<String, OAuthError> {
    let malformed = || {
        OAuthError::invalid_request(
            "login_hint must be a JSON object {\"format\":\"iss_sub\",\"iss\":<issuer>,\"sub\":<user id>}.",
        )
    };
    let hint: Value = serde_json::from_str(hint).map_err(|_| malformed())?;
    let field = |name: &str| hint.get(name).and_then(Value::as_str);
    if field("format") != Some("iss_sub") {
        return Err(OAuthError::invalid_request(
            "login_hint format must be iss_sub.",
        ));
    }
    let (Some(iss), Some(sub)) = (field("iss"), field("sub")) else {
        return Err(malformed());
    };
    let issuer = &shared.tenant.issuer;
    if iss.trim_end_matches('/') != issuer.trim_end_matches('/') {
        return Err(OAuthError::invalid_request(format!(
            "login_hint iss must be the issuer {issuer}, got {iss}."
        )));
    }
    if shared.user_by_id(sub).is_none() {
        return Err(OAuthError::new(
            StatusCode::BAD_REQUEST,
            "unknown_user_id",
            format!("The login_hint names no known user: {sub}"),
        ));
    }
    Ok(sub.to_owned())
}

/// Sets a pending request's status; whether there was such a pending request.
pub(crate) fn answer(shared: &Shared, auth_req_id: &str, status: CibaStatus) -> bool {
    let mut store = shared.store();
    match store.flows.ciba.requests.get_mut(auth_req_id) {
        Some(request) if request.info.status == CibaStatus::Pending => {
            request.info.status = status;
            true
        }
        _ => false,
    }
}
