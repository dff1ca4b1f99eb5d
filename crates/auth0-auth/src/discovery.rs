//! The tenant's OpenID Provider metadata and the process-wide cache that holds it.
//!
//! Every client in a process that uses the same cache settings shares one cache. Its key is the
//! base URL (scheme and host lower-cased, the path as given) plus whether mTLS is on; concurrent first calls for a key share one
//! request (single flight), and a failed discovery is not cached. Each client also keeps the
//! last document it got, with the time it was fetched, and serves it without a cache lookup
//! until the cache's TTL has run out for it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use url::Url;

use crate::error::{Error, ErrorCode, ErrorKind, Result};
use crate::http::{Request, Transport};

/// The tenant's OpenID Provider metadata (`/.well-known/openid-configuration`).
///
/// The commonly used fields are typed; everything else the document carries is in
/// [`other`](Self::other).
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
pub struct ServerMetadata {
    /// The issuer identifier; ID tokens must carry exactly this `iss`.
    pub issuer: String,
    /// Where browsers are sent to log in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_endpoint: Option<String>,
    /// Where every grant is sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_endpoint: Option<String>,
    /// The user-info endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub userinfo_endpoint: Option<String>,
    /// The key set that signs ID and logout tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks_uri: Option<String>,
    /// RFC 7009 token revocation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocation_endpoint: Option<String>,
    /// RP-initiated logout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_session_endpoint: Option<String>,
    /// Pushed authorization requests (RFC 9126).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pushed_authorization_request_endpoint: Option<String>,
    /// Client-initiated back-channel authentication.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backchannel_authentication_endpoint: Option<String>,
    /// The device authorization endpoint (RFC 8628).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_authorization_endpoint: Option<String>,
    /// Endpoints to use instead when the client authenticates with mutual TLS (RFC 8705).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mtls_endpoint_aliases: Option<Map<String, Value>>,
    /// Whether the tenant puts `iss` in every authorization response (RFC 9207); when `true`,
    /// a login callback without it is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_response_iss_parameter_supported: Option<bool>,
    /// The algorithms the tenant may sign ID tokens with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token_signing_alg_values_supported: Option<Vec<String>>,
    /// Token introspection (RFC 7662).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub introspection_endpoint: Option<String>,
    /// The client authentication methods the token endpoint accepts (`client_secret_basic`,
    /// `private_key_jwt`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_endpoint_auth_methods_supported: Option<Vec<String>>,
    /// Whether the provider accepts signed request objects by value (RFC 9101 `request`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_parameter_supported: Option<bool>,
    /// Everything else in the document.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl ServerMetadata {
    /// Replaces each plain endpoint that has an mTLS alias with the alias.
    pub(crate) fn apply_mtls_aliases(&mut self) {
        let Some(aliases) = self.mtls_endpoint_aliases.clone() else {
            return;
        };
        let alias = |name: &str| aliases.get(name).and_then(|v| v.as_str()).map(String::from);
        let slots: [(&str, &mut Option<String>); 7] = [
            ("token_endpoint", &mut self.token_endpoint),
            ("introspection_endpoint", &mut self.introspection_endpoint),
            ("userinfo_endpoint", &mut self.userinfo_endpoint),
            ("revocation_endpoint", &mut self.revocation_endpoint),
            (
                "pushed_authorization_request_endpoint",
                &mut self.pushed_authorization_request_endpoint,
            ),
            (
                "backchannel_authentication_endpoint",
                &mut self.backchannel_authentication_endpoint,
            ),
            (
                "device_authorization_endpoint",
                &mut self.device_authorization_endpoint,
            ),
        ];
        for (name, slot) in slots {
            if let Some(a) = alias(name) {
                *slot = Some(a);
            }
        }
    }

    /// A named endpoint as a URL, refusing a missing one, a malformed one, and plain `http://`
    /// for anything but loopback.
    pub(crate) fn endpoint(
        &self,
        name: &str,
        value: Option<&String>,
        code: ErrorCode,
    ) -> Result<Url> {
        let value = value.ok_or_else(|| {
            Error::new(
                code,
                ErrorKind::NotSupported,
                format!("the tenant's discovery document has no {name}"),
            )
        })?;
        let url = Url::parse(value).map_err(|_| {
            Error::new(
                code,
                ErrorKind::Discovery,
                format!("the tenant's {name} is not a valid URL"),
            )
        })?;
        check_scheme(&url).map_err(|why| {
            Error::new(
                code,
                ErrorKind::Discovery,
                format!("the tenant's {name} {why}"),
            )
        })?;
        Ok(url)
    }

