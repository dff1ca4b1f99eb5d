//! ID-token validation: every ID token this crate hands back has passed these checks.
//!
//! Signature against the tenant's JWKS (or the client secret for HS256) with an algorithm
//! allow-list; `iss` equal to the issuer; `aud` containing the client id, and `azp` equal to it
//! when there are several audiences (or whenever present); `exp` in the future and `iat`
//! present (with the clock leeway); `nonce` equal to the one sent; `auth_time` within
//! `max_age`; and, when asked, the organization.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::client::AuthClient;
use crate::client_auth::now_secs;
use crate::error::{Error, ErrorCode, ErrorKind, Result};
use crate::jwks::JwksCache;
use crate::jwt::{SigningAlgorithm, UnverifiedJwt};

/// The claims of a validated token.
///
/// ```
/// # let claims: auth0_auth::Claims = serde_json::from_str(r#"{"sub":"auth0|1","email":"a@b.c"}"#).unwrap();
/// assert_eq!(claims.sub(), Some("auth0|1"));
/// assert_eq!(claims.get_str("email"), Some("a@b.c"));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Claims(Map<String, Value>);

impl Claims {
    /// Any claim.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name)
    }

    /// A claim that is a string.
    pub fn get_str(&self, name: &str) -> Option<&str> {
        self.0.get(name).and_then(Value::as_str)
    }

    /// `sub`: the user id.
    pub fn sub(&self) -> Option<&str> {
        self.get_str("sub")
    }

    /// `name`.
    pub fn name(&self) -> Option<&str> {
        self.get_str("name")
    }

    /// `email`.
    pub fn email(&self) -> Option<&str> {
        self.get_str("email")
    }

    /// `org_id`, when the user logged in to an organization.
    pub fn org_id(&self) -> Option<&str> {
        self.get_str("org_id")
    }

    /// All claims.
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.0
    }

    /// All claims, owned.
    pub fn into_map(self) -> Map<String, Value> {
        self.0
    }
}

impl From<Map<String, Value>> for Claims {
    fn from(map: Map<String, Value>) -> Self {
        Self(map)
    }
}

/// What the caller expects of an ID token beyond the fixed rules.
#[derive(Clone, Debug, Default)]
pub(crate) struct IdTokenExpectations {
    pub nonce: Option<String>,
    pub max_age: Option<u64>,
    pub organization: Option<String>,
}

/// The fixed inputs of the claim rules, so they can be tested without a network.
pub(crate) struct ClaimRules<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub now: u64,
    pub leeway: u64,
    pub nonce: Option<&'a str>,
    pub max_age: Option<u64>,
}

fn number(claims: &Map<String, Value>, name: &str) -> std::result::Result<Option<u64>, String> {
    match claims.get(name) {
        None => Ok(None),
        Some(v) => v
            .as_u64()
            .or_else(|| v.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64))
            .map(Some)
            .ok_or_else(|| format!("the \"{name}\" claim is not a number")),
    }
}

