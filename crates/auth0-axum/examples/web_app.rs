//! A server-rendered web app with Auth0 login on axum: a home page, login, a profile page that
//! shows the ID token's claims, a page that calls an API with a (refreshed) access token, and
//! logout. The API is the `api_server` example's router, served by the same process.
//!
//! ```text
//! cargo run -p auth0-axum --features api,web --example web_app
//! ```
//!
//! With `AUTH0_DOMAIN` unset it starts the local tenant emulator in-process (and prints the
//! URL and the demo users); otherwise it reads `AUTH0_DOMAIN`, `AUTH0_CLIENT_ID`,
//! `AUTH0_CLIENT_SECRET`, `AUTH0_SECRET`, `APP_BASE_URL`, `AUTH0_AUDIENCE` and `AUTH0_SCOPE`.
//! `PORT` (default 3000) is where it listens on 127.0.0.1.

#[allow(dead_code)]
#[path = "api_server.rs"]
mod api_server;

use std::error::Error as StdError;

use auth0_api::{ApiClient, Audience};
use auth0_auth::{AuthClient, ExposeSecret, SecretString};
use auth0_axum::api::ApiGuard;
use auth0_axum::web::{AccessToken, Auth0Web, Auth0WebBuilder, Session, User};
use auth0_emulator::{ClientConfig, Emulator, RunningEmulator, demo};
use auth0_server::MemorySessionStore;
use axum::Router;
use axum::extract::State;
use axum::response::Html;
use axum::routing::get;
use url::Url;

/// The example's client at the in-process tenant.
pub const CLIENT_ID: &str = "web-app-example";
const CLIENT_SECRET: &str = "web-app-example-secret";
/// The cookie secret of the in-process demo (use a long random secret in production).
const DEMO_SECRET: &str = "the-web-app-example-cookie-secret-32+";
const DEMO_SCOPE: &str = "openid profile email offline_access read:messages";

#[derive(Clone)]
struct Pages {
    base: String,
    http: reqwest::Client,
}

