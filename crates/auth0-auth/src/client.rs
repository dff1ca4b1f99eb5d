//! [`AuthClient`] and its builder.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::header::HeaderValue;
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use crate::authorize::AuthorizationParams;
use crate::client_auth::{ClientAuth, ClientSecretMethod, SecretMethod};
use crate::discovery::{DiscoveryCache, DiscoveryCacheSettings, ServerMetadata, check_scheme};
use crate::error::{Error, ErrorCode, ErrorKind, Result};
use crate::http::Transport;
use crate::jwt::{JwtSigner, SigningAlgorithm, ensure_crypto_provider};
use crate::request_options::RequestOptions;
use crate::retry::{Retrier, RetryPolicy};

/// The default clock leeway for token validation.
pub const DEFAULT_CLOCK_LEEWAY: Duration = Duration::from_secs(60);
/// The default timeout of one HTTP request, body included.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// The default timeout for opening a connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// The default cap on a response body.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 1024 * 1024;

/// The parameter that names the API a token is for.
///
/// Auth0 uses `audience`; standard providers implementing resource indicators (RFC 8707)
/// use `resource`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AudienceParameter {
    /// `audience` (Auth0; the default).
    #[default]
    Audience,
    /// `resource` (RFC 8707).
    Resource,
}

/// The `Auth0-Client` telemetry header sent with every request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Telemetry {
    /// This crate's name and version (the default).
    #[default]
    Default,
    /// A wrapper's own name and version.
    Custom {
        /// The SDK name.
        name: String,
        /// The SDK version.
        version: String,
    },
    /// No telemetry header.
    Disabled,
}

impl Telemetry {
    /// The header value: base64 of `{"name":…,"version":…}`.
    pub(crate) fn header(&self) -> Option<HeaderValue> {
        let (name, version) = match self {
            Self::Default => (env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION")),
            Self::Custom { name, version } => (name.as_str(), version.as_str()),
            Self::Disabled => return None,
        };
        let json = serde_json::json!({ "name": name, "version": version });
        HeaderValue::from_str(&STANDARD.encode(json.to_string())).ok()
    }
}

/// A client of one Auth0 tenant (or any OpenID Provider) for one application.
///
/// Cheap to clone (an `Arc` inside), `Send + Sync`, meant to be built once and shared.
///
/// ```no_run
/// # async fn demo() -> auth0_auth::Result<()> {
/// use auth0_auth::{AuthClient, ClientCredentialsRequest};
///
/// let client = AuthClient::builder("tenant.eu.auth0.com", "my-client-id")
///     .client_secret("my-client-secret")
///     .build()?;
/// let tokens = client
///     .get_token_by_client_credentials(ClientCredentialsRequest::new().audience("https://api.example.com/"))
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct AuthClient {
    pub(crate) inner: Arc<Inner>,
    /// Per-call options of a view made by [`AuthClient::with_options`].
    pub(crate) options: Option<Arc<RequestOptions>>,
}

pub(crate) struct Inner {
    pub base: Url,
    /// The domain was given without a scheme, so `https://` was assumed.
    pub scheme_assumed: bool,
    pub client_id: String,
    pub auth: ClientAuth,
    pub transport: Transport,
    pub discovery: DiscoveryCache,
    pub use_mtls: bool,
    pub authorization_params: AuthorizationParams,
    pub leeway: Duration,
    pub id_token_algs: IdTokenAlgs,
    pub audience_parameter: AudienceParameter,
    pub dpop: Option<crate::dpop::Dpop>,
}

impl fmt::Debug for AuthClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthClient")
            .field("base_url", &self.inner.base.as_str())
            .field("client_id", &self.inner.client_id)
            .field("client_auth", &self.inner.auth)
            .finish_non_exhaustive()
    }
}

impl AuthClient {
    /// Starts configuring a client for `domain` (a tenant host such as
    /// `tenant.eu.auth0.com`, or a full base URL) and the application's `client_id`.
    pub fn builder(domain: impl Into<String>, client_id: impl Into<String>) -> AuthClientBuilder {
        AuthClientBuilder::new(domain.into(), client_id.into())
    }

