//! A web application's session, request by request, without a web framework: the login route,
//! the callback route, a page that reads the user and calls an API, and the logout route. Each
//! "request" hands the cookies the browser would send to a `MemoryCookieJar`; a framework
//! integration implements `CookieJar` over its own request and response instead.
//!
//! ```text
//! cargo run -p auth0-server --example web_session
//! ```
//!
//! It starts the local tenant emulator in-process and plays the browser on its login page.

use std::error::Error as StdError;

use auth0_auth::{AuthClient, AuthorizationParams};
use auth0_emulator::{Emulator, demo};
use auth0_server::{
    AccessTokenRequest, CompleteInteractiveLoginRequest, CookieTransactionStore, LogoutRequest,
    MemoryCookieJar, Secrets, ServerClient, StartInteractiveLoginRequest, StatelessStateStore,
};

const CALLBACK: &str = "http://localhost:3000/callback";

#[tokio::main]
async fn main() -> Result<(), Box<dyn StdError>> {
    let tenant = Emulator::builder().demo_tenant().start().await?;
    let auth = AuthClient::builder(tenant.base_url(), demo::CLIENT_ID)
        .client_secret(demo::CLIENT_SECRET)
        .build()?;
    // In production: a long random secret from your secret store (and older ones while rotating).
    let secrets = Secrets::new("an-example-cookie-secret-of-32-characters".into())?;
    let client = ServerClient::builder(
        auth,
        CookieTransactionStore::new(secrets.clone()),
        StatelessStateStore::new(secrets),
    )
    .authorization_params(
        AuthorizationParams::new()
            .redirect_uri(CALLBACK)
            .audience(demo::AUDIENCE),
    )
    .build()?;

    // GET /login: redirect to Auth0, remembering where to come back to.
    let mut browser = MemoryCookieJar::new();
    let url = client
        .start_interactive_login(
            StartInteractiveLoginRequest::new()
                .app_state(serde_json::json!({"returnTo": "/inbox"})),
            &mut browser,
        )
        .await?;
    println!("login: redirect to {}", url.origin().ascii_serialization());
    println!("       Set-Cookie: {}", redacted(&browser));

    // The user logs in on Auth0's page (played here on the emulator).
    let callback = log_in_on_the_page(url.as_str()).await?;

    // GET /callback: finish the login; the session cookies replace the transaction cookie.
    browser.clear_changes();
    let done = client
        .complete_interactive_login(CompleteInteractiveLoginRequest::new(callback), &mut browser)
        .await?;
    println!("callback: logged in, back to {:?}", done.app_state);
    println!("          Set-Cookie: {}", redacted(&browser));

    // GET /inbox: who is this, and a token for the API.
    browser.clear_changes();
    let user = client.get_user(&mut browser).await?;
    let token = client
        .get_access_token(AccessTokenRequest::new(), &mut browser)
        .await?;
    println!(
        "inbox: hello {:?}; an access token for {} until {}",
        user.as_ref().and_then(|u| u.name()),
        token.audience,
        token.expires_at
    );

    // GET /logout: end the session here and at Auth0.
    let logout = client
        .logout(LogoutRequest::new(demo::LOGOUT_URL), &mut browser)
        .await?;
    println!(
        "logout: redirect to {}{}",
        logout.origin().ascii_serialization(),
        logout.path()
    );
    println!(
        "        session left: {}",
        client.get_user(&mut browser).await?.is_some()
    );
    Ok(())
}

/// The names of the cookies set (values are credentials).
fn redacted(jar: &MemoryCookieJar) -> String {
    jar.changes()
        .iter()
        .map(|(name, value, o)| {
            if value.is_empty() {
                format!("{name}=(deleted)")
            } else {
                format!("{name}=…; Max-Age={}", o.max_age.unwrap_or_default())
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Plays the browser on the emulator's login page; returns the callback URL.
async fn log_in_on_the_page(authorize_url: &str) -> Result<String, Box<dyn StdError>> {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let page = http.get(authorize_url).send().await?;
    let base = page.url().clone();
    let html = page.text().await?;
    let marker = "name=\"tx\" value=\"";
    let start = html.find(marker).ok_or("no login form")? + marker.len();
    let end = html[start..].find('"').ok_or("no login form")? + start;
    let tx = html[start..end]
        .replace("&amp;", "&")
        .replace("&quot;", "\"");
    let submitted = http
        .post(base.join("/authorize/login")?)
        .form(&[
            ("tx", tx.as_str()),
            ("username", demo::USERNAME),
            ("password", demo::PASSWORD),
        ])
        .send()
        .await?;
    let location = submitted
        .headers()
        .get("location")
        .ok_or("no redirect back")?
        .to_str()?;
    Ok(submitted.url().join(location)?.to_string())
}
