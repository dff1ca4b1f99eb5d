//! The login transaction: everything a browser login decided when its URL was built, kept by
//! the application between the redirect to Auth0 and the callback, and checked when the login
//! completes.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// What [`build_authorization_url`](crate::AuthClient::build_authorization_url) (and the link /
/// unlink URLs) decided for one login: the PKCE code verifier, `state`, `nonce`, `redirect_uri`,
/// `max_age`, organization, scope, audience and DPoP binding, and when it began.
///
/// Keep it between the two requests of a browser login (in a server-side session, or in an
/// encrypted and signed cookie: it holds the code verifier), then hand it to
/// [`TokenByCodeRequest::from_transaction`](crate::TokenByCodeRequest::from_transaction), which
/// checks everything it holds against the callback and the ID token.
///
/// It serializes to JSON with camelCase names (`codeVerifier`, `state`, `nonce`, `redirectUri`,
/// `maxAge`, `organization`, `scope`, `audience`, `dpopJkt`, `createdAt`); absent values are
/// left out. Reading one back is strict: a missing or empty `codeVerifier` or `state`, a missing
/// `createdAt` or an empty `nonce` is an error, so a damaged transaction cannot weaken the
/// checks. Its `Debug` output hides the code verifier.
///
/// ```no_run
/// # async fn demo(client: auth0_auth::AuthClient) -> Result<(), Box<dyn std::error::Error>> {
/// use auth0_auth::{AuthorizationParams, AuthorizationUrlRequest, LoginTransaction};
///
/// let login = client
///     .build_authorization_url(AuthorizationUrlRequest::new().params(
///         AuthorizationParams::new().redirect_uri("http://localhost:3000/callback"),
///     ))
///     .await?;
/// let stored: String = serde_json::to_string(&login.transaction)?;
/// // … later, on the callback:
/// let transaction: LoginTransaction = serde_json::from_str(&stored)?;
/// assert_eq!(transaction.state(), login.transaction.state());
/// # Ok(()) }
/// ```
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", try_from = "RawTransaction")]
pub struct LoginTransaction {
    #[serde(serialize_with = "serialize_secret")]
    code_verifier: SecretString,
    state: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    redirect_uri: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_age: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    organization: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    audience: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dpop_jkt: Option<String>,
    created_at: u64,
}

/// Writes a secret as a plain string: the transaction must be storable as a whole.
fn serialize_secret<S: Serializer>(
    secret: &SecretString,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(secret.expose_secret())
}

/// Reads a secret from a plain string, never keeping an unprotected copy.
fn deserialize_secret<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<SecretString, D::Error> {
    String::deserialize(deserializer).map(SecretString::from)
}

/// The serialized form, checked by `TryFrom` before it becomes a [`LoginTransaction`].
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawTransaction {
    #[serde(deserialize_with = "deserialize_secret")]
    code_verifier: SecretString,
    state: String,
    #[serde(default)]
    nonce: Option<String>,
    #[serde(default)]
    redirect_uri: Option<String>,
    #[serde(default)]
    max_age: Option<u64>,
    #[serde(default)]
    organization: Option<String>,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    audience: Option<String>,
    #[serde(default)]
    dpop_jkt: Option<String>,
    created_at: u64,
}

impl TryFrom<RawTransaction> for LoginTransaction {
    type Error = &'static str;

    fn try_from(raw: RawTransaction) -> Result<Self, Self::Error> {
        if raw.code_verifier.expose_secret().is_empty() {
            return Err("the login transaction's codeVerifier is empty");
        }
        if raw.state.is_empty() {
            return Err("the login transaction's state is empty");
        }
        if raw.nonce.as_deref() == Some("") {
            return Err("the login transaction's nonce is empty");
        }
        if raw
            .organization
            .as_deref()
            .is_some_and(|o| o.trim().is_empty())
        {
            return Err("the login transaction's organization is blank");
        }
        Ok(Self {
            code_verifier: raw.code_verifier,
            state: raw.state,
            nonce: raw.nonce,
            redirect_uri: raw.redirect_uri,
            max_age: raw.max_age,
            organization: raw.organization,
            scope: raw.scope,
            audience: raw.audience,
            dpop_jkt: raw.dpop_jkt,
            created_at: raw.created_at,
        })
    }
}

/// What [`LoginTransaction::begin`] records, apart from the verifier.
#[derive(Default)]
pub(crate) struct TransactionFields {
    pub state: String,
    pub nonce: Option<String>,
    pub redirect_uri: Option<String>,
    pub max_age: Option<u64>,
    pub organization: Option<String>,
    pub scope: Option<String>,
    pub audience: Option<String>,
    pub dpop_jkt: Option<String>,
    pub created_at: u64,
}

impl LoginTransaction {
    pub(crate) fn begin(code_verifier: SecretString, fields: TransactionFields) -> Self {
        Self {
            code_verifier,
            state: fields.state,
            nonce: fields.nonce,
            redirect_uri: fields.redirect_uri,
            max_age: fields.max_age,
            organization: fields.organization,
            scope: fields.scope,
            audience: fields.audience,
            dpop_jkt: fields.dpop_jkt,
            created_at: fields.created_at,
        }
    }

    /// The PKCE code verifier (RFC 7636) whose challenge the authorization request carried.
    pub fn code_verifier(&self) -> &SecretString {
        &self.code_verifier
    }

    /// The `state` the authorization request carried; the callback must bring it back.
    pub fn state(&self) -> &str {
        &self.state
    }

