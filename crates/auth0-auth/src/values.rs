//! Small typed values that requests take, so that two required inputs of a constructor can never
//! be swapped without a compile error (see the crate docs, "How every call looks").
//!

use std::collections::BTreeMap;
use std::fmt;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

/// The name of an Auth0 connection, such as `Username-Password-Authentication` or
/// `google-oauth2`.
///
/// ```
/// use auth0_auth::Connection;
///
/// let db = Connection::new("Username-Password-Authentication");
/// assert_eq!(db.as_str(), "Username-Password-Authentication");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Connection(String);

impl Connection {
    /// A connection by name.
    pub fn new(name: impl Into<String>) -> Self {
        Self(name.into())
    }

    /// The connection's name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An Auth0 user id (the `sub` claim), such as `auth0|64f1c2…`.
///
/// ```
/// use auth0_auth::UserId;
///
/// let user = UserId::new("auth0|123");
/// assert_eq!(user.as_str(), "auth0|123");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UserId(String);

impl UserId {
    /// A user by id.
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }

    /// The user id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The opaque `auth_session` handle a challenge hands out (passkey sign-up and login
/// challenges, one-time-code challenges on database connections), to send back with the
/// credential or code that answers it.
///
/// It is a secret: `Debug` redacts it. It serialises as a plain JSON string (and reads back
/// from one), so an app can keep it in its own session store between the two requests.
///
/// ```
/// use auth0_auth::{AuthSession, SecretString};
///
/// let session = AuthSession::new(SecretString::from("opaque-handle"));
/// assert_eq!(format!("{session:?}"), "AuthSession([redacted])");
/// let stored = serde_json::to_string(&session).unwrap();
/// let back: AuthSession = serde_json::from_str(&stored).unwrap();
/// assert_eq!(back.expose_secret(), "opaque-handle");
/// ```
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct AuthSession(SecretString);

impl AuthSession {
    /// A handle kept from an earlier challenge.
    pub fn new(handle: SecretString) -> Self {
        Self(handle)
    }

    /// The handle's text.
    pub fn expose_secret(&self) -> &str {
        self.0.expose_secret()
    }
}

impl From<SecretString> for AuthSession {
    fn from(handle: SecretString) -> Self {
        Self(handle)
    }
}

impl fmt::Debug for AuthSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AuthSession([redacted])")
    }
}

impl Serialize for AuthSession {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0.expose_secret())
    }
}

/// The most properties [`UserMetadata`] may hold on a sign-up or passkey sign-up.
pub const MAX_USER_METADATA_KEYS: usize = 10;
/// The longest property name (in characters) [`UserMetadata`] may hold on a sign-up or passkey
/// sign-up.
pub const MAX_USER_METADATA_NAME_CHARS: usize = 100;
/// The longest property value (in characters) [`UserMetadata`] may hold on a sign-up or passkey
/// sign-up.
pub const MAX_USER_METADATA_VALUE_CHARS: usize = 500;

/// String metadata stored on a user or an anonymous session: the one metadata type of
/// [`SignUpRequest::user_metadata`](crate::SignUpRequest::user_metadata),
/// [`PasskeyRegisterRequest::user_metadata`](crate::PasskeyRegisterRequest::user_metadata) and
/// [`AnonymousSessionRequest::metadata`](crate::AnonymousSessionRequest::metadata).
///
/// Auth0 takes string values only. Sign-ups (database and passkey) accept at most
/// [`MAX_USER_METADATA_KEYS`] properties, names up to [`MAX_USER_METADATA_NAME_CHARS`] and
/// values up to [`MAX_USER_METADATA_VALUE_CHARS`] characters; an anonymous session at most
/// [`MAX_ANONYMOUS_METADATA_BYTES`](crate::MAX_ANONYMOUS_METADATA_BYTES) of JSON. Metadata
/// over these limits fails with an `InvalidInput` error before any request.
///
/// ```
/// use auth0_auth::UserMetadata;
///
/// let metadata = UserMetadata::new().insert("plan", "pro").insert("locale", "fr-FR");
/// assert_eq!(metadata.get("plan"), Some("pro"));
/// assert_eq!(metadata.len(), 2);
///
/// let same: UserMetadata = [("plan", "pro"), ("locale", "fr-FR")].into_iter().collect();
/// assert_eq!(metadata, same);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UserMetadata(BTreeMap<String, String>);

impl UserMetadata {
    /// No metadata.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `name` to `value` (replacing an earlier value of the same name).
    pub fn insert(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.0.insert(name.into(), value.into());
        self
    }

    /// The value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// How many properties there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every property, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The JSON object sent on the wire.
    pub(crate) fn to_json(&self) -> serde_json::Value {
        serde_json::Value::Object(
            self.0
                .iter()
                .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
                .collect(),
        )
    }

