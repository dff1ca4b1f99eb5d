//! The claims of a verified access token ([`AccessTokenClaims`]), the rules an access token must
//! pass once its signature checked out, and the caller's claim checks ([`ClaimCheck`]).
//!
//! Pure logic on JSON maps: no I/O. Imports only `error.rs`.

use std::fmt;
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::error::{ApiError, ApiErrorCode};

/// The `typ` header values an access token may carry (compared without regard to case, as media
/// types are): RFC 9068's `at+jwt` and its long form, Auth0's `JWT`, or none.
const ACCESS_TOKEN_TYPES: &[&str] = &["at+jwt", "application/at+jwt", "jwt"];

/// Claims only an OpenID Connect ID token carries (OIDC Core §2, §3.1.3.6, §3.3.2.11); an
/// access token typed as a plain JWT with one of them is an ID token presented as an access
/// token.
const ID_TOKEN_ONLY_CLAIMS: &[&str] = &["nonce", "at_hash", "c_hash", "s_hash"];

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(ApiErrorCode::InvalidToken, message)
}

/// The claims of an access token that passed verification.
///
/// ```
/// # fn demo(claims: auth0_api::AccessTokenClaims) {
/// if claims.has_scope("read:messages") || claims.has_permission("read:messages") {
///     println!("{:?} may read", claims.subject());
/// }
/// # }
/// ```
#[derive(Clone, PartialEq)]
pub struct AccessTokenClaims {
    claims: Map<String, Value>,
}

impl fmt::Debug for AccessTokenClaims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessTokenClaims")
            .field("iss", &self.issuer())
            .field("sub", &self.subject())
            .field("aud", &self.audiences())
            .field("scope", &self.scope())
            .finish_non_exhaustive()
    }
}

impl AccessTokenClaims {
    pub(crate) fn new(claims: Map<String, Value>) -> Self {
        Self { claims }
    }

    /// One claim.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.claims.get(name)
    }

    /// Every claim.
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.claims
    }

    /// Every claim, owned.
    pub fn into_map(self) -> Map<String, Value> {
        self.claims
    }

    fn str_claim(&self, name: &str) -> Option<&str> {
        self.claims.get(name).and_then(Value::as_str)
    }

    /// `iss`: the tenant (or custom domain) that issued the token.
    pub fn issuer(&self) -> &str {
        self.str_claim("iss").unwrap_or_default()
    }

    /// `sub`: the user, or `{client_id}@clients` for machine-to-machine tokens.
    pub fn subject(&self) -> Option<&str> {
        self.str_claim("sub")
    }

    /// `aud` as a list (a single string becomes one entry).
    pub fn audiences(&self) -> Vec<&str> {
        audiences(&self.claims)
    }

    /// `azp` (Auth0) or `client_id` (RFC 9068): the application the token was issued to.
    pub fn client_id(&self) -> Option<&str> {
        self.str_claim("azp")
            .or_else(|| self.str_claim("client_id"))
    }

    /// `org_id`: the organization the user logged in to.
    pub fn organization_id(&self) -> Option<&str> {
        self.str_claim("org_id")
    }

    /// `scope`, as sent (space-delimited).
    pub fn scope(&self) -> Option<&str> {
        self.str_claim("scope")
    }

    /// The scopes of `scope`, split on spaces.
    pub fn scopes(&self) -> impl Iterator<Item = &str> {
        self.scope()
            .unwrap_or_default()
            .split(' ')
            .filter(|s| !s.is_empty())
    }

    /// Whether `scope` holds `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes().any(|s| s == scope)
    }

    /// Auth0's RBAC `permissions` array (empty when the API does not add it).
    pub fn permissions(&self) -> Vec<&str> {
        self.claims
            .get("permissions")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default()
    }

    /// Whether `permissions` holds `permission`.
    pub fn has_permission(&self, permission: &str) -> bool {
        self.permissions().contains(&permission)
    }

    /// `exp` in seconds since the epoch.
    pub fn expires_at(&self) -> Option<f64> {
        self.claims.get("exp").and_then(Value::as_f64)
    }

    /// `cnf.jkt`: the thumbprint of the key a DPoP-bound token is bound to.
    pub fn confirmation_jkt(&self) -> Option<&str> {
        self.claims
            .get("cnf")
            .and_then(|c| c.get("jkt"))
            .and_then(Value::as_str)
    }

    /// `act` (RFC 8693 §4.1): who acts on the subject's behalf, as sent.
    pub fn act(&self) -> Option<&Value> {
        self.claims.get("act")
    }

    /// The current actor: the outermost `act.sub`. `None` when the token is not delegated;
    /// `invalid_request` when `act` is present but not an object with a non-empty `sub`.
    pub fn current_actor(&self) -> Result<Option<&str>, ApiError> {
        Ok(self.delegation_chain()?.first().copied())
    }

    /// The delegation chain from the newest actor to the oldest: `act.sub`, `act.act.sub`, …
    /// Empty when the token is not delegated; `invalid_request` when any link is not an object
    /// with a non-empty `sub`.
    pub fn delegation_chain(&self) -> Result<Vec<&str>, ApiError> {
        let bad = || ApiError::new(ApiErrorCode::InvalidRequest, "invalid \"act\" claim");
        let mut chain = Vec::new();
        let mut current = self.claims.get("act");
        while let Some(link) = current {
            if link.is_null() && !chain.is_empty() {
                break;
            }
            let object = link.as_object().ok_or_else(bad)?;
            let sub = object
                .get("sub")
                .and_then(Value::as_str)
                .filter(|s| !s.trim().is_empty())
                .ok_or_else(bad)?;
            chain.push(sub);
            current = object.get("act");
        }
        Ok(chain)
    }
}

