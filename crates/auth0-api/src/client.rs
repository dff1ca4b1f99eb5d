//! [`ApiClient`] and its builder: the tenant (or custom domains), the audience, the algorithm
//! allow-list, the clock leeway, the DPoP settings and the optional client credentials.
//!
//! Imports `error.rs` and `dpop.rs` (for the DPoP settings); builds `auth0_auth::AuthClient`s,
//! whose discovery and key-set caches are process-wide and shared with every other client of
//! the process.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use auth0_auth::{AuthClient, SecretString, SigningAlgorithm};
use url::Url;

use crate::dpop::{DpopNonces, DpopSettings};
use crate::error::ApiError;
use crate::metadata::{BearerMethod, ProtectedResourceMetadata};

/// The default clock leeway for `exp`, `nbf` and `iat` (60 seconds, as `auth0-auth` uses).
pub const DEFAULT_CLOCK_LEEWAY: Duration = Duration::from_secs(60);
/// How old a DPoP proof may be (`iat` up to 300 seconds in the past, as the reference).
pub const DEFAULT_DPOP_IAT_OFFSET: Duration = Duration::from_secs(300);
/// How far in the future a DPoP proof's `iat` may be (30 seconds, as the reference).
pub const DEFAULT_DPOP_IAT_LEEWAY: Duration = Duration::from_secs(30);
/// How many DPoP proof ids (`jti`) are remembered against replay, by default.
pub const DEFAULT_DPOP_REPLAY_CAPACITY: u64 = 100_000;
/// How many issuers' clients a domain list or resolver keeps.
const MAX_ISSUER_CLIENTS: u64 = 100;

/// The API identifier tokens must be issued for (their `aud`), as set up in the Auth0
/// dashboard, for example `https://api.example.com/`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Audience(String);

impl Audience {
    /// An audience.
    pub fn new(audience: impl Into<String>) -> Self {
        Self(audience.into())
    }

    /// The identifier.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How an API treats DPoP (RFC 9449), as `auth0-api-js` has it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum DpopMode {
    /// Bearer tokens and DPoP-bound tokens with proofs are both accepted; a bound token must
    /// come with the `DPoP` scheme and a valid proof. Challenges name both schemes.
    #[default]
    Allowed,
    /// Only DPoP-bound tokens with valid proofs are accepted. Challenges name `DPoP` only.
    Required,
    /// Only the `Bearer` scheme is accepted and DPoP is not looked at (a bound token is then
    /// accepted as a bearer token, as a resource server without DPoP support would).
    Disabled,
}

/// What a [`DomainResolver`] sees of a request: the URL it was made at (when given to the
/// request) and the token's issuer, read before any verification (untrusted).
#[derive(Clone, Copy, Debug)]
pub struct DomainContext<'a> {
    /// The request URL, from [`VerifyAccessTokenRequest::http_url`](crate::VerifyAccessTokenRequest::http_url).
    pub url: Option<&'a str>,
    /// The token's `iss`, not yet verified.
    pub unverified_issuer: &'a str,
}

/// Picks the tenant domains whose tokens a request may carry (multiple custom domains, or one
/// domain per host of a multi-tenant API). Return the allowed domains (`tenant.auth0.com`,
/// `https://login.example.com`); the token's `iss` must be one of them.
pub type DomainResolver = Arc<dyn Fn(&DomainContext<'_>) -> Vec<String> + Send + Sync>;

#[derive(Clone)]
pub(crate) enum Issuers {
    /// The builder's domain only.
    Single,
    /// A fixed list of issuer URLs (normalised).
    List(Vec<String>),
    /// Chosen per request.
    Resolver(DomainResolver),
}

/// Verifies the access tokens your API receives, and makes the calls an API makes as an Auth0
/// client. Build one per API and share it (it is cheap to clone).
#[derive(Clone)]
pub struct ApiClient {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub audience: Audience,
    /// The client for the builder's domain (with credentials when given).
    pub auth: AuthClient,
    /// The issuer URL of the builder's domain, normalised like listed domains.
    pub domain_issuer: String,
    pub issuers: Issuers,
    /// Clients for other issuers, by normalised issuer URL.
    pub issuer_clients: moka::future::Cache<String, AuthClient>,
    pub algs: Vec<SigningAlgorithm>,
    pub leeway: Duration,
    pub mode: DpopMode,
    pub dpop: DpopSettings,
    pub client_id: Option<String>,
    pub has_credentials: bool,
    pub discovery_ttl: Option<Duration>,
}

impl fmt::Debug for ApiClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiClient")
            .field("domain", &self.inner.domain_issuer)
            .field("audience", &self.inner.audience)
            .field("algorithms", &self.inner.algs)
            .field("dpop_mode", &self.inner.mode)
            .field("client_id", &self.inner.client_id)
            .finish_non_exhaustive()
    }
}