    /// Checks the sign-up limits (count, name and value lengths) and names the first broken
    /// one. Names are caller data, so they are not repeated in the message.
    pub(crate) fn check_sign_up_limits(&self) -> Result<(), String> {
        if self.0.len() > MAX_USER_METADATA_KEYS {
            return Err(format!(
                "user_metadata has {} properties; at most {MAX_USER_METADATA_KEYS} are allowed",
                self.0.len()
            ));
        }
        for (name, value) in &self.0 {
            if name.trim().is_empty() {
                return Err("a user_metadata property name is empty".into());
            }
            if name.chars().count() > MAX_USER_METADATA_NAME_CHARS {
                return Err(format!(
                    "a user_metadata property name is longer than {MAX_USER_METADATA_NAME_CHARS} characters"
                ));
            }
            if value.chars().count() > MAX_USER_METADATA_VALUE_CHARS {
                return Err(format!(
                    "a user_metadata value is longer than {MAX_USER_METADATA_VALUE_CHARS} characters"
                ));
            }
        }
        Ok(())
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for UserMetadata {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Self(
            iter.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }
}

/// Percent-encodes a caller's value for use as ONE path segment (like JavaScript's
/// `encodeURIComponent`), refusing values that would not stay one segment once a URL parser
/// normalises the path: empty text, and `.` / `..` in any spelling a parser reads as a dot
/// segment (`%2e`, `%2E`, `.%2e`, …). `/`, `\`, `?`, `#` and `%` are encoded, so they cannot
/// end the segment.
pub(crate) fn path_segment(value: &str) -> Result<String, &'static str> {
    if value.is_empty() {
        return Err("must not be empty");
    }
    let encoded = utf8_percent_encode(value, URI_COMPONENT).to_string();
    // What a WHATWG parser treats as a dot segment after decoding `%2e` (either case).
    let dots = encoded.to_ascii_lowercase().replace("%2e", ".");
    if dots == "." || dots == ".." {
        return Err("must not be a `.` or `..` path segment");
    }
    Ok(encoded)
}

/// What encodeURIComponent leaves alone: letters, digits and `-_.!~*'()`.
const URI_COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_segments_are_encoded_like_encode_uri_component() {
        assert_eq!(path_segment("totp|dev_1").unwrap(), "totp%7Cdev_1");
        assert_eq!(path_segment("a/b?c#d\\e").unwrap(), "a%2Fb%3Fc%23d%5Ce");
        assert_eq!(path_segment("%2e").unwrap(), "%252e");
        assert_eq!(path_segment("...").unwrap(), "...");
        assert_eq!(path_segment(".a").unwrap(), ".a");
    }

    #[test]
    fn dot_segments_and_empty_values_are_refused() {
        for bad in ["", ".", ".."] {
            assert!(path_segment(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn no_accepted_segment_changes_the_path_after_parsing() {
        let base = url::Url::parse("https://t.example/mfa/authenticators/").unwrap();
        for input in [
            "x", ".", "..", "%2e", "%2E", ".%2e", "%2e%2E", "a/..", "..\\", "?", "#", "/", "\\",
            " ", "%", "%%2e", "\u{2025}", "．．",
        ] {
            let Ok(segment) = path_segment(input) else {
                continue;
            };
            let url = base.join(&segment).unwrap();
            assert_eq!(url.query(), None, "{input:?}");
            assert_eq!(url.fragment(), None, "{input:?}");
            let segments: Vec<_> = url.path_segments().unwrap().collect();
            assert_eq!(segments.len(), 3, "{input:?} gives {url}");
            assert_eq!(segments[..2], ["mfa", "authenticators"], "{input:?}");
            assert_eq!(segments[2], segment, "{input:?}");
        }
    }

    #[test]
    fn user_metadata_limits_are_checked() {
        let ok: UserMetadata = (0..MAX_USER_METADATA_KEYS)
            .map(|i| (i.to_string(), "v"))
            .collect();
        assert!(ok.check_sign_up_limits().is_ok());
        let many: UserMetadata = (0..=MAX_USER_METADATA_KEYS)
            .map(|i| (i.to_string(), "v"))
            .collect();
        assert!(many.check_sign_up_limits().is_err());
        let long_name =
            UserMetadata::new().insert("n".repeat(MAX_USER_METADATA_NAME_CHARS + 1), "v");
        assert!(long_name.check_sign_up_limits().is_err());
        let long_value =
            UserMetadata::new().insert("n", "é".repeat(MAX_USER_METADATA_VALUE_CHARS + 1));
        assert!(long_value.check_sign_up_limits().is_err());
        let at_limit = UserMetadata::new().insert("n", "é".repeat(MAX_USER_METADATA_VALUE_CHARS));
        assert!(at_limit.check_sign_up_limits().is_ok());
        assert_eq!(
            UserMetadata::new().insert("a", "1").to_json(),
            serde_json::json!({"a": "1"})
        );
    }

    #[test]
    fn auth_sessions_are_redacted_and_round_trip() {
        let s = AuthSession::new(SecretString::from("s3cret"));
        assert!(!format!("{s:?}").contains("s3cret"));
        let text = serde_json::to_string(&s).unwrap();
        assert_eq!(text, "\"s3cret\"");
        let back: AuthSession = serde_json::from_str(&text).unwrap();
        assert_eq!(back.expose_secret(), "s3cret");
    }
}
