//! Layer 4 of 4 (with `server.rs`, `demo.rs` and `lib.rs`), the entry point:
//! [`Emulator::builder`], [`EmulatorBuilder::start`] and the [`RunningEmulator`] handle tests
//! drive. The files under `emulator/` add, one per feature, that feature's builder settings
//! and test hooks.
//!
//! May import: anything in the crate; nothing below imports this.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::demo;
use crate::server;
use crate::tenant::config::{
    ApiConfig, ClientAuthMethod, ClientConfig, OrganizationConfig, UserConfig,
};
use crate::tenant::faults::Fault;
use crate::tenant::keys::{KeyRing, SigningKey, parse_assertion_key};
use crate::tenant::log::RecordedRequest;
use crate::tenant::state::{RegisteredClient, Shared, Tenant, lock, now_secs};

mod anonymous;
mod ciba;
mod database;
mod device;
mod dpop;
mod exchange;
mod forge;
mod logout;
mod mfa;
mod otp_challenge;
mod passkey;
mod passwordless;
mod session_transfer;
mod sessions;
mod webfinger;

/// A local Auth0-compatible tenant. Start one with [`Emulator::builder`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Emulator;

impl Emulator {
    /// A builder for an empty tenant (add clients, users, APIs, or
    /// [`EmulatorBuilder::demo_tenant`]).
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::default()
    }
}

/// Configures a tenant before it starts.
#[derive(Debug, Clone)]
pub struct EmulatorBuilder {
    port: u16,
    bind: IpAddr,
    issuer: Option<String>,
    clients: Vec<ClientConfig>,
    users: Vec<UserConfig>,
    apis: Vec<ApiConfig>,
    organizations: Vec<OrganizationConfig>,
    id_token_lifetime: u64,
    access_token_lifetime: u64,
    end_session_endpoint: bool,
    par: bool,
    mtls_aliases: bool,
    token_signing_alg: crate::tenant::keys::TokenSigningAlg,
    /// Browser-login settings (see [`crate::tenant::session`]).
    pub(crate) browser: crate::tenant::session::BrowserOptions,
    /// Passwordless, CIBA and token-exchange settings (see [`crate::tenant::flows`]).
    pub(crate) flows: crate::tenant::flows::FlowConfig,
    /// MFA and passkey settings (see [`crate::endpoints::mfa`]).
    pub(crate) factors: crate::tenant::mfa::FactorConfig,
    /// User-info, database, WebFinger and anonymous-session settings (see
    /// [`crate::tenant::accounts`]).
    pub(crate) accounts: crate::tenant::accounts::AccountConfig,
    /// Device-flow and DPoP settings (see [`crate::endpoints::device`], [`crate::protocol::dpop`]).
    pub(crate) device_dpop: crate::tenant::device_dpop::DeviceDpopConfig,
}

impl Default for EmulatorBuilder {
    fn default() -> Self {
        Self {
            port: 0,
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            issuer: None,
            clients: Vec::new(),
            users: Vec::new(),
            apis: Vec::new(),
            organizations: Vec::new(),
            id_token_lifetime: 36_000,
            access_token_lifetime: 86_400,
            end_session_endpoint: true,
            par: true,
            mtls_aliases: false,
            token_signing_alg: crate::tenant::keys::TokenSigningAlg::RS256,
            browser: crate::tenant::session::BrowserOptions::default(),
            flows: crate::tenant::flows::FlowConfig::default(),
            factors: crate::tenant::mfa::FactorConfig::default(),
            accounts: crate::tenant::accounts::AccountConfig::default(),
            device_dpop: crate::tenant::device_dpop::DeviceDpopConfig::default(),
        }
    }
}

impl EmulatorBuilder {
    /// The port to listen on (default 0: any free port).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// The address to listen on (default `127.0.0.1`). The tenant has no authentication on
    /// its control API (`/__emulator/`) and speaks plain HTTP, so anything but loopback is
    /// only for a container network in a test setup. With an unspecified address (`0.0.0.0`,
    /// `::`) the base URL still names `127.0.0.1`.
    pub fn bind_address(mut self, address: IpAddr) -> Self {
        self.bind = address;
        self
    }

