//! Logging out: the logout URL, and verification of back-channel logout tokens.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex};

use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use url::Url;

use crate::client::AuthClient;
use crate::client_auth::now_secs;
use crate::error::{Error, ErrorCode, ErrorKind, Result};
use crate::jwks::JwksCache;
use crate::jwt::{Round, SigningAlgorithm, UnverifiedJwt, numeric_date};

/// The event member a logout token must carry.
pub const BACKCHANNEL_LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// Options of [`AuthClient::build_logout_url`].
#[derive(Clone)]
pub struct LogoutUrlRequest {
    return_to: String,
    federated: bool,
    id_token_hint: Option<SecretString>,
    logout_hint: Option<String>,
}

impl fmt::Debug for LogoutUrlRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LogoutUrlRequest")
            .field("return_to", &self.return_to)
            .field("federated", &self.federated)
            .field(
                "id_token_hint",
                &self.id_token_hint.as_ref().map(|_| "[redacted]"),
            )
            .field("logout_hint", &self.logout_hint)
            .finish()
    }
}

impl LogoutUrlRequest {
    /// After logout, send the browser to `return_to` (an Allowed Logout URL).
    pub fn new(return_to: impl Into<String>) -> Self {
        Self {
            return_to: return_to.into(),
            federated: false,
            id_token_hint: None,
            logout_hint: None,
        }
    }

    /// Also log the user out of the identity provider they signed in with (`federated`).
    pub fn federated(mut self, on: bool) -> Self {
        self.federated = on;
        self
    }

    /// The ID token the user logged in with (`id_token_hint`, OpenID Connect RP-Initiated
    /// Logout 1.0 section 2): tells the tenant whose session ends, so it need not ask. Sent
    /// only to the `end_session_endpoint`; Auth0's `/v2/logout` does not take it.
    pub fn id_token_hint(mut self, id_token: SecretString) -> Self {
        self.id_token_hint = Some(id_token);
        self
    }

    /// A hint about the user logging out (`logout_hint`, RP-Initiated Logout 1.0 section 2),
    /// for example their login name. Sent only to the `end_session_endpoint`, like
    /// [`id_token_hint`](Self::id_token_hint).
    pub fn logout_hint(mut self, hint: impl Into<String>) -> Self {
        self.logout_hint = Some(hint.into());
        self
    }
}

/// Who a verified back-channel logout token logs out, and the token's identity.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct LogoutTokenClaims {
    /// The session to end (`sid`).
    pub sid: Option<String>,
    /// The user whose sessions to end (`sub`).
    pub sub: Option<String>,
    /// The token's unique id (`jti`); a [`LogoutTokenReplayGuard`] remembers it.
    pub jti: String,
    /// When the token was issued (`iat`), in seconds since the Unix epoch.
    pub iat: u64,
    /// When the token expires (`exp`), in seconds since the Unix epoch.
    pub exp: u64,
    claims: Map<String, Value>,
}

impl LogoutTokenClaims {
    /// Every claim of the token.
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.claims
    }

    /// All claims read into a type of your own (any `serde` type), as
    /// [`Claims::deserialize`](crate::Claims::deserialize) does.
    pub fn deserialize<T: DeserializeOwned>(&self) -> serde_json::Result<T> {
        T::deserialize(&Value::Object(self.claims.clone()))
    }
}

/// The longest `jti` a logout token may carry (bytes): ids are remembered by a
/// [`LogoutTokenReplayGuard`], so their size is bounded.
pub const MAX_LOGOUT_JTI_BYTES: usize = 256;

/// What [`AuthClient::verify_logout_token`] verifies: the token, and optionally a replay guard.
#[derive(Clone)]
pub struct VerifyLogoutTokenRequest {
    logout_token: SecretString,
    replay_guard: Option<LogoutTokenReplayGuard>,
}

impl fmt::Debug for VerifyLogoutTokenRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyLogoutTokenRequest")
            .field("logout_token", &"[redacted]")
            .field("replay_guard", &self.replay_guard)
            .finish()
    }
}

impl VerifyLogoutTokenRequest {
    /// Verifies `logout_token` (the form field Auth0 POSTs to the back-channel logout URL).
    pub fn new(logout_token: SecretString) -> Self {
        Self {
            logout_token,
            replay_guard: None,
        }
    }

    /// Refuses a token whose `jti` this guard has already seen (each guard is one memory;
    /// clones share it). Without a guard, a captured token verifies again until it expires.
    pub fn replay_guard(mut self, guard: &LogoutTokenReplayGuard) -> Self {
        self.replay_guard = Some(guard.clone());
        self
    }
}

