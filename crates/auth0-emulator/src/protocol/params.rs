//! Request parameters, from an `application/x-www-form-urlencoded` or an `application/json`
//! body, behind one lookup interface.

use axum::http::{HeaderMap, header};
use serde_json::Value;

use crate::tenant::error::OAuthError;

/// The parameters of one request, in the order sent.
#[derive(Debug, Default, Clone)]
pub(crate) struct Params {
    entries: Vec<(String, Value)>,
}

impl Params {
    /// Parses `body` according to the request's `Content-Type` (JSON when it says so, else a
    /// form).
    pub(crate) fn parse(headers: &HeaderMap, body: &[u8]) -> Result<Self, OAuthError> {
        let is_json = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| {
                ct.trim_start()
                    .to_ascii_lowercase()
                    .starts_with("application/json")
            });
        if is_json {
            Self::from_json(body)
        } else {
            Ok(Self::from_form(body))
        }
    }

    /// Parses a form body.
    pub(crate) fn from_form(body: &[u8]) -> Self {
        let entries = url::form_urlencoded::parse(body)
            .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
            .collect();
        Self { entries }
    }

    /// Parses a JSON object body.
    pub(crate) fn from_json(body: &[u8]) -> Result<Self, OAuthError> {
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(map)) => Ok(Self {
                entries: map.into_iter().collect(),
            }),
            Ok(_) => Err(OAuthError::invalid_request(
                "The JSON body must be an object.",
            )),
            Err(e) => Err(OAuthError::invalid_request(format!(
                "The body is not valid JSON: {e}"
            ))),
        }
    }

    /// The first value of `key` as text (numbers and booleans as written); empty strings count
    /// as absent.
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.entries
            .iter()
            .filter(|(k, _)| k == key)
            .find_map(|(_, v)| match v {
                Value::String(s) if !s.is_empty() => Some(s.as_str()),
                _ => None,
            })
    }

    /// The raw JSON value of `key` (for nested objects sent as JSON).
    #[allow(dead_code, reason = "for JSON grants such as the passkey grant")]
    pub(crate) fn value(&self, key: &str) -> Option<&Value> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Every text value of `key` (repeated form fields or a JSON array of strings).
    #[allow(dead_code, reason = "for repeated parameters such as `resource`")]
    pub(crate) fn all(&self, key: &str) -> Vec<&str> {
        let mut out = Vec::new();
        for (_, v) in self.entries.iter().filter(|(k, _)| k == key) {
            match v {
                Value::String(s) => out.push(s.as_str()),
                Value::Array(items) => out.extend(items.iter().filter_map(Value::as_str)),
                _ => {}
            }
        }
        out
    }

    /// Whether `key` was sent at all (even empty).
    #[allow(
        dead_code,
        reason = "for grants that refuse a parameter even when empty"
    )]
    pub(crate) fn has(&self, key: &str) -> bool {
        self.entries.iter().any(|(k, _)| k == key)
    }

    /// The value of `key`, or `400 invalid_request "Missing required parameter: key"`.
    pub(crate) fn require(&self, key: &str) -> Result<&str, OAuthError> {
        self.get(key).ok_or_else(|| OAuthError::missing(key))
    }
}

/// Splits a space-separated scope string into distinct scopes, order kept.
pub(crate) fn split_scope(scope: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in scope.split_whitespace() {
        if !out.iter().any(|o| o == s) {
            out.push(s.to_owned());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_and_json_read_the_same() {
        let form = Params::from_form(b"a=1&b=&c=x+y&r=1&r=2");
        assert_eq!(form.get("a"), Some("1"));
        assert_eq!(form.get("b"), None);
        assert!(form.has("b"));
        assert_eq!(form.get("c"), Some("x y"));
        assert_eq!(form.all("r"), vec!["1", "2"]);
        assert!(form.require("zz").is_err());
        let json = Params::from_json(br#"{"a":"1","n":{"k":2},"r":["1","2"]}"#).unwrap();
        assert_eq!(json.get("a"), Some("1"));
        assert_eq!(json.value("n").unwrap()["k"], 2);
        assert_eq!(json.all("r"), vec!["1", "2"]);
        assert!(Params::from_json(b"[1]").is_err());
        assert!(Params::from_json(b"{").is_err());
    }

    #[test]
    fn scopes_are_split_and_deduplicated() {
        assert_eq!(
            split_scope(" openid  profile openid "),
            vec!["openid", "profile"]
        );
    }
}
