//! Shared set-up of the integration tests: the emulator tenant (with a second API), a manual
//! clock, the two kinds of server client, and a "browser" that submits the emulator's login
//! form. Every wait is bounded.
#![allow(dead_code)]

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use auth0_auth::{AuthClient, AuthorizationParams, SecretString};
use auth0_emulator::{
    ApiConfig, Emulator, FederatedConnection, RunningEmulator, TokenExchangeProfile, UserConfig,
    demo,
};
use auth0_server::{
    Clock, CompleteInteractiveLoginRequest, CookieTransactionStore, MemoryCookieJar,
    MemorySessionStore, Secrets, ServerClient, SessionConfig, StartInteractiveLoginRequest,
    StatefulStateStore, StatelessStateStore,
};

pub const LIMIT: Duration = Duration::from_secs(30);
pub const CALLBACK: &str = "http://localhost:3000/callback";
pub const SECOND_API: &str = "https://second.example.com/";
pub const PASSKEY_RP: &str = "localhost";
pub const PASSKEY_ORIGIN: &str = "http://localhost:3000";
pub const LEGACY_TOKEN_TYPE: &str = "urn:acme:legacy-token";
pub const LEGACY_TOKEN: &str = "legacy-token-of-jane";
pub const SECRET: &str = "an-integration-test-secret-of-32-chars!";

pub type Stateless = ServerClient<CookieTransactionStore, StatelessStateStore>;
pub type Stateful = ServerClient<CookieTransactionStore, StatefulStateStore<MemorySessionStore>>;

/// Runs `fut`, failing the test if it takes longer than [`LIMIT`].
pub async fn bounded<T>(fut: impl Future<Output = T>) -> T {
    tokio::time::timeout(LIMIT, fut)
        .await
        .expect("the operation did not finish within the test's bound")
}

/// A clock the test moves by hand (starts at the real time: tokens carry real times).
#[derive(Debug)]
pub struct ManualClock(AtomicU64);

impl ManualClock {
    pub fn new() -> Arc<Self> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        Arc::new(Self(AtomicU64::new(now)))
    }

    pub fn advance(&self, secs: u64) {
        self.0.fetch_add(secs, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// The demo tenant plus a second API.
pub async fn tenant() -> RunningEmulator {
    bounded(
        Emulator::builder()
            .demo_tenant()
            .api(ApiConfig::new(SECOND_API, &["read:things"]))
            // An hour, so a test can pass it on its manual clock within the session.
            .access_token_lifetime(3600)
            // Token Vault: two Google accounts of the demo user.
            .federated_connection(
                FederatedConnection::new("google-oauth2")
                    .account(
                        &demo_user_id(),
                        Some("jane@gmail.com"),
                        "google-token-1",
                        &["calendar"],
                    )
                    .account(
                        &demo_user_id(),
                        Some("jane@work.com"),
                        "google-token-2",
                        &["calendar"],
                    ),
            )
            // Custom token exchange: a legacy token that stands for the demo user.
            .token_exchange_profile(
                TokenExchangeProfile::new(LEGACY_TOKEN_TYPE).subject(LEGACY_TOKEN, &demo_user_id()),
            )
            // Passkeys: the emulator's relying party (its software authenticator plays the browser).
            .passkey_rp(PASSKEY_RP, PASSKEY_ORIGIN)
            // CIBA polls every second (the shortest interval there is).
            .ciba_interval(1)
            .start(),
    )
    .await
    .expect("the emulator starts")
}

/// The demo user's id.
pub fn demo_user_id() -> String {
    UserConfig::new(demo::USERNAME, demo::PASSWORD)
        .id()
        .to_string()
}

pub fn auth(t: &RunningEmulator) -> AuthClient {
    AuthClient::builder(t.base_url(), demo::CLIENT_ID)
        .client_secret(demo::CLIENT_SECRET)
        .build()
        .unwrap()
}

pub fn secrets() -> Secrets {
    Secrets::new(SecretString::from(SECRET.to_owned())).unwrap()
}

fn params() -> AuthorizationParams {
    AuthorizationParams::new()
        .redirect_uri(CALLBACK)
        .audience(demo::AUDIENCE)
        .scope("openid profile email offline_access")
}

pub fn stateless(t: &RunningEmulator, clock: Arc<ManualClock>, config: SessionConfig) -> Stateless {
    ServerClient::builder(
        auth(t),
        CookieTransactionStore::new(secrets()),
        StatelessStateStore::new(secrets()).config(config),
    )
    .authorization_params(params())
    .clock(clock)
    .build()
    .unwrap()
}

pub fn stateful(t: &RunningEmulator, clock: Arc<ManualClock>) -> Stateful {
    ServerClient::builder(
        auth(t),
        CookieTransactionStore::new(secrets()),
        StatefulStateStore::new(secrets(), MemorySessionStore::default()),
    )
    .authorization_params(params())
    .clock(clock)
    .build()
    .unwrap()
}

/// Plays the browser on the emulator's login page; returns the callback URL.
pub async fn browser_login(authorize_url: &str, username: &str, password: &str) -> String {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = bounded(http.get(authorize_url).send()).await.unwrap();
    assert_eq!(page.status(), 200, "the login page opens");
    let base = page.url().clone();
    let html = bounded(page.text()).await.unwrap();
    let marker = "name=\"tx\" value=\"";
    let start = html.find(marker).expect("a tx field") + marker.len();
    let end = html[start..].find('"').unwrap() + start;
    let tx = html[start..end]
        .replace("&amp;", "&")
        .replace("&quot;", "\"");
    let submitted = bounded(
        http.post(base.join("/authorize/login").unwrap())
            .form(&[
                ("tx", tx.as_str()),
                ("username", username),
                ("password", password),
            ])
            .send(),
    )
    .await
    .unwrap();
    assert!(
        submitted.status().is_redirection(),
        "{}",
        submitted.status()
    );
    let loc = submitted.headers()["location"].to_str().unwrap();
    submitted.url().join(loc).unwrap().to_string()
}

/// A whole login as the demo user into `jar`; returns the app state given back.
pub async fn login<T, S>(
    client: &ServerClient<T, S>,
    jar: &mut MemoryCookieJar,
    app_state: serde_json::Value,
) -> Option<serde_json::Value>
where
    T: auth0_server::TransactionStore,
    S: auth0_server::StateStore,
{
    let url = bounded(client.start_interactive_login(
        StartInteractiveLoginRequest::new().app_state(app_state),
        jar,
    ))
    .await
    .unwrap();
    let callback = browser_login(url.as_str(), demo::USERNAME, demo::PASSWORD).await;
    bounded(client.complete_interactive_login(CompleteInteractiveLoginRequest::new(callback), jar))
        .await
        .unwrap()
        .app_state
}