/// Checks the claims of an ID token. Each rule has its own message.
pub(crate) fn check_claims(
    claims: &Map<String, Value>,
    rules: &ClaimRules<'_>,
) -> std::result::Result<(), String> {
    match claims.get("iss").and_then(Value::as_str) {
        None => return Err("the ID token has no \"iss\" (issuer) claim".into()),
        Some(iss) if iss != rules.issuer => {
            return Err(format!(
                "the ID token's issuer {iss:?} is not the expected {:?}",
                rules.issuer
            ));
        }
        Some(_) => {}
    }
    if claims
        .get("sub")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        return Err("the ID token has no \"sub\" (subject) claim".into());
    }
    let audiences: Vec<&str> = match claims.get("aud") {
        Some(Value::String(a)) => vec![a.as_str()],
        Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
        _ => return Err("the ID token has no \"aud\" (audience) claim".into()),
    };
    if !audiences.contains(&rules.client_id) {
        return Err(format!(
            "the ID token's audience {audiences:?} does not include this client ({:?})",
            rules.client_id
        ));
    }
    let azp = claims.get("azp").and_then(Value::as_str);
    if audiences.len() > 1 && azp.is_none() {
        return Err(
            "the ID token has several audiences but no \"azp\" (authorized party) claim".into(),
        );
    }
    if let Some(azp) = azp
        && azp != rules.client_id
    {
        return Err(format!(
            "the ID token's authorized party {azp:?} is not this client ({:?})",
            rules.client_id
        ));
    }
    let exp = number(claims, "exp")?
        .ok_or_else(|| "the ID token has no \"exp\" (expiry) claim".to_string())?;
    if exp.saturating_add(rules.leeway) <= rules.now {
        return Err(format!(
            "the ID token expired at {exp}, and it is now {} (leeway {} s)",
            rules.now, rules.leeway
        ));
    }
    let iat = number(claims, "iat")?
        .ok_or_else(|| "the ID token has no \"iat\" (issued at) claim".to_string())?;
    if iat > rules.now.saturating_add(rules.leeway) {
        return Err(format!(
            "the ID token was issued in the future ({iat}; now {})",
            rules.now
        ));
    }
    // RFC 7519 section 4.1.5: never accepted before its `nbf`, when it has one.
    if let Some(nbf) = number(claims, "nbf")?
        && nbf > rules.now.saturating_add(rules.leeway)
    {
        return Err(format!(
            "the ID token is not valid before {nbf} (now {}, leeway {} s)",
            rules.now, rules.leeway
        ));
    }
    if let Some(expected) = rules.nonce {
        match claims.get("nonce").and_then(Value::as_str) {
            None => return Err("the ID token has no \"nonce\" claim, but one was sent".into()),
            Some(n) if n != expected => {
                return Err("the ID token's nonce does not match the one sent".into());
            }
            Some(_) => {}
        }
    }
    if let Some(max_age) = rules.max_age {
        let auth_time = number(claims, "auth_time")?.ok_or_else(|| {
            "the ID token has no \"auth_time\" claim, but max_age was requested".to_string()
        })?;
        if auth_time
            .saturating_add(max_age)
            .saturating_add(rules.leeway)
            < rules.now
        {
            return Err(format!(
                "the user authenticated at {auth_time}, longer ago than max_age {max_age} s"
            ));
        }
    }
    Ok(())
}

/// Checks the organization of an ID token: an `org_…` value against `org_id` exactly, any other
/// value against `org_name` case-insensitively.
pub(crate) fn check_organization(
    claims: &Map<String, Value>,
    expected: &str,
) -> std::result::Result<(), String> {
    if expected.starts_with("org_") {
        match claims.get("org_id").and_then(Value::as_str) {
            None => {
                Err("the ID token has no \"org_id\" claim, but an organization was expected".into())
            }
            Some(id) if id != expected => Err(format!(
                "the ID token's organization id {id:?} is not the expected {expected:?}"
            )),
            Some(_) => Ok(()),
        }
    } else {
        match claims.get("org_name").and_then(Value::as_str) {
            None => Err(
                "the ID token has no \"org_name\" claim, but an organization was expected".into(),
            ),
            Some(name) if !name.eq_ignore_ascii_case(expected) => Err(format!(
                "the ID token's organization name {name:?} is not the expected {expected:?}"
            )),
            Some(_) => Ok(()),
        }
    }
}

/// Refuses a blank organization before any request.
pub(crate) fn check_organization_input(organization: Option<&str>, code: ErrorCode) -> Result<()> {
    if organization.is_some_and(|o| o.trim().is_empty()) {
        return Err(Error::invalid_input(
            code,
            "the organization must not be blank",
        ));
    }
    Ok(())
}

