//! The cookie seam: [`CookieJar`] is what a web framework implements (read the request's
//! cookies; set and delete cookies on the response), [`CookieOptions`] the attributes every
//! cookie is written with, and [`MemoryCookieJar`] a plain in-memory jar for tests and for
//! frameworks that collect cookies before writing headers.
//!
//! Imports nothing from the rest of the crate.

use std::collections::BTreeMap;
use std::fmt;

/// The `SameSite` attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SameSite {
    /// `SameSite=Lax` (the default): sent on top-level navigations, which the login callback is.
    #[default]
    Lax,
    /// `SameSite=Strict`.
    Strict,
    /// `SameSite=None` (requires `Secure`).
    None,
}

impl SameSite {
    /// The attribute value (`Lax`, `Strict`, `None`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Lax => "Lax",
            Self::Strict => "Strict",
            Self::None => "None",
        }
    }
}

/// The attributes a cookie is set or deleted with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CookieOptions {
    /// `HttpOnly` (always true for the cookies this crate writes).
    pub http_only: bool,
    /// `Secure`; true by default.
    pub secure: bool,
    /// `SameSite`; `Lax` by default.
    pub same_site: SameSite,
    /// `Path`; `/` by default.
    pub path: String,
    /// `Domain`; none (host-only) by default.
    pub domain: Option<String>,
    /// `Max-Age` in seconds; `Some(0)` deletes. `None` makes a browser-session cookie.
    pub max_age: Option<u64>,
}

impl Default for CookieOptions {
    fn default() -> Self {
        Self {
            http_only: true,
            secure: true,
            same_site: SameSite::Lax,
            path: "/".into(),
            domain: None,
            max_age: None,
        }
    }
}

impl CookieOptions {
    /// These options with a `Max-Age`.
    pub fn with_max_age(&self, seconds: u64) -> Self {
        Self {
            max_age: Some(seconds),
            ..self.clone()
        }
    }

    /// A `Set-Cookie` header value for `name=value` with these attributes. The name and value
    /// are written as given: the values this crate writes are base64url and dots.
    pub fn set_cookie_header(&self, name: &str, value: &str) -> String {
        let mut out = format!("{name}={value}; Path={}", self.path);
        if let Some(domain) = &self.domain {
            out.push_str("; Domain=");
            out.push_str(domain);
        }
        if let Some(max_age) = self.max_age {
            out.push_str(&format!("; Max-Age={max_age}"));
        }
        if self.http_only {
            out.push_str("; HttpOnly");
        }
        if self.secure {
            out.push_str("; Secure");
        }
        out.push_str("; SameSite=");
        out.push_str(self.same_site.as_str());
        out
    }
}

/// A request's cookies and the response's cookie changes, as a framework exposes them.
///
/// `get` and `names` see the request's cookies together with any change already made through
/// this jar during the same request (a value set is read back, a deleted cookie is gone), so
/// that a login and a read in one request agree.
pub trait CookieJar: Send {
    /// The value of a cookie, if the request has it.
    fn get(&self, name: &str) -> Option<String>;
    /// The names of every cookie the request has.
    fn names(&self) -> Vec<String>;
    /// Sets a cookie on the response.
    fn set(&mut self, name: &str, value: &str, options: &CookieOptions);
    /// Deletes a cookie (sets it expired with the same path and domain).
    fn delete(&mut self, name: &str, options: &CookieOptions);
    /// The request's host (`Host` header, `host[:port]`), for a multi-domain
    /// [`ServerClient`](crate::ServerClient)'s [`DomainResolver`](crate::DomainResolver).
    /// `None` by default: a static-domain client never asks.
    fn request_host(&self) -> Option<&str> {
        None
    }
}

/// A cookie jar in memory: the request's cookies in, every `Set-Cookie` out.
#[derive(Default, Clone)]
pub struct MemoryCookieJar {
    cookies: BTreeMap<String, String>,
    set_cookies: Vec<(String, String, CookieOptions)>,
    host: Option<String>,
}

impl fmt::Debug for MemoryCookieJar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Cookie values are credentials: only names are shown.
        f.debug_struct("MemoryCookieJar")
            .field("cookies", &self.cookies.keys().collect::<Vec<_>>())
            .field("changes", &self.set_cookies.len())
            .finish()
    }
}

impl MemoryCookieJar {
    /// An empty jar.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the host the request was made to (what [`CookieJar::request_host`] returns).
    pub fn set_request_host(&mut self, host: impl Into<String>) {
        self.host = Some(host.into());
    }

    /// A jar holding these request cookies.
    pub fn from_pairs<I, K, V>(pairs: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        Self {
            cookies: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
            set_cookies: Vec::new(),
            host: None,
        }
    }

    /// Every cookie the jar holds now (what the browser would send next).
    pub fn pairs(&self) -> &BTreeMap<String, String> {
        &self.cookies
    }

    /// Puts a cookie in directly (as a browser would send it).
    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.cookies.insert(name.into(), value.into());
    }

    /// Every set and delete, in order, as `(name, value, options)`; a delete has an empty value
    /// and `max_age: Some(0)`.
    pub fn changes(&self) -> &[(String, String, CookieOptions)] {
        &self.set_cookies
    }

    /// The `Set-Cookie` header values of every change, in order.
    pub fn set_cookie_headers(&self) -> Vec<String> {
        self.set_cookies
            .iter()
            .map(|(n, v, o)| o.set_cookie_header(n, v))
            .collect()
    }

    /// Forgets the recorded changes (keeps the cookies), as a new request would.
    pub fn clear_changes(&mut self) {
        self.set_cookies.clear();
    }
}

impl CookieJar for MemoryCookieJar {
    fn get(&self, name: &str) -> Option<String> {
        self.cookies.get(name).cloned()
    }

    fn names(&self) -> Vec<String> {
        self.cookies.keys().cloned().collect()
    }

    fn set(&mut self, name: &str, value: &str, options: &CookieOptions) {
        if options.max_age == Some(0) {
            self.cookies.remove(name);
        } else {
            self.cookies.insert(name.into(), value.into());
        }
        self.set_cookies
            .push((name.into(), value.into(), options.clone()));
    }

    fn request_host(&self) -> Option<&str> {
        self.host.as_deref()
    }

    fn delete(&mut self, name: &str, options: &CookieOptions) {
        self.cookies.remove(name);
        self.set_cookies
            .push((name.into(), String::new(), options.with_max_age(0)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_http_only_lax_secure_root() {
        let o = CookieOptions::default();
        assert_eq!(
            o.with_max_age(60).set_cookie_header("a", "b"),
            "a=b; Path=/; Max-Age=60; HttpOnly; Secure; SameSite=Lax"
        );
        let custom = CookieOptions {
            domain: Some("example.com".into()),
            path: "/app".into(),
            same_site: SameSite::Strict,
            secure: false,
            ..CookieOptions::default()
        };
        assert_eq!(
            custom.set_cookie_header("a", "b"),
            "a=b; Path=/app; Domain=example.com; HttpOnly; SameSite=Strict"
        );
    }

    #[test]
    fn memory_jar_reads_its_own_changes_and_hides_values() {
        let mut jar = MemoryCookieJar::from_pairs([("x", "secret-value")]);
        jar.set("y", "1", &CookieOptions::default());
        jar.delete("x", &CookieOptions::default());
        assert_eq!(jar.get("x"), None);
        assert_eq!(jar.get("y").as_deref(), Some("1"));
        assert_eq!(jar.changes().len(), 2);
        assert_eq!(jar.changes()[1].2.max_age, Some(0));
        assert!(!format!("{jar:?}").contains("secret-value"));
    }
}
