//! The HTTP control API: what [`RunningEmulator`] offers Rust tests, as JSON under
//! `/__emulator/`, for tests written in any language (reset, the request log, "sent" emails and
//! SMS, CIBA / device / MFA-push answers, faults, keys, back-channel logout, …).
//! `GET /__emulator/` lists every route.
//!
//! It has no authentication: it is for tests, on a tenant bound to loopback. Its requests are
//! not recorded in the request log and faults never apply to them.
//!
//! Imports the running-emulator handle (through a weak reference, so the server does not keep
//! itself alive) and the public types it reports; it calls the handle's public methods only.

use std::time::{Duration, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::emulator::{RunningEmulator, WeakEmulator};
use crate::tenant::faults::Fault;

/// Where the control API lives.
pub const CONTROL_PREFIX: &str = "/__emulator";

/// Every control route: method, path, what it does (`GET /__emulator/` answers this list).
pub const CONTROL_ROUTES: &[(&str, &str, &str)] = &[
    ("GET", "/__emulator/", "this list"),
    (
        "GET",
        "/__emulator/tenant",
        "issuer, clients (ids, callbacks, logout URLs), users (logins, ids), APIs, organizations",
    ),
    (
        "POST",
        "/__emulator/reset",
        "forget every request, fault, token, session, code, message and pending request (keys and configuration stay)",
    ),
    (
        "POST",
        "/__emulator/clock/advance",
        "{\"seconds\": N}: move the tenant's clock forward (every tenant in this process)",
    ),
    (
        "GET",
        "/__emulator/requests?path=/oauth/token",
        "the request log (optionally one path)",
    ),
    ("DELETE", "/__emulator/requests", "clear the request log"),
    (
        "POST",
        "/__emulator/faults",
        "{\"path\", \"fault\": {\"kind\", …}, \"times\"}: queue a fault",
    ),
    ("DELETE", "/__emulator/faults", "drop every queued fault"),
    (
        "GET",
        "/__emulator/passwordless",
        "passwordless emails and SMS sent (codes, magic links)",
    ),
    (
        "GET",
        "/__emulator/otp-challenges",
        "one-time codes sent for OTP challenges",
    ),
    (
        "POST",
        "/__emulator/otp-challenges/expire",
        "expire every OTP challenge",
    ),
    (
        "GET",
        "/__emulator/mfa/messages",
        "MFA SMS, voice, email and push messages sent",
    ),
    (
        "POST",
        "/__emulator/mfa/push/{oob_code}/approve",
        "approve a push notification",
    ),
    (
        "POST",
        "/__emulator/mfa/push/{oob_code}/reject",
        "reject a push notification",
    ),
    (
        "GET",
        "/__emulator/mfa/recovery-code/{user_id}",
        "a user's current recovery code",
    ),
    (
        "GET",
        "/__emulator/ciba",
        "CIBA requests, with the gaps between polls (poll_gaps_ms)",
    ),
    (
        "POST",
        "/__emulator/ciba/{auth_req_id}/approve",
        "the user approves (with {\"after_ms\": N}: in the background, after N ms)",
    ),
    (
        "POST",
        "/__emulator/ciba/{auth_req_id}/deny",
        "the user denies",
    ),
    (
        "GET",
        "/__emulator/device",
        "device authorization requests, with the gaps between polls (poll_gaps_ms)",
    ),
    (
        "POST",
        "/__emulator/device/{user_code}/approve",
        "{\"username\"}: that user approves",
    ),
    (
        "POST",
        "/__emulator/device/{user_code}/deny",
        "the user denies",
    ),
    ("GET", "/__emulator/sessions", "browser sessions"),
    (
        "GET",
        "/__emulator/logouts",
        "logout requests and their back-channel deliveries",
    ),
    (
        "POST",
        "/__emulator/logout-token",
        "{\"client_id\", \"sub\"?, \"sid\"?}: a signed logout token",
    ),
    (
        "POST",
        "/__emulator/backchannel-logout",
        "{\"client_id\", \"sub\"?, \"sid\"?}: POST a logout token to the client's back-channel URI",
    ),
    (
        "GET",
        "/__emulator/keys",
        "the signing kid and public key (PEM)",
    ),
    (
        "POST",
        "/__emulator/keys/rotate",
        "a new signing key; the old one stays in the JWKS",
    ),
    (
        "POST",
        "/__emulator/keys/retire",
        "drop every key but the current one from the JWKS",
    ),
    (
        "POST",
        "/__emulator/sign",
        "{\"header\"?, \"claims\"}: a JWT signed with the current key",
    ),
    (
        "POST",
        "/__emulator/next-id-token",
        "{\"id_token\"}: answer this literal as the next ID token",
    ),
    (
        "GET",
        "/__emulator/dpop",
        "the current DPoP nonce and how many proofs were seen",
    ),
    ("POST", "/__emulator/dpop/nonce/rotate", "a new DPoP nonce"),
    (
        "GET",
        "/__emulator/password-change-tickets",
        "password-change emails sent",
    ),
    ("GET", "/__emulator/anonymous", "anonymous sessions"),
    (
        "POST",
        "/__emulator/anonymous/expire",
        "expire every anonymous session",
    ),
    (
        "POST",
        "/__emulator/anonymous/end",
        "end every anonymous session",
    ),
    (
        "GET",
        "/__emulator/passkeys/{user_id}",
        "a user's passkey credential ids",
    ),
    (
        "GET",
        "/__emulator/stats",
        "counters: refresh tokens issued, DPoP proofs seen, …",
    ),
];

/// The control routes, to be merged after the front layer (so they are neither logged nor
/// faulted).
pub(crate) fn routes(emulator: WeakEmulator) -> Router {
    Router::new()
        .route("/__emulator", get(index))
        .route("/__emulator/", get(index))
        .route("/__emulator/tenant", get(tenant))
        .route("/__emulator/reset", post(reset))
        .route("/__emulator/clock/advance", post(advance_clock))
        .route("/__emulator/requests", get(requests).delete(clear_requests))
        .route(
            "/__emulator/faults",
            post(inject_fault).delete(clear_faults),
        )
        .route("/__emulator/passwordless", get(passwordless))
        .route("/__emulator/otp-challenges", get(otp_challenges))
        .route("/__emulator/otp-challenges/expire", post(expire_otp))
        .route("/__emulator/mfa/messages", get(mfa_messages))
        .route("/__emulator/mfa/push/{oob}/{answer}", post(mfa_push))
        .route(
            "/__emulator/mfa/recovery-code/{user_id}",
            get(recovery_code),
        )
        .route("/__emulator/ciba", get(ciba))
        .route("/__emulator/ciba/{id}/{answer}", post(ciba_answer))
        .route("/__emulator/device", get(device))
        .route("/__emulator/device/{code}/{answer}", post(device_answer))
        .route("/__emulator/sessions", get(sessions))
        .route("/__emulator/logouts", get(logouts))
        .route("/__emulator/logout-token", post(logout_token))
        .route("/__emulator/backchannel-logout", post(backchannel_logout))
        .route("/__emulator/keys", get(keys))
        .route("/__emulator/keys/rotate", post(rotate_keys))
        .route("/__emulator/keys/retire", post(retire_keys))
        .route("/__emulator/sign", post(sign))
        .route("/__emulator/next-id-token", post(next_id_token))
        .route("/__emulator/dpop", get(dpop))
        .route("/__emulator/dpop/nonce/rotate", post(rotate_dpop_nonce))
        .route("/__emulator/password-change-tickets", get(tickets))
        .route("/__emulator/anonymous", get(anonymous))
        .route("/__emulator/anonymous/{action}", post(anonymous_action))
        .route("/__emulator/passkeys/{user_id}", get(passkeys))
        .route("/__emulator/stats", get(stats))
        .route("/__emulator/{*rest}", axum::routing::any(unknown))
        .with_state(emulator)
}

/// A refused control call: a status and a JSON `{"error", "error_description"}` body.
#[derive(Debug)]
struct Refusal {
    status: StatusCode,
    error: &'static str,
    description: String,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let body = json!({"error": self.error, "error_description": self.description});
        (self.status, axum::Json(body)).into_response()
    }
}