/// Remembers the `jti` of every logout token verified through it until the token expires, and
/// refuses the same token a second time (OpenID Connect Back-Channel Logout 1.0 section 2.6,
/// last step).
///
/// Memory is bounded: at most [`capacity`](Self::with_capacity) ids (default
/// [`DEFAULT_CAPACITY`](Self::DEFAULT_CAPACITY)), each at most [`MAX_LOGOUT_JTI_BYTES`] long.
/// Ids are dropped once their token has expired (`exp` plus the client's clock leeway), since
/// an expired token is refused anyway. When the guard is full of ids that have not expired,
/// a new token is **refused** ([`ErrorKind::Overloaded`]; [`Error::class`] says transient)
/// rather than remembered by forgetting another: evicting would quietly let that other token be
/// replayed. The tenant may deliver the token again later, and with logout tokens living
/// minutes the guard empties on its own; size it for the logouts you expect per token
/// lifetime.
///
/// Ids are kept per issuer, so one guard can serve clients of several tenants. The memory is
/// per process: several instances of an application each need a shared store of their own
/// (use [`LogoutTokenClaims::jti`] and [`LogoutTokenClaims::exp`] for that).
///
/// ```no_run
/// # async fn demo(client: auth0_auth::AuthClient, form_field: String) -> auth0_auth::Result<()> {
/// use auth0_auth::{LogoutTokenReplayGuard, VerifyLogoutTokenRequest};
/// let guard = LogoutTokenReplayGuard::new(); // once, next to the client
/// let claims = client
///     .verify_logout_token(
///         VerifyLogoutTokenRequest::new(form_field.into()).replay_guard(&guard),
///     )
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct LogoutTokenReplayGuard {
    state: Arc<Mutex<GuardState>>,
    capacity: usize,
}

#[derive(Default)]
struct GuardState {
    /// Issuer and jti → until when it is kept.
    until: HashMap<String, u64>,
    /// The same entries ordered by expiry, to drop expired ones cheaply.
    by_expiry: BTreeSet<(u64, String)>,
}

impl fmt::Debug for LogoutTokenReplayGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LogoutTokenReplayGuard")
            .field("remembered", &self.len())
            .field("capacity", &self.capacity)
            .finish()
    }
}

impl Default for LogoutTokenReplayGuard {
    fn default() -> Self {
        Self::new()
    }
}

/// Why a guard refused a token.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum GuardRefusal {
    Replayed,
    Full,
}

impl LogoutTokenReplayGuard {
    /// How many ids a guard keeps unless told otherwise.
    pub const DEFAULT_CAPACITY: usize = 10_000;

    /// A guard keeping up to [`DEFAULT_CAPACITY`](Self::DEFAULT_CAPACITY) ids.
    pub fn new() -> Self {
        Self::with_capacity(Self::DEFAULT_CAPACITY)
    }

    /// A guard keeping up to `capacity` ids (at least one).
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            state: Arc::new(Mutex::new(GuardState::default())),
            capacity: capacity.max(1),
        }
    }

    /// How many ids are remembered now (expired ones may still count until the next check).
    pub fn len(&self) -> usize {
        self.lock().until.len()
    }

    /// Whether no id is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, GuardState> {
        // The state is consistent after every statement that changes it, so a panic elsewhere
        // while holding the lock leaves nothing half-done.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Remembers `jti` of `issuer` until `keep_until`, or says why it cannot.
    pub(crate) fn remember(
        &self,
        issuer: &str,
        jti: &str,
        keep_until: u64,
        now: u64,
    ) -> std::result::Result<(), GuardRefusal> {
        let key = format!("{issuer}\u{0}{jti}");
        let mut state = self.lock();
        // Forget what has expired.
        while let Some(first) = state.by_expiry.first() {
            if first.0 >= now {
                break;
            }
            if let Some((_, key)) = state.by_expiry.pop_first() {
                state.until.remove(&key);
            }
        }
        if state.until.contains_key(&key) {
            return Err(GuardRefusal::Replayed);
        }
        if state.until.len() >= self.capacity {
            return Err(GuardRefusal::Full);
        }
        state.until.insert(key.clone(), keep_until);
        state.by_expiry.insert((keep_until, key));
        Ok(())
    }
}

