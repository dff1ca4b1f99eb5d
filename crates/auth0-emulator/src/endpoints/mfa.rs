//! Multi-factor authentication, statefully: every user has authenticators (OTP apps, SMS,
//! voice, email, push) and one recovery code. A login that needs MFA answers `mfa_required`
//! with an `mfa_token` ([`mfa_required`]); with that token the client lists, enrolls and deletes
//! authenticators (`/mfa/authenticators`, `/mfa/associate`), starts challenges
//! (`/mfa/challenge`), and finishes with one of the MFA grants ([`crate::endpoints::token`]), which call
//! the checks here. Messages that would be texted, phoned or emailed are recorded as
//! [`MfaMessage`]s for tests to read.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use rand::{Rng as _, RngCore as _};
use serde_json::{Map, Value, json};

use crate::protocol::client_auth::{self, secrets_equal};
use crate::tenant::config::{OrganizationConfig, UserConfig};
use crate::emulator::{EmulatorBuilder, RunningEmulator};
use crate::tenant::error::OAuthError;
use crate::protocol::params::Params;
use crate::tenant::state::{PendingMfa, Shared, lock, now_secs, random_token};
use crate::protocol::totp;

/// How long an `mfa_token` stays usable, in seconds.
pub(crate) const MFA_TOKEN_LIFETIME: u64 = 600;
/// How long an `oob_code` stays usable, in seconds.
const OOB_CODE_LIFETIME: u64 = 300;
/// Wrong binding codes an `oob_code` survives; the next one invalidates it.
const MAX_WRONG_BINDING_CODES: u32 = 3;
/// Pending logins kept before expired ones are swept.
const SWEEP_ABOVE: usize = 1024;

// ----- configuration and state ------------------------------------------------------------

/// MFA and passkey settings, set on the builder and fixed once the tenant starts.
#[derive(Clone)]
pub(crate) struct FactorConfig {
    /// The WebAuthn relying-party id passkeys are bound to.
    pub passkey_rp_id: String,
    /// The origin passkey ceremonies must come from.
    pub passkey_origin: String,
    /// OTP authenticators enrolled (and active) from the start: (user id, base32 secret).
    pub otp_enrollments: Vec<(String, String)>,
}

impl Default for FactorConfig {
    fn default() -> Self {
        Self {
            passkey_rp_id: "localhost".to_owned(),
            passkey_origin: "http://localhost:3000".to_owned(),
            otp_enrollments: Vec::new(),
        }
    }
}

impl fmt::Debug for FactorConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let users: Vec<&str> = self
            .otp_enrollments
            .iter()
            .map(|(u, _)| u.as_str())
            .collect();
        f.debug_struct("FactorConfig")
            .field("passkey_rp_id", &self.passkey_rp_id)
            .field("passkey_origin", &self.passkey_origin)
            .field("otp_enrollments (users)", &users)
            .finish()
    }
}

/// The run-time state of MFA and passkeys, behind one lock.
#[derive(Default)]
pub(crate) struct FactorStore {
    data: Mutex<FactorData>,
}

impl FactorStore {
    /// Locks the state. Never held while the tenant's main store is locked.
    pub(crate) fn data(&self) -> MutexGuard<'_, FactorData> {
        lock(&self.data)
    }
}

impl fmt::Debug for FactorStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FactorStore").finish_non_exhaustive()
    }
}

/// MFA and passkey state.
#[derive(Default)]
pub(crate) struct FactorData {
    /// Authenticators, recovery codes, pending out-of-band codes, sent messages.
    pub mfa: MfaState,
    /// Passkey sessions and credentials.
    pub passkeys: crate::endpoints::passkey::PasskeyState,
}

/// A message the tenant "sent" for MFA (recorded instead of texted, phoned, emailed or pushed).
#[derive(Clone, PartialEq, Eq)]
pub struct MfaMessage {
    /// The user it is for.
    pub user_id: String,
    /// `sms`, `voice`, `email` or `auth0` (a push notification).
    pub channel: String,
    /// The phone number or email address it went to; for push, the user's login.
    pub recipient: String,
    /// The six-digit code the user must type back (`binding_code`); `None` for push.
    pub binding_code: Option<String>,
}

impl fmt::Debug for MfaMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MfaMessage")
            .field("user_id", &self.user_id)
            .field("channel", &self.channel)
            .field("recipient", &self.recipient)
            .field(
                "binding_code",
                &self.binding_code.as_ref().map(|_| "[redacted]"),
            )
            .finish()
    }
}

/// An out-of-band channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Channel {
    Sms,
    Voice,
    Auth0,
    Email,
}

