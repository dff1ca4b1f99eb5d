//! Logging out: the logout URL, and verification of back-channel logout tokens.

use serde_json::{Map, Value};
use url::Url;

use crate::client::AuthClient;
use crate::client_auth::now_secs;
use crate::error::{Error, ErrorCode, ErrorKind, Result};
use crate::jwks::JwksCache;
use crate::jwt::{SigningAlgorithm, UnverifiedJwt};

/// The event member a logout token must carry.
pub const BACKCHANNEL_LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// Options of [`AuthClient::build_logout_url`].
#[derive(Clone, Debug)]
pub struct LogoutUrlRequest {
    return_to: String,
    federated: bool,
}

impl LogoutUrlRequest {
    /// After logout, send the browser to `return_to` (an Allowed Logout URL).
    pub fn new(return_to: impl Into<String>) -> Self {
        Self {
            return_to: return_to.into(),
            federated: false,
        }
    }

    /// Also log the user out of the identity provider they signed in with (`federated`).
    pub fn federated(mut self, on: bool) -> Self {
        self.federated = on;
        self
    }
}

/// Who a verified back-channel logout token logs out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogoutTokenClaims {
    /// The session to end (`sid`).
    pub sid: Option<String>,
    /// The user whose sessions to end (`sub`).
    pub sub: Option<String>,
}

/// The claim rules of a logout token (SPEC section 7), each with its own message.
pub(crate) fn check_logout_claims(
    claims: &Map<String, Value>,
    issuer: &str,
    client_id: &str,
    now: u64,
    leeway: u64,
) -> std::result::Result<LogoutTokenClaims, String> {
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
    match claims.get("iat") {
        None => return Err("the logout token has no \"iat\" claim".into()),
        Some(v) if !v.is_number() => {
            return Err("the logout token's \"iat\" is not a number".into());
        }
        // Validated as in ID tokens (Back-Channel Logout 1.0, section 2.6).
        Some(v) => {
            if let Some(iat) = v.as_u64()
                && iat > now.saturating_add(leeway)
            {
                return Err(format!(
                    "the logout token was issued in the future ({iat}; now {now})"
                ));
            }
        }
    }
    if let Some(nbf) = claims.get("nbf") {
        let nbf = nbf
            .as_u64()
            .ok_or_else(|| "the logout token's \"nbf\" is not a number".to_string())?;
        if nbf > now.saturating_add(leeway) {
            return Err(format!("the logout token is not valid before {nbf}"));
        }
    }
    if let Some(exp) = claims.get("exp") {
        let exp = exp
            .as_u64()
            .ok_or_else(|| "the logout token's \"exp\" is not a number".to_string())?;
        if exp.saturating_add(leeway) <= now {
            return Err(format!("the logout token expired at {exp}"));
        }
    }
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
    let events = match claims.get("events") {
        None => return Err("the logout token has no \"events\" claim".into()),
        Some(Value::Object(e)) => e,
        Some(_) => return Err("the logout token's \"events\" is not an object".into()),
    };
    match events.get(BACKCHANNEL_LOGOUT_EVENT) {
        None => Err(format!(
            "the logout token's \"events\" has no {BACKCHANNEL_LOGOUT_EVENT:?} member"
        )),
        Some(Value::Object(_)) => Ok(LogoutTokenClaims { sid, sub }),
        Some(_) => Err(format!(
            "the logout token's {BACKCHANNEL_LOGOUT_EVENT:?} event is not an object"
        )),
    }
}

impl AuthClient {
    /// The URL that logs the browser out: the tenant's `end_session_endpoint` with
    /// `post_logout_redirect_uri` and `client_id` when discovery has one, Auth0's
    /// `/v2/logout?returnTo=…&client_id=…` otherwise.
    ///
    /// ```no_run
    /// # async fn demo(client: auth0_auth::AuthClient) -> auth0_auth::Result<()> {
    /// use auth0_auth::LogoutUrlRequest;
    /// let url = client.build_logout_url(LogoutUrlRequest::new("http://localhost:3000/")).await?;
    /// # Ok(()) }
    /// ```
    pub async fn build_logout_url(&self, request: LogoutUrlRequest) -> Result<Url> {
        let metadata = self.metadata(ErrorCode::Discovery).await?;
        let (mut url, return_param) = match &metadata.end_session_endpoint {
            Some(e) => (
                metadata.endpoint("end_session_endpoint", Some(e), ErrorCode::Discovery)?,
                "post_logout_redirect_uri",
            ),
            None => (
                self.inner
                    .base
                    .join("v2/logout")
                    .map_err(|_| Error::config("the domain cannot carry a logout path"))?,
                "returnTo",
            ),
        };
        {
            let mut q = url.query_pairs_mut();
            q.append_pair(return_param, &request.return_to);
            q.append_pair("client_id", &self.inner.client_id);
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
    /// says otherwise; HS256 never applies here), be issued by the tenant for this client, carry
    /// `iat`, not be expired, name a `sid` or `sub`, carry no `nonce`, and carry the
    /// back-channel logout event.
    pub async fn verify_logout_token(&self, logout_token: &str) -> Result<LogoutTokenClaims> {
        let code = ErrorCode::VerifyLogoutToken;
        let invalid = |m: String| Error::new(code, ErrorKind::TokenValidation, m);
        let jwt = UnverifiedJwt::parse(logout_token).map_err(invalid)?;
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
        check_logout_claims(
            &jwt.claims,
            &metadata.issuer,
            &self.inner.client_id,
            now_secs(),
            self.inner.leeway.as_secs(),
        )
        .map_err(invalid)
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
        ];
        let unique: std::collections::HashSet<_> = messages.iter().collect();
        assert_eq!(unique.len(), messages.len(), "{messages:#?}");
    }

    #[test]
    fn audience_arrays_are_accepted() {
        let mut c = good();
        c.insert("aud".into(), json!(["x", "c1"]));
        check(&c).unwrap();
    }
}