    /// Whether this provider is an Auth0 tenant, whose well-known paths (`/oauth/revoke`,
    /// `/v2/logout`, …) exist even when the document does not list them.
    ///
    /// A tenant is recognised by its issuer's host (`auth0.com`, `auth0app.com` or a
    /// subdomain of either, such as `tenant.eu.auth0.com`) or, for a custom domain, by the
    /// `mfa_challenge_endpoint` that only Auth0 publishes in its discovery document. Any
    /// other provider gets only what its document advertises.
    pub fn is_auth0(&self) -> bool {
        let auth0_host = Url::parse(&self.issuer)
            .ok()
            .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
            .is_some_and(|host| {
                ["auth0.com", "auth0app.com"]
                    .iter()
                    .any(|d| host == *d || host.ends_with(&format!(".{d}")))
            });
        auth0_host || self.other.contains_key("mfa_challenge_endpoint")
    }

    /// An advertised endpoint; when the document has none, Auth0's well-known `path` under
    /// `base` for an Auth0 tenant ([`is_auth0`](Self::is_auth0)), and `NotSupported` for any
    /// other provider.
    pub(crate) fn endpoint_or_auth0_path(
        &self,
        name: &str,
        value: Option<&String>,
        base: &Url,
        path: &str,
        code: ErrorCode,
    ) -> Result<Url> {
        match value {
            Some(_) => self.endpoint(name, value, code),
            None if self.is_auth0() => base.join(path).map_err(|_| {
                Error::new(
                    code,
                    ErrorKind::Configuration,
                    format!("the domain cannot carry the path {path}"),
                )
            }),
            None => self.endpoint(name, None, code),
        }
    }

    /// The token endpoint.
    pub(crate) fn token_url(&self, code: ErrorCode) -> Result<Url> {
        self.endpoint("token_endpoint", self.token_endpoint.as_ref(), code)
    }
}

/// `https` always; `http` only for loopback hosts.
pub(crate) fn check_scheme(url: &Url) -> std::result::Result<(), &'static str> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(url) => Ok(()),
        "http" => Err("uses plain http:// for a host that is not loopback"),
        _ => Err("is not an http(s) URL"),
    }
}

/// Whether a URL's host is `localhost`, in `127.0.0.0/8`, or `::1`: the only hosts this SDK
/// family speaks plain `http://` to. Sibling crates apply the same rule through it.
///
/// ```
/// use auth0_auth::{is_loopback, reqwest::Url};
///
/// assert!(is_loopback(&Url::parse("http://127.0.0.1:3000/").unwrap()));
/// assert!(!is_loopback(&Url::parse("http://app.example.com/").unwrap()));
/// ```
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// One client's handle on a cache of discovery documents shared process-wide per (ttl, max
/// entries): the shared cache and this client's key in it, made once at build rather than per
/// lookup.
#[derive(Clone)]
pub(crate) struct DiscoveryCache {
    cache: moka::future::Cache<String, Fetched>,
    key: String,
    ttl: Duration,
    /// This client's last document: served as it is while younger than `ttl`.
    last: Arc<RwLock<Option<Fetched>>>,
    /// The token endpoint of the document it was read from, parsed and checked once.
    token_url: Arc<RwLock<Option<TokenUrl>>>,
}

/// A document and its token endpoint, parsed.
type TokenUrl = (Arc<ServerMetadata>, Url);

/// A discovery document and when its fetch finished (just before the cache stored it, so it
/// is never taken for younger than the cache's entry).
#[derive(Clone)]
struct Fetched {
    metadata: Arc<ServerMetadata>,
    at: Instant,
}

/// Settings of the discovery cache: how long a document is kept and how many are kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DiscoveryCacheSettings {
    /// How long a discovery document is reused.
    pub ttl: Duration,
    /// How many tenants' documents are kept.
    pub max_entries: u64,
}

impl Default for DiscoveryCacheSettings {
    fn default() -> Self {
        Self {
            ttl: Duration::from_secs(600),
            max_entries: 100,
        }
    }
}