impl Channel {
    fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "sms" => Self::Sms,
            "voice" => Self::Voice,
            "auth0" => Self::Auth0,
            "email" => Self::Email,
            _ => return None,
        })
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::Sms => "sms",
            Self::Voice => "voice",
            Self::Auth0 => "auth0",
            Self::Email => "email",
        }
    }

    /// The prefix of authenticator ids on this channel.
    fn id_prefix(self) -> &'static str {
        match self {
            Self::Sms => "sms",
            Self::Voice => "voice",
            Self::Auth0 => "push",
            Self::Email => "email",
        }
    }

    /// Whether the user types back a binding code (all but push).
    fn prompts(self) -> bool {
        self != Self::Auth0
    }
}

/// What an authenticator is.
enum Factor {
    /// A TOTP app: its base32 secret and the last time step accepted.
    Otp {
        secret: String,
        last_step: Option<u64>,
    },
    /// An out-of-band channel and where it reaches the user.
    Oob {
        channel: Channel,
        recipient: Option<String>,
    },
}

/// One authenticator of a user.
struct Authenticator {
    id: String,
    factor: Factor,
    /// False until the first successful verification.
    active: bool,
}

impl Authenticator {
    /// `otp` or `oob`.
    fn kind(&self) -> &'static str {
        match self.factor {
            Factor::Otp { .. } => "otp",
            Factor::Oob { .. } => "oob",
        }
    }

    /// As `GET /mfa/authenticators` lists it.
    fn listing(&self) -> Value {
        let mut entry = json!({
            "id": self.id,
            "authenticator_type": self.kind(),
            "active": self.active,
        });
        if let Factor::Oob { channel, recipient } = &self.factor {
            entry["oob_channel"] = Value::from(channel.as_str());
            entry["oob_channels"] = json!([channel.as_str()]);
            if let Some(recipient) = recipient {
                entry["name"] = Value::from(mask(recipient));
            }
        }
        entry
    }
}

/// A user's recovery code, listed as a `recovery-code` authenticator.
struct Recovery {
    id: String,
    code: String,
    active: bool,
}

/// Everything MFA knows about one user.
#[derive(Default)]
struct UserFactors {
    authenticators: Vec<Authenticator>,
    recovery: Option<Recovery>,
}

impl UserFactors {
    /// Marks `authenticator_id` (and the recovery code) active.
    fn activate(&mut self, authenticator_id: &str) {
        if let Some(a) = self
            .authenticators
            .iter_mut()
            .find(|a| a.id == authenticator_id)
        {
            a.active = true;
        }
        if let Some(r) = &mut self.recovery {
            r.active = true;
        }
    }

    /// Creates the recovery code on the first enrollment; returns it only then.
    fn first_recovery_code(&mut self) -> Option<String> {
        if self.recovery.is_some() {
            return None;
        }
        let code = recovery_code();
        self.recovery = Some(Recovery {
            id: format!("recovery-code|dev_{}", random_hex(8)),
            code: code.clone(),
            active: false,
        });
        Some(code)
    }
}

/// A push notification's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Push {
    Waiting,
    Approved,
    Rejected,
}

/// An `oob_code` waiting for the MFA OOB grant.
struct PendingOob {
    user_id: String,
    authenticator_id: String,
    /// The login it belongs to.
    mfa_token: String,
    /// The code the user must type back, for `prompt`.
    binding_code: Option<String>,
    /// For push: the user's answer so far.
    push: Option<Push>,
    expires_at: u64,
    wrong_attempts: u32,
}

/// MFA state: factors by user id, pending `oob_code`s, and every message sent.
#[derive(Default)]
pub(crate) struct MfaState {
    users: HashMap<String, UserFactors>,
    oob_codes: HashMap<String, PendingOob>,
    messages: Vec<MfaMessage>,
}

impl MfaState {
    /// The factors of `user_id`, starting with the OTP authenticators configured for them.
    fn user(&mut self, config: &FactorConfig, user_id: &str) -> &mut UserFactors {
        self.users.entry(user_id.to_owned()).or_insert_with(|| {
            let authenticators = config
                .otp_enrollments
                .iter()
                .filter(|(u, _)| u == user_id)
                .map(|(_, secret)| Authenticator {
                    id: format!("totp|dev_{}", random_hex(8)),
                    factor: Factor::Otp {
                        secret: secret.clone(),
                        last_step: None,
                    },
                    active: true,
                })
                .collect();
            UserFactors {
                authenticators,
                recovery: None,
            }
        })
    }

    /// Removes the authenticator `id` of `user_id` and its pending codes; false if unknown.
    fn remove(&mut self, config: &FactorConfig, user_id: &str, id: &str) -> bool {
        let factors = self.user(config, user_id);
        if factors.recovery.as_ref().is_some_and(|r| r.id == id) {
            factors.recovery = None;
            return true;
        }
        let before = factors.authenticators.len();
        factors.authenticators.retain(|a| a.id != id);
        if factors.authenticators.len() == before {
            return false;
        }
        self.oob_codes.retain(|_, p| p.authenticator_id != id);
        true
    }