/// The claim rules of a logout token (SPEC section 7; Back-Channel Logout 1.0 sections 2.4
/// and 2.6), each with its own message.
pub(crate) fn check_logout_claims(
    claims: &Map<String, Value>,
    issuer: &str,
    client_id: &str,
    now: u64,
    leeway: u64,
) -> std::result::Result<LogoutTokenClaims, String> {
    // First: what makes this a logout token at all (so an ID token is named as such).
    let events = match claims.get("events") {
        None => return Err("the logout token has no \"events\" claim".into()),
        Some(Value::Object(e)) => e,
        Some(_) => return Err("the logout token's \"events\" is not an object".into()),
    };
    match events.get(BACKCHANNEL_LOGOUT_EVENT) {
        None => {
            return Err(format!(
                "the logout token's \"events\" has no {BACKCHANNEL_LOGOUT_EVENT:?} member"
            ));
        }
        Some(Value::Object(_)) => {}
        Some(_) => {
            return Err(format!(
                "the logout token's {BACKCHANNEL_LOGOUT_EVENT:?} event is not an object"
            ));
        }
    }
    match claims.get("iss").and_then(Value::as_str) {
        None => return Err("the logout token has no \"iss\" claim".into()),
        Some(iss) if iss != issuer => {
            return Err(format!(
                "the logout token's issuer {iss:?} is not the expected {issuer:?}"
            ));
        }
        Some(_) => {}
    }
    let aud_ok = match claims.get("aud") {
        Some(Value::String(a)) => a == client_id,
        Some(Value::Array(list)) => list.iter().any(|a| a.as_str() == Some(client_id)),
        None => return Err("the logout token has no \"aud\" claim".into()),
        Some(_) => false,
    };
    if !aud_ok {
        return Err("the logout token's audience is not this client".into());
    }
    // Validated as in ID tokens (Back-Channel Logout 1.0, section 2.6), whatever the JSON
    // form of the number.
    let iat = numeric_date(claims, "iat", Round::Up)
        .map_err(|e| format!("logout token: {e}"))?
        .ok_or("the logout token has no \"iat\" claim")?;
    if iat > now.saturating_add(leeway) {
        return Err(format!(
            "the logout token was issued in the future ({iat}; now {now})"
        ));
    }
    if let Some(nbf) =
        numeric_date(claims, "nbf", Round::Up).map_err(|e| format!("logout token: {e}"))?
        && nbf > now.saturating_add(leeway)
    {
        return Err(format!("the logout token is not valid before {nbf}"));
    }
    // Required by the final Back-Channel Logout 1.0 (section 2.4), which Auth0 follows.
    let exp = numeric_date(claims, "exp", Round::Down)
        .map_err(|e| format!("logout token: {e}"))?
        .ok_or("the logout token has no \"exp\" claim")?;
    if exp.saturating_add(leeway) <= now {
        return Err(format!("the logout token expired at {exp}"));
    }
    let jti = match claims.get("jti") {
        None => return Err("the logout token has no \"jti\" claim".into()),
        Some(Value::String(j)) if j.is_empty() => {
            return Err("the logout token's \"jti\" is empty".into());
        }
        Some(Value::String(j)) if j.len() > MAX_LOGOUT_JTI_BYTES => {
            return Err(format!(
                "the logout token's \"jti\" is longer than {MAX_LOGOUT_JTI_BYTES} bytes"
            ));
        }
        Some(Value::String(j)) => j.clone(),
        Some(_) => return Err("the logout token's \"jti\" is not a string".into()),
    };
    let text = |name: &str| -> std::result::Result<Option<String>, String> {
        match claims.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(format!("the logout token's \"{name}\" is not a string")),
        }
    };
    let sid = text("sid")?;
    let sub = text("sub")?;
    if sid.is_none() && sub.is_none() {
        return Err("the logout token has neither \"sid\" nor \"sub\"".into());
    }
    if claims.contains_key("nonce") {
        return Err("the logout token carries a \"nonce\", which logout tokens must not".into());
    }
    Ok(LogoutTokenClaims {
        sid,
        sub,
        jti,
        iat,
        exp,
        claims: claims.clone(),
    })
}

