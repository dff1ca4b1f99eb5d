//! ID-token validation: every ID token this crate hands back has passed these checks.
//!
//! Signature against the tenant's JWKS (or the client secret for HS256) with an algorithm
//! allow-list; `iss` equal to the issuer; `aud` containing the client id, and `azp` equal to it
//! when there are several audiences (or whenever present); `exp` in the future and `iat`
//! present (with the clock leeway); `nonce` equal to the one sent; `auth_time` within
//! `max_age`; and, when asked, the organization.

use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::client::AuthClient;
use crate::client_auth::now_secs;
use crate::error::{Error, ErrorCode, ErrorKind, Result};
use crate::jwks::JwksCache;
use crate::jwt::{Header, Round, SigningAlgorithm, UnverifiedJwt, numeric_date};
use crate::logout::BACKCHANNEL_LOGOUT_EVENT;

/// The claims of a validated token.
///
/// Typed accessors cover the standard OpenID Connect claims (OpenID Connect Core 1.0
/// section 5.1) and the ones Auth0 adds; [`get`](Self::get) reads any other, and
/// [`deserialize`](Self::deserialize) reads them all into a struct of your own.
///
/// ```
/// # let claims: auth0_auth::Claims = serde_json::from_str(
/// #     r#"{"sub":"auth0|1","email":"a@b.c","email_verified":true,"amr":["pwd","mfa"]}"#).unwrap();
/// assert_eq!(claims.sub(), Some("auth0|1"));
/// assert_eq!(claims.email(), Some("a@b.c"));
/// assert_eq!(claims.email_verified(), Some(true));
/// assert_eq!(claims.amr(), vec!["pwd", "mfa"]);
///
/// #[derive(serde::Deserialize)]
/// struct Profile { sub: String, email: Option<String> }
/// let profile: Profile = claims.deserialize()?;
/// assert_eq!(profile.sub, "auth0|1");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Claims(Map<String, Value>);

/// The `address` claim (OpenID Connect Core 1.0 section 5.1.1). Every member is optional.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Address {
    /// The full mailing address, formatted for display (may hold line breaks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub formatted: Option<String>,
    /// Street, house number, and so on (may hold line breaks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street_address: Option<String>,
    /// City or locality.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locality: Option<String>,
    /// State, province, prefecture or region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Zip or postal code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    /// Country name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