fn audiences(claims: &Map<String, Value>) -> Vec<&str> {
    match claims.get("aud") {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// Whether `aud` (a string, or an array of them) holds `audience`.
fn has_audience(claims: &Map<String, Value>, audience: &str) -> bool {
    match claims.get("aud") {
        Some(Value::String(s)) => s == audience,
        Some(Value::Array(a)) => a.iter().any(|v| v.as_str() == Some(audience)),
        _ => false,
    }
}

/// What an access token is checked against after its signature.
pub(crate) struct TokenRules<'a> {
    pub issuer: &'a str,
    pub audience: &'a str,
    /// Seconds since the epoch (fractions allowed).
    pub now: f64,
    pub leeway: f64,
    pub required_claims: &'a [String],
}

/// A NumericDate (RFC 7519 §2): a non-negative JSON number, fractions allowed. Anything else
/// is refused rather than skipped.
fn numeric_date(claims: &Map<String, Value>, name: &str) -> Result<Option<f64>, ApiError> {
    match claims.get(name) {
        None => Ok(None),
        Some(v) => v
            .as_f64()
            .filter(|n| n.is_finite() && *n >= 0.0)
            .map(Some)
            .ok_or_else(|| invalid(format!("the \"{name}\" claim is not a NumericDate"))),
    }
}

/// Checks the header and the registered claims of an access token whose signature verified.
/// (Verification calls [`check_claims`]: `auth0_auth` refuses `crit` before any key is looked
/// at, and decodes only `typ` of the rest of the header.)
#[cfg(test)]
pub(crate) fn check_token(
    header: &Map<String, Value>,
    claims: &Map<String, Value>,
    rules: &TokenRules<'_>,
) -> Result<(), ApiError> {
    // RFC 7515 §4.1.11: no header extension is understood here.
    if header.contains_key("crit") {
        return Err(invalid(
            "the token header lists critical extensions (\"crit\"), which are not supported",
        ));
    }
    check_claims(header.get("typ"), claims, rules)
}

/// [`check_token`] for a header whose `crit` was already refused (by `auth0_auth::jws`, which
/// refuses any `crit` before looking for a key): the type, then the claims.
pub(crate) fn check_claims(
    typ: Option<&Value>,
    claims: &Map<String, Value>,
    rules: &TokenRules<'_>,
) -> Result<(), ApiError> {
    // RFC 9068 §4 / RFC 8725 §3.11: explicit typing.
    let typ = match typ {
        None => None,
        Some(Value::String(t)) => Some(t.as_str()),
        Some(_) => return Err(invalid("the token \"typ\" header is not a string")),
    };
    if let Some(t) = typ
        && !ACCESS_TOKEN_TYPES.iter().any(|a| a.eq_ignore_ascii_case(t))
    {
        return Err(invalid(
            "the token \"typ\" is not the type of an access token",
        ));
    }
    let explicitly_typed = typ.is_some_and(|t| {
        t.eq_ignore_ascii_case("at+jwt") || t.eq_ignore_ascii_case("application/at+jwt")
    });
    if claims.contains_key("events") {
        return Err(invalid(
            "the token carries \"events\": it is a security event (logout) token, not an access token",
        ));
    }
    if !explicitly_typed && ID_TOKEN_ONLY_CLAIMS.iter().any(|c| claims.contains_key(*c)) {
        return Err(invalid(
            "the token carries ID-token claims (nonce or a hash): it is an ID token, not an access token",
        ));
    }
    // OIDC Core §2: `azp` names the party an ID token was issued to, which is then its
    // audience. An access token is issued to an API, never to the client holding it.
    if !explicitly_typed
        && let Some(azp) = claims.get("azp").and_then(Value::as_str)
        && has_audience(claims, azp)
    {
        return Err(invalid(
            "the token's audience is the client it was issued to (azp): it is an ID token, not an access token",
        ));
    }
    match claims.get("iss") {
        Some(Value::String(iss)) if iss == rules.issuer => {}
        Some(Value::String(_)) => return Err(invalid("unexpected \"iss\" claim value")),
        _ => return Err(invalid("missing required \"iss\" claim")),
    }
    match claims.get("aud") {
        Some(Value::String(_)) | Some(Value::Array(_)) => {
            if !has_audience(claims, rules.audience) {
                return Err(invalid("unexpected \"aud\" claim value"));
            }
        }
        Some(_) => return Err(invalid("the \"aud\" claim is not a string or an array")),
        None => return Err(invalid("missing required \"aud\" claim")),
    }
    let exp =
        numeric_date(claims, "exp")?.ok_or_else(|| invalid("missing required \"exp\" claim"))?;
    if exp <= rules.now - rules.leeway {
        return Err(invalid("the token has expired (\"exp\")"));
    }
    let iat =
        numeric_date(claims, "iat")?.ok_or_else(|| invalid("missing required \"iat\" claim"))?;
    if iat > rules.now + rules.leeway {
        return Err(invalid("the token is issued in the future (\"iat\")"));
    }
    if let Some(nbf) = numeric_date(claims, "nbf")?
        && nbf > rules.now + rules.leeway
    {
        return Err(invalid("the token is not yet valid (\"nbf\")"));
    }
    if let Some(scope) = claims.get("scope")
        && !scope.is_string()
    {
        return Err(invalid("the \"scope\" claim is not a string"));
    }
    if let Some(p) = claims.get("permissions")
        && !p.as_array().is_some_and(|a| a.iter().all(Value::is_string))
    {
        return Err(invalid(
            "the \"permissions\" claim is not an array of strings",
        ));
    }
    if let Some(cnf) = claims.get("cnf")
        && cnf.get("jkt").is_some_and(|j| !j.is_string())
    {
        return Err(invalid("the \"cnf.jkt\" claim is not a string"));
    }
    for name in rules.required_claims {
        if !claims.contains_key(name) {
            return Err(invalid(format!("missing required \"{name}\" claim")));
        }
    }
    Ok(())
}

/// A check of the verified claims, as express-oauth2-jwt-bearer offers them (`claimEquals`,
/// `claimIncludes`, `claimCheck`). A failed check is `401 invalid_token`.
#[derive(Clone)]
pub enum ClaimCheck {
    /// The claim exists and equals the value.
    Equals {
        /// The claim name.
        claim: String,
        /// The value it must have.
        value: Value,
    },
    /// The claim (an array, or a space-delimited string) holds every one of the values.
    Includes {
        /// The claim name.
        claim: String,
        /// The values it must hold.
        values: Vec<String>,
    },
    /// A predicate over the claims; `description` is the error message when it says no.
    Predicate {
        /// The error message when the predicate fails.
        description: String,
        /// The check.
        check: Arc<dyn Fn(&AccessTokenClaims) -> bool + Send + Sync>,
    },
}

impl fmt::Debug for ClaimCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Equals { claim, .. } => f.debug_struct("Equals").field("claim", claim).finish(),
            Self::Includes { claim, values } => f
                .debug_struct("Includes")
                .field("claim", claim)
                .field("values", values)
                .finish(),
            Self::Predicate { description, .. } => f
                .debug_struct("Predicate")
                .field("description", description)
                .finish(),
        }
    }
}

