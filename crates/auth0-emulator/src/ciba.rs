//! Client-initiated back-channel authentication (CIBA, poll mode): `POST /bc-authorize` starts
//! a request for a user; tests play the user's device with [`RunningEmulator::approve_ciba`] /
//! [`RunningEmulator::deny_ciba`]; the `urn:openid:params:grant-type:ciba` grant
//! ([`crate::grants`]) polls it with [`poll`] (see [`crate::poll`]).

use std::collections::HashMap;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::client_auth;
use crate::emulator::{EmulatorBuilder, RunningEmulator};
use crate::error::OAuthError;
use crate::params::{Params, split_scope};
use crate::poll::{PollState, PollWords, UserAnswer};
use crate::state::{Shared, random_token};

/// `expires_in` when the client names no `requested_expiry`, in seconds.
const DEFAULT_EXPIRY: u64 = 300;
/// The longest `requested_expiry` accepted, in seconds.
const MAX_EXPIRY: u64 = 86_400;
/// What CIBA polls answer where the device flow says otherwise.
const POLL_WORDS: PollWords = PollWords {
    redeemed: "This auth_req_id was already used to get tokens.",
    expired: (
        StatusCode::BAD_REQUEST,
        "The back-channel authentication request has expired.",
    ),
    pending: "The end-user authorization is pending.",
    denied: (
        StatusCode::BAD_REQUEST,
        "The end-user denied the authorization request.",
    ),
};

/// Where a back-channel authentication request stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CibaStatus {
    /// The user has not answered yet.
    Pending,
    /// The user approved: the next poll gets tokens.
    Approved,
    /// The user refused: polls get `access_denied`.
    Denied,
}

impl From<CibaStatus> for UserAnswer {
    fn from(status: CibaStatus) -> Self {
        match status {
            CibaStatus::Pending => Self::Pending,
            CibaStatus::Approved => Self::Approved,
            CibaStatus::Denied => Self::Denied,
        }
    }
}

/// A back-channel authentication request, as tests see it.
#[derive(Clone, Debug, PartialEq)]
pub struct CibaRequestInfo {
    /// Its id (what the client polls with).
    pub auth_req_id: String,
    /// The client that started it.
    pub client_id: String,
    /// The user asked to approve (`sub` of the login hint).
    pub user_id: String,
    /// The message shown to the user.
    pub binding_message: String,
    /// The requested scope, space-separated.
    pub scope: String,
    /// The requested audience, if any.
    pub audience: Option<String>,
    /// The `authorization_details` sent, parsed.
    pub authorization_details: Option<Value>,
    /// The current poll interval in seconds (grows by 5 on every `slow_down`).
    pub interval: u64,
    /// Where it stands.
    pub status: CibaStatus,
    /// Whether its tokens were already handed out.
    pub redeemed: bool,
}

/// One stored request.
#[derive(Debug, Clone)]
pub(crate) struct CibaRequest {
    /// What tests see (`interval` and `redeemed` copied from `poll` after every poll).
    pub info: CibaRequestInfo,
    /// Expiry, interval and polls.
    pub poll: PollState,
}

/// Back-channel authentication requests by `auth_req_id`.
#[derive(Debug, Default)]
pub(crate) struct CibaState {
    /// The requests.
    pub requests: HashMap<String, CibaRequest>,
    /// Ids in the order the requests were made.
    pub order: Vec<String>,
}

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
    let now = crate::clock::now();
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

/// Polls `auth_req_id` for `client_id` (the `urn:openid:params:grant-type:ciba` grant): records
/// the poll and answers it; an error while the request cannot give tokens, else the request
/// (now redeemed).
pub(crate) fn poll(
    shared: &Shared,
    client_id: &str,
    auth_req_id: &str,
) -> Result<CibaRequestInfo, OAuthError> {
    let now = crate::clock::now();
    let mut store = shared.store();
    let request = store
        .flows
        .ciba
        .requests
        .get_mut(auth_req_id)
        .filter(|r| r.info.client_id == client_id)
        .ok_or_else(|| OAuthError::invalid_grant(format!("Invalid auth_req_id: {auth_req_id}")))?;
    let outcome = request.poll.poll(now, request.info.status.into());
    request.info.interval = request.poll.interval;
    request.info.redeemed = request.poll.redeemed;
    outcome.into_result(&POLL_WORDS)?;
    Ok(request.info.clone())
}

/// Sets a pending request's status; whether there was such a pending request.
fn answer(shared: &Shared, auth_req_id: &str, status: CibaStatus) -> bool {
    let mut store = shared.store();
    match store.flows.ciba.requests.get_mut(auth_req_id) {
        Some(request) if request.info.status == CibaStatus::Pending => {
            request.info.status = status;
            true
        }
        _ => false,
    }
}

impl EmulatorBuilder {
    /// The poll interval (seconds) `/bc-authorize` announces and enforces with `slow_down`
    /// (default 5; 0 turns `slow_down` off).
    pub fn ciba_interval(mut self, secs: u64) -> Self {
        self.flows.ciba_interval = secs;
        self
    }
}

impl RunningEmulator {
    /// Every back-channel authentication request, oldest first.
    pub fn ciba_requests(&self) -> Vec<CibaRequestInfo> {
        let store = self.shared().store();
        let ciba = &store.flows.ciba;
        ciba.order
            .iter()
            .filter_map(|id| ciba.requests.get(id))
            .map(|r| r.info.clone())
            .collect()
    }

    /// The user approves the request: its next poll gets tokens. `false` when there is no
    /// pending request with that id.
    pub fn approve_ciba(&self, auth_req_id: &str) -> bool {
        answer(self.shared(), auth_req_id, CibaStatus::Approved)
    }

    /// The user refuses the request: its polls get `access_denied`. `false` when there is no
    /// pending request with that id.
    pub fn deny_ciba(&self, auth_req_id: &str) -> bool {
        answer(self.shared(), auth_req_id, CibaStatus::Denied)
    }

    /// Approves the request after `delay`, in the background (a tokio task, or a thread outside
    /// a runtime). Nothing happens if the tenant is gone by then.
    pub fn approve_ciba_after(&self, auth_req_id: &str, delay: Duration) {
        let shared: Weak<Shared> = Arc::downgrade(self.shared());
        let id = auth_req_id.to_owned();
        let approve = move || {
            if let Some(shared) = shared.upgrade() {
                answer(&shared, &id, CibaStatus::Approved);
            }
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move {
                    tokio::time::sleep(delay).await;
                    approve();
                });
            }
            Err(_) => {
                std::thread::spawn(move || {
                    std::thread::sleep(delay);
                    approve();
                });
            }
        }
    }

    /// When the request was polled, in order (every poll, answered or not).
    pub fn ciba_poll_times(&self, auth_req_id: &str) -> Vec<Instant> {
        self.shared()
            .store()
            .flows
            .ciba
            .requests
            .get(auth_req_id)
            .map(|r| r.poll.polls.clone())
            .unwrap_or_default()
    }
}