impl AuthClient {
    /// Validates an ID token completely; errors carry the operation's `code`.
    pub(crate) async fn validate_id_token(
        &self,
        token: &str,
        expect: &IdTokenExpectations,
        code: ErrorCode,
    ) -> Result<Claims> {
        let invalid = |m: String| {
            Error::new(
                code,
                ErrorKind::TokenValidation,
                format!("ID token rejected: {m}"),
            )
        };
        let jwt = UnverifiedJwt::parse(token).map_err(invalid)?;
        let alg = jwt.algorithm(&self.inner.id_token_algs).map_err(invalid)?;
        let metadata = self.metadata(code).await?;
        if alg == SigningAlgorithm::HS256 {
            let secret = self.inner.auth.secret().ok_or_else(|| {
                invalid("HS256 needs the client secret, and none is configured".into())
            })?;
            let key = jsonwebtoken::DecodingKey::from_secret(
                secrecy::ExposeSecret::expose_secret(secret).as_bytes(),
            )
            .map_err(|_| invalid("the client secret cannot key HS256".into()))?;
            jwt.verify_signature(&key, alg).map_err(invalid)?;
        } else {
            JwksCache::shared()
                .verify(&self.inner.transport, &metadata, &jwt, alg, code)
                .await
                .map_err(|e| {
                    if e.kind() == ErrorKind::TokenValidation {
                        invalid(e.message().to_string())
                    } else {
                        e
                    }
                })?;
        }
        let rules = ClaimRules {
            issuer: &metadata.issuer,
            client_id: &self.inner.client_id,
            now: now_secs(),
            leeway: self.inner.leeway.as_secs(),
            nonce: expect.nonce.as_deref(),
            max_age: expect.max_age,
        };
        check_claims(&jwt.claims, &rules).map_err(invalid)?;
        if let Some(org) = &expect.organization {
            check_organization(&jwt.claims, org).map_err(|m| {
                Error::new(
                    ErrorCode::OrganizationValidation,
                    ErrorKind::TokenValidation,
                    m,
                )
            })?;
        }
        Ok(Claims(jwt.claims))
    }