    /// A view of this client whose calls use `options` (extra headers, a timeout, another
    /// HTTP client, a response recorder). The client itself is unchanged; the view shares
    /// its configuration and caches.
    pub fn with_options(&self, options: RequestOptions) -> AuthClient {
        AuthClient {
            inner: self.inner.clone(),
            options: Some(Arc::new(options)),
        }
    }

    /// Sends an operation's request through the transport with this view's options.
    ///
    /// The transport's future itself, not one wrapped around it: one layer fewer to move the
    /// request through.
    pub(crate) fn send(
        &self,
        request: crate::http::Request,
    ) -> impl Future<Output = Result<crate::http::Response>> + Send + '_ {
        self.inner
            .transport
            .send_with(request, self.options.as_deref())
    }

    /// The base URL every endpoint is derived from (`https://{domain}/`).
    pub fn base_url(&self) -> &Url {
        &self.inner.base
    }

    /// The application's client id.
    pub fn client_id(&self) -> &str {
        &self.inner.client_id
    }

    /// The tenant's OpenID Provider metadata, from the shared discovery cache.
    ///
    /// ```no_run
    /// # async fn demo(client: auth0_auth::AuthClient) -> auth0_auth::Result<()> {
    /// let metadata = client.server_metadata().await?;
    /// println!("tokens come from {:?}", metadata.token_endpoint);
    /// # Ok(()) }
    /// ```
    pub async fn server_metadata(&self) -> Result<Arc<ServerMetadata>> {
        self.metadata(ErrorCode::Discovery).await
    }

    /// The metadata, with discovery errors labelled as part of the operation `code`.
    pub(crate) async fn metadata(&self, code: ErrorCode) -> Result<Arc<ServerMetadata>> {
        let i = &self.inner;
        let metadata = i
            .discovery
            .get(&i.transport, &i.base, i.use_mtls)
            .await
            .map_err(|mut e| {
                if i.scheme_assumed && matches!(e.kind(), ErrorKind::Transport | ErrorKind::Timeout)
                {
                    e.append_message(&scheme_assumed_hint(&i.base));
                }
                e.in_operation(code)
            })?;
        i.auth.adopt_metadata(&metadata);
        i.id_token_algs.adopt_metadata(&metadata);
        Ok(metadata)
    }
}

/// The ID-token algorithm allow-list: the configured one, or the one read from the
/// provider's `id_token_signing_alg_values_supported` when the builder asked for that and no
/// list was set explicitly. Reads as a slice.
pub(crate) struct IdTokenAlgs {
    configured: Vec<SigningAlgorithm>,
    follow_metadata: bool,
    chosen: std::sync::OnceLock<Vec<SigningAlgorithm>>,
}

impl IdTokenAlgs {
    fn new(configured: Vec<SigningAlgorithm>, follow_metadata: bool) -> Self {
        Self {
            configured,
            follow_metadata,
            chosen: std::sync::OnceLock::new(),
        }
    }

    /// Takes the list from the metadata, once (see [`id_token_algs_from_metadata`]).
    fn adopt_metadata(&self, metadata: &ServerMetadata) {
        if self.follow_metadata
            && let Some(algs) = id_token_algs_from_metadata(
                metadata.id_token_signing_alg_values_supported.as_deref(),
            )
        {
            let _ = self.chosen.set(algs);
        }
    }
}

impl std::ops::Deref for IdTokenAlgs {
    type Target = [SigningAlgorithm];

    fn deref(&self) -> &[SigningAlgorithm] {
        self.chosen.get().unwrap_or(&self.configured)
    }
}

/// The ID-token algorithms to allow from a provider's `id_token_signing_alg_values_supported`:
/// the asymmetric ones this crate verifies, in the provider's order. `none` and unknown names
/// are dropped, and so is `HS256`, which keys tokens with the client secret and must be
/// allowed explicitly. `None` when nothing usable is left (the configured list then stays).
pub(crate) fn id_token_algs_from_metadata(
    supported: Option<&[String]>,
) -> Option<Vec<SigningAlgorithm>> {
    let mut algs: Vec<SigningAlgorithm> = Vec::new();
    for alg in supported?
        .iter()
        .filter_map(|name| SigningAlgorithm::from_name(name))
    {
        if alg != SigningAlgorithm::HS256 && !algs.contains(&alg) {
            algs.push(alg);
        }
    }
    (!algs.is_empty()).then_some(algs)
}