    /// Advertises `issuer` (e.g. `https://tenant.example.com/`) instead of the real base URL;
    /// discovery's endpoints are built on it too. A trailing slash is added when missing.
    pub fn issuer(mut self, issuer: &str) -> Self {
        self.issuer = Some(issuer.to_owned());
        self
    }

    /// Registers an application (a later one with the same id replaces it).
    pub fn client(mut self, client: ClientConfig) -> Self {
        self.clients.retain(|c| c.client_id != client.client_id);
        self.clients.push(client);
        self
    }

    /// Adds a user.
    pub fn user(mut self, user: UserConfig) -> Self {
        self.users.push(user);
        self
    }

    /// Adds an API.
    pub fn api(mut self, api: ApiConfig) -> Self {
        self.apis.push(api);
        self
    }

    /// Adds an organization.
    pub fn organization(mut self, organization: OrganizationConfig) -> Self {
        self.organizations.push(organization);
        self
    }

    /// ID-token lifetime in seconds (default 36000).
    pub fn id_token_lifetime(mut self, secs: u64) -> Self {
        self.id_token_lifetime = secs;
        self
    }

    /// Default access-token lifetime in seconds (default 86400); an API's own lifetime wins.
    pub fn access_token_lifetime(mut self, secs: u64) -> Self {
        self.access_token_lifetime = secs;
        self
    }

    /// Leaves `end_session_endpoint` out of discovery.
    pub fn without_end_session_endpoint(mut self) -> Self {
        self.end_session_endpoint = false;
        self
    }

    /// Leaves `pushed_authorization_request_endpoint` out of discovery.
    pub fn without_par(mut self) -> Self {
        self.par = false;
        self
    }

    /// Advertises `mtls_endpoint_aliases` (the same endpoints under a `/mtls` prefix, which
    /// also answer).
    pub fn mtls_endpoint_aliases(mut self, on: bool) -> Self {
        self.mtls_aliases = on;
        self
    }

    /// Signs access and ID tokens with `alg` (default `RS256`, as Auth0 does). With `ES256` the
    /// JWKS publishes a P-256 key first and discovery lists `ES256`; back-channel logout tokens
    /// stay RS256. Clients must then accept ES256 ID tokens (in `auth0-auth`:
    /// `id_token_signing_algs([SigningAlgorithm::ES256])`).
    pub fn token_signing_alg(mut self, alg: crate::tenant::keys::TokenSigningAlg) -> Self {
        self.token_signing_alg = alg;
        self
    }

    /// Adds the quickstart tenant described in [`demo`](crate::demo).
    pub fn demo_tenant(self) -> Self {
        demo::configure(self)
    }

    /// Whether any client is registered (the binary falls back to the demo tenant otherwise).
    pub fn has_clients(&self) -> bool {
        !self.clients.is_empty()
    }