macro_rules! string_claims {
    ($($(#[$doc:meta])* $name:ident;)*) => {
        $(
            $(#[$doc])*
            pub fn $name(&self) -> Option<&str> {
                self.get_str(stringify!($name))
            }
        )*
    };
}

impl Claims {
    /// Any claim.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name)
    }

    /// A claim that is a string.
    pub fn get_str(&self, name: &str) -> Option<&str> {
        self.0.get(name).and_then(Value::as_str)
    }

    /// All claims read into a type of your own (any `serde` type; missing members follow that
    /// type's own `serde` attributes). The error is `serde_json`'s and may quote a claim value.
    pub fn deserialize<T: DeserializeOwned>(&self) -> serde_json::Result<T> {
        T::deserialize(&Value::Object(self.0.clone()))
    }

    string_claims! {
        /// `iss`: who issued the token.
        iss;
        /// `sub`: the user id.
        sub;
        /// `azp`: the authorized party (the client the token was issued to).
        azp;
        /// `nonce`: the value the login request sent.
        nonce;
        /// `acr`: the authentication context class reference that was satisfied.
        acr;
        /// `sid`: the session id (matches the `sid` of back-channel logout tokens).
        sid;
        /// `name`: full name, for display.
        name;
        /// `given_name`.
        given_name;
        /// `family_name`.
        family_name;
        /// `middle_name`.
        middle_name;
        /// `nickname`.
        nickname;
        /// `preferred_username`: a short name the user likes; not unique, not stable.
        preferred_username;
        /// `profile`: the URL of the user's profile page.
        profile;
        /// `picture`: the URL of the user's picture.
        picture;
        /// `website`: the URL of the user's web page or blog.
        website;
        /// `email`. Check [`email_verified`](Self::email_verified) before relying on it.
        email;
        /// `gender`.
        gender;
        /// `birthdate`: `YYYY-MM-DD`, or `YYYY` or `0000-MM-DD` when part is withheld.
        birthdate;
        /// `zoneinfo`: the user's time zone, as a tz database name (`Europe/Paris`).
        zoneinfo;
        /// `locale`: a BCP 47 language tag (`en-US`).
        locale;
        /// `phone_number`, preferably in E.164 form.
        phone_number;
        /// `org_id`, when the user logged in to an organization.
        org_id;
        /// `org_name`, when the user logged in to an organization.
        org_name;
    }

    /// `aud`: the audiences, whether the token has one (a string) or several (an array).
    pub fn aud(&self) -> Vec<&str> {
        match self.0.get("aud") {
            Some(Value::String(a)) => vec![a.as_str()],
            Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        }
    }

    /// `amr`: the authentication methods used (`pwd`, `mfa`, `otp`, …); empty when absent.
    pub fn amr(&self) -> Vec<&str> {
        match self.0.get("amr") {
            Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        }
    }

    /// `exp`: when the token expires, in seconds since the Unix epoch.
    pub fn exp(&self) -> Option<u64> {
        self.date("exp", Round::Down)
    }

    /// `iat`: when the token was issued, in seconds since the Unix epoch.
    pub fn iat(&self) -> Option<u64> {
        self.date("iat", Round::Up)
    }

    /// `auth_time`: when the user authenticated, in seconds since the Unix epoch.
    pub fn auth_time(&self) -> Option<u64> {
        self.date("auth_time", Round::Down)
    }

    /// `updated_at`: when the profile last changed, in seconds since the Unix epoch.
    ///
    /// OpenID Connect makes it a number; Auth0 sends an RFC 3339 / ISO 8601 UTC text such as
    /// `2024-05-01T12:30:00.000Z`, which is read too (a zone offset is applied; fractions of a
    /// second are dropped). `None` when absent or in neither form.
    pub fn updated_at(&self) -> Option<u64> {
        match self.0.get("updated_at") {
            Some(Value::String(s)) => rfc3339_seconds(s),
            _ => self.date("updated_at", Round::Down),
        }
    }

    /// `email_verified`. A JSON boolean, or the text `"true"`/`"false"` that some upstream
    /// identity providers send; `None` otherwise.
    pub fn email_verified(&self) -> Option<bool> {
        self.flag("email_verified")
    }

    /// `phone_number_verified`, read like [`email_verified`](Self::email_verified).
    pub fn phone_number_verified(&self) -> Option<bool> {
        self.flag("phone_number_verified")
    }

    /// `address`: the postal address; `None` when absent or not an object.
    pub fn address(&self) -> Option<Address> {
        match self.0.get("address") {
            Some(v @ Value::Object(_)) => Address::deserialize(v).ok(),
            _ => None,
        }
    }

    /// All claims.
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.0
    }

    /// All claims, owned.
    pub fn into_map(self) -> Map<String, Value> {
        self.0
    }

    fn date(&self, name: &str, round: Round) -> Option<u64> {
        numeric_date(&self.0, name, round).ok().flatten()
    }

    fn flag(&self, name: &str) -> Option<bool> {
        match self.0.get(name) {
            Some(Value::Bool(b)) => Some(*b),
            Some(Value::String(s)) if s == "true" => Some(true),
            Some(Value::String(s)) if s == "false" => Some(false),
            _ => None,
        }
    }
}

/// Seconds since the epoch of an RFC 3339 date-time (`2024-05-01T12:30:00Z`,
/// `2024-05-01T12:30:00.123+02:00`); `None` for anything else or a date before 1970.
fn rfc3339_seconds(text: &str) -> Option<u64> {
    let b = text.as_bytes();
    let digits = |from: usize, len: usize| -> Option<i64> {
        let part = b.get(from..from + len)?;
        if !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(part).ok()?.parse().ok()
    };
    let sep = |at: usize, c: &[u8]| b.get(at).is_some_and(|x| c.contains(x));
    if !(sep(4, b"-") && sep(7, b"-") && sep(10, b"Tt ") && sep(13, b":") && sep(16, b":")) {
        return None;
    }
    let (year, month, day) = (digits(0, 4)?, digits(5, 2)?, digits(8, 2)?);
    let (hour, minute, second) = (digits(11, 2)?, digits(14, 2)?, digits(17, 2)?);
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if !(1..=12).contains(&month) || !(1..=month_days).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    // 60 is a leap second.
    if second > 60 {
        return None;
    }
    let mut i = 19;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return None;
        }
    }
    let offset = match b.get(i) {
        Some(b'Z' | b'z') if i + 1 == b.len() => 0,
        Some(sign @ (b'+' | b'-')) if i + 6 == b.len() && sep(i + 3, b":") => {
            let (h, m) = (digits(i + 1, 2)?, digits(i + 4, 2)?);
            if h > 23 || m > 59 {
                return None;
            }
            let o = h * 3600 + m * 60;
            if *sign == b'+' { o } else { -o }
        }
        _ => return None,
    };
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset;
    u64::try_from(secs).ok()
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