impl AuthClient {
    /// The URL that logs the browser out: the tenant's `end_session_endpoint` with
    /// `post_logout_redirect_uri` and `client_id` (and `id_token_hint` / `logout_hint` when
    /// given) when discovery has one; for an Auth0 tenant without it
    /// ([`ServerMetadata::is_auth0`](crate::ServerMetadata::is_auth0)), Auth0's
    /// `/v2/logout?returnTo=…&client_id=…` (that endpoint takes no hints, so they are left out);
    /// for any other provider without one, a `NotSupported` error.
    ///
    /// The URL carries the ID token when [`LogoutUrlRequest::id_token_hint`] is set: treat it
    /// as you would the token (no logging).
    ///
    /// ```no_run
    /// # async fn demo(client: auth0_auth::AuthClient) -> auth0_auth::Result<()> {
    /// use auth0_auth::LogoutUrlRequest;
    /// let url = client.build_logout_url(LogoutUrlRequest::new("http://localhost:3000/")).await?;
    /// # Ok(()) }
    /// ```
    pub async fn build_logout_url(&self, request: LogoutUrlRequest) -> Result<Url> {
        let metadata = self.metadata(ErrorCode::Discovery).await?;
        let rp_initiated = metadata.end_session_endpoint.is_some();
        // The advertised end-session endpoint; Auth0's `/v2/logout` only for an Auth0 tenant
        // (`ServerMetadata::is_auth0`); `NotSupported` for any other provider without one.
        let mut url = metadata.endpoint_or_auth0_path(
            "end_session_endpoint",
            metadata.end_session_endpoint.as_ref(),
            &self.inner.base,
            "v2/logout",
            ErrorCode::Discovery,
        )?;
        {
            let mut q = url.query_pairs_mut();
            let return_param = if rp_initiated {
                "post_logout_redirect_uri"
            } else {
                "returnTo"
            };
            q.append_pair(return_param, &request.return_to);
            q.append_pair("client_id", &self.inner.client_id);
            if rp_initiated {
                if let Some(hint) = &request.id_token_hint {
                    q.append_pair("id_token_hint", hint.expose_secret());
                }
                if let Some(hint) = &request.logout_hint {
                    q.append_pair("logout_hint", hint);
                }
            }
            if request.federated {
                q.append_pair("federated", "");
            }
        }
        Ok(url)
    }