/// Configures an [`AuthClient`]; finish with [`build`](Self::build).
pub struct AuthClientBuilder {
    domain: String,
    client_id: String,
    client_secret: Option<SecretString>,
    signing_key: Option<SecretString>,
    signing_alg: SigningAlgorithm,
    signing_kid: Option<String>,
    secret_method: ClientSecretMethod,
    secret_method_explicit: bool,
    use_mtls: bool,
    http_client: Option<reqwest::Client>,
    authorization_params: AuthorizationParams,
    discovery: DiscoveryCacheSettings,
    telemetry: Telemetry,
    leeway: Duration,
    timeout: Duration,
    connect_timeout: Duration,
    max_response_bytes: usize,
    id_token_algs: Vec<SigningAlgorithm>,
    id_token_algs_explicit: bool,
    defaults_from_metadata: bool,
    retry: Option<RetryPolicy>,
    audience_parameter: AudienceParameter,
    dpop: Option<crate::dpop::DpopKey>,
    warm_up: bool,
}

impl fmt::Debug for AuthClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthClientBuilder")
            .field("domain", &self.domain)
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "[redacted]"),
            )
            .field(
                "signing_key",
                &self.signing_key.as_ref().map(|_| "[redacted]"),
            )
            .field("signing_alg", &self.signing_alg)
            .field("use_mtls", &self.use_mtls)
            .finish_non_exhaustive()
    }
}

impl AuthClientBuilder {
    fn new(domain: String, client_id: String) -> Self {
        Self {
            domain,
            client_id,
            client_secret: None,
            signing_key: None,
            signing_alg: SigningAlgorithm::RS256,
            signing_kid: None,
            secret_method: ClientSecretMethod::Post,
            secret_method_explicit: false,
            use_mtls: false,
            http_client: None,
            authorization_params: AuthorizationParams::default(),
            discovery: DiscoveryCacheSettings::default(),
            telemetry: Telemetry::Default,
            leeway: DEFAULT_CLOCK_LEEWAY,
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            id_token_algs: vec![SigningAlgorithm::RS256],
            id_token_algs_explicit: false,
            defaults_from_metadata: false,
            retry: None,
            audience_parameter: AudienceParameter::Audience,
            dpop: None,
            warm_up: true,
        }
    }

    /// Whether [`build`](Self::build) starts the process's one-time TLS costs on a background
    /// thread (on by default): seeding aws-lc's random generator, which takes tens of
    /// milliseconds on its first use (unless aws-lc was built with
    /// `AWS_LC_SYS_NO_JITTER_ENTROPY=1`), and loading the system's CA roots. An app that builds
    /// its client at start-up then finds them paid at its first call. Each runs at most once
    /// per process, whichever client starts it; `build` never waits for it.
    ///
    /// With `false`, this build starts nothing and the first request pays the costs itself:
    /// for a process that must not start threads (one that forks after building its client,
    /// for instance), or a program that calls the moment it has built its client, which the
    /// warm-up cannot help (both wait for the same seeding) and the extra thread may slow by
    /// a millisecond on a busy machine.
    pub fn warm_up(mut self, on: bool) -> Self {
        self.warm_up = on;
        self
    }

    /// Binds tokens to this DPoP key (RFC 9449): token, PAR and user-info requests carry
    /// proofs, and a server's nonce demand is answered once.
    pub fn dpop_key(mut self, key: crate::dpop::DpopKey) -> Self {
        self.dpop = Some(key);
        self
    }