/// Checks the claims of an ID token. Each rule has its own message.
pub(crate) fn check_claims(
    claims: &Map<String, Value>,
    rules: &ClaimRules<'_>,
) -> std::result::Result<(), String> {
    // RFC 8725 section 3.11: a logout token is signed with the same keys and names the same
    // client, so it must never pass as an ID token.
    if claims
        .get("events")
        .and_then(Value::as_object)
        .is_some_and(|e| e.contains_key(BACKCHANNEL_LOGOUT_EVENT))
    {
        return Err("the token is a back-channel logout token, not an ID token".into());
    }
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
    let exp = numeric_date(claims, "exp", Round::Down)?
        .ok_or_else(|| "the ID token has no \"exp\" (expiry) claim".to_string())?;
    if exp.saturating_add(rules.leeway) <= rules.now {
        return Err(format!(
            "the ID token expired at {exp}, and it is now {} (leeway {} s)",
            rules.now, rules.leeway
        ));
    }
    let iat = numeric_date(claims, "iat", Round::Up)?
        .ok_or_else(|| "the ID token has no \"iat\" (issued at) claim".to_string())?;
    if iat > rules.now.saturating_add(rules.leeway) {
        return Err(format!(
            "the ID token was issued in the future ({iat}; now {})",
            rules.now
        ));
    }
    // RFC 7519 section 4.1.5: never accepted before its `nbf`, when it has one.
    if let Some(nbf) = numeric_date(claims, "nbf", Round::Up)?
        && nbf > rules.now.saturating_add(rules.leeway)
    {
        return Err(format!(
            "the ID token is not valid before {nbf} (now {}, leeway {} s)",
            rules.now, rules.leeway
        ));
    }
    // Never skipped for its form, even when no max_age asks for it.
    numeric_date(claims, "auth_time", Round::Down)?;
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
        let auth_time = numeric_date(claims, "auth_time", Round::Down)?.ok_or_else(|| {
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

/// Refuses a token whose `typ` header says it is another kind of token: a back-channel logout
/// token (`logout+jwt`) or an OAuth access token (`at+jwt`, RFC 9068). ID tokens carry `JWT`
/// or no `typ` at all.
pub(crate) fn check_id_token_type(header: &Header) -> std::result::Result<(), String> {
    match header.media_type().as_deref() {
        Some("logout+jwt") => {
            Err("the token is typed logout+jwt (a logout token), not an ID token".into())
        }
        Some("at+jwt") => {
            Err("the token is typed at+jwt (an access token), not an ID token".into())
        }
        _ => Ok(()),
    }
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
        check_id_token_type(&jwt.header).map_err(invalid)?;
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
    /// # async fn demo(client: auth0_auth::AuthClient, id_token: auth0_auth::SecretString) -> auth0_auth::Result<()> {
    /// use auth0_auth::VerifyIdTokenRequest;
    /// let claims = client
    ///     .verify_id_token(VerifyIdTokenRequest::new(id_token).nonce("n-0S6_WzA2Mj"))
    ///     .await?;
    /// println!("hello {:?}", claims.name());
    /// # Ok(()) }
    /// ```
    pub async fn verify_id_token(&self, request: VerifyIdTokenRequest) -> Result<Claims> {
        if let Some(org) = &request.organization {
            check_organization_input(Some(org), ErrorCode::IdTokenValidation)?;
        }
        // The struct update keeps any expectation added later at its default.
        #[allow(clippy::needless_update)]
        let expectations = IdTokenExpectations {
            nonce: request.nonce,
            max_age: request.max_age,
            organization: request.organization,
            ..Default::default()
        };
        self.validate_id_token(
            request.id_token.expose_secret(),
            &expectations,
            ErrorCode::IdTokenValidation,
        )
        .await
    }
}

/// What [`AuthClient::verify_id_token`] checks: the token, and optionally the nonce, `max_age`
/// and organization the login asked for.
#[derive(Clone)]
pub struct VerifyIdTokenRequest {
    id_token: SecretString,
    nonce: Option<String>,
    max_age: Option<u64>,
    organization: Option<String>,
}

impl std::fmt::Debug for VerifyIdTokenRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifyIdTokenRequest")
            .field("id_token", &"[redacted]")
            .field("nonce", &self.nonce)
            .field("max_age", &self.max_age)
            .field("organization", &self.organization)
            .finish()
    }
}

impl VerifyIdTokenRequest {
    /// Verifies `id_token` (signature, issuer, audience, expiry, …).
    pub fn new(id_token: SecretString) -> Self {
        Self {
            id_token,
            nonce: None,
            max_age: None,
            organization: None,
        }
    }

    /// The token must carry exactly this `nonce`.
    pub fn nonce(mut self, nonce: impl Into<String>) -> Self {
        self.nonce = Some(nonce.into());
        self
    }

    /// The user must have authenticated at most `max_age` seconds ago (`auth_time`).
    pub fn max_age(mut self, seconds: u64) -> Self {
        self.max_age = Some(seconds);
        self
    }

    /// The token must name this organization: an `org_…` id exactly, or a name ignoring case.
    pub fn organization(mut self, organization: impl Into<String>) -> Self {
        self.organization = Some(organization.into());
        self
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
    fn float_and_odd_numeric_dates_are_checked_not_skipped() {
        let float = |text: &str| serde_json::from_str::<Value>(text).unwrap();
        // exp 1.5e9 (a JSON float) is in the past.
        assert!(
            broken(|c| {
                c.insert("exp".into(), float("1.5e9"));
            })
            .contains("expired")
        );
        assert!(
            broken(|c| {
                c.insert("iat".into(), float("1.8e9"));
            })
            .contains("future")
        );
        assert!(
            broken(|c| {
                c.insert("nbf".into(), float("1.8e9"));
            })
            .contains("not valid before")
        );
        assert!(
            broken(|c| {
                c.insert("auth_time".into(), float("1.5e9"));
            })
            .contains("max_age")
        );
        for bad in [
            "-1",
            "-1.5",
            "1e30",
            "18446744073709551616",
            "\"1\"",
            "null",
            "{}",
        ] {
            for claim in ["exp", "iat", "nbf", "auth_time"] {
                let e = broken(|c| {
                    c.insert(claim.into(), float(bad));
                });
                assert!(e.contains(claim), "{claim}={bad}: {e}");
            }
        }
        // auth_time's form is checked even when no max_age asks for it.
        let mut c = good();
        c.insert("auth_time".into(), json!("yesterday"));
        let r = ClaimRules {
            max_age: None,
            ..rules()
        };
        assert!(check_claims(&c, &r).unwrap_err().contains("auth_time"));
        // Fractions are rounded towards refusal: exp NOW-60.5 is past the leeway edge.
        let mut c = good();
        c.insert("exp".into(), float("1699999940.5"));
        assert!(check_claims(&c, &rules()).is_err());
        c.insert("exp".into(), float("1699999941.5"));
        check_claims(&c, &rules()).unwrap();
        c.insert("iat".into(), float("1700000060.5"));
        assert!(check_claims(&c, &rules()).is_err());
    }

    #[test]
    fn a_logout_token_never_passes_as_an_id_token() {
        let e = broken(|c| {
            c.insert("events".into(), json!({BACKCHANNEL_LOGOUT_EVENT: {}}));
        });
        assert!(e.contains("logout token"), "{e}");
        // Other events members are not the logout event.
        let mut c = good();
        c.insert("events".into(), json!({"urn:other": {}}));
        check_claims(&c, &rules()).unwrap();
        let header = |typ: Option<&str>| Header {
            alg: "RS256".into(),
            kid: None,
            typ: typ.map(|t| Value::String(t.into())),
            crit: None,
        };
        assert!(check_id_token_type(&header(Some("logout+jwt"))).is_err());
        assert!(check_id_token_type(&header(Some("application/logout+JWT"))).is_err());
        assert!(check_id_token_type(&header(Some("at+jwt"))).is_err());
        check_id_token_type(&header(Some("JWT"))).unwrap();
        check_id_token_type(&header(None)).unwrap();
    }

    #[test]
    fn every_standard_claim_has_a_typed_accessor() {
        let claims = Claims::from(
            json!({
                "iss": "https://t/", "sub": "auth0|1", "aud": ["c1", "api"], "azp": "c1",
                "exp": 1_700_003_600, "iat": 1_700_000_000.0, "auth_time": 1_699_999_000,
                "nonce": "n", "acr": "urn:mace:incommon:iap:silver", "amr": ["pwd", "mfa"],
                "sid": "s-1", "name": "Jane Q. Doe", "given_name": "Jane", "family_name": "Doe",
                "middle_name": "Quinn", "nickname": "jd", "preferred_username": "jane",
                "profile": "https://p/jane", "picture": "https://p/jane.png",
                "website": "https://jane.example", "email": "jane@example.com",
                "email_verified": true, "gender": "female", "birthdate": "1990-01-31",
                "zoneinfo": "Europe/Paris", "locale": "fr-FR", "phone_number": "+33 1 23 45 67 89",
                "phone_number_verified": "false", "updated_at": 1_700_000_500,
                "address": {"street_address": "1 rue X", "locality": "Paris", "postal_code": "75001",
                            "country": "FR", "region": "IDF", "formatted": "1 rue X\n75001 Paris"},
                "org_id": "org_1", "org_name": "acme"
            })
            .as_object()
            .cloned()
            .unwrap(),
        );
        let text = [
            (claims.iss(), "https://t/"),
            (claims.sub(), "auth0|1"),
            (claims.azp(), "c1"),
            (claims.nonce(), "n"),
            (claims.acr(), "urn:mace:incommon:iap:silver"),
            (claims.sid(), "s-1"),
            (claims.name(), "Jane Q. Doe"),
            (claims.given_name(), "Jane"),
            (claims.family_name(), "Doe"),
            (claims.middle_name(), "Quinn"),
            (claims.nickname(), "jd"),
            (claims.preferred_username(), "jane"),
            (claims.profile(), "https://p/jane"),
            (claims.picture(), "https://p/jane.png"),
            (claims.website(), "https://jane.example"),
            (claims.email(), "jane@example.com"),
            (claims.gender(), "female"),
            (claims.birthdate(), "1990-01-31"),
            (claims.zoneinfo(), "Europe/Paris"),
            (claims.locale(), "fr-FR"),
            (claims.phone_number(), "+33 1 23 45 67 89"),
            (claims.org_id(), "org_1"),
            (claims.org_name(), "acme"),
        ];
        for (got, want) in text {
            assert_eq!(got, Some(want));
        }
        assert_eq!(claims.aud(), vec!["c1", "api"]);
        assert_eq!(claims.amr(), vec!["pwd", "mfa"]);
        assert_eq!(claims.exp(), Some(1_700_003_600));
        assert_eq!(claims.iat(), Some(1_700_000_000));
        assert_eq!(claims.auth_time(), Some(1_699_999_000));
        assert_eq!(claims.updated_at(), Some(1_700_000_500));
        assert_eq!(claims.email_verified(), Some(true));
        assert_eq!(claims.phone_number_verified(), Some(false));
        let address = claims.address().unwrap();
        assert_eq!(address.locality.as_deref(), Some("Paris"));
        assert_eq!(address.formatted.as_deref(), Some("1 rue X\n75001 Paris"));
        // Absent or wrongly typed claims read as None.
        let odd = Claims::from(
            json!({"email": 5, "email_verified": "yes", "address": "Paris", "amr": "pwd", "aud": 1})
                .as_object()
                .cloned()
                .unwrap(),
        );
        assert_eq!(odd.email(), None);
        assert_eq!(odd.email_verified(), None);
        assert_eq!(odd.address(), None);
        assert!(odd.amr().is_empty() && odd.aud().is_empty());
        assert_eq!(odd.sid(), None);
    }

    #[test]
    fn updated_at_reads_auth0_iso_text_too() {
        let at = |v: Value| {
            Claims::from(json!({ "updated_at": v }).as_object().cloned().unwrap()).updated_at()
        };
        assert_eq!(at(json!("1970-01-01T00:00:00Z")), Some(0));
        assert_eq!(at(json!("2023-11-14T22:13:20.000Z")), Some(1_700_000_000));
        assert_eq!(
            at(json!("2023-11-14T22:13:20.123456Z")),
            Some(1_700_000_000)
        );
        assert_eq!(at(json!("2023-11-15T00:13:20+02:00")), Some(1_700_000_000));
        assert_eq!(at(json!("2023-11-14T20:13:20-02:00")), Some(1_700_000_000));
        assert_eq!(at(json!("2000-02-29T00:00:00Z")), Some(951_782_400));
        for bad in [
            "2023-11-14",
            "2023-11-14T22:13:20",
            "2023-13-14T22:13:20Z",
            "2023-02-29T00:00:00Z",
            "2023-04-31T00:00:00Z",
            "2023-11-14T24:13:20Z",
            "2023-11-14T22:13:20.Z",
            "1969-12-31T23:59:59Z",
            "2023-11-14T22:13:20Zjunk",
            "２023-11-14T22:13:20Z",
        ] {
            assert_eq!(at(json!(bad)), None, "{bad}");
        }
        assert_eq!(at(json!(1_700_000_000)), Some(1_700_000_000));
        assert_eq!(at(json!(true)), None);
    }

    #[test]
    fn claims_deserialize_into_the_apps_own_type() {
        #[derive(serde::Deserialize)]
        struct Profile {
            sub: String,
            #[serde(rename = "https://example.com/roles")]
            roles: Vec<String>,
            #[serde(default)]
            missing: Option<String>,
        }
        let claims = Claims::from(
            json!({"sub": "auth0|1", "https://example.com/roles": ["admin"]})
                .as_object()
                .cloned()
                .unwrap(),
        );
        let p: Profile = claims.deserialize().unwrap();
        assert_eq!(
            (p.sub.as_str(), p.roles, p.missing),
            ("auth0|1", vec!["admin".to_string()], None)
        );
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct NeedsEmail {
            email: String,
        }
        assert!(claims.deserialize::<NeedsEmail>().is_err());
    }

    #[test]
    fn verify_requests_redact_the_token() {
        let r = VerifyIdTokenRequest::new(SecretString::from("eyJ.id.token"))
            .nonce("n-1")
            .max_age(60)
            .organization("org_1");
        let shown = format!("{r:?}");
        assert!(
            !shown.contains("eyJ.id.token") && shown.contains("n-1"),
            "{shown}"
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