    /// Issues an `oob_code` for `authenticator` and "sends" its message; returns the code and
    /// whether the user must type a binding code.
    fn send_oob(
        &mut self,
        user: &UserConfig,
        mfa_token: &str,
        authenticator_id: &str,
        channel: Channel,
        recipient: Option<&str>,
    ) -> (String, bool) {
        let now = now_secs();
        if self.oob_codes.len() > SWEEP_ABOVE {
            self.oob_codes.retain(|_, p| p.expires_at > now);
        }
        let oob_code = random_token(24);
        let binding_code = channel.prompts().then(six_digits);
        self.oob_codes.insert(
            oob_code.clone(),
            PendingOob {
                user_id: user.user_id.clone(),
                authenticator_id: authenticator_id.to_owned(),
                mfa_token: mfa_token.to_owned(),
                binding_code: binding_code.clone(),
                push: (!channel.prompts()).then_some(Push::Waiting),
                expires_at: now + OOB_CODE_LIFETIME,
                wrong_attempts: 0,
            },
        );
        self.messages.push(MfaMessage {
            user_id: user.user_id.clone(),
            channel: channel.as_str().to_owned(),
            recipient: recipient.unwrap_or_else(|| user.login()).to_owned(),
            binding_code,
        });
        (oob_code, channel.prompts())
    }
}

impl fmt::Debug for MfaState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MfaState")
            .field("users", &self.users.len())
            .field("pending_oob_codes", &self.oob_codes.len())
            .field("messages", &self.messages.len())
            .finish()
    }
}

// ----- small helpers ----------------------------------------------------------------------

/// `bytes` random bytes in lower-case hex.
pub(crate) fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

/// A random six-digit code.
fn six_digits() -> String {
    format!("{:06}", rand::rng().random_range(0..1_000_000u32))
}

/// A random recovery code: 24 upper-case letters and digits.
fn recovery_code() -> String {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut rng = rand::rng();
    (0..24)
        .map(|_| char::from(CHARS[rng.random_range(0..CHARS.len())]))
        .collect()
}