impl DiscoveryCache {
    /// A handle on the process-wide cache for these settings, for the client of `base` (with
    /// mTLS aliases or not).
    pub(crate) fn shared(settings: DiscoveryCacheSettings, base: &Url, mtls: bool) -> Self {
        static CACHES: OnceLock<Mutex<HashMap<DiscoveryCacheSettings, DiscoveryCache>>> =
            OnceLock::new();
        let mut caches = CACHES
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        caches
            .entry(settings)
            .or_insert_with(|| Self {
                cache: moka::future::Cache::builder()
                    .max_capacity(settings.max_entries)
                    .time_to_live(settings.ttl)
                    .build(),
                key: String::new(),
                ttl: settings.ttl,
                last: Arc::default(),
                token_url: Arc::default(),
            })
            .clone()
            .keyed(cache_key(base, mtls))
    }

    fn keyed(mut self, key: String) -> Self {
        self.key = key;
        self.last = Arc::default();
        self.token_url = Arc::default();
        self
    }

    /// `metadata`'s token endpoint, parsed and checked the first time it is asked of this
    /// document (an `Arc` from [`get`](Self::get)) and copied after that: the token path
    /// would otherwise parse the same URL on every request. A new document (after the TTL,
    /// or another `Arc`) is parsed afresh; errors are not kept.
    pub(crate) fn token_url(&self, metadata: &Arc<ServerMetadata>, code: ErrorCode) -> Result<Url> {
        // A lock poisoned by a panic elsewhere only skips the shortcut.
        if let Ok(memo) = self.token_url.read()
            && let Some((from, url)) = memo.as_ref()
            && Arc::ptr_eq(from, metadata)
        {
            return Ok(url.clone());
        }
        let url = metadata.token_url(code)?;
        if let Ok(mut memo) = self.token_url.write() {
            *memo = Some((metadata.clone(), url.clone()));
        }
        Ok(url)
    }

    /// The metadata for `base` (the one this handle was made for), fetched once per key however
    /// many callers ask at once.
    pub(crate) async fn get(
        &self,
        transport: &Transport,
        base: &Url,
        mtls: bool,
    ) -> Result<Arc<ServerMetadata>> {
        // A lock poisoned by a panic elsewhere only skips this shortcut.
        if let Ok(last) = self.last.read()
            && let Some(last) = last.as_ref()
            && last.at.elapsed() < self.ttl
        {
            return Ok(last.metadata.clone());
        }
        // A hit is looked up alone: `try_get_with_by_ref` would first build (and move) the
        // fetch future it needs only on a miss.
        let fetched = match self.cache.get(self.key.as_str()).await {
            Some(hit) => hit,
            None => self
                .cache
                .try_get_with_by_ref(self.key.as_str(), async {
                    let metadata = fetch(transport, base, mtls).await?;
                    Ok::<_, Error>(Fetched {
                        metadata: Arc::new(metadata),
                        at: Instant::now(),
                    })
                })
                .await
                .map_err(|e| (*e).clone())?,
        };
        if let Ok(mut last) = self.last.write() {
            *last = Some(fetched.clone());
        }
        Ok(fetched.metadata)
    }
}

/// The cache key of a base URL: the URL as parsed (the parser already lower-cases the scheme
/// and host, the only case-insensitive parts) plus whether mTLS is on. The path keeps its case:
/// `/Tenant/` and `/tenant/` are two issuers.
fn cache_key(base: &Url, mtls: bool) -> String {
    format!("{}|{}", base.as_str(), if mtls { "mtls" } else { "plain" })
}

/// Refuses a discovery document whose issuer is not the configured base URL (one trailing slash
/// either way is tolerated, as standard providers omit it and Auth0 adds it).
pub(crate) fn check_issuer(metadata: &ServerMetadata, base: &Url) -> Result<()> {
    let without_slash = |s: &str| s.strip_suffix('/').unwrap_or(s).to_string();
    if without_slash(&metadata.issuer) != without_slash(base.as_str()) {
        let mut message = format!(
            "the discovery document's issuer {:?} does not match the configured domain {:?}",
            metadata.issuer,
            base.as_str()
        );
        if let Some(hint) = loopback_alias_hint(&metadata.issuer, base) {
            message.push_str(&hint);
        }
        return Err(Error::new(
            ErrorCode::Discovery,
            ErrorKind::Discovery,
            message,
        ));
    }
    Ok(())
}

