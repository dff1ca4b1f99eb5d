//! What is kept between requests, in the JSON shape `@auth0/auth0-server-js` uses, so either
//! SDK reads what the other wrote: the session ([`StateData`]: `user`, `idToken`,
//! `refreshToken`, `tokenSets`, `connectionTokenSets`, `domain`, `sessionExpiresAt`,
//! `internal {sid, createdAt}`, and any other field kept as is) and the login transaction
//! ([`TransactionData`]). Also the [`Clock`] every expiry decision reads.
//!
//! Imports `auth0-auth`'s transaction and secret types and this crate's errors.

use std::fmt;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use auth0_auth::{ExposeSecret, LoginTransaction, SecretString};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::error::CookieProblem;

/// Where "now" comes from (seconds since the Unix epoch). Tests inject their own.
pub trait Clock: Send + Sync + 'static {
    /// The current time in seconds since the Unix epoch.
    fn now(&self) -> u64;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
    }
}

/// A shared clock.
pub type SharedClock = Arc<dyn Clock>;

fn ser_secret<S: Serializer>(v: &SecretString, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(v.expose_secret())
}

fn ser_opt_secret<S: Serializer>(v: &Option<SecretString>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => s.serialize_str(v.expose_secret()),
        None => s.serialize_none(),
    }
}

fn de_secret<'de, D: Deserializer<'de>>(d: D) -> Result<SecretString, D::Error> {
    String::deserialize(d).map(SecretString::from)
}

fn de_opt_secret<'de, D: Deserializer<'de>>(d: D) -> Result<Option<SecretString>, D::Error> {
    Ok(Option::<String>::deserialize(d)?.map(SecretString::from))
}

/// Seconds since the epoch, read from any JSON number (the reference may write fractions).
fn de_secs<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let n = f64::deserialize(d)?;
    if n.is_finite() && n >= 0.0 {
        Ok(n as u64)
    } else {
        Err(serde::de::Error::custom("not a time in seconds"))
    }
}

fn de_opt_secs<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    match Option::<f64>::deserialize(d)? {
        None => Ok(None),
        Some(n) if n.is_finite() && n >= 0.0 => Ok(Some(n as u64)),
        Some(_) => Err(serde::de::Error::custom("not a time in seconds")),
    }
}

/// The access token of one audience (and scope), as kept in the session.
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenSet {
    /// The API (`default` when no audience was asked for).
    pub audience: String,
    /// The access token.
    #[serde(serialize_with = "ser_secret", deserialize_with = "de_secret")]
    pub access_token: SecretString,
    /// The granted scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// When the access token expires (seconds since the epoch).
    #[serde(deserialize_with = "de_secs")]
    pub expires_at: u64,
}

impl fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSet")
            .field("audience", &self.audience)
            .field("access_token", &"[redacted]")
            .field("scope", &self.scope)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// A federated connection's access token (Token Vault), as kept in the session.
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionTokenSet {
    /// The connection.
    pub connection: String,
    /// The login hint it was asked with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login_hint: Option<String>,
    /// The access token.
    #[serde(serialize_with = "ser_secret", deserialize_with = "de_secret")]
    pub access_token: SecretString,
    /// The granted scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// When the access token expires (seconds since the epoch).
    #[serde(deserialize_with = "de_secs")]
    pub expires_at: u64,
}

impl fmt::Debug for ConnectionTokenSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectionTokenSet")
            .field("connection", &self.connection)
            .field("login_hint", &self.login_hint)
            .field("access_token", &"[redacted]")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// Bookkeeping of the session: its Auth0 session id and when it began.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct InternalStateData {
    /// The `sid` claim of the ID token the session began with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// When the session began (seconds since the epoch): the absolute lifetime counts from here.
    #[serde(deserialize_with = "de_secs")]
    pub created_at: u64,
}

/// A session: what the `__a0_session` cookie (stateless) or the session store (stateful) holds.
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StateData {
    /// The user's ID-token claims.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<Map<String, Value>>,
    /// The ID token.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "ser_opt_secret",
        deserialize_with = "de_opt_secret"
    )]
    pub id_token: Option<SecretString>,
    /// The refresh token.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "ser_opt_secret",
        deserialize_with = "de_opt_secret"
    )]
    pub refresh_token: Option<SecretString>,
    /// One access token per audience (and scope).
    #[serde(default)]
    pub token_sets: Vec<TokenSet>,
    /// Federated connections' access tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_token_sets: Option<Vec<ConnectionTokenSet>>,
    /// The tenant domain the session belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// An upstream identity provider's `session_expiry` ceiling (seconds since the epoch).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "de_opt_secs"
    )]
    pub session_expires_at: Option<u64>,
    /// Session bookkeeping.
    pub internal: InternalStateData,
    /// Any other field, kept as is.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl fmt::Debug for StateData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StateData")
            .field("sub", &self.sub())
            .field("id_token", &self.id_token.as_ref().map(|_| "[redacted]"))
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "[redacted]"),
            )
            .field("token_sets", &self.token_sets)
            .field("connection_token_sets", &self.connection_token_sets)
            .field("domain", &self.domain)
            .field("internal", &self.internal)
            .finish_non_exhaustive()
    }
}