type Answer = Result<Response, Refusal>;

fn ok(value: Value) -> Answer {
    Ok((StatusCode::OK, axum::Json(value)).into_response())
}

fn error(status: StatusCode, error: &'static str, description: impl Into<String>) -> Refusal {
    Refusal {
        status,
        error,
        description: description.into(),
    }
}

fn bad_request(description: impl Into<String>) -> Refusal {
    error(StatusCode::BAD_REQUEST, "invalid_request", description)
}

fn not_found(description: impl Into<String>) -> Refusal {
    error(StatusCode::NOT_FOUND, "not_found", description)
}

/// The handle, or `503` while the tenant shuts down.
fn handle(weak: &WeakEmulator) -> Result<RunningEmulator, Refusal> {
    weak.upgrade().ok_or_else(|| {
        error(
            StatusCode::SERVICE_UNAVAILABLE,
            "shutting_down",
            "The tenant is shutting down.",
        )
    })
}

/// Parses a JSON body (an empty body reads as `{}`).
fn body<T: DeserializeOwned>(bytes: &Bytes) -> Result<T, Refusal> {
    let text: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        bytes
    };
    serde_json::from_slice(text).map_err(|e| bad_request(format!("Invalid JSON body: {e}")))
}

async fn index() -> Answer {
    let routes: Vec<Value> = CONTROL_ROUTES
        .iter()
        .map(|(method, path, what)| json!({"method": method, "path": path, "description": what}))
        .collect();
    ok(json!({
        "note": "The control API has no authentication: it is for tests against a tenant bound to loopback.",
        "routes": routes,
    }))
}

