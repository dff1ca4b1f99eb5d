//! Which tenant domain serves a request: one static domain ([`OneDomain`], the default) or a
//! domain resolved per request from its host ([`MultiDomain`], the reference's resolver mode),
//! with a bounded cache of one protocol client per domain and an allow-list checked before any
//! request.
//!
//! Imports `auth0-auth`'s `AuthClient` and this crate's errors; the operations that use it are
//! in the parent module.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::Mutex;

use auth0_auth::AuthClient;
use url::Url;

use super::domain_of;
use crate::error::{Error, Result};

/// Where a request's tenant domain comes from in a multi-domain [`ServerClient`](crate::ServerClient):
/// given the request's host ([`CookieJar::request_host`](crate::CookieJar::request_host), or
/// [`BackchannelLogoutRequest::request_host`](crate::BackchannelLogoutRequest::request_host)),
/// the Auth0 domain (custom domain) that serves it. Synchronous: no I/O is expected. `None` or
/// a blank domain is an [`Error::InvalidConfiguration`]. Any
/// `Fn(Option<&str>) -> Option<String>` is one.
pub trait DomainResolver: Send + Sync + 'static {
    /// The domain for a request to `request_host` (`host[:port]`, `None` when unknown).
    fn resolve(&self, request_host: Option<&str>) -> Option<String>;
}

impl<F> DomainResolver for F
where
    F: Fn(Option<&str>) -> Option<String> + Send + Sync + 'static,
{
    fn resolve(&self, request_host: Option<&str>) -> Option<String> {
        self(request_host)
    }
}

type ClientFactory = dyn Fn(&str) -> auth0_auth::Result<AuthClient> + Send + Sync;

/// The static-domain mode: one protocol client for every request (what
/// [`ServerClient::builder`](crate::ServerClient::builder) builds).
#[derive(Clone)]
pub struct OneDomain {
    pub(super) client: AuthClient,
    domain: String,
}

impl OneDomain {
    pub(super) fn new(client: AuthClient) -> Self {
        let domain = domain_of(client.base_url());
        Self { client, domain }
    }
}

impl fmt::Debug for OneDomain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OneDomain")
            .field("domain", &self.domain)
            .finish_non_exhaustive()
    }
}

/// The resolver mode: each request's domain comes from a [`DomainResolver`], must be in the
/// allow-list, and is served by a protocol client the factory builds for it (kept in a bounded
/// cache). Build the client with
/// [`ServerClient::builder_for_domains`](crate::ServerClient::builder_for_domains).
pub struct MultiDomain {
    resolver: Box<dyn DomainResolver>,
    factory: Box<ClientFactory>,
    allowed: HashSet<String>,
    invalid: Option<String>,
    capacity: usize,
    cache: Mutex<HashMap<String, AuthClient>>,
}

impl fmt::Debug for MultiDomain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MultiDomain")
            .field("allowed", &self.allowed)
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

/// How many per-domain clients are kept by default.
const DEFAULT_CAPACITY: usize = 256;