    /// Generates the signing key, binds the address (127.0.0.1 unless [`EmulatorBuilder::bind_address`]) and starts serving.
    ///
    /// # Errors
    /// When the port cannot be bound, a `private_key_jwt` client's public key is not an RSA or
    /// EC SPKI PEM (`InvalidInput`), or no signing key can be generated.
    pub async fn start(self) -> io::Result<RunningEmulator> {
        let listener = TcpListener::bind((self.bind, self.port)).await?;
        let port = listener.local_addr()?.port();
        let base_url = match self.bind {
            ip if ip.is_unspecified() => format!("http://127.0.0.1:{port}"),
            IpAddr::V4(ip) => format!("http://{ip}:{port}"),
            IpAddr::V6(ip) => format!("http://[{ip}]:{port}"),
        };
        let mut issuer = self
            .issuer
            .clone()
            .unwrap_or_else(|| format!("{base_url}/"));
        if !issuer.ends_with('/') {
            issuer.push('/');
        }
        let alg = self.token_signing_alg;
        let keys = tokio::task::spawn_blocking(move || KeyRing::generate(alg))
            .await
            .map_err(io::Error::other)?
            .map_err(|_| io::Error::other("could not generate the signing keys"))?;
        let tenant = self.into_tenant(issuer, base_url)?;
        let shared = Arc::new(Shared::new(tenant, keys));

        let (stop, stopped) = oneshot::channel::<()>();
        let emulator = RunningEmulator {
            inner: Arc::new(Inner {
                shared: shared.clone(),
                port,
                stop: Mutex::new(Some(stop)),
                task: Mutex::new(None),
            }),
        };
        // The control API holds the handle weakly, so dropping the last handle still stops
        // the server.
        // The control API's calls read this tenant's clock too, as its endpoints do.
        let clock = shared.clock.clone();
        let control = crate::control::routes(WeakEmulator(Arc::downgrade(&emulator.inner))).layer(
            axum::middleware::from_fn(
                move |request: axum::extract::Request, next: axum::middleware::Next| {
                    crate::tenant::clock::scope(clock.clone(), next.run(request))
                },
            ),
        );
        let app = server::router(shared).merge(control);
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
        *lock(&emulator.inner.task) = Some(task);
        Ok(emulator)
    }

    fn into_tenant(self, issuer: String, base_url: String) -> io::Result<Tenant> {
        let mut clients = HashMap::new();
        for config in self.clients {
            let assertion_key = match &config.auth {
                ClientAuthMethod::PrivateKeyJwt(pem) => {
                    Some(parse_assertion_key(pem).map_err(|why| {
                        io::Error::new(
                            io::ErrorKind::InvalidInput,
                            format!("client {}: public key is {why}", config.client_id),
                        )
                    })?)
                }
                _ => None,
            };
            clients.insert(
                config.client_id.clone(),
                RegisteredClient {
                    config,
                    assertion_key,
                },
            );
        }
        Ok(Tenant {
            issuer,
            base_url,
            clients,
            users: self.users,
            apis: self
                .apis
                .into_iter()
                .map(|a| (a.audience.clone(), a))
                .collect(),
            organizations: self
                .organizations
                .into_iter()
                .map(|o| (o.id.clone(), o))
                .collect(),
            id_token_lifetime: self.id_token_lifetime,
            access_token_lifetime: self.access_token_lifetime,
            end_session_endpoint: self.end_session_endpoint,
            par: self.par,
            mtls_aliases: self.mtls_aliases,
            token_signing_alg: self.token_signing_alg,
            browser: self.browser,
            flows: self.flows,
            factors: self.factors,
            accounts: self.accounts,
            device_dpop: self.device_dpop,
            started_at: now_secs(),
        })
    }
}

struct Inner {
    shared: Arc<Shared>,
    port: u16,
    stop: Mutex<Option<oneshot::Sender<()>>>,
    task: Mutex<Option<JoinHandle<()>>>,
}

/// A handle that does not keep the tenant running (held by the control API's routes).
#[derive(Clone)]
pub(crate) struct WeakEmulator(std::sync::Weak<Inner>);

impl WeakEmulator {
    /// The handle, while any strong one is alive.
    pub(crate) fn upgrade(&self) -> Option<RunningEmulator> {
        self.0.upgrade().map(|inner| RunningEmulator { inner })
    }
}

/// A running tenant. Cheap to clone; the server stops on [`RunningEmulator::shutdown`] or when
/// the last handle is dropped.
#[derive(Clone)]
pub struct RunningEmulator {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for RunningEmulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningEmulator")
            .field("base_url", &self.inner.shared.tenant.base_url)
            .field("issuer", &self.inner.shared.tenant.issuer)
            .finish()
    }
}