    /// Verifies a back-channel logout token (the `logout_token` Auth0 POSTs to your
    /// back-channel logout URL) and returns the session and user it ends.
    ///
    /// It must be signed by a key of the tenant's JWKS with an algorithm of the ID-token
    /// allow-list (RS256 unless [`id_token_signing_algs`](crate::AuthClientBuilder::id_token_signing_algs)
    /// says otherwise; HS256 never applies here), carry no `crit` header, be issued by the
    /// tenant for this client, carry `iat`, `exp` (not passed) and a `jti`, name a `sid` or
    /// `sub`, carry no `nonce`, and carry the back-channel logout event. With a
    /// [`LogoutTokenReplayGuard`], a `jti` seen before is refused ([`ErrorKind::Replayed`]).
    ///
    /// ```no_run
    /// # async fn demo(client: auth0_auth::AuthClient, form_field: String) -> auth0_auth::Result<()> {
    /// use auth0_auth::VerifyLogoutTokenRequest;
    /// let ended = client
    ///     .verify_logout_token(VerifyLogoutTokenRequest::new(form_field.into()))
    ///     .await?;
    /// println!("end session {:?} of {:?}", ended.sid, ended.sub);
    /// # Ok(()) }
    /// ```
    pub async fn verify_logout_token(
        &self,
        request: VerifyLogoutTokenRequest,
    ) -> Result<LogoutTokenClaims> {
        let code = ErrorCode::VerifyLogoutToken;
        let invalid = |m: String| Error::new(code, ErrorKind::TokenValidation, m);
        let jwt = UnverifiedJwt::parse(request.logout_token.expose_secret()).map_err(invalid)?;
        // The ID-token allow-list without HS256 (a logout token is never keyed by the client
        // secret); RS256 if nothing else is left. No allocation in the usual case.
        let id_token_algs = &self.inner.id_token_algs;
        let filtered: Vec<SigningAlgorithm>;
        let allowed: &[SigningAlgorithm] = if !id_token_algs.contains(&SigningAlgorithm::HS256) {
            id_token_algs
        } else {
            filtered = id_token_algs
                .iter()
                .copied()
                .filter(|a| *a != SigningAlgorithm::HS256)
                .collect();
            if filtered.is_empty() {
                &[SigningAlgorithm::RS256]
            } else {
                &filtered
            }
        };
        let alg = jwt.algorithm(allowed).map_err(invalid)?;
        let metadata = self.metadata(code).await?;
        JwksCache::shared()
            .verify(&self.inner.transport, &metadata, &jwt, alg, code)
            .await?;
        let now = now_secs();
        let leeway = self.inner.leeway.as_secs();
        let claims = check_logout_claims(
            &jwt.claims,
            &metadata.issuer,
            &self.inner.client_id,
            now,
            leeway,
        )
        .map_err(invalid)?;
        if let Some(guard) = &request.replay_guard {
            guard
                .remember(
                    &metadata.issuer,
                    &claims.jti,
                    claims.exp.saturating_add(leeway),
                    now,
                )
                .map_err(|refusal| match refusal {
                    GuardRefusal::Replayed => Error::new(
                        code,
                        ErrorKind::Replayed,
                        "the logout token was already verified once (its jti was seen before)",
                    ),
                    GuardRefusal::Full => Error::new(
                        code,
                        ErrorKind::Overloaded,
                        format!(
                            "the logout-token replay guard is full ({} ids that have not \
                             expired); the token is refused rather than unguarded",
                            guard.capacity
                        ),
                    ),
                })?;
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: u64 = 1_700_000_000;

    fn good() -> Map<String, Value> {
        json!({
            "iss": "https://t/",
            "aud": "c1",
            "iat": NOW,
            "exp": NOW + 120,
            "jti": "j1",
            "sid": "s1",
            "sub": "auth0|1",
            "events": {BACKCHANNEL_LOGOUT_EVENT: {}},
        })
        .as_object()
        .cloned()
        .unwrap()
    }

    fn check(c: &Map<String, Value>) -> std::result::Result<LogoutTokenClaims, String> {
        check_logout_claims(c, "https://t/", "c1", NOW, 60)
    }

    fn broken(f: impl FnOnce(&mut Map<String, Value>)) -> String {
        let mut c = good();
        f(&mut c);
        check(&c).unwrap_err()
    }

    #[test]
    fn a_good_token_names_session_and_user() {
        let c = check(&good()).unwrap();
        assert_eq!(c.sid.as_deref(), Some("s1"));
        assert_eq!(c.sub.as_deref(), Some("auth0|1"));
        let mut only_sid = good();
        only_sid.remove("sub");
        assert_eq!(check(&only_sid).unwrap().sub, None);
    }

    #[test]
    fn every_rule_has_its_own_message() {
        let messages = [
            broken(|c| {
                c.remove("iss");
            }),
            broken(|c| {
                c.insert("iss".into(), json!("https://evil/"));
            }),
            broken(|c| {
                c.insert("aud".into(), json!("c2"));
            }),
            broken(|c| {
                c.remove("aud");
            }),
            broken(|c| {
                c.remove("iat");
            }),
            broken(|c| {
                c.insert("exp".into(), json!(NOW - 61));
            }),
            broken(|c| {
                c.remove("sid");
                c.remove("sub");
            }),
            broken(|c| {
                c.insert("sid".into(), json!(5));
            }),
            broken(|c| {
                c.insert("sub".into(), json!(["x"]));
            }),
            broken(|c| {
                c.insert("nonce".into(), json!("n"));
            }),
            broken(|c| {
                c.remove("events");
            }),
            broken(|c| {
                c.insert("events".into(), json!("x"));
            }),
            broken(|c| {
                c.insert("events".into(), json!({}));
            }),
            broken(|c| {
                c.insert("events".into(), json!({BACKCHANNEL_LOGOUT_EVENT: "x"}));
            }),
            broken(|c| {
                c.remove("exp");
            }),
            broken(|c| {
                c.remove("jti");
            }),
            broken(|c| {
                c.insert("jti".into(), json!(7));
            }),
            broken(|c| {
                c.insert("jti".into(), json!(""));
            }),
            broken(|c| {
                c.insert("jti".into(), json!("j".repeat(MAX_LOGOUT_JTI_BYTES + 1)));
            }),
            broken(|c| {
                c.insert("iat".into(), json!(NOW + 61));
            }),
            broken(|c| {
                c.insert("nbf".into(), json!(NOW + 61));
            }),
        ];
        let unique: std::collections::HashSet<_> = messages.iter().collect();
        assert_eq!(unique.len(), messages.len(), "{messages:#?}");
    }

    #[test]
    fn the_token_identity_and_all_claims_come_back() {
        let mut c = good();
        c.insert("custom".into(), json!({"tenant": "acme"}));
        let claims = check(&c).unwrap();
        assert_eq!(claims.jti, "j1");
        assert_eq!(claims.iat, NOW);
        assert_eq!(claims.exp, NOW + 120);
        assert_eq!(claims.as_map()["custom"]["tenant"], "acme");
        #[derive(serde::Deserialize)]
        struct Mine {
            sid: String,
            custom: Custom,
        }
        #[derive(serde::Deserialize)]
        struct Custom {
            tenant: String,
        }
        let mine: Mine = claims.deserialize().unwrap();
        assert_eq!(
            (mine.sid.as_str(), mine.custom.tenant.as_str()),
            ("s1", "acme")
        );
        assert!(claims.deserialize::<Vec<u8>>().is_err());
    }

    #[test]
    fn numeric_dates_in_float_form_are_checked_not_skipped() {
        let float = |text: &str| serde_json::from_str::<Value>(text).unwrap();
        // iat 1.8e9 is in the future (a float that as_u64 would have skipped).
        assert!(
            broken(|c| {
                c.insert("iat".into(), float("1.8e9"));
            })
            .contains("future")
        );
        // exp 1.5e9 is in the past.
        assert!(
            broken(|c| {
                c.insert("exp".into(), float("1.5e9"));
            })
            .contains("expired")
        );
        assert!(
            broken(|c| {
                c.insert("nbf".into(), float("1.8e9"));
            })
            .contains("not valid before")
        );
        for bad in ["-1", "1e30", "\"1700000000\""] {
            for claim in ["iat", "exp", "nbf"] {
                let mut c = good();
                c.insert(claim.into(), float(bad));
                let e = check(&c).unwrap_err();
                assert!(e.contains(claim), "{claim}={bad}: {e}");
            }
        }
        // A float in range and on the right side of now passes.
        let mut c = good();
        c.insert("iat".into(), float("1699999999.5"));
        c.insert("exp".into(), float("1700000100.5"));
        let claims = check(&c).unwrap();
        assert_eq!((claims.iat, claims.exp), (NOW, NOW + 100));
    }

    #[test]
    fn the_replay_guard_refuses_a_second_use_until_expiry() {
        let guard = LogoutTokenReplayGuard::with_capacity(3);
        assert!(guard.is_empty());
        guard.remember("https://t/", "j1", NOW + 100, NOW).unwrap();
        assert_eq!(
            guard.remember("https://t/", "j1", NOW + 100, NOW + 50),
            Err(GuardRefusal::Replayed)
        );
        // The same id from another issuer is another token.
        guard
            .remember("https://other/", "j1", NOW + 100, NOW)
            .unwrap();
        // A clone shares the memory.
        let clone = guard.clone();
        assert_eq!(
            clone.remember("https://t/", "j1", NOW + 100, NOW),
            Err(GuardRefusal::Replayed)
        );
        // Once expired the id is forgotten (the token itself is refused by its exp by then).
        guard
            .remember("https://t/", "j1", NOW + 300, NOW + 101)
            .unwrap();
        assert_eq!(guard.len(), 1);
    }

    #[test]
    fn a_full_replay_guard_refuses_rather_than_forgets() {
        let guard = LogoutTokenReplayGuard::with_capacity(2);
        guard.remember("i", "a", NOW + 10, NOW).unwrap();
        guard.remember("i", "b", NOW + 20, NOW).unwrap();
        assert_eq!(
            guard.remember("i", "c", NOW + 30, NOW),
            Err(GuardRefusal::Full)
        );
        // Neither remembered id was evicted to make room.
        assert_eq!(
            guard.remember("i", "a", NOW + 10, NOW),
            Err(GuardRefusal::Replayed)
        );
        assert_eq!(
            guard.remember("i", "b", NOW + 20, NOW),
            Err(GuardRefusal::Replayed)
        );
        // When the first expires, there is room again.
        guard.remember("i", "c", NOW + 30, NOW + 11).unwrap();
        assert_eq!(guard.len(), 2);
        assert!(format!("{guard:?}").contains("capacity: 2"));
        assert_eq!(LogoutTokenReplayGuard::with_capacity(0).capacity, 1);
    }

    #[test]
    fn requests_redact_their_tokens() {
        let r = LogoutUrlRequest::new("https://app/")
            .id_token_hint(SecretString::from("eyJ.secret.token"))
            .logout_hint("jane");
        let shown = format!("{r:?}");
        assert!(
            !shown.contains("eyJ.secret.token") && shown.contains("jane"),
            "{shown}"
        );
        let v = VerifyLogoutTokenRequest::new(SecretString::from("eyJ.logout.token"));
        assert!(!format!("{v:?}").contains("eyJ.logout.token"));
    }

    #[test]
    fn audience_arrays_are_accepted() {
        let mut c = good();
        c.insert("aud".into(), json!(["x", "c1"]));
        check(&c).unwrap();
    }
}