/// A recovery code as typed, normalised (upper case, no spaces or dashes).
fn normalise_recovery_code(code: &str) -> String {
    code.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// A phone number or email address with most of it hidden, as authenticator names show them.
fn mask(recipient: &str) -> String {
    if let Some((local, domain)) = recipient.split_once('@') {
        let first: String = local.chars().take(1).collect();
        return format!("{first}***@{domain}");
    }
    let count = recipient.chars().count();
    let keep = count.min(4);
    let hidden = "X".repeat(count - keep);
    let tail: String = recipient.chars().skip(count - keep).collect();
    format!("{hidden}{tail}")
}

/// Whether `phone` is E.164: `+`, then 2 to 15 digits, the first not 0.
fn is_e164(phone: &str) -> bool {
    phone.strip_prefix('+').is_some_and(|digits| {
        (2..=15).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0')
    })
}

/// Percent-encodes all but unreserved characters and `@` (for `otpauth://` URIs).
fn uri_component(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~@".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The tenant's name in `otpauth://` URIs: the issuer's host.
fn tenant_name(shared: &Shared) -> String {
    url::Url::parse(&shared.tenant.issuer)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| "auth0-emulator".to_owned())
}

// ----- mfa_required and mfa_token ---------------------------------------------------------

/// The `mfa_requirements` of `user_id`: `{"challenge": [...]}` with the types of their active
/// authenticators (`otp`, `oob`), or `{"enroll": [{"type":"otp"},{"type":"oob"}]}` when they
/// have none.
pub(crate) fn requirements(shared: &Shared, user_id: &str) -> Value {
    let mut data = shared.factors.data();
    let factors = data.mfa.user(&shared.tenant.factors, user_id);
    let mut types: Vec<&str> = Vec::new();
    for kind in ["otp", "oob"] {
        if factors
            .authenticators
            .iter()
            .any(|a| a.active && a.kind() == kind)
        {
            types.push(kind);
        }
    }
    if types.is_empty() {
        json!({"enroll": [{"type": "otp"}, {"type": "oob"}]})
    } else {
        let list: Vec<Value> = types.iter().map(|t| json!({"type": t})).collect();
        json!({"challenge": list})
    }
}

/// What a user login that needs MFA answers instead of tokens: a pending login stored under a
/// new `mfa_token`, and `403 mfa_required` carrying that token and the user's
/// [`requirements`]. Any grant that logs a user in can return it.
pub(crate) fn mfa_required(
    shared: &Shared,
    user: &UserConfig,
    client_id: &str,
    audience: Option<&str>,
    scopes: Vec<String>,
    organization: Option<&OrganizationConfig>,
) -> OAuthError {
    let requirements = requirements(shared, &user.user_id);
    let mfa_token = random_token(32);
    let now = now_secs();
    {
        let mut store = shared.store();
        if store.mfa_tokens.len() > SWEEP_ABOVE {
            store.mfa_tokens.retain(|_, p| p.expires_at > now);
        }
        store.mfa_tokens.insert(
            mfa_token.clone(),
            PendingMfa {
                user_id: user.user_id.clone(),
                client_id: client_id.to_owned(),
                audience: audience.map(str::to_owned),
                scopes,
                organization: organization.map(|o| o.id.clone()),
                expires_at: now + MFA_TOKEN_LIFETIME,
            },
        );
    }
    OAuthError::new(
        StatusCode::FORBIDDEN,
        "mfa_required",
        "Multifactor authentication required",
    )
    .with("mfa_token", Value::from(mfa_token))
    .with("mfa_requirements", requirements)
}

/// Why an `mfa_token` cannot be used.
enum TokenProblem {
    Unknown,
    Expired,
}

/// The pending login of `mfa_token`.
fn pending_login(shared: &Shared, mfa_token: &str) -> Result<PendingMfa, TokenProblem> {
    let mut store = shared.store();
    let pending = store
        .mfa_tokens
        .get(mfa_token)
        .cloned()
        .ok_or(TokenProblem::Unknown)?;
    if pending.expires_at <= now_secs() {
        store.mfa_tokens.remove(mfa_token);
        return Err(TokenProblem::Expired);
    }
    Ok(pending)
}

/// The pending login of `mfa_token` for a grant or a challenge by `client_id`; refusals are
/// `403 invalid_grant`.
pub(crate) fn grant_login(
    shared: &Shared,
    mfa_token: &str,
    client_id: &str,
) -> Result<PendingMfa, OAuthError> {
    let pending = pending_login(shared, mfa_token).map_err(|p| match p {
        TokenProblem::Unknown => OAuthError::invalid_grant("Invalid mfa_token."),
        TokenProblem::Expired => OAuthError::invalid_grant("The mfa_token has expired."),
    })?;
    if pending.client_id != client_id {
        return Err(OAuthError::invalid_grant(
            "The mfa_token was issued to another client.",
        ));
    }
    Ok(pending)
}

/// Ends the pending login of `mfa_token` (a successful verification); fails if another request
/// ended it first.
pub(crate) fn finish_login(shared: &Shared, mfa_token: &str) -> Result<(), OAuthError> {
    shared
        .store()
        .mfa_tokens
        .remove(mfa_token)
        .map(|_| ())
        .ok_or_else(|| OAuthError::invalid_grant("Invalid mfa_token."))
}

/// `401 invalid_token`.
fn invalid_token(description: &str) -> OAuthError {
    OAuthError::new(StatusCode::UNAUTHORIZED, "invalid_token", description)
}

/// The `mfa_token` of an `Authorization: Bearer` header and its pending login; refusals are
/// `401 invalid_token`.
fn bearer_login(shared: &Shared, headers: &HeaderMap) -> Result<(String, PendingMfa), OAuthError> {
    let value = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| invalid_token("Missing Authorization: Bearer <mfa_token> header."))?;
    let token = value
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .filter(|t| !t.is_empty())
        .ok_or_else(|| invalid_token("The Authorization header must be Bearer <mfa_token>."))?;
    let pending = pending_login(shared, token).map_err(|p| match p {
        TokenProblem::Unknown => invalid_token("Invalid mfa_token."),
        TokenProblem::Expired => invalid_token("The mfa_token has expired."),
    })?;
    Ok((token.to_owned(), pending))
}

/// The user of a pending login.
fn login_user(shared: &Shared, pending: &PendingMfa) -> Result<UserConfig, OAuthError> {
    shared
        .user_by_id(&pending.user_id)
        .ok_or_else(|| OAuthError::invalid_grant("The user of this mfa_token no longer exists."))
}

// ----- the /mfa endpoints -----------------------------------------------------------------

/// The `/mfa` routes.
pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/mfa/authenticators", get(list_authenticators))
        .route("/mfa/authenticators/{id}", delete(delete_authenticator))
        .route("/mfa/associate", post(associate))
        .route("/mfa/challenge", post(challenge))
}

/// Turns a handler's result into a response (`401`s name the Bearer scheme).
fn respond(result: Result<Response, OAuthError>) -> Response {
    match result {
        Ok(response) => response,
        Err(error) => {
            let bearer = error.error == "invalid_token";
            let mut response = error.into_response();
            if bearer {
                response.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static(
                        r#"Bearer realm="auth0-emulator", error="invalid_token""#,
                    ),
                );
            }
            response
        }
    }
}