async fn unknown() -> Response {
    not_found("No such control route; GET /__emulator/ lists them.").into_response()
}

async fn tenant(State(w): State<WeakEmulator>) -> Answer {
    ok(handle(&w)?.describe())
}

async fn reset(State(w): State<WeakEmulator>) -> Answer {
    handle(&w)?.reset();
    ok(json!({"reset": true}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Advance {
    seconds: u64,
}

async fn advance_clock(State(w): State<WeakEmulator>, bytes: Bytes) -> Answer {
    let advance: Advance = body(&bytes)?;
    // A year at most per call, so a typo cannot push Instants past what the platform holds.
    if advance.seconds > 366 * 86_400 {
        return Err(bad_request("seconds must be at most 31622400 (366 days)."));
    }
    let emulator = handle(&w)?;
    emulator.advance_clock(Duration::from_secs(advance.seconds));
    ok(json!({"offset_seconds": emulator.clock_offset().as_secs()}))
}

#[derive(Deserialize)]
struct PathFilter {
    path: Option<String>,
}

async fn requests(State(w): State<WeakEmulator>, Query(filter): Query<PathFilter>) -> Answer {
    let em = handle(&w)?;
    let list = match &filter.path {
        Some(path) => em.requests_to(path),
        None => em.requests(),
    };
    let list: Vec<Value> = list
        .iter()
        .map(|r| {
            let headers: serde_json::Map<String, Value> = r
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect();
            json!({
                "method": r.method,
                "path": r.path,
                "query": r.query,
                "headers": headers,
                "body": r.body,
            })
        })
        .collect();
    ok(json!({"requests": list}))
}

async fn clear_requests(State(w): State<WeakEmulator>) -> Answer {
    handle(&w)?.clear_requests();
    ok(json!({"cleared": true}))
}

/// A fault as JSON: `{"kind": "delay", "ms": 500}`, `{"kind": "status", "status": 503,
/// "body": "…"}`, …
#[derive(Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
enum FaultSpec {
    Delay {
        ms: u64,
    },
    ServerErrorHtml,
    MalformedJson,
    OversizedBody {
        bytes: usize,
    },
    EmptyBody {
        status: u16,
    },
    Status {
        status: u16,
        body: String,
    },
    RateLimited {
        retry_after_secs: u64,
    },
    ResetMidBody,
    NeverAnswer,
    SlowDrip {
        chunk: usize,
        interval_ms: u64,
    },
    WrongContentType {
        content_type: String,
    },
    RedirectTo {
        url: String,
    },
    Body {
        status: u16,
        content_type: String,
        body: String,
    },
}

impl FaultSpec {
    fn into_fault(self) -> Result<Fault, Refusal> {
        let status_ok = |s: u16| {
            if (100..=599).contains(&s) {
                Ok(s)
            } else {
                Err(bad_request("status must be between 100 and 599."))
            }
        };
        Ok(match self {
            Self::Delay { ms } => Fault::Delay(Duration::from_millis(ms.min(600_000))),
            Self::ServerErrorHtml => Fault::ServerErrorHtml,
            Self::MalformedJson => Fault::MalformedJson,
            Self::OversizedBody { bytes } => Fault::OversizedBody(bytes.min(64 * 1024 * 1024)),
            Self::EmptyBody { status } => Fault::EmptyBody(status_ok(status)?),
            Self::Status { status, body } => Fault::Status(status_ok(status)?, body),
            Self::RateLimited { retry_after_secs } => Fault::RateLimited { retry_after_secs },
            Self::ResetMidBody => Fault::ResetMidBody,
            Self::NeverAnswer => Fault::NeverAnswer,
            Self::SlowDrip { chunk, interval_ms } => Fault::SlowDrip {
                chunk: chunk.max(1),
                interval: Duration::from_millis(interval_ms.min(60_000)),
            },
            Self::WrongContentType { content_type } => Fault::WrongContentType(content_type),
            Self::RedirectTo { url } => Fault::RedirectTo(url),
            Self::Body {
                status,
                content_type,
                body,
            } => Fault::Body {
                status: status_ok(status)?,
                content_type,
                body,
            },
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InjectFault {
    path: String,
    fault: FaultSpec,
    #[serde(default = "one")]
    times: usize,
}

fn one() -> usize {
    1
}

async fn inject_fault(State(w): State<WeakEmulator>, bytes: Bytes) -> Answer {
    let request: InjectFault = body(&bytes)?;
    if !request.path.starts_with('/') {
        return Err(bad_request("path must start with /."));
    }
    if request.times == 0 {
        return Err(bad_request("times must be at least 1."));
    }
    let fault = request.fault.into_fault()?;
    handle(&w)?.inject_fault(&request.path, fault, request.times);
    ok(json!({"queued": request.times, "path": request.path}))
}

async fn clear_faults(State(w): State<WeakEmulator>) -> Answer {
    handle(&w)?.clear_faults();
    ok(json!({"cleared": true}))
}

async fn passwordless(State(w): State<WeakEmulator>) -> Answer {
    let messages: Vec<Value> = handle(&w)?
        .passwordless_messages()
        .iter()
        .map(|m| {
            json!({
                "connection": m.connection,
                "recipient": m.recipient,
                "client_id": m.client_id,
                "code": m.code,
                "link": m.link,
                "language": m.language,
                "auth_params": m.auth_params,
            })
        })
        .collect();
    ok(json!({"messages": messages}))
}

async fn otp_challenges(State(w): State<WeakEmulator>) -> Answer {
    let list: Vec<Value> = handle(&w)?
        .otp_challenges()
        .iter()
        .map(|c| {
            json!({
                "recipient": c.recipient,
                "connection": c.connection,
                "delivery_method": c.delivery_method,
                "code": c.code,
                "auth_session": c.auth_session,
            })
        })
        .collect();
    ok(json!({"challenges": list}))
}

async fn expire_otp(State(w): State<WeakEmulator>) -> Answer {
    handle(&w)?.expire_otp_challenges();
    ok(json!({"expired": true}))
}

async fn mfa_messages(State(w): State<WeakEmulator>) -> Answer {
    let list: Vec<Value> = handle(&w)?
        .mfa_messages()
        .iter()
        .map(|m| {
            json!({
                "user_id": m.user_id,
                "channel": m.channel,
                "recipient": m.recipient,
                "binding_code": m.binding_code,
            })
        })
        .collect();
    ok(json!({"messages": list}))
}

async fn mfa_push(
    State(w): State<WeakEmulator>,
    Path((oob, answer)): Path<(String, String)>,
) -> Answer {
    let em = handle(&w)?;
    let found = match answer.as_str() {
        "approve" => em.approve_mfa_push(&oob),
        "reject" => em.reject_mfa_push(&oob),
        _ => return Err(not_found("Use …/approve or …/reject.")),
    };
    answered(found, "No pending push notification with that oob_code.")
}

async fn recovery_code(State(w): State<WeakEmulator>, Path(user_id): Path<String>) -> Answer {
    match handle(&w)?.recovery_code(&user_id) {
        Some(code) => ok(json!({"recovery_code": code})),
        None => Err(not_found("That user has no recovery code.")),
    }
}

fn answered(found: bool, missing: &str) -> Answer {
    if found {
        ok(json!({"answered": true}))
    } else {
        Err(not_found(missing))
    }
}

/// The milliseconds between consecutive polls.
fn gaps_ms(polls: &[std::time::Instant]) -> Vec<u64> {
    polls
        .windows(2)
        .map(|w| u64::try_from(w[1].duration_since(w[0]).as_millis()).unwrap_or(u64::MAX))
        .collect()
}

async fn ciba(State(w): State<WeakEmulator>) -> Answer {
    let em = handle(&w)?;
    let list: Vec<Value> = em
        .ciba_requests()
        .iter()
        .map(|r| {
            json!({
                "auth_req_id": r.auth_req_id,
                "client_id": r.client_id,
                "user_id": r.user_id,
                "binding_message": r.binding_message,
                "scope": r.scope,
                "audience": r.audience,
                "authorization_details": r.authorization_details,
                "interval": r.interval,
                "status": format!("{:?}", r.status).to_lowercase(),
                "redeemed": r.redeemed,
                "poll_gaps_ms": gaps_ms(&em.ciba_poll_times(&r.auth_req_id)),
            })
        })
        .collect();
    ok(json!({"requests": list}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LaterApproval {
    after_ms: Option<u64>,
}

async fn ciba_answer(
    State(w): State<WeakEmulator>,
    Path((id, answer)): Path<(String, String)>,
    bytes: Bytes,
) -> Answer {
    let em = handle(&w)?;
    let found = match answer.as_str() {
        "approve" => {
            let later: LaterApproval = body(&bytes)?;
            match later.after_ms {
                Some(ms) => {
                    let pending = em
                        .ciba_requests()
                        .iter()
                        .any(|r| r.auth_req_id == id && r.status == crate::CibaStatus::Pending);
                    if pending {
                        em.approve_ciba_after(&id, Duration::from_millis(ms.min(600_000)));
                    }
                    pending
                }
                None => em.approve_ciba(&id),
            }
        }
        "deny" => em.deny_ciba(&id),
        _ => return Err(not_found("Use …/approve or …/deny.")),
    };
    answered(found, "No pending CIBA request with that auth_req_id.")
}

async fn device(State(w): State<WeakEmulator>) -> Answer {
    let em = handle(&w)?;
    let list: Vec<Value> = em
        .device_requests()
        .iter()
        .map(|r| {
            json!({
                "user_code": r.user_code,
                "client_id": r.client_id,
                "scope": r.scope,
                "audience": r.audience,
                "status": format!("{:?}", r.status).to_lowercase(),
                "user_id": r.user_id,
                "interval": r.interval,
                "redeemed": r.redeemed,
                "poll_gaps_ms": gaps_ms(&em.device_poll_times(&r.user_code)),
            })
        })
        .collect();
    ok(json!({"requests": list}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeviceApproval {
    username: Option<String>,
}

async fn device_answer(
    State(w): State<WeakEmulator>,
    Path((code, answer)): Path<(String, String)>,
    bytes: Bytes,
) -> Answer {
    let em = handle(&w)?;
    let found = match answer.as_str() {
        "approve" => {
            let approval: DeviceApproval = body(&bytes)?;
            let Some(username) = approval.username else {
                return Err(bad_request("Approving needs {\"username\": …}."));
            };
            em.approve_device(&code, &username)
        }
        "deny" => em.deny_device(&code),
        _ => return Err(not_found("Use …/approve or …/deny.")),
    };
    answered(
        found,
        "No pending device request with that user_code (or no such user).",
    )
}

async fn sessions(State(w): State<WeakEmulator>) -> Answer {
    let list: Vec<Value> = handle(&w)?
        .sessions()
        .iter()
        .map(|s| {
            json!({
                "sid": s.sid,
                "user_id": s.user_id,
                "clients": s.clients,
                "organization": s.organization,
                "auth_time": s.auth_time,
            })
        })
        .collect();
    ok(json!({"sessions": list}))
}

async fn logouts(State(w): State<WeakEmulator>) -> Answer {
    let list: Vec<Value> = handle(&w)?
        .logouts()
        .iter()
        .map(|l| {
            let deliveries: Vec<Value> = l
                .backchannel
                .iter()
                .map(|d| {
                    let (status, err) = match &d.outcome {
                        Ok(status) => (Some(*status), None),
                        Err(e) => (None, Some(e.clone())),
                    };
                    json!({"client_id": d.client_id, "uri": d.uri, "status": status, "error": err})
                })
                .collect();
            json!({
                "endpoint": l.endpoint,
                "client_id": l.client_id,
                "sid": l.sid,
                "user_id": l.user_id,
                "federated": l.federated,
                "return_to": l.return_to,
                "backchannel": deliveries,
            })
        })
        .collect();
    ok(json!({"logouts": list}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LogoutTarget {
    client_id: String,
    sub: Option<String>,
    sid: Option<String>,
}

async fn logout_token(State(w): State<WeakEmulator>, bytes: Bytes) -> Answer {
    let target: LogoutTarget = body(&bytes)?;
    let token = handle(&w)?.logout_token(
        &target.client_id,
        target.sub.as_deref(),
        target.sid.as_deref(),
    );
    ok(json!({"logout_token": token}))
}

async fn backchannel_logout(State(w): State<WeakEmulator>, bytes: Bytes) -> Answer {
    let target: LogoutTarget = body(&bytes)?;
    let em = handle(&w)?;
    match em
        .send_backchannel_logout(
            &target.client_id,
            target.sub.as_deref(),
            target.sid.as_deref(),
        )
        .await
    {
        Ok(status) => ok(json!({"delivered": true, "status": status})),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(not_found(e.to_string())),
        Err(e) if e.kind() == std::io::ErrorKind::InvalidInput => Err(bad_request(e.to_string())),
        Err(e) => Err(error(
            StatusCode::BAD_GATEWAY,
            "delivery_failed",
            e.to_string(),
        )),
    }
}

async fn keys(State(w): State<WeakEmulator>) -> Answer {
    let em = handle(&w)?;
    ok(json!({"kid": em.signing_kid(), "public_key_pem": em.signing_public_key_pem()}))
}

async fn rotate_keys(State(w): State<WeakEmulator>) -> Answer {
    let em = handle(&w)?;
    em.rotate_signing_key();
    ok(json!({"kid": em.signing_kid()}))
}

async fn retire_keys(State(w): State<WeakEmulator>) -> Answer {
    let em = handle(&w)?;
    em.retire_old_keys();
    ok(json!({"kid": em.signing_kid()}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignRequest {
    header: Option<Value>,
    claims: Value,
}

async fn sign(State(w): State<WeakEmulator>, bytes: Bytes) -> Answer {
    let request: SignRequest = body(&bytes)?;
    if !request.claims.is_object() {
        return Err(bad_request("claims must be a JSON object."));
    }
    let em = handle(&w)?;
    let jwt = match &request.header {
        Some(header) if header.is_object() => em.sign_jwt_with_header(header, &request.claims),
        Some(_) => return Err(bad_request("header must be a JSON object.")),
        None => em.sign_jwt(None, &request.claims),
    };
    ok(json!({"jwt": jwt}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NextIdToken {
    id_token: String,
}

async fn next_id_token(State(w): State<WeakEmulator>, bytes: Bytes) -> Answer {
    let request: NextIdToken = body(&bytes)?;
    handle(&w)?.set_next_id_token(request.id_token);
    ok(json!({"queued": true}))
}

async fn dpop(State(w): State<WeakEmulator>) -> Answer {
    let em = handle(&w)?;
    ok(json!({"nonce": em.dpop_nonce(), "proofs_seen": em.dpop_proofs_seen()}))
}

async fn rotate_dpop_nonce(State(w): State<WeakEmulator>) -> Answer {
    ok(json!({"nonce": handle(&w)?.rotate_dpop_nonce()}))
}

async fn tickets(State(w): State<WeakEmulator>) -> Answer {
    let list: Vec<Value> = handle(&w)?
        .password_change_tickets()
        .iter()
        .map(|t| {
            json!({
                "email": t.email,
                "username": t.username,
                "connection": t.connection,
                "organization": t.organization,
                "user_exists": t.user_exists,
                "ticket_url": t.ticket_url,
            })
        })
        .collect();
    ok(json!({"tickets": list}))
}

async fn anonymous(State(w): State<WeakEmulator>) -> Answer {
    let list: Vec<Value> = handle(&w)?
        .anonymous_sessions()
        .iter()
        .map(|s| {
            let expires_at = s
                .expires_at
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or_default();
            json!({
                "session_token_prefix": s.session_token_prefix,
                "metadata": s.metadata,
                "expires_at": expires_at,
                "renewals": s.renewals,
            })
        })
        .collect();
    ok(json!({"sessions": list}))
}

async fn anonymous_action(State(w): State<WeakEmulator>, Path(action): Path<String>) -> Answer {
    let em = handle(&w)?;
    match action.as_str() {
        "expire" => em.expire_anonymous_sessions(),
        "end" => em.end_anonymous_sessions(),
        _ => return Err(not_found("Use …/expire or …/end.")),
    }
    ok(json!({"done": action}))
}

async fn passkeys(State(w): State<WeakEmulator>, Path(user_id): Path<String>) -> Answer {
    ok(json!({"credential_ids": handle(&w)?.passkey_credential_ids(&user_id)}))
}

async fn stats(State(w): State<WeakEmulator>) -> Answer {
    let em = handle(&w)?;
    ok(json!({
        "refresh_tokens_issued": em.refresh_tokens_issued(),
        "dpop_proofs_seen": em.dpop_proofs_seen(),
        "anonymous_transfer_tokens_issued": em.anonymous_transfer_tokens_issued(),
    }))
}

impl RunningEmulator {
    /// Forgets everything that happened since the start: the request log, queued faults,
    /// tokens, sessions, codes, sent messages, pending CIBA / device / MFA requests, sign-ups
    /// and enrolled factors. The configuration and the signing keys stay.
    pub fn reset(&self) {
        let shared = self.shared();
        shared.log.clear();
        shared.faults.clear();
        *shared.store() = crate::tenant::state::Store::default();
        *shared.browser.data() = crate::tenant::session::BrowserData::default();
        *shared.factors.data() = crate::tenant::mfa::FactorData::default();
        shared.clock.reset();
    }

    /// Moves this tenant's clock forward by `by` for token lifetimes, code and session expiry
    /// and poll intervals. Each emulator has its own clock, so tests running in parallel in one
    /// process don't move each other's. [`reset`](Self::reset) puts it back.
    pub fn advance_clock(&self, by: Duration) {
        self.shared().clock.advance(by);
    }

    /// How far [`advance_clock`](Self::advance_clock) has moved this tenant's clock.
    pub fn clock_offset(&self) -> Duration {
        self.shared().clock.get()
    }

    /// What the tenant holds, as JSON: issuer, base URL, control API URL, clients (id, type,
    /// callbacks, logout URLs, back-channel URI, grant types; never secrets), users (login, id,
    /// connection, MFA; never passwords), APIs and organizations. The binary's banner and
    /// `GET /__emulator/tenant` show this.
    pub fn describe(&self) -> Value {
        let tenant = &self.shared().tenant;
        let mut clients: Vec<&crate::tenant::state::RegisteredClient> =
            tenant.clients.values().collect();
        clients.sort_by(|a, b| a.config.client_id.cmp(&b.config.client_id));
        let clients: Vec<Value> = clients
            .iter()
            .map(|c| {
                let c = &c.config;
                let auth = match &c.auth {
                    crate::tenant::config::ClientAuthMethod::Secret(_) => "client_secret",
                    crate::tenant::config::ClientAuthMethod::PrivateKeyJwt(_) => "private_key_jwt",
                    crate::tenant::config::ClientAuthMethod::None => "none",
                };
                json!({
                    "client_id": c.client_id,
                    "authentication": auth,
                    "callbacks": c.callbacks,
                    "logout_urls": c.browser.logout_urls,
                    "backchannel_logout_uri": c.browser.backchannel_logout_uri,
                    "grant_types": c.grant_types,
                })
            })
            .collect();
        let users: Vec<Value> = tenant
            .users
            .iter()
            .map(|u| {
                json!({
                    "login": u.login(),
                    "user_id": u.user_id,
                    "connection": u.connection,
                    "mfa": u.require_mfa,
                    "organizations": u.organizations,
                })
            })
            .collect();
        let mut apis: Vec<Value> = tenant
            .apis
            .values()
            .map(|a| json!({"identifier": a.audience, "scopes": a.scopes, "rbac": a.rbac_permissions}))
            .collect();
        apis.sort_by(|a, b| {
            a["identifier"]
                .to_string()
                .cmp(&b["identifier"].to_string())
        });
        let mut organizations: Vec<Value> = tenant
            .organizations
            .values()
            .map(|o| json!({"id": o.id, "name": o.name}))
            .collect();
        organizations.sort_by(|a, b| a["id"].to_string().cmp(&b["id"].to_string()));
        json!({
            "issuer": tenant.issuer,
            "base_url": tenant.base_url,
            "control_api": format!("{}{CONTROL_PREFIX}/", tenant.base_url),
            "clients": clients,
            "users": users,
            "apis": apis,
            "organizations": organizations,
        })
    }
}