impl ApiClient {
    /// Starts configuring a client for the tenant `domain` (a host such as
    /// `tenant.eu.auth0.com`, or a full base URL; plain `http` only for loopback) and the API's
    /// `audience`.
    pub fn builder(domain: impl Into<String>, audience: Audience) -> ApiClientBuilder {
        ApiClientBuilder {
            domain: domain.into(),
            audience,
            algs: vec![SigningAlgorithm::RS256],
            leeway: DEFAULT_CLOCK_LEEWAY,
            issuers: None,
            mode: DpopMode::Allowed,
            dpop_algs: vec![SigningAlgorithm::ES256],
            iat_offset: DEFAULT_DPOP_IAT_OFFSET,
            iat_leeway: DEFAULT_DPOP_IAT_LEEWAY,
            nonces: None,
            replay_capacity: DEFAULT_DPOP_REPLAY_CAPACITY,
            client_id: None,
            client_secret: None,
            discovery_ttl: None,
        }
    }

    /// The API's audience.
    pub fn audience(&self) -> &Audience {
        &self.inner.audience
    }

    /// The DPoP mode.
    pub fn dpop_mode(&self) -> DpopMode {
        self.inner.mode
    }

    /// The `auth0-auth` client for the builder's domain (with the client credentials, when
    /// given), for any Authentication API call this crate does not wrap.
    pub fn auth_client(&self) -> &AuthClient {
        &self.inner.auth
    }

    /// A protected resource metadata document (RFC 9728) describing this API as configured: the
    /// audience as the resource identifier, the accepted issuers as authorization servers (the
    /// builder's domain when a resolver chooses them), the `header` bearer method, and the DPoP
    /// algorithms (unless DPoP is disabled) and requirement. Add to it with its setters, and
    /// check it with [`validated`](ProtectedResourceMetadata::validated).
    pub fn protected_resource_metadata(&self) -> ProtectedResourceMetadata {
        let servers = match &self.inner.issuers {
            Issuers::List(list) => list.clone(),
            Issuers::Single | Issuers::Resolver(_) => vec![self.inner.domain_issuer.clone()],
        };
        let mut doc = ProtectedResourceMetadata::new(self.inner.audience.as_str(), servers)
            .bearer_methods_supported([BearerMethod::Header]);
        if self.inner.mode != DpopMode::Disabled {
            doc = doc
                .dpop_signing_alg_values_supported(self.inner.dpop.algs.iter().map(|a| a.as_str()));
        }
        if self.inner.mode == DpopMode::Required {
            doc = doc.dpop_bound_access_tokens_required(true);
        }
        doc
    }

    /// Whether client credentials were configured (for the calls that need them).
    pub fn has_client_credentials(&self) -> bool {
        self.inner.has_credentials
    }

    /// The client for the issuer URL `issuer` (normalised): the builder's own, or one made (and
    /// kept) for a listed or resolved domain.
    pub(crate) async fn client_for(&self, issuer: &str) -> Result<AuthClient, ApiError> {
        if issuer == self.inner.domain_issuer {
            return Ok(self.inner.auth.clone());
        }
        let inner = &self.inner;
        inner
            .issuer_clients
            .try_get_with(issuer.to_string(), async {
                verification_client(
                    issuer,
                    inner.audience.as_str(),
                    inner.leeway,
                    inner.discovery_ttl,
                )
            })
            .await
            .map_err(|e| (*e).clone())
    }
}