impl StateData {
    /// The user's `sub`, when the session has a user.
    pub fn sub(&self) -> Option<&str> {
        self.user.as_ref()?.get("sub")?.as_str()
    }

    /// The user's `iss`, when the session has a user.
    pub fn iss(&self) -> Option<&str> {
        self.user.as_ref()?.get("iss")?.as_str()
    }

    /// The payload, as a JSON object's bytes.
    pub(crate) fn to_json(&self) -> Result<Vec<u8>, CookieProblem> {
        serde_json::to_vec(self)
            .map_err(|_| CookieProblem::Malformed("the session does not encode"))
    }

    /// Reads a decrypted payload field by field (no buffering of the whole object); fields this
    /// SDK does not know are kept in `extra`.
    pub(crate) fn from_map(mut map: Map<String, Value>) -> Result<Self, CookieProblem> {
        fn take<T: serde::de::DeserializeOwned>(
            map: &mut Map<String, Value>,
            key: &str,
        ) -> Result<Option<T>, CookieProblem> {
            match map.remove(key) {
                None | Some(Value::Null) => Ok(None),
                Some(v) => serde_json::from_value(v)
                    .map(Some)
                    .map_err(|_| CookieProblem::Malformed("a session field has the wrong type")),
            }
        }
        let secs = |v: Option<f64>| match v {
            None => Ok(None),
            Some(n) if n.is_finite() && n >= 0.0 => Ok(Some(n as u64)),
            Some(_) => Err(CookieProblem::Malformed("a session time is not a time")),
        };
        Ok(Self {
            user: take(&mut map, "user")?,
            id_token: take::<String>(&mut map, "idToken")?.map(SecretString::from),
            refresh_token: take::<String>(&mut map, "refreshToken")?.map(SecretString::from),
            token_sets: take(&mut map, "tokenSets")?.unwrap_or_default(),
            connection_token_sets: take(&mut map, "connectionTokenSets")?,
            domain: take(&mut map, "domain")?,
            session_expires_at: secs(take(&mut map, "sessionExpiresAt")?)?,
            internal: take(&mut map, "internal")?
                .ok_or(CookieProblem::Malformed("the session has no internal data"))?,
            extra: map,
        })
    }
}

/// A login in progress, as the `__a0_tx` cookie holds it.
///
/// Written as the auth0-auth [`LoginTransaction`] JSON (`codeVerifier`, `state`, `nonce`,
/// `redirectUri`, `audience`, `createdAt`, …) plus `appState`, which is a superset of what
/// auth0-server-js writes (`audience`, `codeVerifier`, `organization`, `appState`, `domain`); the
/// reference ignores the other fields. A transaction the reference wrote (no `createdAt`) is
/// read as a bare code verifier plus its organization, or (a magic link) a bare `state`.
#[derive(Clone)]
pub struct TransactionData {
    /// The full transaction, when this SDK began the login.
    pub login: Option<LoginTransaction>,
    /// The PKCE code verifier (none for a magic link).
    pub code_verifier: Option<SecretString>,
    /// The anti-forgery `state` of a magic link (a full login keeps its own in `login`).
    pub state: Option<String>,
    /// The audience the login asked for.
    pub audience: Option<String>,
    /// The organization the login asked for.
    pub organization: Option<String>,
    /// The application's state, given back when the login completes.
    pub app_state: Option<Value>,
    /// Any other field (`domain`, …), kept as is.
    pub extra: Map<String, Value>,
}

impl fmt::Debug for TransactionData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransactionData")
            .field("login", &self.login)
            .field(
                "code_verifier",
                &self.code_verifier.as_ref().map(|_| "[redacted]"),
            )
            .field("state", &self.state)
            .field("audience", &self.audience)
            .field("organization", &self.organization)
            .finish_non_exhaustive()
    }
}

impl TransactionData {
    /// A transaction for a login this SDK began.
    pub fn from_login(login: LoginTransaction, app_state: Option<Value>) -> Self {
        Self {
            code_verifier: Some(login.code_verifier().clone()),
            state: None,
            audience: login.audience().map(str::to_owned),
            organization: login.organization().map(str::to_owned),
            login: Some(login),
            app_state,
            extra: Map::new(),
        }
    }

    pub(crate) fn to_map(&self) -> Result<Map<String, Value>, CookieProblem> {
        let mut map = self.extra.clone();
        if let Some(login) = &self.login {
            match serde_json::to_value(login) {
                Ok(Value::Object(m)) => map.extend(m),
                _ => return Err(CookieProblem::Malformed("the transaction does not encode")),
            }
        }
        if let Some(v) = &self.code_verifier {
            map.insert("codeVerifier".into(), Value::from(v.expose_secret()));
        }
        if let (None, Some(state)) = (&self.login, &self.state) {
            map.insert("state".into(), Value::from(state.as_str()));
        }
        if let Some(a) = &self.audience {
            map.insert("audience".into(), Value::from(a.as_str()));
        }
        if let Some(o) = &self.organization {
            map.insert("organization".into(), Value::from(o.as_str()));
        }
        if let Some(s) = &self.app_state {
            map.insert("appState".into(), s.clone());
        }
        Ok(map)
    }