fn ok_json(value: Value) -> Response {
    let mut response = (StatusCode::OK, Json(value)).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `GET /mfa/authenticators`.
async fn list_authenticators(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    respond(list(&shared, &headers))
}

fn list(shared: &Shared, headers: &HeaderMap) -> Result<Response, OAuthError> {
    let (_, login) = bearer_login(shared, headers)?;
    let mut data = shared.factors.data();
    let factors = data.mfa.user(&shared.tenant.factors, &login.user_id);
    let mut out: Vec<Value> = Vec::new();
    if let Some(r) = &factors.recovery {
        out.push(json!({
            "id": r.id,
            "authenticator_type": "recovery-code",
            "active": r.active,
        }));
    }
    out.extend(factors.authenticators.iter().map(Authenticator::listing));
    Ok(ok_json(Value::Array(out)))
}

/// `DELETE /mfa/authenticators/{id}`.
async fn delete_authenticator(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    respond(remove(&shared, &headers, &id))
}

fn remove(shared: &Shared, headers: &HeaderMap, id: &str) -> Result<Response, OAuthError> {
    let (_, login) = bearer_login(shared, headers)?;
    if shared
        .factors
        .data()
        .mfa
        .remove(&shared.tenant.factors, &login.user_id, id)
    {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(OAuthError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("Authenticator not found: {id}"),
        ))
    }
}

/// `POST /mfa/associate`.
async fn associate(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    respond(enroll(&shared, &headers, &body))
}

fn enroll(shared: &Shared, headers: &HeaderMap, body: &[u8]) -> Result<Response, OAuthError> {
    let (mfa_token, login) = bearer_login(shared, headers)?;
    let params = Params::parse(headers, body)?;
    let types = params.all("authenticator_types");
    let kind = match types.as_slice() {
        [] => return Err(OAuthError::missing("authenticator_types")),
        [one] => *one,
        _ => {
            return Err(OAuthError::invalid_request(
                "authenticator_types must hold exactly one type (otp or oob).",
            ));
        }
    };
    let user = login_user(shared, &login)?;
    match kind {
        "otp" => Ok(ok_json(enroll_otp(shared, &user))),
        "oob" => enroll_oob(shared, &params, &user, &mfa_token).map(ok_json),
        other => Err(OAuthError::invalid_request(format!(
            "Unsupported authenticator type: {other}; use otp or oob."
        ))),
    }
}

fn enroll_otp(shared: &Shared, user: &UserConfig) -> Value {
    let mut secret = [0u8; 20];
    rand::rng().fill_bytes(&mut secret);
    let secret = totp::base32_encode(&secret);
    let id = format!("totp|dev_{}", random_hex(8));
    let recovery = {
        let mut data = shared.factors.data();
        let factors = data.mfa.user(&shared.tenant.factors, &user.user_id);
        // An unconfirmed OTP enrollment is replaced by the new one.
        let stale: Vec<String> = factors
            .authenticators
            .iter()
            .filter(|a| !a.active && a.kind() == "otp")
            .map(|a| a.id.clone())
            .collect();
        factors.authenticators.retain(|a| !stale.contains(&a.id));
        factors.authenticators.push(Authenticator {
            id: id.clone(),
            factor: Factor::Otp {
                secret: secret.clone(),
                last_step: None,
            },
            active: false,
        });
        factors.first_recovery_code()
    };
    let tenant = tenant_name(shared);
    let account = user.email.as_deref().unwrap_or_else(|| user.login());
    let barcode_uri = format!(
        "otpauth://totp/{}:{}?secret={secret}&issuer={}&algorithm=SHA1&digits=6&period=30",
        uri_component(&tenant),
        uri_component(account),
        uri_component(&tenant),
    );
    let mut answer = json!({
        "authenticator_type": "otp",
        "secret": secret,
        "barcode_uri": barcode_uri,
        "id": id,
    });
    if let Some(code) = recovery {
        answer["recovery_codes"] = json!([code]);
    }
    answer
}

