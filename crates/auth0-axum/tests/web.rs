//! Feature `web` end to end over real HTTP on loopback: an axum app with the auth router, the
//! extractors and the require-login layer, against the emulator's real login page, driven by a
//! small cookie-keeping "browser" (reqwest, redirects followed by hand). Covers the full flow
//! and every route's failure modes. Every wait is bounded; time moves on a manual clock.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use auth0_auth::{AuthClient, ExposeSecret, SecretString};
use auth0_axum::web::{AccessToken, Auth0Web, LogoutMethod, Session, User};
use auth0_emulator::{ClientConfig, Emulator, RunningEmulator, demo};
use auth0_server::{Clock, MemorySessionStore};
use axum::Router;
use axum::routing::get;
use support::{Browser, bounded, login_form_tx, query_value};
use url::Url;

const CLIENT_ID: &str = "web-app-client";
const CLIENT_SECRET: &str = "web-app-client-secret";
const SECRET: &str = "a-web-integration-test-secret-of-32+";
const DAY: u64 = 24 * 60 * 60;

#[derive(Debug)]
struct ManualClock(AtomicU64);

impl ManualClock {
    fn new() -> Arc<Self> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        Arc::new(Self(AtomicU64::new(now)))
    }
    fn advance(&self, secs: u64) {
        self.0.fetch_add(secs, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Sessions {
    Cookies,
    Server,
}

struct App {
    web: Auth0Web,
    tenant: RunningEmulator,
    base: String,
    clock: Arc<ManualClock>,
}

async fn home(user: Option<User>) -> String {
    match user {
        Some(User(claims)) => format!("hello {}", claims.get_str("name").unwrap_or("?")),
        None => "hello stranger".to_owned(),
    }
}

async fn private(Session(s): Session) -> String {
    format!("private for {}", s.sub().unwrap_or("?"))
}

async fn token(t: AccessToken) -> String {
    format!("token {}", t.secret().expose_secret())
}

/// The emulator with a client for this app, and the app serving on loopback.
async fn start(sessions: Sessions, logout: LogoutMethod) -> App {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let client = ClientConfig::confidential(CLIENT_ID, CLIENT_SECRET)
        .callback(&format!("{base}/auth/callback"))
        .grant_audience(demo::AUDIENCE, demo::SCOPES)
        .logout_url(&format!("{base}/"))
        .backchannel_logout_uri(&format!("{base}/auth/backchannel-logout"));
    let tenant = bounded(
        Emulator::builder()
            .demo_tenant()
            .client(client)
            .access_token_lifetime(3600)
            .start(),
    )
    .await
    .unwrap();
    let auth = AuthClient::builder(tenant.base_url(), CLIENT_ID)
        .client_secret(CLIENT_SECRET)
        .build()
        .unwrap();
    let clock = ManualClock::new();
    let mut web = Auth0Web::builder(
        auth,
        SecretString::from(SECRET.to_owned()),
        Url::parse(&base).unwrap(),
    )
    .audience(demo::AUDIENCE)
    .profile_route(true)
    .access_token_route(true)
    .login_query_params(["screen_hint"])
    .allowed_return_origin("https://docs.example.com")
    .logout_method(logout)
    .clock(clock.clone());
    if sessions == Sessions::Server {
        web = web.session_store(MemorySessionStore::default());
    }
    let web = web.build().unwrap();
    let app = Router::new()
        .route("/", get(home))
        .route("/token", get(token))
        .merge(
            Router::new()
                .route("/private", get(private))
                .route_layer(web.require_login()),
        )
        .merge(web.router())
        .layer(web.layer())
        // A route outside the layer: its extractor has nothing to read through.
        .route("/unlayered", get(private));
    tokio::spawn(async move { axum::serve(listener, app).await });
    App {
        web,
        tenant,
        base,
        clock,
    }
}

#[tokio::test]
async fn full_flow_login_profile_api_logout_and_login_again() {
    let app = start(Sessions::Server, LogoutMethod::GetOrPost).await;
    let mut b = Browser::new();
    assert_eq!(
        b.get(&format!("{}/", app.base)).await.body,
        "hello stranger"
    );

    // A protected page sends the browser to log in and back.
    let back = b
        .log_in(&app.base, &app.tenant.base_url(), "/private?tab=2")
        .await;
    assert_eq!(back, format!("{}/private?tab=2", app.base));
    let page = b.get(&back).await;
    assert_eq!(page.status, 200);
    assert!(page.body.starts_with("private for auth0|"), "{}", page.body);
    assert_eq!(
        b.get(&format!("{}/", app.base)).await.body,
        "hello Jane Doe"
    );

    // The profile route shows the claims.
    let profile = b.get(&format!("{}/auth/profile", app.base)).await;
    assert_eq!(profile.status, 200);
    let claims: serde_json::Value = serde_json::from_str(&profile.body).unwrap();
    assert_eq!(claims["name"], demo::NAME);
    let sub = claims["sub"].as_str().unwrap().to_owned();

    // An access token for the API, through the extractor and the route.
    let first = b.get(&format!("{}/token", app.base)).await;
    assert_eq!(first.status, 200);
    let route = b.get(&format!("{}/auth/access-token", app.base)).await;
    let json: serde_json::Value = serde_json::from_str(&route.body).unwrap();
    assert_eq!(
        format!("token {}", json["token"].as_str().unwrap()),
        first.body
    );
    // A session used later rolls: its cookie is written again with a later expiry.
    app.clock.advance(120);
    let rolled = b.get(&format!("{}/private", app.base)).await;
    assert_eq!(rolled.status, 200);
    assert!(
        rolled
            .set_cookies
            .iter()
            .any(|c| c.starts_with("__a0_session=") && c.contains("Max-Age=")),
        "{:?}",
        rolled.set_cookies
    );

    // Logout ends the session here, then at the tenant, which notifies the back channel.
    let out = b.get(&format!("{}/auth/logout", app.base)).await;
    assert_eq!(out.status, 303);
    assert!(
        out.set_cookies
            .iter()
            .any(|c| c.starts_with("__a0_session=") && c.contains("Max-Age=0"))
    );
    let at_tenant = out.location.unwrap();
    assert!(at_tenant.starts_with(&app.tenant.base_url()), "{at_tenant}");
    let ended = b.get(&at_tenant).await;
    assert_eq!(
        ended.location.as_deref(),
        Some(format!("{}/", app.base).as_str())
    );
    let record = app.tenant.logouts().pop().unwrap();
    assert_eq!(record.user_id.as_deref(), Some(sub.as_str()));
    assert_eq!(record.backchannel.len(), 1, "the tenant notified the app");
    assert_eq!(record.backchannel[0].outcome, Ok(204));
    let private = b.get(&format!("{}/private", app.base)).await;
    assert_eq!(private.status, 303);
    assert_eq!(
        private.location.unwrap(),
        format!("{}/auth/login?returnTo=%2Fprivate", app.base)
    );

    // A second login shows the login page again (no silent single sign-on).
    let login = b.get(&format!("{}/auth/login", app.base)).await;
    let authorize = login.location.unwrap();
    let page = b.get(&authorize).await;
    assert_eq!(page.status, 200);
    assert!(
        login_form_tx(&page.body).is_some(),
        "the login form is shown again"
    );
}

#[tokio::test]
async fn a_backchannel_logout_from_the_tenant_ends_the_session() {
    let app = start(Sessions::Server, LogoutMethod::GetOrPost).await;
    let mut b = Browser::new();
    b.log_in(&app.base, &app.tenant.base_url(), "/private")
        .await;
    let profile = b.get(&format!("{}/auth/profile", app.base)).await;
    let claims: serde_json::Value = serde_json::from_str(&profile.body).unwrap();
    let sub = claims["sub"].as_str().unwrap();
    let status = bounded(
        app.tenant
            .send_backchannel_logout(CLIENT_ID, Some(sub), None),
    )
    .await
    .unwrap();
    assert_eq!(status, 204);
    let private = b.get(&format!("{}/private", app.base)).await;
    assert_eq!(private.status, 303, "{}", private.body);
    assert!(private.location.unwrap().contains("/auth/login"));
}

#[tokio::test]
async fn a_bad_backchannel_logout_is_400_and_ends_nothing() {
    let app = start(Sessions::Server, LogoutMethod::GetOrPost).await;
    let mut b = Browser::new();
    b.log_in(&app.base, &app.tenant.base_url(), "/private")
        .await;
    let sub = {
        let p = b.get(&format!("{}/auth/profile", app.base)).await;
        let v: serde_json::Value = serde_json::from_str(&p.body).unwrap();
        v["sub"].as_str().unwrap().to_owned()
    };
    let url = format!("{}/auth/backchannel-logout", app.base);
    let other_audience = app.tenant.logout_token(demo::CLIENT_ID, Some(&sub), None);
    let http = reqwest::Client::new();
    for form in [
        vec![("logout_token", "not-a-jwt")],
        vec![("logout_token", "")],
        vec![("something_else", "x")],
        vec![("logout_token", other_audience.as_str())],
    ] {
        let r = bounded(http.post(&url).form(&form).send()).await.unwrap();
        assert_eq!(r.status(), 400, "{form:?}");
        let body = bounded(r.text()).await.unwrap();
        assert!(!body.contains("not-a-jwt"));
    }
    // A signed token without the logout event (a plain ID-token-like JWT) is refused too.
    let forged = app.tenant.sign_jwt(
        None,
        &serde_json::json!({"iss": app.tenant.issuer(), "aud": CLIENT_ID, "sub": sub,
            "iat": 1, "exp": 4_000_000_000u64}),
    );
    let r = bounded(
        http.post(&url)
            .form(&[("logout_token", forged.as_str())])
            .send(),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 400);
    let private = b.get(&format!("{}/private", app.base)).await;
    assert_eq!(private.status, 200, "the session survived");
}

#[tokio::test]
async fn a_tampered_session_cookie_lands_on_login_and_is_deleted() {
    let app = start(Sessions::Cookies, LogoutMethod::GetOrPost).await;
    let mut b = Browser::new();
    b.log_in(&app.base, &app.tenant.base_url(), "/private")
        .await;
    let jar = b.cookies_of(&app.base);
    let name = jar
        .keys()
        .find(|k| k.starts_with("__a0_session"))
        .unwrap()
        .clone();
    let value = jar.get_mut(&name).unwrap();
    let flipped = if value.ends_with('A') { 'B' } else { 'A' };
    value.pop();
    value.push(flipped);
    let page = b.get(&format!("{}/private", app.base)).await;
    assert_eq!(page.status, 303);
    assert_eq!(
        page.location.unwrap(),
        format!("{}/auth/login?returnTo=%2Fprivate", app.base)
    );
    assert!(
        page.set_cookies
            .iter()
            .any(|c| c.starts_with(&format!("{name}=")) && c.contains("Max-Age=0"))
    );
    // The optional extractor reads it as no session.
    assert_eq!(
        b.get(&format!("{}/", app.base)).await.body,
        "hello stranger"
    );
}

#[tokio::test]
async fn an_expired_session_lands_on_login_and_tokens_refresh_on_the_way() {
    let app = start(Sessions::Cookies, LogoutMethod::GetOrPost).await;
    let mut b = Browser::new();
    b.log_in(&app.base, &app.tenant.base_url(), "/private")
        .await;
    let first = b.get(&format!("{}/token", app.base)).await.body;
    // Past the access token's lifetime: the extractor refreshes it.
    app.clock.advance(3700);
    let second = b.get(&format!("{}/token", app.base)).await;
    assert_eq!(second.status, 200);
    assert_ne!(second.body, first, "a refreshed token");
    assert!(
        second
            .set_cookies
            .iter()
            .any(|c| c.starts_with("__a0_session")),
        "the refreshed token is kept in the session"
    );
    // Past the inactivity duration: the session is over.
    app.clock.advance(DAY + 60);
    let page = b.get(&format!("{}/private", app.base)).await;
    assert_eq!(page.status, 303);
    assert!(
        page.location
            .unwrap()
            .contains("/auth/login?returnTo=%2Fprivate")
    );
    let token = b.get(&format!("{}/token", app.base)).await;
    assert_eq!(token.status, 303, "no session, no token: log in");
    let profile = b.get(&format!("{}/auth/profile", app.base)).await;
    assert_eq!(profile.status, 401);
}

#[tokio::test]
async fn the_callback_refuses_a_missing_transaction_and_a_state_mismatch() {
    let app = start(Sessions::Cookies, LogoutMethod::GetOrPost).await;
    let mut b = Browser::new();
    // No transaction at all.
    let page = b
        .get(&format!("{}/auth/callback?code=abc&state=xyz", app.base))
        .await;
    assert_eq!(page.status, 400);
    assert!(page.body.contains("log in again"), "{}", page.body);

    // A real login whose callback carries another state.
    let login = b.get(&format!("{}/auth/login", app.base)).await;
    let callback = b.submit_login_page(&login.location.unwrap()).await;
    let state = query_value(&callback, "state").unwrap();
    let forged = callback.replace(&format!("state={state}"), "state=forged-state");
    assert_ne!(forged, callback);
    let page = b.get(&forged).await;
    assert_eq!(page.status, 400, "{}", page.body);
    assert!(!page.body.contains("forged-state"));
    assert!(b.get(&format!("{}/auth/profile", app.base)).await.status == 401);

    // An error answer from the tenant (denied consent) is refused as well.
    let login = b.get(&format!("{}/auth/login", app.base)).await;
    let state = query_value(&login.location.unwrap(), "state").unwrap();
    let page = b
        .get(&format!(
            "{}/auth/callback?error=access_denied&error_description=nope&state={state}",
            app.base
        ))
        .await;
    assert!(page.status.is_client_error(), "{}", page.status);
}

#[tokio::test]
async fn login_refuses_open_redirects_and_takes_only_allowed_params() {
    let app = start(Sessions::Cookies, LogoutMethod::GetOrPost).await;
    let mut b = Browser::new();
    for bad in [
        "//evil.com",
        "https://evil.com",
        "/\\evil.com",
        "javascript:alert(1)",
        "http://127.0.0.1:1/",
        "%2F%2Fevil.com",
    ] {
        let url = format!("{}/auth/login?returnTo={}", app.base, urlencode(bad));
        let page = b.get(&url).await;
        assert_eq!(page.status, 400, "{bad}");
        assert!(page.set_cookies.is_empty(), "no transaction for {bad}");
    }
    let allowed = b
        .get(&format!(
            "{}/auth/login?returnTo={}",
            app.base,
            urlencode("https://docs.example.com/guide")
        ))
        .await;
    assert_eq!(allowed.status, 303, "an allowed origin is accepted");
    let page = b
        .get(&format!(
            "{}/auth/login?screen_hint=signup&prompt=none&redirect_uri=https://evil.com/",
            app.base
        ))
        .await;
    assert_eq!(page.status, 303);
    let authorize = page.location.unwrap();
    assert_eq!(
        query_value(&authorize, "screen_hint").as_deref(),
        Some("signup")
    );
    assert_eq!(query_value(&authorize, "prompt"), None);
    assert_eq!(
        query_value(&authorize, "redirect_uri").unwrap(),
        format!("{}/auth/callback", app.base)
    );
    assert!(page.set_cookies.iter().any(|c| c.starts_with("__a0_tx=")
        && c.contains("HttpOnly")
        && c.contains("SameSite=Lax")));
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn post_only_logout_refuses_get() {
    let app = start(Sessions::Cookies, LogoutMethod::PostOnly).await;
    let mut b = Browser::new();
    b.log_in(&app.base, &app.tenant.base_url(), "/private")
        .await;
    let get = b.get(&format!("{}/auth/logout", app.base)).await;
    assert_eq!(get.status, 405);
    assert_eq!(b.get(&format!("{}/private", app.base)).await.status, 200);
    let post = b.post(&format!("{}/auth/logout", app.base), &[]).await;
    assert_eq!(post.status, 303);
    assert_eq!(b.get(&format!("{}/private", app.base)).await.status, 303);
}

#[tokio::test]
async fn a_refused_refresh_sends_the_user_to_log_in_again() {
    let app = start(Sessions::Cookies, LogoutMethod::GetOrPost).await;
    let mut b = Browser::new();
    b.log_in(&app.base, &app.tenant.base_url(), "/private")
        .await;
    // The refresh token is revoked at the tenant (as an administrator would).
    let pairs = b.cookies_of(&app.base).clone();
    let mut jar = auth0_server::MemoryCookieJar::from_pairs(pairs);
    bounded(app.web.client().revoke_refresh_token(&mut jar))
        .await
        .unwrap();
    app.clock.advance(3700);
    let page = b.get(&format!("{}/token", app.base)).await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(
        page.location.unwrap(),
        format!("{}/auth/login?returnTo=%2Ftoken", app.base)
    );
}

#[tokio::test]
async fn an_extractor_without_the_layer_is_a_500_without_detail() {
    let app = start(Sessions::Cookies, LogoutMethod::GetOrPost).await;
    let mut b = Browser::new();
    let page = b.get(&format!("{}/unlayered", app.base)).await;
    assert_eq!(page.status, 500);
    assert_eq!(page.body, "Internal Server Error");
}

#[tokio::test]
async fn session_cookies_are_http_only_lax_and_not_secure_on_plain_loopback() {
    let app = start(Sessions::Cookies, LogoutMethod::GetOrPost).await;
    let mut b = Browser::new();
    let login = b.get(&format!("{}/auth/login", app.base)).await;
    let callback = b.submit_login_page(&login.location.unwrap()).await;
    let done = b.get(&callback).await;
    let session: Vec<&String> = done
        .set_cookies
        .iter()
        .filter(|c| c.starts_with("__a0_session"))
        .collect();
    assert!(!session.is_empty());
    for c in session {
        assert!(
            c.contains("HttpOnly") && c.contains("SameSite=Lax") && c.contains("Path=/"),
            "{c}"
        );
        assert!(!c.contains("Secure"), "plain http on loopback: {c}");
    }
    assert!(
        done.set_cookies
            .iter()
            .any(|c| c.starts_with("__a0_tx=") && c.contains("Max-Age=0")),
        "the transaction is removed"
    );
}