    pub(crate) fn from_map(mut map: Map<String, Value>) -> Result<Self, CookieProblem> {
        let app_state = map.remove("appState");
        let text = |map: &Map<String, Value>, k: &str| -> Result<Option<String>, CookieProblem> {
            match map.get(k) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(CookieProblem::Malformed("a transaction field is not text")),
            }
        };
        let code_verifier = text(&map, "codeVerifier")?;
        let state = text(&map, "state")?;
        if code_verifier.as_deref() == Some("") || state.as_deref() == Some("") {
            return Err(CookieProblem::Malformed(
                "the transaction has an empty codeVerifier or state",
            ));
        }
        if code_verifier.is_none() && state.is_none() {
            return Err(CookieProblem::Malformed(
                "the transaction has neither codeVerifier nor state",
            ));
        }
        let code_verifier = code_verifier.map(SecretString::from);
        let audience = text(&map, "audience")?;
        let organization = text(&map, "organization")?;
        if organization.as_deref().is_some_and(|o| o.trim().is_empty()) {
            return Err(CookieProblem::Malformed(
                "the transaction's organization is blank",
            ));
        }
        // Ours carries `createdAt`: then it must read as a whole, strictly.
        let login = if map.contains_key("createdAt") {
            Some(
                serde_json::from_value::<LoginTransaction>(Value::Object(map.clone()))
                    .map_err(|_| CookieProblem::Malformed("the login transaction is invalid"))?,
            )
        } else {
            None
        };
        let mut extra = Map::new();
        if login.is_none() {
            for (k, v) in map {
                if !matches!(
                    k.as_str(),
                    "codeVerifier" | "state" | "audience" | "organization"
                ) {
                    extra.insert(k, v);
                }
            }
        } else if let Some(domain) = map.get("domain") {
            // A multi-domain client's login remembers its tenant domain.
            extra.insert("domain".into(), domain.clone());
        }
        Ok(Self {
            state: if login.is_some() { None } else { state },
            login,
            code_verifier,
            audience,
            organization,
            app_state,
            extra,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_session_json_reads_and_writes_back() {
        let json = serde_json::json!({
            "user": {"sub": "auth0|1", "name": "Jane"},
            "idToken": "id.token.x",
            "refreshToken": "rt",
            "tokenSets": [{"audience": "default", "accessToken": "at", "scope": "openid", "expiresAt": 1700000000}],
            "connectionTokenSets": [{"connection": "google-oauth2", "accessToken": "ct", "expiresAt": 1.7e9}],
            "internal": {"sid": "s1", "createdAt": 1699990000},
            "custom": {"kept": true}
        });
        let Value::Object(map) = json.clone() else {
            unreachable!()
        };
        let s = StateData::from_map(map).unwrap();
        let via_serde: StateData = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(
            serde_json::to_value(&via_serde).unwrap(),
            serde_json::to_value(&s).unwrap()
        );
        assert_eq!(s.sub(), Some("auth0|1"));
        assert_eq!(s.token_sets[0].expires_at, 1_700_000_000);
        assert_eq!(s.internal.sid.as_deref(), Some("s1"));
        let back: Value = serde_json::from_slice(&s.to_json().unwrap()).unwrap();
        assert_eq!(back["custom"], json["custom"]);
        assert_eq!(back["tokenSets"], json["tokenSets"]);
        assert_eq!(back["refreshToken"], "rt");
        let dbg = format!("{s:?}");
        assert!(
            !dbg.contains("\"rt\"") && !dbg.contains("id.token.x") && !dbg.contains("\"at\""),
            "{dbg}"
        );
    }

    #[test]
    fn reference_transaction_reads_as_a_bare_verifier() {
        let json = serde_json::json!({"audience": "a", "codeVerifier": "v", "domain": "d", "appState": {"returnTo": "/x"}});
        let Value::Object(map) = json else {
            unreachable!()
        };
        let t = TransactionData::from_map(map).unwrap();
        assert!(t.login.is_none());
        assert_eq!(t.code_verifier.unwrap().expose_secret(), "v");
        assert_eq!(t.app_state.unwrap()["returnTo"], "/x");
        assert_eq!(t.extra["domain"], "d");
    }

    #[test]
    fn a_damaged_transaction_is_refused() {
        for json in [
            serde_json::json!({"audience": "a"}),
            serde_json::json!({"codeVerifier": ""}),
            serde_json::json!({"codeVerifier": "v", "state": ""}),
            serde_json::json!({"codeVerifier": "v", "state": "s", "createdAt": 1, "nonce": ""}),
            serde_json::json!({"codeVerifier": "v", "createdAt": 1}),
            serde_json::json!({"state": ""}),
            serde_json::json!({"codeVerifier": "v", "organization": " "}),
            serde_json::json!({"codeVerifier": "v", "audience": 5}),
        ] {
            let Value::Object(map) = json else {
                unreachable!()
            };
            assert!(TransactionData::from_map(map).is_err());
        }
    }
}