fn enroll_oob(
    shared: &Shared,
    params: &Params,
    user: &UserConfig,
    mfa_token: &str,
) -> Result<Value, OAuthError> {
    let channels = params.all("oob_channels");
    let first = channels
        .first()
        .ok_or_else(|| OAuthError::missing("oob_channels"))?;
    let channel = Channel::parse(first).ok_or_else(|| {
        OAuthError::invalid_request(format!(
            "Unsupported oob_channel: {first}; use sms, voice, auth0 or email."
        ))
    })?;
    let recipient = match channel {
        Channel::Sms | Channel::Voice => {
            let phone = params.get("phone_number").ok_or_else(|| {
                OAuthError::invalid_request(format!(
                    "phone_number is required for the {} channel.",
                    channel.as_str()
                ))
            })?;
            if !is_e164(phone) {
                return Err(OAuthError::invalid_request(format!(
                    "phone_number {phone:?} must be in E.164 format (e.g. +14155550100)."
                )));
            }
            Some(phone.to_owned())
        }
        Channel::Email => {
            let email = params
                .get("email")
                .or(user.email.as_deref())
                .ok_or_else(|| {
                    OAuthError::invalid_request(
                        "email is required for the email channel (the user has no email).",
                    )
                })?;
            let valid = email
                .split_once('@')
                .is_some_and(|(l, d)| !l.is_empty() && d.contains('.'))
                && !email.chars().any(char::is_whitespace);
            if !valid {
                return Err(OAuthError::invalid_request(format!(
                    "email {email:?} is not a valid email address."
                )));
            }
            Some(email.to_owned())
        }
        Channel::Auth0 => None,
    };
    let id = format!("{}|dev_{}", channel.id_prefix(), random_hex(8));
    let (oob_code, prompts, recovery) = {
        let mut data = shared.factors.data();
        let mfa = &mut data.mfa;
        let factors = mfa.user(&shared.tenant.factors, &user.user_id);
        // An unconfirmed enrollment on the same channel is replaced by the new one.
        let stale: Vec<String> = factors
            .authenticators
            .iter()
            .filter(|a| {
                !a.active && matches!(a.factor, Factor::Oob { channel: c, .. } if c == channel)
            })
            .map(|a| a.id.clone())
            .collect();
        factors.authenticators.retain(|a| !stale.contains(&a.id));
        factors.authenticators.push(Authenticator {
            id: id.clone(),
            factor: Factor::Oob {
                channel,
                recipient: recipient.clone(),
            },
            active: false,
        });
        let recovery = factors.first_recovery_code();
        mfa.oob_codes
            .retain(|_, p| !stale.contains(&p.authenticator_id));
        let (oob_code, prompts) = mfa.send_oob(user, mfa_token, &id, channel, recipient.as_deref());
        (oob_code, prompts, recovery)
    };
    let mut answer = json!({
        "authenticator_type": "oob",
        "oob_channel": channel.as_str(),
        "oob_code": oob_code,
        "id": id,
    });
    if prompts {
        answer["binding_method"] = Value::from("prompt");
    } else {
        answer["barcode_uri"] = Value::from(format!(
            "otpauth://totp/{}:{}?enrollment_tx_id={}&base_url={}",
            uri_component(&tenant_name(shared)),
            uri_component(user.login()),
            random_hex(12),
            uri_component(&shared.tenant.issuer),
        ));
    }
    if let Some(code) = recovery {
        answer["recovery_codes"] = json!([code]);
    }
    Ok(answer)
}

/// `POST /mfa/challenge`.
async fn challenge(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    respond(start_challenge(&shared, &headers, &body))
}