fn verification_client(
    domain: &str,
    audience: &str,
    leeway: Duration,
    ttl: Option<Duration>,
) -> Result<AuthClient, ApiError> {
    // The client id is not used to verify access tokens; the audience stands in for it.
    let mut builder = AuthClient::builder(domain, audience).clock_leeway(leeway);
    if let Some(ttl) = ttl {
        builder = builder.discovery_cache_ttl(ttl);
    }
    builder.build().map_err(|e| {
        ApiError::config("the tenant domain cannot be used for a client").with_source(e)
    })
}

/// Normalises a tenant domain into the issuer URL its tokens carry: `https://{host}/` for a bare
/// host; a full URL must be `https` (or `http` on loopback) with no credentials, path, query or
/// fragment. The host is lower-cased.
pub(crate) fn normalize_domain(domain: &str) -> Result<String, String> {
    let trimmed = domain.trim();
    if trimmed.is_empty() {
        return Err("a domain must be a non-empty string".into());
    }
    let lower = trimmed.to_ascii_lowercase();
    let with_scheme = if lower.starts_with("https://") || lower.starts_with("http://") {
        trimmed.to_string()
    } else {
        format!("https://{trimmed}")
    };
    let url = Url::parse(&with_scheme).map_err(|_| "a domain is not a valid host or URL")?;
    let loopback = matches!(url.host_str(), Some("127.0.0.1" | "[::1]" | "localhost"));
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        _ => return Err("a domain URL must use https (http only for loopback)".into()),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("a domain URL must not carry credentials".into());
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("a domain URL must not carry a query or fragment".into());
    }
    if url.path() != "/" {
        return Err("a domain URL must not carry a path".into());
    }
    Ok(url.to_string())
}

/// Configures an [`ApiClient`]; finish with [`build`](Self::build).
pub struct ApiClientBuilder {
    domain: String,
    audience: Audience,
    algs: Vec<SigningAlgorithm>,
    leeway: Duration,
    issuers: Option<Issuers>,
    mode: DpopMode,
    dpop_algs: Vec<SigningAlgorithm>,
    iat_offset: Duration,
    iat_leeway: Duration,
    nonces: Option<Arc<dyn DpopNonces>>,
    replay_capacity: u64,
    client_id: Option<String>,
    client_secret: Option<SecretString>,
    discovery_ttl: Option<Duration>,
}

impl fmt::Debug for ApiClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiClientBuilder")
            .field("domain", &self.domain)
            .field("audience", &self.audience)
            .field("algorithms", &self.algs)
            .field("dpop_mode", &self.mode)
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "[redacted]"),
            )
            .finish_non_exhaustive()
    }
}

impl ApiClientBuilder {
    /// The algorithms access tokens may be signed with (default `RS256`). Symmetric algorithms
    /// are refused at [`build`](Self::build): an API has no shared secret with the tenant.
    pub fn algorithms(mut self, algs: impl IntoIterator<Item = SigningAlgorithm>) -> Self {
        self.algs = algs.into_iter().collect();
        self
    }

    /// The clock leeway for `exp`, `nbf` and `iat` (default 60 seconds).
    pub fn clock_leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// Accept tokens from these tenant domains (custom domains): a token's `iss` must be one of
    /// them, and is verified with that domain's keys. Replaces the builder's domain for
    /// verification (which still serves the client calls).
    pub fn domains<I, S>(mut self, domains: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.issuers = Some(Issuers::List(domains.into_iter().map(Into::into).collect()));
        self
    }

    /// Choose the accepted tenant domains per request (see [`DomainResolver`]). Replaces the
    /// builder's domain for verification.
    pub fn domain_resolver(mut self, resolver: DomainResolver) -> Self {
        self.issuers = Some(Issuers::Resolver(resolver));
        self
    }

    /// How DPoP is treated (default [`DpopMode::Allowed`]).
    pub fn dpop_mode(mut self, mode: DpopMode) -> Self {
        self.mode = mode;
        self
    }

