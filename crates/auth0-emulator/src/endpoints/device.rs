//! The device authorization flow (RFC 8628): `POST /oauth/device/code` starts a request and
//! hands out a `device_code` (for the device to poll with) and a `user_code` (for the user to
//! type); the user approves or denies it on the `GET /activate` page (or tests play the user
//! with [`approve_device`](crate::RunningEmulator::approve_device) /
//! [`deny_device`](crate::RunningEmulator::deny_device)); the
//! `urn:ietf:params:oauth:grant-type:device_code` grant (in [`crate::endpoints::token`]) polls
//! it (see [`crate::tenant::poll`]).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{OriginalUri, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use rand::Rng as _;
use serde_json::{Value, json};

use crate::endpoints::common::html::{self, escape};
use crate::protocol::client_auth::{self, secrets_equal};
use crate::protocol::params::{Params, split_scope};
use crate::tenant::device::{
    DeviceRequest, DeviceRequestInfo, DeviceStatus, USER_CODE_ALPHABET, normalize_user_code,
};
use crate::tenant::error::OAuthError;
use crate::tenant::poll::PollState;
use crate::tenant::state::{Shared, random_token};

/// The scope of a request that names none.
const DEFAULT_SCOPE: &str = "openid";

/// The device-flow routes.
pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/oauth/device/code", post(device_code_endpoint))
        .route("/activate", get(activate_page).post(activate_submit))
}

/// `POST /oauth/device/code`.
async fn device_code_endpoint(
    State(shared): State<Arc<Shared>>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match start(&shared, &headers, uri.path(), &body) {
        Ok(answer) => {
            let mut response = (StatusCode::OK, Json(answer)).into_response();
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(error) => error.into_response(),
    }
}

fn start(
    shared: &Shared,
    headers: &HeaderMap,
    path: &str,
    body: &[u8],
) -> Result<Value, OAuthError> {
    let params = Params::parse(headers, body)?;
    let client = client_auth::authenticate(shared, headers, &params, path)?;
    let scopes = split_scope(params.get("scope").unwrap_or(DEFAULT_SCOPE));
    let audience = params.get("audience");
    if let Some(audience) = audience {
        shared.tenant.api(audience)?;
    }
    let config = &shared.tenant.device_dpop.device;
    let device_code = random_token(32);
    let now = crate::tenant::clock::now();
    let mut store = shared.store();
    let state = &mut store.device_dpop.device;
    let user_code = loop {
        let candidate = new_user_code();
        if !state.by_user_code.contains_key(&candidate) {
            break candidate;
        }
    };
    state.requests.insert(
        device_code.clone(),
        DeviceRequest {
            info: DeviceRequestInfo {
                user_code: user_code.clone(),
                client_id: client.config.client_id.clone(),
                scope: scopes.join(" "),
                audience: audience.map(str::to_owned),
                status: DeviceStatus::Pending,
                user_id: None,
                interval: config.interval,
                redeemed: false,
            },
            poll: PollState::new(now, config.lifetime, config.interval),
        },
    );
    state
        .by_user_code
        .insert(user_code.clone(), device_code.clone());
    state.order.push(device_code.clone());
    drop(store);

    let verification_uri = shared.tenant.url("activate");
    let complete = format!(
        "{verification_uri}?{}",
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("user_code", &user_code)
            .finish()
    );
    Ok(json!({
        "device_code": device_code,
        "user_code": user_code,
        "verification_uri": verification_uri,
        "verification_uri_complete": complete,
        "expires_in": config.lifetime.as_secs(),
        "interval": config.interval,
    }))
}

/// A fresh `XXXX-XXXX` user code.
fn new_user_code() -> String {
    let mut rng = rand::rng();
    let mut code = String::with_capacity(9);
    for i in 0..8 {
        if i == 4 {
            code.push('-');
        }
        let pick = rng.random_range(0..USER_CODE_ALPHABET.len());
        code.push(char::from(USER_CODE_ALPHABET[pick]));
    }
    code
}

/// Why a user code cannot be answered, or `None` when it is pending and unexpired.
fn unanswerable(request: Option<&DeviceRequest>) -> Option<&'static str> {
    match request {
        None => Some("Unknown code: check the code shown on your device."),
        Some(r) if r.poll.is_expired(crate::tenant::clock::now()) => {
            Some("This code has expired: start again on your device.")
        }
        Some(r) if r.info.status != DeviceStatus::Pending => Some("This code was already used."),
        Some(_) => None,
    }
}

/// Approves or denies the pending, unexpired request with `user_code` on behalf of `user_id`;
/// whether there was such a request.
pub(crate) fn answer(
    shared: &Shared,
    user_code: &str,
    status: DeviceStatus,
    user_id: Option<&str>,
) -> bool {
    let mut store = shared.store();
    let request = store.device_dpop.device.by_user_code_mut(user_code);
    if unanswerable(request.as_deref()).is_some() {
        return false;
    }
    match request {
        Some(request) => {
            request.info.status = status;
            request.info.user_id = user_id.map(str::to_owned);
            true
        }
        None => false,
    }
}

/// The query of `GET /activate`.
#[derive(Debug, serde::Deserialize)]
struct ActivateQuery {
    user_code: Option<String>,
}