    /// Validates an ID token the application received some other way (for example from a
    /// session store), with the same rules the SDK applies to the ID tokens it obtains itself.
    ///
    /// ```no_run
    /// # async fn demo(client: auth0_auth::AuthClient, id_token: &str) -> auth0_auth::Result<()> {
    /// let claims = client.verify_id_token(id_token, None).await?;
    /// println!("hello {:?}", claims.name());
    /// # Ok(()) }
    /// ```
    pub async fn verify_id_token(&self, id_token: &str, nonce: Option<&str>) -> Result<Claims> {
        self.validate_id_token(
            id_token,
            &IdTokenExpectations {
                nonce: nonce.map(String::from),
                ..Default::default()
            },
            ErrorCode::IdTokenValidation,
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: u64 = 1_700_000_000;

    fn good() -> Map<String, Value> {
        json!({
            "iss": "https://t.auth0.com/",
            "sub": "auth0|123",
            "aud": "client-1",
            "exp": NOW + 3600,
            "iat": NOW - 10,
            "nonce": "n-1",
            "auth_time": NOW - 100,
        })
        .as_object()
        .cloned()
        .unwrap()
    }

    fn rules() -> ClaimRules<'static> {
        ClaimRules {
            issuer: "https://t.auth0.com/",
            client_id: "client-1",
            now: NOW,
            leeway: 60,
            nonce: Some("n-1"),
            max_age: Some(3600),
        }
    }

    fn broken(change: impl FnOnce(&mut Map<String, Value>)) -> String {
        let mut c = good();
        change(&mut c);
        check_claims(&c, &rules()).unwrap_err()
    }

    #[test]
    fn a_good_token_passes() {
        check_claims(&good(), &rules()).unwrap();
    }

    #[test]
    fn each_rule_fails_on_its_own() {
        assert!(
            broken(|c| {
                c.remove("iss");
            })
            .contains("iss")
        );
        assert!(
            broken(|c| {
                c.insert("iss".into(), json!("https://t.auth0.com"));
            })
            .contains("issuer")
        );
        assert!(
            broken(|c| {
                c.insert("iss".into(), json!("https://t.auth0.com.evil/"));
            })
            .contains("issuer")
        );
        assert!(
            broken(|c| {
                c.remove("sub");
            })
            .contains("sub")
        );
        assert!(
            broken(|c| {
                c.remove("aud");
            })
            .contains("aud")
        );
        assert!(
            broken(|c| {
                c.insert("aud".into(), json!("other"));
            })
            .contains("audience")
        );
        assert!(
            broken(|c| {
                c.insert("aud".into(), json!(["client-1", "other"]));
            })
            .contains("azp")
        );
        assert!(
            broken(|c| {
                c.insert("aud".into(), json!(["client-1", "other"]));
                c.insert("azp".into(), json!("other"));
            })
            .contains("authorized party")
        );
        assert!(
            broken(|c| {
                c.insert("azp".into(), json!("other"));
            })
            .contains("authorized party")
        );
        assert!(
            broken(|c| {
                c.remove("exp");
            })
            .contains("exp")
        );
        assert!(
            broken(|c| {
                c.insert("exp".into(), json!(NOW - 61));
            })
            .contains("expired")
        );
        assert!(
            broken(|c| {
                c.insert("exp".into(), json!("soon"));
            })
            .contains("not a number")
        );
        assert!(
            broken(|c| {
                c.remove("iat");
            })
            .contains("iat")
        );
        assert!(
            broken(|c| {
                c.insert("iat".into(), json!(NOW + 3600));
            })
            .contains("future")
        );
        assert!(
            broken(|c| {
                c.remove("nonce");
            })
            .contains("nonce")
        );
        assert!(
            broken(|c| {
                c.insert("nonce".into(), json!("other"));
            })
            .contains("nonce")
        );
        assert!(
            broken(|c| {
                c.remove("auth_time");
            })
            .contains("auth_time")
        );
        assert!(
            broken(|c| {
                c.insert("auth_time".into(), json!(NOW - 3600 - 61));
            })
            .contains("max_age")
        );
    }

    #[test]
    fn leeway_edges() {
        let mut c = good();
        c.insert("exp".into(), json!(NOW - 59));
        check_claims(&c, &rules()).unwrap();
        c.insert("exp".into(), json!(NOW - 60));
        assert!(check_claims(&c, &rules()).is_err());
    }

    #[test]
    fn several_audiences_with_matching_azp_pass() {
        let mut c = good();
        c.insert("aud".into(), json!(["client-1", "https://api/"]));
        c.insert("azp".into(), json!("client-1"));
        check_claims(&c, &rules()).unwrap();
    }

    #[test]
    fn nonce_and_max_age_are_only_checked_when_asked() {
        let mut c = good();
        c.remove("nonce");
        c.remove("auth_time");
        let r = ClaimRules {
            nonce: None,
            max_age: None,
            ..rules()
        };
        check_claims(&c, &r).unwrap();
    }

    #[test]
    fn organizations_by_id_exactly_and_by_name_ignoring_case() {
        let c = json!({"org_id": "org_abc", "org_name": "Acme"})
            .as_object()
            .cloned()
            .unwrap();
        check_organization(&c, "org_abc").unwrap();
        assert!(check_organization(&c, "org_ABC").is_err());
        check_organization(&c, "acme").unwrap();
        check_organization(&c, "ACME").unwrap();
        assert!(check_organization(&c, "other").is_err());
        let empty = Map::new();
        assert!(
            check_organization(&empty, "org_abc")
                .unwrap_err()
                .contains("org_id")
        );
        assert!(
            check_organization(&empty, "acme")
                .unwrap_err()
                .contains("org_name")
        );
        assert!(check_organization_input(Some("  "), ErrorCode::TokenByCode).is_err());
        assert!(check_organization_input(None, ErrorCode::TokenByCode).is_ok());
    }
}