    /// The algorithms DPoP proofs may be signed with (default `ES256`, as the reference);
    /// asymmetric only.
    pub fn dpop_signing_algs(mut self, algs: impl IntoIterator<Item = SigningAlgorithm>) -> Self {
        self.dpop_algs = algs.into_iter().collect();
        self
    }

    /// How old a proof's `iat` may be (default 300 seconds).
    pub fn dpop_iat_offset(mut self, offset: Duration) -> Self {
        self.iat_offset = offset;
        self
    }

    /// How far in the future a proof's `iat` may be (default 30 seconds).
    pub fn dpop_iat_leeway(mut self, leeway: Duration) -> Self {
        self.iat_leeway = leeway;
        self
    }

    /// Demand server-provided nonces in DPoP proofs (RFC 9449 §9).
    pub fn dpop_nonces(mut self, nonces: Arc<dyn DpopNonces>) -> Self {
        self.nonces = Some(nonces);
        self
    }

    /// How many proof ids are remembered against replay (default 100,000). When full, the
    /// least used are forgotten first.
    pub fn dpop_replay_cache_capacity(mut self, capacity: u64) -> Self {
        self.replay_capacity = capacity;
        self
    }

    /// The API's own Auth0 application, for the calls it makes as a client (Token Vault,
    /// token exchange).
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        self.client_id = Some(client_id.into());
        self
    }

    /// The secret of [`client_id`](Self::client_id)'s application.
    pub fn client_secret(mut self, secret: SecretString) -> Self {
        self.client_secret = Some(secret);
        self
    }

    /// How long discovery documents are cached (the process-wide cache of `auth0-auth`).
    pub fn discovery_cache_ttl(mut self, ttl: Duration) -> Self {
        self.discovery_ttl = Some(ttl);
        self
    }

    /// Checks the configuration and builds the client.
    pub fn build(self) -> Result<ApiClient, ApiError> {
        use secrecy::ExposeSecret;
        if self.audience.as_str().trim().is_empty() {
            return Err(ApiError::config("the audience must not be empty"));
        }
        if self.algs.is_empty() {
            return Err(ApiError::config(
                "the algorithm allow-list must not be empty",
            ));
        }
        if self.algs.contains(&SigningAlgorithm::HS256) {
            return Err(ApiError::config(
                "symmetric algorithms (HS256) cannot verify access tokens at an API",
            ));
        }
        if self.dpop_algs.is_empty() || self.dpop_algs.contains(&SigningAlgorithm::HS256) {
            return Err(ApiError::config(
                "DPoP proofs need a non-empty list of asymmetric algorithms",
            ));
        }
        if self.replay_capacity == 0 {
            return Err(ApiError::config(
                "the DPoP replay cache needs room for proofs",
            ));
        }
        let domain_issuer = normalize_domain(&self.domain)
            .map_err(|m| ApiError::config(format!("invalid domain: {m}")))?;
        let issuers = match self.issuers {
            None => Issuers::Single,
            Some(Issuers::List(list)) => {
                if list.is_empty() {
                    return Err(ApiError::config("the domain list must not be empty"));
                }
                let mut normalized = Vec::with_capacity(list.len());
                for d in &list {
                    let n = normalize_domain(d).map_err(|m| {
                        ApiError::config(format!("invalid domain in the list: {m}"))
                    })?;
                    if !normalized.contains(&n) {
                        normalized.push(n);
                    }
                }
                Issuers::List(normalized)
            }
            Some(other) => other,
        };
        if self.client_secret.is_some() && self.client_id.is_none() {
            return Err(ApiError::config("a client secret needs a client_id"));
        }
        let has_credentials = self.client_secret.is_some();
        let mut auth = AuthClient::builder(
            domain_issuer.trim_end_matches('/'),
            self.client_id
                .clone()
                .unwrap_or_else(|| self.audience.as_str().to_string()),
        )
        .clock_leeway(self.leeway);
        if let Some(secret) = &self.client_secret {
            auth = auth.client_secret(secret.expose_secret());
        }
        if let Some(ttl) = self.discovery_ttl {
            auth = auth.discovery_cache_ttl(ttl);
        }
        let auth = auth.build().map_err(|e| {
            ApiError::config("the tenant domain cannot be used for a client").with_source(e)
        })?;
        Ok(ApiClient {
            inner: Arc::new(Inner {
                audience: self.audience,
                auth,
                domain_issuer,
                issuers,
                issuer_clients: moka::future::Cache::builder()
                    .max_capacity(MAX_ISSUER_CLIENTS)
                    .build(),
                algs: self.algs,
                leeway: self.leeway,
                mode: self.mode,
                dpop: DpopSettings::new(
                    self.dpop_algs,
                    self.iat_offset,
                    self.iat_leeway,
                    self.nonces,
                    self.replay_capacity,
                ),
                client_id: self.client_id,
                has_credentials,
                discovery_ttl: self.discovery_ttl,
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_normalise_to_issuer_urls() {
        assert_eq!(
            normalize_domain("Tenant.Auth0.com").unwrap(),
            "https://tenant.auth0.com/"
        );
        assert_eq!(
            normalize_domain(" https://login.example.com/ ").unwrap(),
            "https://login.example.com/"
        );
        assert_eq!(
            normalize_domain("http://127.0.0.1:3000").unwrap(),
            "http://127.0.0.1:3000/"
        );
        for bad in [
            "",
            "http://tenant.auth0.com",
            "https://u:p@tenant.auth0.com",
            "https://tenant.auth0.com/path",
            "https://tenant.auth0.com/?q=1",
            "https://tenant.auth0.com/#f",
            "ftp://tenant.auth0.com",
        ] {
            assert!(normalize_domain(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_metadata_document_describes_the_configuration() {
        let api = ApiClient::builder(
            "tenant.auth0.com",
            Audience::new("https://api.example.com/"),
        )
        .dpop_mode(DpopMode::Required)
        .domains(["tenant.auth0.com", "login.example.com"])
        .build()
        .unwrap();
        let doc =
            serde_json::to_value(api.protected_resource_metadata().validated().unwrap()).unwrap();
        assert_eq!(
            doc,
            serde_json::json!({
                "resource": "https://api.example.com/",
                "authorization_servers": ["https://tenant.auth0.com/", "https://login.example.com/"],
                "bearer_methods_supported": ["header"],
                "dpop_signing_alg_values_supported": ["ES256"],
                "dpop_bound_access_tokens_required": true,
            })
        );
        let plain = ApiClient::builder(
            "tenant.auth0.com",
            Audience::new("https://api.example.com/"),
        )
        .dpop_mode(DpopMode::Disabled)
        .build()
        .unwrap();
        let doc = serde_json::to_value(plain.protected_resource_metadata()).unwrap();
        assert_eq!(
            doc["authorization_servers"],
            serde_json::json!(["https://tenant.auth0.com/"])
        );
        assert!(doc.get("dpop_signing_alg_values_supported").is_none());
    }

    #[test]
    fn the_builder_refuses_unsafe_configurations() {
        let b = || ApiClient::builder("tenant.auth0.com", Audience::new("https://api/"));
        assert!(b().build().is_ok());
        assert!(
            ApiClient::builder("t.auth0.com", Audience::new(" "))
                .build()
                .is_err()
        );
        assert!(b().algorithms([]).build().is_err());
        assert!(b().algorithms([SigningAlgorithm::HS256]).build().is_err());
        assert!(
            b().dpop_signing_algs([SigningAlgorithm::HS256])
                .build()
                .is_err()
        );
        assert!(b().domains(Vec::<String>::new()).build().is_err());
        assert!(b().domains(["http://evil.example"]).build().is_err());
        assert!(b().client_secret(SecretString::from("s")).build().is_err());
        assert!(b().dpop_replay_cache_capacity(0).build().is_err());
        let c = b()
            .client_id("app")
            .client_secret(SecretString::from("very-secret"))
            .build()
            .unwrap();
        assert!(c.has_client_credentials());
        assert!(!format!("{c:?}").contains("very-secret"));
        let builder = b().client_secret(SecretString::from("very-secret"));
        assert!(!format!("{builder:?}").contains("very-secret"));
    }
}
