//! The request log: every request the emulator receives, in order, so tests can assert on
//! exactly what went over the wire.

use std::sync::Mutex;

use crate::tenant::state::lock;

/// One request as the emulator received it.
#[derive(Clone, Debug)]
pub struct RecordedRequest {
    /// `GET`, `POST`, …
    pub method: String,
    /// The path, without the query string.
    pub path: String,
    /// The raw query string, if any.
    pub query: Option<String>,
    /// Headers in the order received; names are lower-case.
    pub headers: Vec<(String, String)>,
    /// The body as text (invalid UTF-8 replaced). Empty for bodies over the size limit.
    pub body: String,
}

impl RecordedRequest {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body decoded as `application/x-www-form-urlencoded`, order kept.
    pub fn form(&self) -> Vec<(String, String)> {
        url::form_urlencoded::parse(self.body.as_bytes())
            .into_owned()
            .collect()
    }

    /// The first value of form field `key`.
    pub fn form_value(&self, key: &str) -> Option<String> {
        self.form()
            .into_iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    /// The body parsed as JSON, if it is JSON.
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_str(&self.body).ok()
    }

    /// The query string decoded as form fields, order kept.
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        let query = self.query.as_deref().unwrap_or_default();
        url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect()
    }
}

/// The append-only log shared by the server and the test handle.
#[derive(Debug, Default)]
pub(crate) struct RequestLog {
    entries: Mutex<Vec<RecordedRequest>>,
}

impl RequestLog {
    /// Appends one request.
    pub(crate) fn record(&self, request: RecordedRequest) {
        lock(&self.entries).push(request);
    }

    /// Everything so far, in order.
    pub(crate) fn all(&self) -> Vec<RecordedRequest> {
        lock(&self.entries).clone()
    }

    /// The requests whose path is exactly `path`.
    pub(crate) fn to_path(&self, path: &str) -> Vec<RecordedRequest> {
        lock(&self.entries)
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect()
    }

    /// Forgets everything.
    pub(crate) fn clear(&self) {
        lock(&self.entries).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers_decode_the_body() {
        let r = RecordedRequest {
            method: "POST".into(),
            path: "/oauth/token".into(),
            query: Some("a=1&b=x+y".into()),
            headers: vec![("content-type".into(), "application/json".into())],
            body: "grant_type=password&scope=openid+profile&x=%26".into(),
        };
        assert_eq!(r.header("Content-Type"), Some("application/json"));
        assert_eq!(r.form_value("scope").as_deref(), Some("openid profile"));
        assert_eq!(r.form_value("x").as_deref(), Some("&"));
        assert_eq!(r.form()[0], ("grant_type".into(), "password".into()));
        assert!(r.json().is_none());
        assert_eq!(r.query_pairs()[1].1, "x y");
    }
}