impl MultiDomain {
    /// A resolver, and the factory that builds the protocol client of a domain
    /// (`host[:port]`, normalised) — the same client id, credentials and settings for each.
    /// At least one allowed domain must be added.
    pub fn new<F>(resolver: impl DomainResolver, factory: F) -> Self
    where
        F: Fn(&str) -> auth0_auth::Result<AuthClient> + Send + Sync + 'static,
    {
        Self {
            resolver: Box::new(resolver),
            factory: Box::new(factory),
            allowed: HashSet::new(),
            invalid: None,
            capacity: DEFAULT_CAPACITY,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// Allows a domain (`tenant.auth0.com`, `login.example.com`, `127.0.0.1:8080`; normalised
    /// as resolved domains are). A resolved domain outside the list is refused with
    /// [`Error::DomainNotAllowed`] before any request: a forged `Host` header cannot make the
    /// server fetch discovery documents from a host of the attacker's choosing.
    pub fn allow_domain(mut self, domain: impl AsRef<str>) -> Self {
        match normalize_domain(domain.as_ref()) {
            Ok(d) => {
                self.allowed.insert(d);
            }
            Err(_) => self.invalid = Some(domain.as_ref().to_owned()),
        }
        self
    }

    /// How many per-domain clients are kept (default 256; at least 1). When full, the cache
    /// starts over.
    pub fn cache_capacity(mut self, capacity: usize) -> Self {
        self.capacity = capacity.max(1);
        self
    }

    pub(super) fn validate(&self) -> Result<()> {
        if let Some(bad) = &self.invalid {
            return Err(Error::InvalidConfiguration(format!(
                "{bad:?} is not a usable allowed domain"
            )));
        }
        if self.allowed.is_empty() {
            return Err(Error::InvalidConfiguration(
                "a multi-domain client needs at least one allowed domain".into(),
            ));
        }
        Ok(())
    }

    /// The allowed, normalised domain of a request to `host`.
    pub(super) fn resolve(&self, host: Option<&str>) -> Result<String> {
        let raw = self.resolver.resolve(host).ok_or_else(no_domain)?;
        self.allowed_domain(&raw)
    }

    /// `raw` normalised, if allowed.
    pub(super) fn allowed_domain(&self, raw: &str) -> Result<String> {
        let domain = normalize_domain(raw)?;
        if !self.allowed.contains(&domain) {
            return Err(Error::DomainNotAllowed(domain));
        }
        Ok(domain)
    }

    /// The protocol client of an allowed, normalised domain.
    pub(super) fn client(&self, domain: &str) -> Result<AuthClient> {
        let mut cache = self
            .cache
            .lock()
            .map_err(|_| Error::InvalidConfiguration("the domain client cache failed".into()))?;
        if let Some(c) = cache.get(domain) {
            return Ok(c.clone());
        }
        let client = (self.factory)(domain)?;
        if cache.len() >= self.capacity {
            cache.clear();
        }
        cache.insert(domain.to_owned(), client.clone());
        Ok(client)
    }
}

fn no_domain() -> Error {
    Error::InvalidConfiguration("the domain resolver returned no domain".into())
}

/// A domain as the reference normalises it: trimmed, `https://` assumed, reduced to
/// `host[:port]`, lower-cased. Anything with a path, query, fragment or credentials is refused.
pub(crate) fn normalize_domain(raw: &str) -> Result<String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(no_domain());
    }
    let with_scheme = if raw.contains("://") {
        raw.to_owned()
    } else {
        format!("https://{raw}")
    };
    let bad = || Error::InvalidConfiguration(format!("{raw:?} is not a domain"));
    let url = Url::parse(&with_scheme).map_err(|_| bad())?;
    if url.host_str().is_none_or(str::is_empty)
        || !matches!(url.path(), "" | "/")
        || url.query().is_some()
        || url.fragment().is_some()
        || !url.username().is_empty()
        || url.password().is_some()
    {
        return Err(bad());
    }
    Ok(domain_of(&url))
}

/// The tenancy modes of a [`ServerClient`](crate::ServerClient): [`OneDomain`] or
/// [`MultiDomain`]. Sealed.
pub trait Tenancy: sealed::Sealed + Send + Sync + 'static {
    #[doc(hidden)]
    fn mode(&self) -> sealed::Mode<'_>;
}

impl Tenancy for OneDomain {
    fn mode(&self) -> sealed::Mode<'_> {
        sealed::Mode::One(self)
    }
}

impl Tenancy for MultiDomain {
    fn mode(&self) -> sealed::Mode<'_> {
        sealed::Mode::Many(self)
    }
}

pub(crate) mod sealed {
    use super::{MultiDomain, OneDomain};

    pub trait Sealed {}
    impl Sealed for OneDomain {}
    impl Sealed for MultiDomain {}

    /// The mode, for the operations.
    #[doc(hidden)]
    #[derive(Debug)]
    pub enum Mode<'a> {
        One(&'a OneDomain),
        Many(&'a MultiDomain),
    }
}

/// A request's tenant: its domain and protocol client.
pub(crate) struct Tenant {
    pub(crate) domain: String,
    pub(crate) client: AuthClient,
    /// Resolver mode: sessions and transactions are checked against `domain`.
    pub(crate) multi: bool,
}

impl Tenant {
    pub(crate) fn of(tenancy: &impl Tenancy, host: Option<&str>) -> Result<Self> {
        match tenancy.mode() {
            sealed::Mode::One(one) => Ok(Self {
                domain: one.domain.clone(),
                client: one.client.clone(),
                multi: false,
            }),
            sealed::Mode::Many(many) => {
                let domain = many.resolve(host)?;
                let client = many.client(&domain)?;
                Ok(Self {
                    domain,
                    client,
                    multi: true,
                })
            }
        }
    }