    /// Which parameter names the API (`audience` for Auth0, the default; `resource` for RFC
    /// 8707 providers). It applies to every request that names one: the authorization URL,
    /// pushed authorization requests, CIBA, the device authorization request and every grant
    /// at the token endpoint. Under `Resource` the code exchange also sends the login's
    /// audience as `resource` (see [`TokenByCodeRequest::resource`](crate::TokenByCodeRequest::resource)).
    pub fn audience_parameter(mut self, parameter: AudienceParameter) -> Self {
        self.audience_parameter = parameter;
        self
    }

    /// Retries rate-limited and failed calls under `policy` (off by default): safe calls on
    /// 429/5xx/connection failures, token requests only when the server asked to retry
    /// (`Retry-After` / `X-RateLimit-Reset`).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// Authenticates with `client_secret_post`.
    pub fn client_secret(mut self, secret: impl Into<String>) -> Self {
        self.client_secret = Some(SecretString::from(secret.into()));
        self
    }

    /// How the client secret is sent to OAuth endpoints: in the body (`client_secret_post`,
    /// the default) or as an `Authorization: Basic` header (`client_secret_basic`, which some
    /// providers other than Auth0 require).
    pub fn client_secret_method(mut self, method: ClientSecretMethod) -> Self {
        self.secret_method = method;
        self.secret_method_explicit = true;
        self
    }

    /// Reads defaults from the provider's discovery document (off by default): the client
    /// secret method becomes the strongest one `token_endpoint_auth_methods_supported` lists
    /// (`client_secret_jwt`, then `client_secret_basic`, then `client_secret_post`; no list
    /// means `client_secret_basic`, RFC 8414), and the ID-token algorithms the asymmetric ones
    /// of `id_token_signing_alg_values_supported` (never `HS256` or `none`).
    ///
    /// Explicit settings always win: [`client_secret_method`](Self::client_secret_method) and
    /// [`id_token_signing_algs`](Self::id_token_signing_algs) are never replaced, and neither
    /// is a private key or mTLS. The choice is made once, when the document is first fetched
    /// (every call that talks to the provider fetches it first); when the document offers
    /// nothing usable, the configured value stays.
    ///
    /// ```no_run
    /// # fn demo() -> auth0_auth::Result<()> {
    /// let client = auth0_auth::AuthClient::builder("https://login.example.com", "my-client-id")
    ///     .client_secret("my-client-secret")
    ///     .defaults_from_metadata(true)
    ///     .build()?;
    /// # Ok(()) }
    /// ```
    pub fn defaults_from_metadata(mut self, on: bool) -> Self {
        self.defaults_from_metadata = on;
        self
    }

    /// Authenticates with `private_key_jwt`, signing assertions with this PKCS#8 PEM private
    /// key (parsed once, at [`build`](Self::build)). Takes precedence over a client secret.
    pub fn client_assertion_signing_key(mut self, pkcs8_pem: impl Into<String>) -> Self {
        self.signing_key = Some(SecretString::from(pkcs8_pem.into()));
        self
    }

    /// The algorithm of client assertions (default `RS256`; also RS384, RS512, PS256, ES256,
    /// ES384, …).
    pub fn client_assertion_signing_alg(mut self, alg: SigningAlgorithm) -> Self {
        self.signing_alg = alg;
        self
    }

    /// A `kid` header for client assertions, for providers that need one to pick the key.
    pub fn client_assertion_kid(mut self, kid: impl Into<String>) -> Self {
        self.signing_kid = Some(kid.into());
        self
    }

    /// Authenticates with mutual TLS: the [`http_client`](Self::http_client) must carry the
    /// client certificate; the discovery document's `mtls_endpoint_aliases` are used. Takes
    /// precedence over every other method.
    pub fn use_mtls(mut self, on: bool) -> Self {
        self.use_mtls = on;
        self
    }

    /// Sends every request with this HTTP client (proxies, custom roots, client certificates).
    ///
    /// Without one, the builder uses its own: it never follows redirects, trusts the system's
    /// CA roots (loaded once per process), and is shared by every client built in the same
    /// async runtime with the same connect timeout, so a new client reuses open connections.
    /// Configure yours without redirects too (`reqwest::redirect::Policy::none()`), so a token
    /// request is never replayed elsewhere.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// Parameters merged into every authorization request.
    pub fn authorization_params(mut self, params: AuthorizationParams) -> Self {
        self.authorization_params = params;
        self
    }