fn start_challenge(
    shared: &Shared,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, OAuthError> {
    let params = Params::parse(headers, body)?;
    let client = client_auth::authenticate(shared, headers, &params, "/mfa/challenge")?;
    let mfa_token = params.require("mfa_token")?;
    let login = grant_login(shared, mfa_token, &client.config.client_id)?;
    let challenge_type = params.require("challenge_type")?;
    let types: Vec<&str> = challenge_type.split_whitespace().collect();
    if let Some(bad) = types.iter().find(|t| !matches!(**t, "otp" | "oob")) {
        return Err(OAuthError::invalid_request(format!(
            "Unsupported challenge_type: {bad}; use otp or oob."
        )));
    }
    let unsupported =
        |why: String| OAuthError::new(StatusCode::BAD_REQUEST, "unsupported_challenge_type", why);
    let user = login_user(shared, &login)?;
    let mut data = shared.factors.data();
    let mfa = &mut data.mfa;
    let factors = mfa.user(&shared.tenant.factors, &user.user_id);
    let chosen = if let Some(id) = params.get("authenticator_id") {
        let a = factors
            .authenticators
            .iter()
            .find(|a| a.id == id)
            .ok_or_else(|| {
                OAuthError::invalid_request(format!("Unknown authenticator_id: {id}"))
            })?;
        if !types.contains(&a.kind()) {
            return Err(unsupported(format!(
                "Authenticator {id} is an {} authenticator; it cannot answer challenge_type {challenge_type}.",
                a.kind()
            )));
        }
        a
    } else {
        types
            .iter()
            .find_map(|t| {
                let all: Vec<&Authenticator> = factors
                    .authenticators
                    .iter()
                    .filter(|a| a.kind() == *t)
                    .collect();
                all.iter()
                    .rev()
                    .find(|a| a.active)
                    .or_else(|| all.last())
                    .copied()
            })
            .ok_or_else(|| {
                unsupported(format!(
                    "The user has no {challenge_type} authenticator; enroll one with /mfa/associate."
                ))
            })?
    };
    let answer = match &chosen.factor {
        Factor::Otp { .. } => json!({"challenge_type": "otp"}),
        Factor::Oob { channel, recipient } => {
            let (channel, recipient, id) = (*channel, recipient.clone(), chosen.id.clone());
            let (oob_code, prompts) =
                mfa.send_oob(&user, mfa_token, &id, channel, recipient.as_deref());
            let mut answer = json!({"challenge_type": "oob", "oob_code": oob_code});
            if prompts {
                answer["binding_method"] = Value::from("prompt");
            }
            answer
        }
    };
    Ok(ok_json(answer))
}

// ----- the checks the MFA grants run ------------------------------------------------------

/// Checks a TOTP code against the user's OTP authenticators (±1 step, each step usable once)
/// and marks the matching one active.
pub(crate) fn verify_otp(shared: &Shared, user_id: &str, otp: &str) -> Result<(), OAuthError> {
    let code = otp.trim();
    let invalid = || OAuthError::invalid_grant("Invalid otp_code.");
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    let step_now = now_secs() / totp::STEP;
    let mut data = shared.factors.data();
    let factors = data.mfa.user(&shared.tenant.factors, user_id);
    let mut has_otp = false;
    let mut reused = false;
    let mut matched: Option<String> = None;
    'authenticators: for a in &mut factors.authenticators {
        let Factor::Otp { secret, last_step } = &mut a.factor else {
            continue;
        };
        has_otp = true;
        let Some(key) = totp::base32_decode(secret) else {
            continue;
        };
        for step in [step_now.saturating_sub(1), step_now, step_now + 1] {
            if secrets_equal(&totp::hotp(&key, step), code) {
                if last_step.is_some_and(|last| step <= last) {
                    reused = true;
                    continue;
                }
                *last_step = Some(step);
                matched = Some(a.id.clone());
                break 'authenticators;
            }
        }
    }
    match matched {
        Some(id) => {
            factors.activate(&id);
            Ok(())
        }
        None if !has_otp => Err(OAuthError::invalid_grant(
            "The user has no otp authenticator enrolled.",
        )),
        None if reused => Err(OAuthError::invalid_grant(
            "This otp_code was already used; wait for the next one.",
        )),
        None => Err(invalid()),
    }
}

/// Checks an `oob_code` of the login `mfa_token` (and its binding code, or the push answer);
/// consumes it and marks its authenticator active.
pub(crate) fn verify_oob(
    shared: &Shared,
    mfa_token: &str,
    oob_code: &str,
    binding_code: Option<&str>,
) -> Result<(), OAuthError> {
    let mut data = shared.factors.data();
    let mfa = &mut data.mfa;
    let invalid = || OAuthError::invalid_grant("Invalid oob_code.");
    let pending = mfa.oob_codes.get_mut(oob_code).ok_or_else(invalid)?;
    if pending.mfa_token != mfa_token {
        return Err(OAuthError::invalid_grant(
            "The oob_code was issued for another mfa_token.",
        ));
    }
    if pending.expires_at <= now_secs() {
        mfa.oob_codes.remove(oob_code);
        return Err(OAuthError::invalid_grant("The oob_code has expired."));
    }
    match pending.push {
        Some(Push::Waiting) => {
            return Err(OAuthError::new(
                StatusCode::BAD_REQUEST,
                "authorization_pending",
                "Authorization pending: please repeat the request in a few seconds.",
            ));
        }
        Some(Push::Rejected) => {
            mfa.oob_codes.remove(oob_code);
            return Err(OAuthError::invalid_grant("MFA Authorization rejected."));
        }
        Some(Push::Approved) | None => {}
    }
    if let Some(expected) = &pending.binding_code {
        let given = binding_code.ok_or_else(|| OAuthError::missing("binding_code"))?;
        if !secrets_equal(given.trim(), expected) {
            pending.wrong_attempts += 1;
            if pending.wrong_attempts >= MAX_WRONG_BINDING_CODES {
                mfa.oob_codes.remove(oob_code);
            }
            return Err(OAuthError::invalid_grant("Invalid binding_code."));
        }
    }
    let Some(pending) = mfa.oob_codes.remove(oob_code) else {
        return Err(invalid());
    };
    let factors = mfa.user(&shared.tenant.factors, &pending.user_id);
    if !factors
        .authenticators
        .iter()
        .any(|a| a.id == pending.authenticator_id)
    {
        return Err(OAuthError::invalid_grant(
            "The authenticator of this oob_code was deleted.",
        ));
    }
    factors.activate(&pending.authenticator_id);
    Ok(())
}