impl RunningEmulator {
    pub(crate) fn shared(&self) -> &Arc<Shared> {
        &self.inner.shared
    }

    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub fn base_url(&self) -> String {
        self.shared().tenant.base_url.clone()
    }

    /// The issuer: `http://127.0.0.1:PORT/` or the configured one (always with a trailing slash).
    pub fn issuer(&self) -> String {
        self.shared().tenant.issuer.clone()
    }

    /// The port listened on.
    pub fn port(&self) -> u16 {
        self.inner.port
    }

    /// Every request received, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared().log.all()
    }

    /// The requests whose path is exactly `path` (e.g. `/oauth/token`).
    pub fn requests_to(&self, path: &str) -> Vec<RecordedRequest> {
        self.shared().log.to_path(path)
    }

    /// Forgets the recorded requests.
    pub fn clear_requests(&self) {
        self.shared().log.clear();
    }

    /// The next `times` requests whose path is exactly `path` get `fault`. Faults queued for the
    /// same path apply one after the other.
    pub fn inject_fault(&self, path: &str, fault: Fault, times: usize) {
        self.shared().faults.inject(path, fault, times);
    }

    /// Drops every queued fault.
    pub fn clear_faults(&self) {
        self.shared().faults.clear();
    }

    /// Makes a new RS256 key (with a new `kid`) the signer; the old key stays in the JWKS until
    /// [`RunningEmulator::retire_old_keys`].
    pub fn rotate_signing_key(&self) {
        if let Ok(key) = SigningKey::generate() {
            self.shared().keys_mut().rotate_to(key);
        }
    }

    /// Removes every key but the current one from the JWKS.
    pub fn retire_old_keys(&self) {
        self.shared().keys_mut().retire_old();
    }

    /// The `kid` of the current signing key.
    pub fn signing_kid(&self) -> String {
        self.shared().keys().current().kid().to_owned()
    }

    /// Signs `claims` with the current RS256 key, so tests can craft tokens that break one rule.
    ///
    /// `header_alg_kid` overrides the header's `alg` and `kid` (default `RS256` and the current
    /// kid). `RS256/384/512` and `PS256/384/512` are real signatures of that algorithm, `none`
    /// leaves the signature empty, and any other `alg` is only written in the header (the
    /// signature is RS256). If signing fails (it does not), the signature is empty.
    pub fn sign_jwt(&self, header_alg_kid: Option<(&str, &str)>, claims: &Value) -> String {
        let key = self.shared().keys().current();
        let (alg, kid) = header_alg_kid.unwrap_or(("RS256", key.kid()));
        key.sign(alg, kid, claims).unwrap_or_else(|_| {
            let header = serde_json::json!({"alg": alg, "typ": "JWT", "kid": kid});
            format!(
                "{}.{}.",
                crate::tenant::keys::b64url(header.to_string().as_bytes()),
                crate::tenant::keys::b64url(claims.to_string().as_bytes())
            )
        })
    }

    /// The current signing key's public key, SPKI PEM.
    pub fn signing_public_key_pem(&self) -> String {
        self.shared().keys().current().public_key_pem().to_owned()
    }

    /// The next token response that would carry an ID token carries this literal instead.
    pub fn set_next_id_token(&self, id_token: String) {
        self.shared().store().next_id_token = Some(id_token);
    }

    /// How many refresh tokens were issued so far.
    pub fn refresh_tokens_issued(&self) -> usize {
        self.shared().store().refresh_tokens_issued
    }

    /// Stops the server (waiting up to 5 seconds for in-flight requests). Other handles stay
    /// usable for inspecting the log.
    pub async fn shutdown(&self) {
        if let Some(stop) = lock(&self.inner.stop).take() {
            let _ = stop.send(());
        }
        let task = lock(&self.inner.task).take();
        if let Some(mut task) = task
            && tokio::time::timeout(Duration::from_secs(5), &mut task)
                .await
                .is_err()
        {
            task.abort();
        }
    }
}
