//! [`RequestCookieJar`]: `auth0-server`'s [`CookieJar`] over an axum request's `Cookie`
//! headers, collecting the changes as `Set-Cookie` headers for the response.
//!
//! Imports `auth0-server`'s cookie seam and axum's header types only.

use std::fmt;

use auth0_server::{CookieJar, CookieOptions, MemoryCookieJar};
use axum::http::{HeaderMap, HeaderValue, header};

/// The cookies of one request and the changes made to them while it is handled.
///
/// Reads every `Cookie` header (HTTP/2 may split them); when a name appears twice the first
/// value wins, as browsers send the most specific cookie first. Changes are written with
/// [`apply`](Self::apply): one `Set-Cookie` header per cookie, the last change of a name
/// winning, in the order the names were first changed.
#[derive(Default, Clone)]
pub struct RequestCookieJar {
    inner: MemoryCookieJar,
}

impl fmt::Debug for RequestCookieJar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Values are credentials; MemoryCookieJar's Debug shows names only.
        f.debug_struct("RequestCookieJar")
            .field("inner", &self.inner)
            .finish()
    }
}

impl RequestCookieJar {
    /// The cookies of a request's headers.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let mut pairs: Vec<(String, String)> = Vec::new();
        for value in headers.get_all(header::COOKIE) {
            let Ok(text) = value.to_str() else { continue };
            for part in text.split(';') {
                let Some((name, value)) = part.trim().split_once('=') else {
                    continue;
                };
                let name = name.trim();
                if name.is_empty() || pairs.iter().any(|(n, _)| n == name) {
                    continue;
                }
                let value = value.trim();
                let value = value
                    .strip_prefix('"')
                    .and_then(|v| v.strip_suffix('"'))
                    .unwrap_or(value);
                pairs.push((name.to_owned(), value.to_owned()));
            }
        }
        Self {
            inner: MemoryCookieJar::from_pairs(pairs),
        }
    }

    /// The `Set-Cookie` values of the changes: one per cookie name, the last change winning.
    pub fn set_cookie_values(&self) -> Vec<String> {
        let changes = self.inner.changes();
        let mut out: Vec<(String, String)> = Vec::new();
        for (name, value, options) in changes {
            let line = options.set_cookie_header(name, value);
            match out.iter_mut().find(|(n, _)| n == name) {
                Some(slot) => slot.1 = line,
                None => out.push((name.clone(), line)),
            }
        }
        out.into_iter().map(|(_, line)| line).collect()
    }

    /// Whether any cookie was set or deleted.
    pub fn has_changes(&self) -> bool {
        !self.inner.changes().is_empty()
    }

    /// Appends the changes to `headers` as separate `Set-Cookie` headers. A value that is not
    /// a valid header (never one this SDK writes) is left out.
    pub fn apply(&self, headers: &mut HeaderMap) {
        for line in self.set_cookie_values() {
            if let Ok(value) = HeaderValue::from_str(&line) {
                headers.append(header::SET_COOKIE, value);
            }
        }
        if self.has_changes() {
            // A response that sets a session must never be cached by a shared cache.
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
    }

    /// Forgets the recorded changes (keeps the cookies as they now are).
    pub fn clear_changes(&mut self) {
        self.inner.clear_changes();
    }
}

impl CookieJar for RequestCookieJar {
    fn get(&self, name: &str) -> Option<String> {
        self.inner.get(name)
    }

    fn names(&self) -> Vec<String> {
        self.inner.names()
    }

    fn set(&mut self, name: &str, value: &str, options: &CookieOptions) {
        self.inner.set(name, value, options);
    }

    fn delete(&mut self, name: &str, options: &CookieOptions) {
        self.inner.delete(name, options);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(cookies: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for c in cookies {
            h.append(header::COOKIE, HeaderValue::from_str(c).unwrap());
        }
        h
    }

    #[test]
    fn reads_every_cookie_header_first_value_wins() {
        let jar = RequestCookieJar::from_headers(&headers(&[
            "a=1; b=\"2\"; junk; =x",
            "a=ignored; c=3=3",
        ]));
        assert_eq!(jar.get("a").as_deref(), Some("1"));
        assert_eq!(jar.get("b").as_deref(), Some("2"));
        assert_eq!(jar.get("c").as_deref(), Some("3=3"));
        assert_eq!(jar.names().len(), 3);
    }

    #[test]
    fn emits_one_set_cookie_per_name_last_change_wins() {
        let mut jar = RequestCookieJar::from_headers(&headers(&["s.0=old; s.1=old"]));
        let o = CookieOptions::default().with_max_age(60);
        jar.set("s.0", "first", &o);
        jar.set("tx", "t", &o);
        jar.set("s.0", "second", &o);
        jar.delete("s.1", &o);
        let mut out = HeaderMap::new();
        jar.apply(&mut out);
        let lines: Vec<&str> = out
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap())
            .collect();
        assert_eq!(lines.len(), 3, "{lines:?}");
        assert!(lines[0].starts_with("s.0=second;"));
        assert!(lines[1].starts_with("tx=t;"));
        assert!(lines[2].starts_with("s.1=;") && lines[2].contains("Max-Age=0"));
        assert_eq!(out[header::CACHE_CONTROL], "no-store");
        assert_eq!(jar.get("s.1"), None);
    }

    #[test]
    fn no_changes_no_headers_and_debug_hides_values() {
        let jar = RequestCookieJar::from_headers(&headers(&["session=secret-value"]));
        let mut out = HeaderMap::new();
        jar.apply(&mut out);
        assert!(out.is_empty());
        assert!(!format!("{jar:?}").contains("secret-value"));
    }
}