/// Checks the user's recovery code; on success replaces it and returns the new one.
pub(crate) fn use_recovery_code(
    shared: &Shared,
    user_id: &str,
    code: &str,
) -> Result<String, OAuthError> {
    let mut data = shared.factors.data();
    let factors = data.mfa.user(&shared.tenant.factors, user_id);
    match &mut factors.recovery {
        Some(r) if secrets_equal(&normalise_recovery_code(code), &r.code) => {
            let next = recovery_code();
            r.code.clone_from(&next);
            r.active = true;
            Ok(next)
        }
        _ => Err(OAuthError::invalid_grant("Invalid recovery_code.")),
    }
}

// ----- builder and handle -----------------------------------------------------------------

impl EmulatorBuilder {
    /// Enrolls an active OTP authenticator with the base32 secret `secret_base32` for the user
    /// `user_id` from the start, so their `mfa_required` answers ask for an `otp` challenge and
    /// [`totp_code`](crate::totp_code) computes valid codes.
    pub fn mfa_otp_authenticator(mut self, user_id: &str, secret_base32: &str) -> Self {
        self.factors
            .otp_enrollments
            .push((user_id.to_owned(), secret_base32.to_owned()));
        self
    }
}

impl RunningEmulator {
    /// Every MFA message "sent" so far (SMS, voice, email, push), in order.
    pub fn mfa_messages(&self) -> Vec<MfaMessage> {
        self.shared().factors.data().mfa.messages.clone()
    }

    /// The binding code of the latest MFA message for `user_id_or_recipient` (a user id, phone
    /// number or email address; emails compare case-insensitively), if one was sent.
    pub fn last_mfa_binding_code(&self, user_id_or_recipient: &str) -> Option<String> {
        let wanted = user_id_or_recipient;
        self.shared()
            .factors
            .data()
            .mfa
            .messages
            .iter()
            .rev()
            .filter(|m| {
                m.user_id == wanted
                    || m.recipient == wanted
                    || (m.recipient.contains('@') && m.recipient.eq_ignore_ascii_case(wanted))
            })
            .find_map(|m| m.binding_code.clone())
    }

    /// Approves the push notification of `oob_code` (as the user would in the Guardian app):
    /// the next MFA OOB grant with it succeeds. False if it is not a pending push.
    pub fn approve_mfa_push(&self, oob_code: &str) -> bool {
        self.answer_push(oob_code, Push::Approved)
    }

    /// Rejects the push notification of `oob_code`: the next MFA OOB grant with it fails with
    /// `invalid_grant`. False if it is not a pending push.
    pub fn reject_mfa_push(&self, oob_code: &str) -> bool {
        self.answer_push(oob_code, Push::Rejected)
    }

    fn answer_push(&self, oob_code: &str, answer: Push) -> bool {
        let mut data = self.shared().factors.data();
        match data.mfa.oob_codes.get_mut(oob_code) {
            Some(pending) if pending.push == Some(Push::Waiting) => {
                pending.push = Some(answer);
                true
            }
            _ => false,
        }
    }

    /// The current recovery code of `user_id`, once they enrolled a first authenticator.
    pub fn recovery_code(&self, user_id: &str) -> Option<String> {
        let data = self.shared().factors.data();
        data.mfa
            .users
            .get(user_id)
            .and_then(|f| f.recovery.as_ref())
            .map(|r| r.code.clone())
    }
}

/// Members for a token response that also carries the next recovery code.
pub(crate) fn recovery_extra(next: String) -> Map<String, Value> {
    let mut extra = Map::new();
    extra.insert("recovery_code".to_owned(), Value::from(next));
    extra
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers() {
        assert_eq!(mask("+14155550100"), "XXXXXXXX0100");
        assert_eq!(mask("jane@example.com"), "j***@example.com");
        assert_eq!(mask("12"), "12");
        assert!(is_e164("+14155550100") && !is_e164("14155550100") && !is_e164("+0123"));
        assert_eq!(uri_component("a b:c@d"), "a%20b%3Ac@d");
        let code = recovery_code();
        assert_eq!(code.len(), 24);
        assert!(
            code.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        );
        assert_eq!(normalise_recovery_code("ab-cd ef"), "ABCDEF");
        assert_eq!(six_digits().len(), 6);
    }

    #[test]
    fn debug_hides_codes() {
        let m = MfaMessage {
            user_id: "u".into(),
            channel: "sms".into(),
            recipient: "+1555".into(),
            binding_code: Some("123456".into()),
        };
        assert!(!format!("{m:?}").contains("123456"));
        let c = FactorConfig {
            otp_enrollments: vec![("u".into(), "JBSWY3DPEHPK3PXP".into())],
            ..FactorConfig::default()
        };
        assert!(!format!("{c:?}").contains("JBSWY3DPEHPK3PXP"));
    }
}
