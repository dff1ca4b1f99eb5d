//! Shared set-up for the integration tests: a demo tenant on loopback and clients for it.
#![allow(dead_code)]

use std::future::Future;
use std::time::Duration;

use auth0_auth::{AuthClient, AuthClientBuilder};
use auth0_emulator::{Emulator, EmulatorBuilder, RunningEmulator, demo};

/// Every wait in a test is bounded by this.
pub const LIMIT: Duration = Duration::from_secs(30);

/// Runs `fut`, failing the test if it takes longer than [`LIMIT`].
pub async fn bounded<T>(fut: impl Future<Output = T>) -> T {
    tokio::time::timeout(LIMIT, fut)
        .await
        .expect("the operation did not finish within the test's bound")
}

/// The demo tenant, started on an ephemeral loopback port.
pub async fn demo_tenant() -> RunningEmulator {
    tenant(Emulator::builder().demo_tenant()).await
}

/// A tenant from a builder.
pub async fn tenant(builder: EmulatorBuilder) -> RunningEmulator {
    bounded(builder.start()).await.expect("the emulator starts")
}

/// A builder for the demo confidential client of `tenant`.
pub fn confidential(tenant: &RunningEmulator) -> AuthClientBuilder {
    AuthClient::builder(tenant.base_url(), demo::CLIENT_ID).client_secret(demo::CLIENT_SECRET)
}

/// The demo confidential client of `tenant`.
pub fn client(tenant: &RunningEmulator) -> AuthClient {
    confidential(tenant).build().expect("the client builds")
}

/// The demo public client of `tenant`.
pub fn public_client(tenant: &RunningEmulator) -> AuthClient {
    AuthClient::builder(tenant.base_url(), demo::PUBLIC_CLIENT_ID)
        .build()
        .expect("the client builds")
}

/// Plays the browser: opens `authorize_url`, submits the emulator's login form with these
/// credentials, and returns the callback URL the tenant redirected to (or the error redirect).
pub async fn browser_login(authorize_url: &str, username: &str, password: &str) -> String {
    browser_login_with(authorize_url, username, password, None).await
}

/// [`browser_login`], also choosing an organization on the form.
pub async fn browser_login_with(
    authorize_url: &str,
    username: &str,
    password: &str,
    organization: Option<&str>,
) -> String {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = bounded(http.get(authorize_url).send()).await.unwrap();
    if page.status().is_redirection() {
        return location(&page);
    }
    assert_eq!(page.status(), 200, "the login page opens");
    let base = page.url().clone();
    let html = bounded(page.text()).await.unwrap();
    let tx = hidden_value(&html, "tx").expect("the login form carries a tx");
    let mut form = vec![
        ("tx", tx.as_str()),
        ("username", username),
        ("password", password),
    ];
    if let Some(org) = organization {
        form.push(("organization", org));
    }
    let submitted = bounded(
        http.post(base.join("/authorize/login").unwrap())
            .form(&form)
            .send(),
    )
    .await
    .unwrap();
    assert!(
        submitted.status().is_redirection(),
        "the login form redirects back (got {})",
        submitted.status()
    );
    location(&submitted)
}

fn location(response: &reqwest::Response) -> String {
    let loc = response
        .headers()
        .get("location")
        .expect("a Location header")
        .to_str()
        .unwrap();
    response.url().join(loc).unwrap().to_string()
}

/// The value of `<input … name="{name}" value="…">` in a page.
pub fn hidden_value(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(
        html[start..end]
            .replace("&amp;", "&")
            .replace("&quot;", "\""),
    )
}

/// The query parameters of a URL.
pub fn query(url: &str) -> Vec<(String, String)> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// One query parameter of a URL.
pub fn query_value(url: &str, name: &str) -> Option<String> {
    query(url)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// The payload of a JWT, unverified (tests only look at it).
pub fn claims_of(token: &str) -> serde_json::Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).expect("a JWT");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("a base64url payload");
    serde_json::from_slice(&bytes).expect("a JSON payload")
}