    /// How long discovery documents are cached (default 600 s).
    pub fn discovery_cache_ttl(mut self, ttl: Duration) -> Self {
        self.discovery.ttl = ttl;
        self
    }

    /// How many tenants' discovery documents are cached (default 100).
    pub fn discovery_cache_max_entries(mut self, max: u64) -> Self {
        self.discovery.max_entries = max;
        self
    }

    /// The `Auth0-Client` header (on by default).
    pub fn telemetry(mut self, telemetry: Telemetry) -> Self {
        self.telemetry = telemetry;
        self
    }

    /// How much clock difference token validation tolerates (default 60 s).
    pub fn clock_leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// The timeout of one request, body included (default 10 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The timeout for opening a connection with the builder's own HTTP client (default 5 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The largest response body read (default 1 MiB); larger ones fail.
    pub fn max_response_bytes(mut self, max: usize) -> Self {
        self.max_response_bytes = max;
        self
    }

    /// The algorithms ID tokens may be signed with (default `[RS256]`). `HS256` verifies with
    /// the client secret; add it only if the tenant signs ID tokens that way.
    pub fn id_token_signing_algs(
        mut self,
        algs: impl IntoIterator<Item = SigningAlgorithm>,
    ) -> Self {
        self.id_token_algs = algs.into_iter().collect();
        self.id_token_algs_explicit = true;
        self
    }

    /// Checks the configuration and makes the client.
    ///
    /// Refused: an empty client id, a domain that is neither a host nor a URL, plain `http://`
    /// for a host that is not loopback, a signing key that cannot be read for its algorithm,
    /// an empty client secret, and mTLS without an HTTP client
    /// (`mtls_without_custom_fetch_not_supported`).
    pub fn build(self) -> Result<AuthClient> {
        ensure_crypto_provider();
        let client_id = self.client_id.trim().to_string();
        if client_id.is_empty() {
            return Err(Error::config("the client id must not be empty"));
        }
        let base = base_url(&self.domain).map_err(Error::config)?;
        if self.id_token_algs.is_empty() {
            return Err(Error::config(
                "at least one ID-token signing algorithm must be allowed",
            ));
        }
        if self.timeout.is_zero() {
            return Err(Error::config("the request timeout must be more than zero"));
        }
        let auth = if self.use_mtls {
            if self.http_client.is_none() {
                return Err(Error::new(
                    ErrorCode::MtlsWithoutCustomFetch,
                    ErrorKind::Configuration,
                    "mTLS needs an HTTP client that carries the client certificate: pass one \
                     with `http_client`",
                ));
            }
            ClientAuth::Mtls
        } else if let Some(pem) = &self.signing_key {
            let signer = JwtSigner::from_pem(
                pem.expose_secret(),
                self.signing_alg,
                self.signing_kid.as_deref(),
            )
            .map_err(|e| Error::config(format!("client assertion signing key: {e}")))?;
            ClientAuth::PrivateKeyJwt(signer)
        } else if let Some(secret) = self.client_secret {
            if secret.expose_secret().is_empty() {
                return Err(Error::config("the client secret must not be empty"));
            }
            let follow = self.defaults_from_metadata && !self.secret_method_explicit;
            ClientAuth::Secret(secret, SecretMethod::new(self.secret_method, follow))
        } else {
            ClientAuth::None
        };
        if self.id_token_algs.contains(&SigningAlgorithm::HS256) && auth.secret().is_none() {
            return Err(Error::config(
                "HS256 ID tokens are verified with the client secret, and none is configured",
            ));
        }
        if self.warm_up {
            // Roots only for the builder's own HTTP client: a caller's brings its own.
            crate::warm_up::start(self.http_client.is_none());
        }
        let (client, client_timeout) = match self.http_client {
            Some(c) => (c, None),
            None => (
                crate::http::default_client(self.connect_timeout, self.timeout)?,
                Some(self.timeout),
            ),
        };
        let discovery = DiscoveryCache::shared(self.discovery, &base, self.use_mtls);
        Ok(AuthClient {
            options: None,
            inner: Arc::new(Inner {
                scheme_assumed: !self.domain.contains("://"),
                base,
                client_id,
                auth,
                transport: Transport {
                    client,
                    telemetry: self.telemetry.header(),
                    timeout: self.timeout,
                    client_timeout,
                    max_response_bytes: self.max_response_bytes,
                    retry: self.retry.map(|p| Arc::new(Retrier::new(p))),
                },
                discovery,
                use_mtls: self.use_mtls,
                authorization_params: self.authorization_params,
                leeway: self.leeway,
                id_token_algs: IdTokenAlgs::new(
                    self.id_token_algs,
                    self.defaults_from_metadata && !self.id_token_algs_explicit,
                ),
                audience_parameter: self.audience_parameter,
                dpop: self.dpop.map(crate::dpop::Dpop::new),
            }),
        })
    }
}