/// The application: pages, the auth routes, the API, and the layer the extractors need.
pub fn app(auth: &Auth0Web, guard: ApiGuard, base: String) -> Router {
    let pages = Pages {
        base,
        http: reqwest::Client::new(),
    };
    Router::new()
        .route("/", get(home))
        .merge(
            Router::new()
                .route("/profile", get(profile))
                .route("/messages", get(messages))
                .route_layer(auth.require_login()),
        )
        .with_state(pages)
        .merge(auth.router())
        .merge(api_server::app(guard))
        .layer(auth.layer())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn StdError>> {
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(3000);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let local = format!("http://localhost:{port}");
    let (auth, guard, _tenant) = auth0(&local).await?;
    println!("web app on {local}");
    axum::serve(listener, app(&auth, guard, local)).await?;
    Ok(())
}

/// The Auth0 part of the app (the lines the README counts): the web integration from the
/// environment, or against an in-process tenant, and the API's token guard.
pub async fn auth0(
    local: &str,
) -> Result<(Auth0Web, ApiGuard, Option<RunningEmulator>), Box<dyn StdError>> {
    let (builder, domain, audience, tenant) = if std::env::var_os("AUTH0_DOMAIN").is_some() {
        let domain = std::env::var("AUTH0_DOMAIN")?;
        let audience = std::env::var("AUTH0_AUDIENCE")?;
        (Auth0WebBuilder::from_env()?, domain, audience, None)
    } else {
        let tenant = local_tenant(local).await?;
        let auth = AuthClient::builder(tenant.base_url(), CLIENT_ID)
            .client_secret(CLIENT_SECRET)
            .build()?;
        let secret = SecretString::from(DEMO_SECRET.to_owned());
        let builder = Auth0Web::builder(auth, secret, Url::parse(local)?)
            .audience(demo::AUDIENCE)
            .scope(DEMO_SCOPE);
        (
            builder,
            tenant.base_url(),
            demo::AUDIENCE.to_owned(),
            Some(tenant),
        )
    };
    let auth = builder
        // Server-side sessions, so Auth0's back-channel logout can end them.
        .session_store(MemorySessionStore::default())
        .build()?;
    let guard = ApiGuard::new(ApiClient::builder(domain, Audience::new(audience)).build()?);
    Ok((auth, guard, tenant))
}

/// The in-process tenant: the demo tenant plus this app's client. Prints how to log in.
async fn local_tenant(base: &str) -> Result<RunningEmulator, Box<dyn StdError>> {
    let client = ClientConfig::confidential(CLIENT_ID, CLIENT_SECRET)
        .callback(&format!("{base}/auth/callback"))
        .grant_audience(demo::AUDIENCE, demo::SCOPES)
        .logout_url(&format!("{base}/"))
        .backchannel_logout_uri(&format!("{base}/auth/backchannel-logout"));
    let tenant = Emulator::builder()
        .demo_tenant()
        .client(client)
        .start()
        .await?;
    println!("local Auth0 tenant (emulator) on {}", tenant.base_url());
    println!("demo users: {} / {}", demo::USERNAME, demo::PASSWORD);
    println!(
        "            {} / {} (needs MFA)",
        demo::MFA_USERNAME,
        demo::PASSWORD
    );
    Ok(tenant)
}

async fn home(user: Option<User>) -> Html<String> {
    let body = match user {
        Some(User(claims)) => format!(
            "<h1>Welcome back, {}</h1>\
             <p>You are logged in. See your <a href=\"/profile\">profile</a> or \
             <a href=\"/messages\">call the API</a>.</p>",
            escape(claims.get_str("name").unwrap_or("friend"))
        ),
        None => "<h1>Hello</h1><p>This little app logs you in with Auth0, shows who you are, \
                 and calls an API on your behalf.</p>\
                 <p><a class=\"button\" href=\"/auth/login?returnTo=%2Fprofile\">Log in</a></p>"
            .to_owned(),
    };
    page("Home", &body)
}

async fn profile(Session(session): Session) -> Html<String> {
    let mut rows = String::new();
    if let Some(user) = &session.user {
        for (name, value) in user {
            let shown = match value {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            rows.push_str(&format!(
                "<tr><th>{}</th><td>{}</td></tr>",
                escape(name),
                escape(&shown)
            ));
        }
    }
    let picture = session
        .user
        .as_ref()
        .and_then(|u| u.get("picture"))
        .and_then(|p| p.as_str())
        .filter(|p| p.starts_with("https://"))
        .map(|p| {
            format!(
                "<img class=\"avatar\" src=\"{}\" alt=\"\" onerror=\"this.remove()\">",
                escape(p)
            )
        })
        .unwrap_or_default();
    page(
        "Profile",
        &format!(
            "<h1>{picture}Your profile</h1><p>The claims of your ID token:</p><table>{rows}</table>"
        ),
    )
}

async fn messages(State(pages): State<Pages>, token: AccessToken) -> Html<String> {
    let answer = pages
        .http
        .get(format!("{}/api/messages", pages.base))
        .bearer_auth(token.secret().expose_secret())
        .send()
        .await;
    let shown = match answer {
        Ok(r) => {
            let status = r.status();
            let text = r.text().await.unwrap_or_default();
            format!(
                "<p>The API answered <b>{status}</b>:</p><pre>{}</pre>",
                escape(&text)
            )
        }
        Err(_) => "<p>The API could not be reached.</p>".to_owned(),
    };
    page(
        "API",
        &format!(
            "<h1>Calling the API</h1><p>With an access token for <code>{}</code>, valid until \
             {} (refreshed automatically when it expires).</p>{shown}",
            escape(&token.token_set().audience),
            token.token_set().expires_at
        ),
    )
}

/// The page layout: a header with navigation, then `body`.
fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · Auth0 + axum</title><style>{STYLE}</style></head><body>\
         <header><a class=\"brand\" href=\"/\">Auth0 + axum</a><nav>\
         <a href=\"/profile\">Profile</a><a href=\"/messages\">API</a>\
         <form method=\"post\" action=\"/auth/logout\"><button>Log out</button></form>\
         </nav></header><main>{body}</main></body></html>"
    ))
}

const STYLE: &str = "body{margin:0;font-family:system-ui,sans-serif;background:#f5f6fa;color:#1d1f2b}\
header{display:flex;justify-content:space-between;align-items:center;padding:14px 32px;\
background:#1d1f2b;color:#fff}header a{color:#fff;text-decoration:none;margin-left:20px}\
.brand{font-weight:700;margin-left:0!important}nav{display:flex;align-items:center}\
nav form{margin:0 0 0 20px}nav button{background:#eb5424;color:#fff;border:0;border-radius:6px;\
padding:8px 14px;cursor:pointer}main{max-width:760px;margin:40px auto;background:#fff;\
padding:32px 40px;border-radius:12px;box-shadow:0 2px 12px rgba(0,0,0,.06)}\
.button{display:inline-block;background:#eb5424;color:#fff;padding:10px 18px;border-radius:6px;\
text-decoration:none}table{border-collapse:collapse;width:100%}th,td{text-align:left;\
padding:6px 8px;border-bottom:1px solid #eee;vertical-align:top;word-break:break-all}\
th{width:30%;color:#555}pre{background:#f0f1f5;padding:12px;border-radius:6px}\
.avatar{width:40px;height:40px;border-radius:50%;vertical-align:middle;margin-right:12px}";

/// HTML-escapes text.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}