/// When the issuer is the configured URL with another name for the same loopback host
/// (`localhost` against `127.0.0.1` or `[::1]`), says which domain to configure: a local
/// tenant is named by exactly one of them, and tokens carry that one. A remote issuer gets no
/// such hint (a different remote name is not a spelling to adopt).
fn loopback_alias_hint(issuer: &str, base: &Url) -> Option<String> {
    let issuer_url = Url::parse(issuer).ok()?;
    let same_elsewhere = issuer_url.scheme() == base.scheme()
        && issuer_url.port_or_known_default() == base.port_or_known_default()
        && issuer_url.path().trim_end_matches('/') == base.path().trim_end_matches('/')
        && is_loopback(&issuer_url)
        && is_loopback(base);
    same_elsewhere.then(|| {
        format!(
            "; both name this machine, but the tenant calls itself {issuer:?}: configure the \
             domain as {issuer:?} (tokens carry that issuer exactly)"
        )
    })
}

/// Fetches and checks the discovery document.
async fn fetch(transport: &Transport, base: &Url, mtls: bool) -> Result<ServerMetadata> {
    let url = base
        .join(".well-known/openid-configuration")
        .map_err(|_| Error::config("the domain cannot carry a discovery path"))?;
    let mut metadata: ServerMetadata = transport
        .send(Request::new(
            Method::GET,
            url,
            ErrorCode::Discovery,
            "the discovery endpoint",
        ))
        .await?
        .json()?;
    check_issuer(&metadata, base)?;
    if mtls {
        metadata.apply_mtls_aliases();
    }
    Ok(metadata)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metadata(issuer: &str) -> ServerMetadata {
        ServerMetadata {
            issuer: issuer.into(),
            ..Default::default()
        }
    }

    #[test]
    fn auth0_tenants_are_recognised_by_host_or_their_own_metadata() {
        for issuer in [
            "https://tenant.auth0.com/",
            "https://tenant.eu.auth0.com/",
            "https://Tenant.US.Auth0.com/",
            "https://x.auth0app.com/",
        ] {
            assert!(metadata(issuer).is_auth0(), "{issuer}");
        }
        for issuer in [
            "https://login.example.com/",
            "https://auth0.com.evil.example/",
            "https://evilauth0.com/",
            "not a url",
        ] {
            assert!(!metadata(issuer).is_auth0(), "{issuer}");
        }
        let mut custom = metadata("https://login.example.com/");
        custom.other.insert(
            "mfa_challenge_endpoint".into(),
            "https://login.example.com/mfa/challenge".into(),
        );
        assert!(custom.is_auth0());
    }

    #[test]
    fn a_missing_endpoint_falls_back_to_auth0_paths_only_for_auth0() {
        let code = ErrorCode::TokenRevocation;
        let base = Url::parse("https://tenant.auth0.com/").unwrap();
        let auth0 = metadata("https://tenant.auth0.com/");
        let url = auth0
            .endpoint_or_auth0_path("revocation_endpoint", None, &base, "oauth/revoke", code)
            .unwrap();
        assert_eq!(url.as_str(), "https://tenant.auth0.com/oauth/revoke");
        let advertised = "https://tenant.auth0.com/custom/revoke".to_string();
        let url = auth0
            .endpoint_or_auth0_path(
                "revocation_endpoint",
                Some(&advertised),
                &base,
                "oauth/revoke",
                code,
            )
            .unwrap();
        assert_eq!(url.as_str(), advertised);
        let other = metadata("https://login.example.com/");
        let base = Url::parse("https://login.example.com/").unwrap();
        let e = other
            .endpoint_or_auth0_path("revocation_endpoint", None, &base, "oauth/revoke", code)
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotSupported);
        assert!(e.message().contains("revocation_endpoint"), "{e}");
    }

    #[test]
    fn loopback_is_recognised() {
        for u in [
            "http://localhost:3000/",
            "http://127.0.0.1/",
            "http://127.8.9.1/",
            "http://[::1]:80/",
        ] {
            assert!(is_loopback(&Url::parse(u).unwrap()), "{u}");
        }
        for u in [
            "http://example.com/",
            "http://10.0.0.1/",
            "http://localhost.evil.com/",
        ] {
            assert!(!is_loopback(&Url::parse(u).unwrap()), "{u}");
            assert!(check_scheme(&Url::parse(u).unwrap()).is_err());
        }
        assert!(check_scheme(&Url::parse("ftp://localhost/").unwrap()).is_err());
    }

    #[test]
    fn token_url_is_memoised_per_document_and_errors_are_not() {
        let base = Url::parse("https://memo.example/").unwrap();
        let cache = DiscoveryCache::shared(DiscoveryCacheSettings::default(), &base, false);
        let doc = |url: &str| {
            Arc::new(ServerMetadata {
                issuer: "https://memo.example/".into(),
                token_endpoint: Some(url.into()),
                ..Default::default()
            })
        };
        let code = ErrorCode::TokenByClientCredentials;
        let first = doc("https://memo.example/oauth/token");
        assert_eq!(
            cache.token_url(&first, code).unwrap().as_str(),
            "https://memo.example/oauth/token"
        );
        assert_eq!(
            cache.token_url(&first, code).unwrap().as_str(),
            "https://memo.example/oauth/token"
        );
        // Another document (same text or not) is read afresh, and its checks still apply.
        let bad = doc("http://memo.example/oauth/token");
        assert!(cache.token_url(&bad, code).is_err());
        assert!(cache.token_url(&bad, code).is_err());
        let moved = doc("https://memo.example/v2/token");
        assert_eq!(
            cache.token_url(&moved, code).unwrap().as_str(),
            "https://memo.example/v2/token"
        );
        assert_eq!(
            cache.token_url(&first, code).unwrap().as_str(),
            "https://memo.example/oauth/token"
        );
    }

    #[test]
    fn cache_keys_fold_only_scheme_and_host_case() {
        let key = |u: &str| cache_key(&Url::parse(u).unwrap(), false);
        assert_eq!(
            key("HTTPS://Tenant.Auth0.COM/"),
            key("https://tenant.auth0.com/")
        );
        assert_ne!(
            key("https://t.example/Tenant/"),
            key("https://t.example/tenant/")
        );
        assert_ne!(
            cache_key(&Url::parse("https://t/").unwrap(), true),
            key("https://t/")
        );
    }

    #[test]
    fn a_loopback_alias_issuer_names_the_domain_to_use() {
        let m = ServerMetadata {
            issuer: "http://127.0.0.1:4000/".into(),
            ..Default::default()
        };
        let e = check_issuer(&m, &Url::parse("http://localhost:4000/").unwrap()).unwrap_err();
        assert!(
            e.message()
                .contains(r#"configure the domain as "http://127.0.0.1:4000/""#),
            "{e}"
        );
        // Another port, or a remote issuer: no advice to adopt it.
        for (issuer, base) in [
            ("http://127.0.0.1:4001/", "http://localhost:4000/"),
            ("https://evil.example/", "https://tenant.auth0.com/"),
            ("https://tenant.auth0.com/", "http://localhost:4000/"),
        ] {
            let m = ServerMetadata {
                issuer: issuer.into(),
                ..Default::default()
            };
            let e = check_issuer(&m, &Url::parse(base).unwrap()).unwrap_err();
            assert!(!e.message().contains("configure the domain"), "{e}");
        }
    }

    #[test]
    fn mtls_aliases_replace_plain_endpoints() {
        let mut m: ServerMetadata = serde_json::from_value(serde_json::json!({
            "issuer": "https://t/",
            "token_endpoint": "https://t/oauth/token",
            "userinfo_endpoint": "https://t/userinfo",
            "mtls_endpoint_aliases": {"token_endpoint": "https://mtls.t/oauth/token"},
            "custom": 1
        }))
        .unwrap();
        m.apply_mtls_aliases();
        assert_eq!(
            m.token_endpoint.as_deref(),
            Some("https://mtls.t/oauth/token")
        );
        assert_eq!(m.userinfo_endpoint.as_deref(), Some("https://t/userinfo"));
        assert_eq!(m.other["custom"], 1);
    }

    #[test]
    fn endpoints_must_be_https_unless_loopback() {
        let m = ServerMetadata {
            issuer: "https://t/".into(),
            token_endpoint: Some("http://evil.example/token".into()),
            ..Default::default()
        };
        let e = m.token_url(ErrorCode::TokenByPassword).unwrap_err();
        assert!(e.message().contains("plain http"), "{}", e.message());
        let m = ServerMetadata::default();
        assert_eq!(
            m.token_url(ErrorCode::TokenByPassword).unwrap_err().kind(),
            ErrorKind::NotSupported
        );
    }
}