    /// In resolver mode, the tenant of a domain a transaction remembered (it must still be
    /// allowed); otherwise `self`.
    pub(crate) fn remembered(self, tenancy: &impl Tenancy, domain: Option<&str>) -> Result<Self> {
        match (tenancy.mode(), domain) {
            (sealed::Mode::Many(many), Some(d)) => {
                let domain = many.allowed_domain(d)?;
                if domain == self.domain {
                    return Ok(self);
                }
                let client = many.client(&domain)?;
                Ok(Self {
                    domain,
                    client,
                    multi: true,
                })
            }
            _ => Ok(self),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_normalise_as_the_reference() {
        assert_eq!(
            normalize_domain(" Tenant.EU.auth0.com ").unwrap(),
            "tenant.eu.auth0.com"
        );
        assert_eq!(normalize_domain("https://a.example/").unwrap(), "a.example");
        assert_eq!(
            normalize_domain("http://127.0.0.1:8080").unwrap(),
            "127.0.0.1:8080"
        );
        assert_eq!(normalize_domain("a.example:443").unwrap(), "a.example");
        for bad in [
            "",
            "  ",
            "https://a.example/path",
            "a.example?x=1",
            "u:p@a.example",
        ] {
            assert!(normalize_domain(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_allow_list_is_required_and_checked() {
        let factory = |d: &str| AuthClient::builder(d, "id").build();
        let none = MultiDomain::new(|_: Option<&str>| Some("a.example".into()), factory);
        assert!(none.validate().is_err());
        let bad = MultiDomain::new(|_: Option<&str>| None, factory).allow_domain("a.example/x");
        assert!(bad.validate().is_err());
        let m = MultiDomain::new(|h: Option<&str>| h.map(str::to_owned), factory)
            .allow_domain("A.example");
        m.validate().unwrap();
        assert_eq!(m.resolve(Some("a.EXAMPLE")).unwrap(), "a.example");
        assert!(matches!(
            m.resolve(Some("evil.example")),
            Err(Error::DomainNotAllowed(_))
        ));
        assert!(matches!(
            m.resolve(None),
            Err(Error::InvalidConfiguration(_))
        ));
    }

    #[test]
    fn one_client_per_domain_in_a_bounded_cache() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};
        let built = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&built);
        let m = MultiDomain::new(
            |h: Option<&str>| h.map(str::to_owned),
            move |d: &str| {
                counter.fetch_add(1, Ordering::SeqCst);
                AuthClient::builder(d, "id").build()
            },
        )
        .allow_domain("a.example")
        .allow_domain("b.example")
        .cache_capacity(1);
        let a = m.client("a.example").unwrap();
        assert_eq!(a.base_url().as_str(), "https://a.example/");
        m.client("a.example").unwrap();
        assert_eq!(built.load(Ordering::SeqCst), 1, "cached");
        let b = m.client("b.example").unwrap();
        assert_eq!(b.base_url().as_str(), "https://b.example/");
        assert_eq!(m.cache.lock().unwrap().len(), 1, "bounded");
        m.client("a.example").unwrap();
        assert_eq!(built.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn a_remembered_domain_must_still_be_allowed() {
        let m = MultiDomain::new(
            |h: Option<&str>| h.map(str::to_owned),
            |d: &str| AuthClient::builder(d, "id").build(),
        )
        .allow_domain("a.example")
        .allow_domain("b.example");
        let on_b = Tenant::of(&m, Some("b.example")).unwrap();
        let back = on_b.remembered(&m, Some("A.example")).unwrap();
        assert_eq!(back.domain, "a.example");
        assert_eq!(back.client.base_url().as_str(), "https://a.example/");
        let on_b = Tenant::of(&m, Some("b.example")).unwrap();
        assert!(matches!(
            on_b.remembered(&m, Some("evil.example")),
            Err(Error::DomainNotAllowed(_))
        ));
        // A static client ignores a remembered domain.
        let one = OneDomain::new(AuthClient::builder("a.example", "id").build().unwrap());
        let t = Tenant::of(&one, Some("whatever")).unwrap();
        assert!(!t.multi);
        let t = t.remembered(&one, Some("b.example")).unwrap();
        assert_eq!(t.domain, "a.example");
    }
}