    /// The `nonce` the authorization request carried (one is generated whenever the scope
    /// contains `openid`); the ID token must carry it. Without one, an ID token carrying a
    /// nonce is refused.
    pub fn nonce(&self) -> Option<&str> {
        self.nonce.as_deref()
    }

    /// The `redirect_uri` the authorization request carried, sent again with the code.
    pub fn redirect_uri(&self) -> Option<&str> {
        self.redirect_uri.as_deref()
    }

    /// The `max_age` the authorization request carried: the ID token's `auth_time` must be
    /// within it.
    pub fn max_age(&self) -> Option<u64> {
        self.max_age
    }

    /// The `organization` the authorization request carried: the ID token must be for it.
    pub fn organization(&self) -> Option<&str> {
        self.organization.as_deref()
    }

    /// The `scope` the authorization request carried.
    pub fn scope(&self) -> Option<&str> {
        self.scope.as_deref()
    }

    /// The `audience` the authorization request carried.
    pub fn audience(&self) -> Option<&str> {
        self.audience.as_deref()
    }

    /// The DPoP key thumbprint (`dpop_jkt`) the code is bound to, if any: the code can only be
    /// redeemed with proofs of that key.
    pub fn dpop_jkt(&self) -> Option<&str> {
        self.dpop_jkt.as_deref()
    }

    /// When the URL was built, in seconds since the Unix epoch. Applications may refuse to
    /// complete logins that began too long ago.
    pub fn created_at(&self) -> u64 {
        self.created_at
    }
}

impl fmt::Debug for LoginTransaction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginTransaction")
            .field("code_verifier", &"[redacted]")
            .field("state", &self.state)
            .field("nonce", &self.nonce)
            .field("redirect_uri", &self.redirect_uri)
            .field("max_age", &self.max_age)
            .field("organization", &self.organization)
            .field("scope", &self.scope)
            .field("audience", &self.audience)
            .field("dpop_jkt", &self.dpop_jkt)
            .field("created_at", &self.created_at)
            .finish()
    }
}

/// A fresh random value for `state` or `nonce`: 32 random bytes (256 bits), base64url.
pub(crate) fn random_value() -> String {
    crate::pkce::random_value()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample() -> LoginTransaction {
        LoginTransaction::begin(
            SecretString::from("verifier-0123456789-verifier-0123456789-abc"),
            TransactionFields {
                state: "st".into(),
                nonce: Some("no".into()),
                redirect_uri: Some("http://localhost/cb".into()),
                max_age: Some(60),
                organization: Some("org_1".into()),
                scope: Some("openid".into()),
                audience: Some("https://api/".into()),
                dpop_jkt: Some("jkt".into()),
                created_at: 1_700_000_000,
            },
        )
    }

    #[test]
    fn it_round_trips_through_json_with_camel_case_names() {
        let tx = sample();
        let value = serde_json::to_value(&tx).unwrap();
        assert_eq!(
            value,
            json!({
                "codeVerifier": "verifier-0123456789-verifier-0123456789-abc",
                "state": "st",
                "nonce": "no",
                "redirectUri": "http://localhost/cb",
                "maxAge": 60,
                "organization": "org_1",
                "scope": "openid",
                "audience": "https://api/",
                "dpopJkt": "jkt",
                "createdAt": 1_700_000_000u64,
            })
        );
        let back: LoginTransaction = serde_json::from_value(value).unwrap();
        assert_eq!(
            back.code_verifier().expose_secret(),
            tx.code_verifier().expose_secret()
        );
        assert_eq!(format!("{back:?}"), format!("{tx:?}"));
    }

    #[test]
    fn absent_values_are_left_out_and_read_back_as_absent() {
        let tx = LoginTransaction::begin(
            SecretString::from("v"),
            TransactionFields {
                state: "s".into(),
                created_at: 1,
                ..Default::default()
            },
        );
        let text = serde_json::to_string(&tx).unwrap();
        assert_eq!(text, r#"{"codeVerifier":"v","state":"s","createdAt":1}"#);
        let back: LoginTransaction = serde_json::from_str(&text).unwrap();
        assert_eq!(back.nonce(), None);
        assert_eq!(back.redirect_uri(), None);
        assert_eq!(back.max_age(), None);
    }

    #[test]
    fn damaged_transactions_are_refused() {
        for bad in [
            json!({"state": "s", "createdAt": 1}),
            json!({"codeVerifier": "", "state": "s", "createdAt": 1}),
            json!({"codeVerifier": "v", "createdAt": 1}),
            json!({"codeVerifier": "v", "state": "", "createdAt": 1}),
            json!({"codeVerifier": "v", "state": "s"}),
            json!({"codeVerifier": "v", "state": "s", "createdAt": 1, "nonce": ""}),
            json!({"codeVerifier": "v", "state": "s", "createdAt": 1, "organization": " "}),
            json!({"codeVerifier": "v", "state": "s", "createdAt": 1, "maxAge": "60"}),
            json!({"codeVerifier": 5, "state": "s", "createdAt": 1}),
        ] {
            assert!(
                serde_json::from_value::<LoginTransaction>(bad.clone()).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn debug_hides_the_verifier() {
        let text = format!("{:?}", sample());
        assert!(!text.contains("verifier-0123456789"), "{text}");
        assert!(text.contains("[redacted]"), "{text}");
    }

    #[test]
    fn random_values_are_256_bits_of_base64url_and_fresh() {
        let a = random_value();
        let b = random_value();
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert!(
            a.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
    }
}