impl ClaimCheck {
    pub(crate) fn apply(&self, claims: &AccessTokenClaims) -> Result<(), ApiError> {
        let ok = match self {
            Self::Equals { claim, value } => claims.get(claim) == Some(value),
            Self::Includes { claim, values } => {
                let held: Vec<&str> = match claims.get(claim) {
                    Some(Value::String(s)) => s.split(' ').collect(),
                    Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
                    _ => Vec::new(),
                };
                claims.get(claim).is_some() && values.iter().all(|v| held.contains(&v.as_str()))
            }
            Self::Predicate { check, .. } => check(claims),
        };
        if ok {
            return Ok(());
        }
        Err(invalid(match self {
            Self::Equals { claim, .. } | Self::Includes { claim, .. } => {
                format!("unexpected \"{claim}\" value")
            }
            Self::Predicate { description, .. } => description.clone(),
        }))
    }
}

/// Checks that every required scope is in `scope` and every required permission in
/// `permissions`; `403 insufficient_scope` naming all of them otherwise.
pub(crate) fn check_scopes(
    claims: &AccessTokenClaims,
    scopes: &[String],
    permissions: &[String],
) -> Result<(), (ApiError, String)> {
    let missing_scope = scopes.iter().any(|s| !claims.has_scope(s));
    let missing_permission = permissions.iter().any(|p| !claims.has_permission(p));
    if !missing_scope && !missing_permission {
        return Ok(());
    }
    let needed: Vec<&str> = scopes
        .iter()
        .chain(permissions.iter())
        .map(String::as_str)
        .collect();
    let what = if missing_scope { "scope" } else { "permission" };
    Err((
        ApiError::new(
            ApiErrorCode::InsufficientScope,
            format!("the token lacks a required {what}"),
        ),
        needed.join(" "),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: f64 = 1_700_000_000.0;

    fn header() -> Map<String, Value> {
        json!({"alg": "RS256", "typ": "at+jwt"})
            .as_object()
            .cloned()
            .unwrap()
    }

    fn good() -> Map<String, Value> {
        json!({
            "iss": "https://t/", "aud": ["https://api/", "https://t/userinfo"], "sub": "u",
            "iat": NOW - 10.0, "exp": NOW + 100.0, "scope": "a b",
        })
        .as_object()
        .cloned()
        .unwrap()
    }

    fn check(h: &Map<String, Value>, c: &Map<String, Value>) -> Result<(), ApiError> {
        let required = vec!["sub".to_string()];
        check_token(
            h,
            c,
            &TokenRules {
                issuer: "https://t/",
                audience: "https://api/",
                now: NOW,
                leeway: 60.0,
                required_claims: &required,
            },
        )
    }

    fn refused(change: impl FnOnce(&mut Map<String, Value>, &mut Map<String, Value>)) -> String {
        let (mut h, mut c) = (header(), good());
        change(&mut h, &mut c);
        let e = check(&h, &c).unwrap_err();
        assert_eq!(e.code(), ApiErrorCode::InvalidToken);
        e.message().to_string()
    }

    #[test]
    fn a_good_token_passes_with_every_access_token_type() {
        for typ in [
            Some("at+jwt"),
            Some("application/AT+JWT"),
            Some("JWT"),
            None,
        ] {
            let mut h = header();
            match typ {
                Some(t) => h.insert("typ".into(), t.into()),
                None => h.remove("typ"),
            };
            check(&h, &good()).unwrap();
        }
        let mut c = good();
        c.insert("aud".into(), "https://api/".into());
        c.insert("iat".into(), json!(NOW - 0.5));
        c.insert("nbf".into(), json!(NOW + 59.0));
        check(&header(), &c).unwrap();
    }

    #[test]
    fn each_rule_refuses_a_token_that_breaks_it() {
        assert!(
            refused(|h, _| {
                h.insert("crit".into(), json!(["exp"]));
            })
            .contains("crit")
        );
        assert!(
            refused(|h, _| {
                h.insert("typ".into(), "logout+jwt".into());
            })
            .contains("typ")
        );
        assert!(
            refused(|h, _| {
                h.insert("typ".into(), json!(1));
            })
            .contains("typ")
        );
        assert!(
            refused(|_, c| {
                c.insert("events".into(), json!({}));
            })
            .contains("logout")
        );
        for claim in ID_TOKEN_ONLY_CLAIMS {
            let m = refused(|h, c| {
                h.insert("typ".into(), "JWT".into());
                c.insert((*claim).into(), "x".into());
            });
            assert!(m.contains("ID token"), "{claim}");
        }
        assert!(
            refused(|_, c| {
                c.insert("iss".into(), "https://t".into());
            })
            .contains("iss")
        );
        assert!(
            refused(|_, c| {
                c.remove("iss");
            })
            .contains("iss")
        );
        assert!(
            refused(|_, c| {
                c.insert("aud".into(), "https://other/".into());
            })
            .contains("aud")
        );
        assert!(
            refused(|_, c| {
                c.insert("aud".into(), json!({"x": 1}));
            })
            .contains("aud")
        );
        assert!(
            refused(|_, c| {
                c.remove("aud");
            })
            .contains("aud")
        );
        assert!(
            refused(|_, c| {
                c.insert("exp".into(), json!(NOW - 60.0));
            })
            .contains("expired")
        );
        assert!(
            refused(|_, c| {
                c.insert("exp".into(), "soon".into());
            })
            .contains("NumericDate")
        );
        assert!(
            refused(|_, c| {
                c.insert("exp".into(), json!(-1));
            })
            .contains("NumericDate")
        );
        assert!(
            refused(|_, c| {
                c.remove("exp");
            })
            .contains("exp")
        );
        assert!(
            refused(|_, c| {
                c.remove("iat");
            })
            .contains("iat")
        );
        assert!(
            refused(|_, c| {
                c.insert("iat".into(), json!(NOW + 60.5));
            })
            .contains("future")
        );
        assert!(
            refused(|_, c| {
                c.insert("nbf".into(), json!(NOW + 61.0));
            })
            .contains("nbf")
        );
        assert!(
            refused(|_, c| {
                c.insert("nbf".into(), json!(true));
            })
            .contains("NumericDate")
        );
        assert!(
            refused(|_, c| {
                c.insert("scope".into(), json!(["a"]));
            })
            .contains("scope")
        );
        assert!(
            refused(|_, c| {
                c.insert("permissions".into(), json!("a"));
            })
            .contains("permissions")
        );
        assert!(
            refused(|_, c| {
                c.insert("cnf".into(), json!({"jkt": 5}));
            })
            .contains("cnf")
        );
        assert!(
            refused(|_, c| {
                c.remove("sub");
            })
            .contains("sub")
        );
        let m = refused(|h, c| {
            h.remove("typ");
            c.insert("azp".into(), "https://api/".into());
        });
        assert!(m.contains("ID token"), "{m}");
        // Huge dates are compared, not skipped.
        let mut c = good();
        c.insert("exp".into(), json!(1e300));
        check(&header(), &c).unwrap();
        c.insert("iat".into(), json!(1e300));
        assert!(check(&header(), &c).is_err());
    }

    #[test]
    fn an_explicitly_typed_access_token_may_carry_a_nonce() {
        let mut c = good();
        c.insert("nonce".into(), "n".into());
        check(&header(), &c).unwrap();
    }

    #[test]
    fn scopes_permissions_and_claim_checks() {
        let mut c = good();
        c.insert("permissions".into(), json!(["read:x"]));
        c.insert("roles".into(), json!(["admin", "ops"]));
        c.insert("amr".into(), "mfa pwd".into());
        let claims = AccessTokenClaims::new(c);
        assert!(check_scopes(&claims, &["a".into(), "b".into()], &["read:x".into()]).is_ok());
        let (e, scope) = check_scopes(&claims, &["a".into(), "c".into()], &[]).unwrap_err();
        assert_eq!(e.code(), ApiErrorCode::InsufficientScope);
        assert_eq!(scope, "a c");
        assert!(check_scopes(&claims, &[], &["write:x".into()]).is_err());
        let eq = |claim: &str, value: Value| ClaimCheck::Equals {
            claim: claim.into(),
            value,
        };
        assert!(eq("sub", "u".into()).apply(&claims).is_ok());
        assert!(eq("sub", "v".into()).apply(&claims).is_err());
        assert!(eq("missing", Value::Null).apply(&claims).is_err());
        let inc = |claim: &str, values: &[&str]| ClaimCheck::Includes {
            claim: claim.into(),
            values: values.iter().map(|s| s.to_string()).collect(),
        };
        assert!(inc("roles", &["admin"]).apply(&claims).is_ok());
        assert!(inc("amr", &["mfa", "pwd"]).apply(&claims).is_ok());
        assert!(inc("roles", &["admin", "root"]).apply(&claims).is_err());
        assert!(inc("missing", &[]).apply(&claims).is_err());
        let pred = ClaimCheck::Predicate {
            description: "needs mfa".into(),
            check: Arc::new(|c| c.get("amr").is_some()),
        };
        assert!(pred.apply(&claims).is_ok());
        let pred = ClaimCheck::Predicate {
            description: "needs org".into(),
            check: Arc::new(|c| c.organization_id().is_some()),
        };
        let e = pred.apply(&claims).unwrap_err();
        assert_eq!(
            (e.code(), e.message()),
            (ApiErrorCode::InvalidToken, "needs org")
        );
    }

    #[test]
    fn the_delegation_chain_is_read_newest_first() {
        let with_act = |act: Value| {
            let mut c = good();
            c.insert("act".into(), act);
            AccessTokenClaims::new(c)
        };
        assert!(
            AccessTokenClaims::new(good())
                .delegation_chain()
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            AccessTokenClaims::new(good()).current_actor().unwrap(),
            None
        );
        let c = with_act(json!({"sub": "svc-b", "act": {"sub": "svc-a"}}));
        assert_eq!(c.delegation_chain().unwrap(), ["svc-b", "svc-a"]);
        assert_eq!(c.current_actor().unwrap(), Some("svc-b"));
        for bad in [
            json!("svc"),
            json!({"sub": " "}),
            json!({"sub": "b", "act": ["a"]}),
            json!(null),
        ] {
            let e = with_act(bad).delegation_chain().unwrap_err();
            assert_eq!(e.code(), ApiErrorCode::InvalidRequest);
        }
    }

    #[test]
    fn accessors_read_the_usual_claims() {
        let mut c = good();
        c.insert("azp".into(), "app".into());
        c.insert("cnf".into(), json!({"jkt": "abc"}));
        let claims = AccessTokenClaims::new(c);
        assert_eq!(claims.issuer(), "https://t/");
        assert_eq!(claims.audiences(), ["https://api/", "https://t/userinfo"]);
        assert_eq!(claims.client_id(), Some("app"));
        assert_eq!(claims.confirmation_jkt(), Some("abc"));
        assert_eq!(claims.scopes().collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(claims.expires_at(), Some(NOW + 100.0));
        assert!(format!("{claims:?}").contains("https://t/"));
    }
}