/// `GET /activate[?user_code=…]`: the activation page.
async fn activate_page(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<ActivateQuery>,
) -> Response {
    let code = query.user_code.as_deref().unwrap_or_default();
    let known = {
        let mut store = shared.store();
        let request = store.device_dpop.device.by_user_code_mut(code);
        unanswerable(request.as_deref()).is_none()
    };
    activate_form(&shared, StatusCode::OK, code, known, None, None)
}

/// `POST /activate` (form: `user_code`, `username`, `password`, `action` = `approve`/`deny`).
async fn activate_submit(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let form = Params::from_form(&body);
    let code = form.get("user_code").unwrap_or_default();
    let username = form.get("username");
    let again = |status: StatusCode, known: bool, error: &str| {
        activate_form(&shared, status, code, known, Some(error), username)
    };
    let problem = {
        let mut store = shared.store();
        let request = store.device_dpop.device.by_user_code_mut(code);
        unanswerable(request.as_deref())
    };
    if let Some(problem) = problem {
        return again(StatusCode::BAD_REQUEST, false, problem);
    }
    let status = match form.get("action") {
        Some("approve") => DeviceStatus::Approved,
        Some("deny") => DeviceStatus::Denied,
        _ => return again(StatusCode::BAD_REQUEST, true, "Choose Approve or Deny."),
    };
    let (Some(login), Some(password)) = (username, form.get("password")) else {
        return again(
            StatusCode::OK,
            true,
            "Enter your email or username and your password.",
        );
    };
    let Some(user) = shared
        .database_user(login, None)
        .filter(|u| secrets_equal(password, &u.password))
    else {
        return again(StatusCode::OK, true, "Wrong email or password.");
    };
    if !answer(&shared, code, status, Some(&user.user_id)) {
        return again(
            StatusCode::BAD_REQUEST,
            false,
            "This code can no longer be answered.",
        );
    }
    let (title, text) = if status == DeviceStatus::Approved {
        (
            "Device approved",
            "Your device is now connected. You can close this page and return to it.",
        )
    } else {
        (
            "Device access denied",
            "The device was not given access. You can close this page.",
        )
    };
    html::page(
        StatusCode::OK,
        title,
        &format!("<h1>{}</h1>\n<p>{}</p>\n", escape(title), escape(text)),
    )
}

/// The activation form. A code that is known and pending travels in a hidden input; any other
/// is an editable field.
fn activate_form(
    shared: &Shared,
    status: StatusCode,
    code: &str,
    known: bool,
    error: Option<&str>,
    username: Option<&str>,
) -> Response {
    let shown = normalize_user_code(code).unwrap_or_else(|| code.to_owned());
    let mut body = String::from(
        "<h1>Device activation</h1>\n\
         <p>Confirm the code shown on your device, log in, then approve or deny access.</p>\n",
    );
    if let Some(error) = error {
        body.push_str(&format!(
            "<p class=\"error\" role=\"alert\">{}</p>\n",
            escape(error)
        ));
    }
    let request = known
        .then(|| {
            let mut store = shared.store();
            store
                .device_dpop
                .device
                .by_user_code_mut(code)
                .map(|r| r.info.clone())
        })
        .flatten();
    body.push_str("<form method=\"post\" action=\"/activate\">\n");
    match &request {
        Some(info) => body.push_str(&format!(
            "<p>Code: <strong>{code}</strong></p>\n\
             <p><strong>{client}</strong> asks for: {scope}</p>\n\
             <input type=\"hidden\" name=\"user_code\" value=\"{code}\">\n",
            code = escape(&info.user_code),
            client = escape(&info.client_id),
            scope = escape(&info.scope),
        )),
        None => body.push_str(&format!(
            "<p><label for=\"user_code\">Code</label>\n\
             <input id=\"user_code\" type=\"text\" name=\"user_code\" value=\"{}\" \
             autocomplete=\"off\" required></p>\n",
            escape(&shown)
        )),
    }
    body.push_str(&format!(
        "<p><label for=\"username\">Email or username</label>\n\
         <input id=\"username\" type=\"text\" name=\"username\" value=\"{}\" \
         autocomplete=\"username\" required></p>\n\
         <p><label for=\"password\">Password</label>\n\
         <input id=\"password\" type=\"password\" name=\"password\" \
         autocomplete=\"current-password\" required></p>\n\
         <p><button type=\"submit\" name=\"action\" value=\"approve\">Approve</button>\n\
         <button type=\"submit\" name=\"action\" value=\"deny\">Deny</button></p>\n\
         </form>\n",
        escape(username.unwrap_or_default())
    ));
    html::page(status, "Device activation", &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_codes_are_unambiguous_and_normalized() {
        for _ in 0..50 {
            let code = new_user_code();
            assert_eq!(code.len(), 9);
            assert_eq!(&code[4..5], "-");
            assert_eq!(normalize_user_code(&code).as_deref(), Some(code.as_str()));
            assert!(
                code.bytes()
                    .filter(|b| *b != b'-')
                    .all(|b| USER_CODE_ALPHABET.contains(&b))
            );
        }
        assert_eq!(
            normalize_user_code("bcdf ghjk").as_deref(),
            Some("BCDF-GHJK")
        );
        assert_eq!(normalize_user_code("BCDFGHJ"), None);
        assert_eq!(normalize_user_code("ABCD-EFGH"), None);
    }
}
