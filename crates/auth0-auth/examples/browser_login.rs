//! A browser login from start to finish, the way a web application does it: build the login
//! URL, keep its login transaction between the two requests, and complete the login from the
//! callback with that transaction.
//!
//! ```text
//! cargo run --example browser_login
//! ```
//!
//! With no `AUTH0_DOMAIN` in the environment it starts the local tenant emulator in-process and
//! plays the browser itself (opens the login page, submits the demo user's credentials, follows
//! the redirect back). Against a real tenant, set `AUTH0_DOMAIN`, `AUTH0_CLIENT_ID` and
//! `AUTH0_CLIENT_SECRET` (and `AUTH0_CALLBACK_URL`, default `http://localhost:3000/callback`,
//! which must be an allowed callback of the application): the example prints the login URL,
//! you log in with a browser, and paste the URL the browser was sent back to.

use std::env;
use std::error::Error as StdError;
use std::io::BufRead;

use auth0_auth::{
    AuthClient, AuthorizationParams, AuthorizationUrlRequest, LoginTransaction, TokenByCodeRequest,
    TokenResponse,
};

/// What a completed login gave.
#[derive(Debug)]
pub struct Outcome {
    /// The `sub` of the validated ID token.
    pub user_id: Option<String>,
    /// Its `email`.
    pub email: Option<String>,
    /// Whether a refresh token came back (`offline_access` is in the default scope).
    pub refresh_token: bool,
}

type BoxError = Box<dyn StdError>;

/// The first half of a login: the URL to redirect to, and the transaction to keep, here as the
/// JSON an application would put in its session.
async fn begin(client: &AuthClient, callback_url: &str) -> Result<(String, String), BoxError> {
    let login = client
        .build_authorization_url(
            AuthorizationUrlRequest::new()
                .params(AuthorizationParams::new().redirect_uri(callback_url)),
        )
        .await?;
    let kept = serde_json::to_string(&login.transaction)?;
    Ok((login.url.to_string(), kept))
}

/// The second half: the callback as the HTTP framework hands it over (path and query), and the
/// transaction read back from the session. Every check comes from the transaction.
async fn finish(client: &AuthClient, callback: &str, kept: &str) -> Result<Outcome, BoxError> {
    let transaction: LoginTransaction = serde_json::from_str(kept)?;
    let tokens: TokenResponse = client
        .get_token_by_code(TokenByCodeRequest::from_transaction(callback, &transaction))
        .await?;
    let claims = tokens.claims.as_ref();
    Ok(Outcome {
        user_id: claims.and_then(|c| c.sub()).map(str::to_owned),
        email: claims.and_then(|c| c.email()).map(str::to_owned),
        refresh_token: tokens.refresh_token.is_some(),
    })
}

/// Plays the browser on the emulator's login page: opens the URL, submits the credentials, and
/// returns where the tenant sent the browser back to.
async fn play_browser(url: &str, username: &str, password: &str) -> Result<url::Url, BoxError> {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(30))
        .build()?;
    let page = http.get(url).send().await?;
    if !page.status().is_success() {
        return Err(format!("the login page answered {}", page.status()).into());
    }
    let page_url = page.url().clone();
    let html = page.text().await?;
    let marker = "name=\"tx\" value=\"";
    let start = html.find(marker).ok_or("the login page has no form")? + marker.len();
    let end = html[start..]
        .find('"')
        .ok_or("the login form is cut short")?
        + start;
    let tx = html[start..end]
        .replace("&amp;", "&")
        .replace("&quot;", "\"");
    let submitted = http
        .post(page_url.join("/authorize/login")?)
        .form(&[
            ("tx", tx.as_str()),
            ("username", username),
            ("password", password),
        ])
        .send()
        .await?;
    if !submitted.status().is_redirection() {
        return Err(format!("the login form answered {}", submitted.status()).into());
    }
    let location = submitted
        .headers()
        .get("location")
        .ok_or("the login form sent no redirect")?
        .to_str()?;
    Ok(page_url.join(location)?)
}

/// The whole login against a running emulator, with its demo client and user.
pub async fn run(emulator: &auth0_emulator::RunningEmulator) -> Result<Outcome, BoxError> {
    use auth0_emulator::demo;

    let client = AuthClient::builder(emulator.base_url(), demo::CLIENT_ID)
        .client_secret(demo::CLIENT_SECRET)
        .build()?;
    let callback_url = demo::CALLBACKS[0];

    println!("1. Build the login URL and keep its transaction");
    let (url, kept) = begin(&client, callback_url).await?;
    println!("   redirect the browser to {}", shorten(&url));
    println!(
        "   keep the transaction ({} bytes of JSON) in the session",
        kept.len()
    );

    println!("2. The user logs in (the example plays the browser)");
    let back = play_browser(&url, demo::USERNAME, demo::PASSWORD).await?;
    let callback = match back.query() {
        Some(query) => format!("{}?{query}", back.path()),
        None => back.path().to_owned(),
    };
    println!("   the browser came back to {}", back.path());

    println!("3. Complete the login from the callback and the kept transaction");
    let outcome = finish(&client, &callback, &kept).await?;
    println!(
        "   logged in as {} ({}), refresh token: {}",
        outcome.email.as_deref().unwrap_or("-"),
        outcome.user_id.as_deref().unwrap_or("-"),
        if outcome.refresh_token { "yes" } else { "no" }
    );
    Ok(outcome)
}

/// Against a real tenant: the user logs in with their own browser and pastes the callback.
async fn run_with_tenant(domain: String) -> Result<Outcome, BoxError> {
    let need =
        |name: &str| env::var(name).map_err(|_| format!("{name} must be set with AUTH0_DOMAIN"));
    let client = AuthClient::builder(domain, need("AUTH0_CLIENT_ID")?)
        .client_secret(need("AUTH0_CLIENT_SECRET")?)
        .build()?;
    let callback_url = env::var("AUTH0_CALLBACK_URL")
        .unwrap_or_else(|_| "http://localhost:3000/callback".to_owned());
    let (url, kept) = begin(&client, &callback_url).await?;
    println!("Open this URL in a browser and log in:\n\n  {url}\n");
    println!("Then paste the address the browser was sent back to and press Enter:");
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let outcome = finish(&client, line.trim(), &kept).await?;
    println!(
        "Logged in as {} ({}).",
        outcome.email.as_deref().unwrap_or("-"),
        outcome.user_id.as_deref().unwrap_or("-")
    );
    Ok(outcome)
}

/// A URL cut short for printing.
fn shorten(url: &str) -> String {
    match url.char_indices().nth(80) {
        Some((i, _)) => format!("{}…", &url[..i]),
        None => url.to_owned(),
    }
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    if let Ok(domain) = env::var("AUTH0_DOMAIN") {
        run_with_tenant(domain).await?;
        return Ok(());
    }
    let emulator = auth0_emulator::Emulator::builder()
        .demo_tenant()
        .start()
        .await?;
    println!(
        "No AUTH0_DOMAIN set: started the local tenant emulator at {}.",
        emulator.base_url()
    );
    run(&emulator).await?;
    Ok(())
}