/// Explains, after a failed first connection, that a domain given without a scheme was read
/// as `https://`; for a loopback host, names the `http://` form a local tenant usually needs.
fn scheme_assumed_hint(base: &Url) -> String {
    let mut hint = format!(
        " (the domain was given without a scheme and read as {}",
        base.as_str()
    );
    if crate::discovery::is_loopback(base) {
        let mut plain = base.clone();
        if plain.set_scheme("http").is_ok() {
            hint.push_str(&format!(
                "; a local tenant over plain HTTP is configured as {}",
                plain.as_str()
            ));
        }
    }
    hint.push(')');
    hint
}

/// The base URL of a domain: a bare host (with optional port) becomes `https://{host}/`; a full
/// URL is kept (with a trailing slash), and `http://` is allowed for loopback hosts only.
pub(crate) fn base_url(domain: &str) -> std::result::Result<Url, String> {
    let domain = domain.trim();
    if domain.is_empty() {
        return Err("the domain must not be empty".into());
    }
    let has_scheme = domain.contains("://");
    let text = if has_scheme {
        domain.to_string()
    } else {
        format!("https://{domain}")
    };
    let bad = || format!("the domain {domain:?} is neither a host name nor an http(s) URL");
    let mut url = Url::parse(&text).map_err(|_| bad())?;
    if url.host_str().is_none_or(str::is_empty)
        || url.query().is_some()
        || url.fragment().is_some()
        || !url.username().is_empty()
        || url.password().is_some()
    {
        return Err(bad());
    }
    if !has_scheme && url.path() != "/" {
        return Err(bad());
    }
    check_scheme(&url).map_err(|why| format!("the domain {domain:?} {why}"))?;
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_become_base_urls() {
        let ok = [
            ("tenant.eu.auth0.com", "https://tenant.eu.auth0.com/"),
            ("  Tenant.auth0.com ", "https://tenant.auth0.com/"),
            ("login.example.com:8443", "https://login.example.com:8443/"),
            ("https://login.example.com", "https://login.example.com/"),
            (
                "https://login.example.com/tenant",
                "https://login.example.com/tenant/",
            ),
            ("http://127.0.0.1:3000", "http://127.0.0.1:3000/"),
            ("http://localhost:3000/", "http://localhost:3000/"),
            ("http://[::1]:3000", "http://[::1]:3000/"),
        ];
        for (domain, base) in ok {
            assert_eq!(base_url(domain).unwrap().as_str(), base, "{domain}");
        }
    }

    #[test]
    fn bad_domains_are_refused_with_a_reason() {
        for bad in [
            "",
            "not a domain",
            "http://tenant.auth0.com",
            "ftp://tenant.auth0.com",
            "https://",
            "tenant.auth0.com/path",
            "https://u:p@tenant.auth0.com",
            "https://tenant.auth0.com/?x=1",
        ] {
            assert!(base_url(bad).is_err(), "{bad:?} should be refused");
        }
        assert!(
            base_url("http://example.com")
                .unwrap_err()
                .contains("plain http")
        );
    }

    #[test]
    fn telemetry_header_is_base64_json_of_name_and_version() {
        let h = Telemetry::Default.header().unwrap();
        let json: serde_json::Value =
            serde_json::from_slice(&STANDARD.decode(h.as_bytes()).unwrap()).unwrap();
        assert_eq!(json["name"], "auth0-auth");
        assert_eq!(json["version"], env!("CARGO_PKG_VERSION"));
        assert!(Telemetry::Disabled.header().is_none());
    }

    #[test]
    fn build_refuses_invalid_configuration() {
        let e = AuthClient::builder("t.auth0.com", " ").build().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Configuration);
        let e = AuthClient::builder("t.auth0.com", "c")
            .use_mtls(true)
            .build()
            .unwrap_err();
        assert_eq!(e.code().as_str(), "mtls_without_custom_fetch_not_supported");
        let e = AuthClient::builder("t.auth0.com", "c")
            .client_assertion_signing_key("garbage")
            .build()
            .unwrap_err();
        assert!(e.message().contains("signing key"), "{}", e.message());
        let e = AuthClient::builder("t.auth0.com", "c")
            .client_secret("")
            .build()
            .unwrap_err();
        assert!(e.message().contains("secret"));
    }

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn id_token_algs_from_metadata_keep_the_asymmetric_known_ones() {
        let pick = |list: &[&str]| id_token_algs_from_metadata(Some(&names(list)));
        assert_eq!(
            pick(&["HS256", "RS256", "PS256", "none", "EdDSA", "RS256"]),
            Some(vec![SigningAlgorithm::RS256, SigningAlgorithm::PS256])
        );
        assert_eq!(pick(&["ES256"]), Some(vec![SigningAlgorithm::ES256]));
        assert_eq!(pick(&["HS256", "none"]), None);
        assert_eq!(id_token_algs_from_metadata(None), None);
    }

    fn document() -> ServerMetadata {
        ServerMetadata {
            issuer: "https://op.example/".into(),
            id_token_signing_alg_values_supported: Some(names(&["ES256", "RS256"])),
            token_endpoint_auth_methods_supported: Some(names(&[
                "client_secret_basic",
                "client_secret_post",
            ])),
            ..Default::default()
        }
    }

    #[test]
    fn defaults_from_metadata_apply_only_when_asked_and_not_set_explicitly() {
        let build = |b: AuthClientBuilder| {
            let c = b.build().unwrap();
            c.inner.auth.adopt_metadata(&document());
            c.inner.id_token_algs.adopt_metadata(&document());
            c
        };
        let base = || AuthClient::builder("https://op.example", "c").client_secret("s");
        let uses_basic = |c: &AuthClient| c.inner.auth.form("c", "a").unwrap().header.is_some();

        let off = build(base());
        assert!(!uses_basic(&off));
        assert_eq!(&*off.inner.id_token_algs, [SigningAlgorithm::RS256]);

        let on = build(base().defaults_from_metadata(true));
        assert!(uses_basic(&on));
        assert_eq!(
            &*on.inner.id_token_algs,
            [SigningAlgorithm::ES256, SigningAlgorithm::RS256]
        );

        let explicit = build(
            base()
                .defaults_from_metadata(true)
                .client_secret_method(ClientSecretMethod::Post)
                .id_token_signing_algs([SigningAlgorithm::PS256]),
        );
        assert!(!uses_basic(&explicit));
        assert_eq!(&*explicit.inner.id_token_algs, [SigningAlgorithm::PS256]);
    }

    #[test]
    fn the_client_is_send_sync_and_cheap_to_clone() {
        fn send_sync<T: Send + Sync + Clone>() {}
        send_sync::<AuthClient>();
    }

    #[test]
    fn debug_hides_the_secret() {
        let b = AuthClient::builder("t.auth0.com", "c").client_secret("hunter2-secret");
        assert!(!format!("{b:?}").contains("hunter2-secret"));
        let c = b.build().unwrap();
        let shown = format!("{c:?}");
        assert!(!shown.contains("hunter2-secret"), "{shown}");
        assert!(shown.contains("[redacted]"), "{shown}");
    }
}
