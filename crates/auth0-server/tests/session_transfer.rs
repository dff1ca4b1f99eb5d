//! Session transfer tokens end to end against the emulator: an agent logged in at one
//! application requests a token for a customer, is redirected to another application's login,
//! and that login completes as the customer without a login form; the token cannot be used
//! twice or after it expired; without an actor nothing is sent.

mod common;

use auth0_auth::{
    AuthClient, AuthorizationParams, ExchangeTokenRequest, ExposeSecret, SecretString,
};
use auth0_emulator::{
    Emulator, OrganizationConfig, RunningEmulator, TokenExchangeProfile, UserConfig, demo,
};
use auth0_server::{
    CompleteInteractiveLoginRequest, CookieTransactionStore, Error, MemoryCookieJar,
    SESSION_TRANSFER_TOKEN_TYPE, SessionConfig, SessionTransferActor,
    SessionTransferRedirectRequest, SessionTransferTokenRequest, StartInteractiveLoginRequest,
    StatelessStateStore,
};
use common::*;
use serde_json::json;
use url::Url;

const TICKET_TYPE: &str = "urn:acme:support-ticket";
const TICKET: &str = "ticket-42-of-the-customer";
const CUSTOMER: &str = "customer@example.com";
const OTHER_ORG: &str = "org_other";
const TARGET_LOGIN: &str = "http://localhost:3000/auth/login";

fn customer_id() -> String {
    UserConfig::new(CUSTOMER, "customer password")
        .id()
        .to_owned()
}

/// The demo tenant plus a customer (in the demo organization) and a profile mapping a support
/// ticket to that customer.
async fn tenant() -> RunningEmulator {
    bounded(
        Emulator::builder()
            .demo_tenant()
            .organization(OrganizationConfig::new(OTHER_ORG, "other"))
            .user(
                UserConfig::new(CUSTOMER, "customer password").organization(demo::ORGANIZATION_ID),
            )
            .token_exchange_profile(
                TokenExchangeProfile::new(TICKET_TYPE).subject(TICKET, &customer_id()),
            )
            .start(),
    )
    .await
    .expect("the emulator starts")
}

fn ticket() -> SecretString {
    SecretString::from(TICKET.to_owned())
}

/// The target application: its own cookie secret and settings.
fn target_app(t: &RunningEmulator) -> Stateless {
    stateless(t, ManualClock::new(), SessionConfig::default())
}

/// The target app's login route given the redirect: forwards `session_transfer_token` (and
/// `organization`) to `/authorize`; the "browser" follows the authorize redirect. Returns where
/// `/authorize` sent the browser.
async fn target_login(target: &Stateless, redirect: &Url, jar: &mut MemoryCookieJar) -> Url {
    let mut request = StartInteractiveLoginRequest::new();
    for (k, v) in redirect.query_pairs() {
        match k.as_ref() {
            "session_transfer_token" => {
                request = request.session_transfer_token(SecretString::from(v.into_owned()));
            }
            "organization" => {
                request = request.params(AuthorizationParams::new().organization(v.into_owned()));
            }
            _ => {}
        }
    }
    let authorize = bounded(target.start_interactive_login(request, jar))
        .await
        .unwrap();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let answer = bounded(http.get(authorize.as_str()).send()).await.unwrap();
    assert!(
        answer.status().is_redirection(),
        "no login form: {}",
        answer.status()
    );
    let location = answer.headers()["location"].to_str().unwrap();
    answer.url().join(location).unwrap()
}

#[tokio::test]
async fn a_transfer_logs_the_customer_in_at_the_target_once() {
    let t = tenant().await;
    let agent_app = stateless(&t, ManualClock::new(), SessionConfig::default());
    let mut agent_jar = MemoryCookieJar::new();
    login(&agent_app, &mut agent_jar, json!(null)).await;

    let stt = bounded(agent_app.request_session_transfer_token(
        SessionTransferTokenRequest::new(TICKET_TYPE, ticket()),
        &mut agent_jar,
    ))
    .await
    .unwrap();
    assert!(stt.is_session_transfer_token());
    assert_eq!(stt.issued_token_type, SESSION_TRANSFER_TOKEN_TYPE);
    assert!(
        stt.expires_in > 0 && stt.expires_in <= 60,
        "{}",
        stt.expires_in
    );
    // What was sent: the session's ID token as actor, for this tenant's transfer audience.
    let sent = t.requests_to("/oauth/token");
    let body = sent.last().unwrap().body.clone();
    let form: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let domain = Url::parse(&t.base_url()).unwrap();
    let expected_audience = format!(
        "urn:{}:{}:session_transfer",
        domain.host_str().unwrap(),
        domain.port().unwrap()
    );
    assert_eq!(get("audience"), Some(expected_audience.as_str()));
    assert_eq!(
        get("actor_token_type"),
        Some("urn:ietf:params:oauth:token-type:id_token")
    );
    let session = agent_app
        .get_session(&mut agent_jar)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        get("actor_token"),
        Some(session.id_token.as_ref().unwrap().expose_secret())
    );
    assert!(!format!("{stt:?}").contains(stt.token.expose_secret()));

    let redirect = agent_app
        .build_session_transfer_redirect(SessionTransferRedirectRequest::new(TARGET_LOGIN, stt))
        .unwrap();
    assert!(redirect.as_str().starts_with(TARGET_LOGIN));

    // The target app: no form, straight back with a code, and the session is the customer's.
    let target = target_app(&t);
    let mut jar = MemoryCookieJar::new();
    let callback = target_login(&target, &redirect, &mut jar).await;
    assert!(callback.as_str().starts_with(CALLBACK), "{callback}");
    bounded(target.complete_interactive_login(
        CompleteInteractiveLoginRequest::new(callback.to_string()),
        &mut jar,
    ))
    .await
    .unwrap();
    let user = target.get_user(&mut jar).await.unwrap().expect("a session");
    assert_eq!(user.sub(), Some(customer_id().as_str()));
    assert_eq!(user.email(), Some(CUSTOMER));
    // An auditable impersonation: the target session's ID token names the agent as actor.
    assert_eq!(user.get("act"), Some(&json!({ "sub": demo_user_id() })));
    // The agent's own session is untouched.
    let agent = agent_app.get_user(&mut agent_jar).await.unwrap().unwrap();
    assert_eq!(agent.email(), Some(demo::USERNAME));

    // The same redirect again: refused back to the application, no session.
    let mut jar = MemoryCookieJar::new();
    let refused = target_login(&target, &redirect, &mut jar).await;
    let error: Vec<(String, String)> = refused.query_pairs().into_owned().collect();
    assert!(
        error
            .iter()
            .any(|(k, v)| k == "error" && v == "invalid_request"),
        "{refused}"
    );
    let err = bounded(target.complete_interactive_login(
        CompleteInteractiveLoginRequest::new(refused.to_string()),
        &mut jar,
    ))
    .await
    .unwrap_err();
    assert!(err.to_string().contains("already used"), "{err}");
    assert!(target.get_user(&mut jar).await.unwrap().is_none());
    assert_eq!(t.pending_session_transfer_tokens(), 0);
}

#[tokio::test]
async fn an_expired_transfer_token_is_refused() {
    let t = tenant().await;
    t.set_session_transfer_lifetime(0);
    let agent_app = stateless(&t, ManualClock::new(), SessionConfig::default());
    let mut agent_jar = MemoryCookieJar::new();
    login(&agent_app, &mut agent_jar, json!(null)).await;
    let stt = bounded(agent_app.request_session_transfer_token(
        SessionTransferTokenRequest::new(TICKET_TYPE, ticket()),
        &mut agent_jar,
    ))
    .await
    .unwrap();
    let redirect = agent_app
        .build_session_transfer_redirect(SessionTransferRedirectRequest::new(TARGET_LOGIN, stt))
        .unwrap();
    let target = target_app(&t);
    let mut jar = MemoryCookieJar::new();
    let refused = target_login(&target, &redirect, &mut jar).await;
    assert!(
        refused
            .query()
            .unwrap_or_default()
            .contains("error=invalid_request"),
        "{refused}"
    );
}

#[tokio::test]
async fn an_unknown_transfer_token_is_refused() {
    let t = tenant().await;
    let target = target_app(&t);
    let mut jar = MemoryCookieJar::new();
    let redirect = Url::parse(&format!("{TARGET_LOGIN}?session_transfer_token=made-up")).unwrap();
    let refused = target_login(&target, &redirect, &mut jar).await;
    assert!(
        refused
            .query()
            .unwrap_or_default()
            .contains("error=invalid_request"),
        "{refused}"
    );
}

#[tokio::test]
async fn without_a_session_the_actor_is_unavailable_and_nothing_is_sent() {
    let t = tenant().await;
    let app = stateless(&t, ManualClock::new(), SessionConfig::default());
    let mut jar = MemoryCookieJar::new();
    let err = bounded(app.request_session_transfer_token(
        SessionTransferTokenRequest::new(TICKET_TYPE, ticket()),
        &mut jar,
    ))
    .await
    .unwrap_err();
    assert!(matches!(err, Error::ActorUnavailable(_)), "{err:?}");
    assert_eq!(err.code(), "actor_unavailable");
    assert!(t.requests_to("/oauth/token").is_empty());
    // A blank explicit actor: the same, still before any request.
    let err = bounded(app.request_session_transfer_token(
        SessionTransferTokenRequest::new(TICKET_TYPE, ticket()).actor(SessionTransferActor::new(
            SecretString::from(" ".to_owned()),
        )),
        &mut jar,
    ))
    .await
    .unwrap_err();
    assert_eq!(err.code(), "actor_unavailable");
    assert!(t.requests_to("/oauth/token").is_empty());
}

#[tokio::test]
async fn an_expired_session_id_token_is_renewed_for_the_actor() {
    let t = tenant().await;
    let clock = ManualClock::new();
    let app = stateless(&t, clock.clone(), SessionConfig::default());
    let mut jar = MemoryCookieJar::new();
    login(&app, &mut jar, json!(null)).await;
    let old = app
        .get_session(&mut jar)
        .await
        .unwrap()
        .unwrap()
        .id_token
        .unwrap();
    // The emulator's ID tokens live 10 hours by default; the app's clock moves past that (the
    // session itself lasts a day).
    clock.advance(11 * 3600);
    let before = t.requests_to("/oauth/token").len();
    let stt = bounded(app.request_session_transfer_token(
        SessionTransferTokenRequest::new(TICKET_TYPE, ticket()),
        &mut jar,
    ))
    .await
    .unwrap();
    // Its lifetime is on the system clock, whatever the session's clock says.
    assert!(
        stt.expires_in > 0 && stt.expires_in <= 60,
        "{}",
        stt.expires_in
    );
    // One refresh, then the exchange with the renewed ID token as actor.
    let sent = t.requests_to("/oauth/token");
    assert_eq!(sent.len(), before + 2);
    let grant = |i: usize| {
        let body = sent[i].body.clone();
        url::form_urlencoded::parse(body.as_bytes())
            .into_owned()
            .collect::<Vec<(String, String)>>()
    };
    let has =
        |form: &[(String, String)], k: &str, v: &str| form.iter().any(|(a, b)| a == k && b == v);
    assert!(has(&grant(before), "grant_type", "refresh_token"));
    let exchange = grant(before + 1);
    assert!(!has(&exchange, "actor_token", old.expose_secret()));
    let renewed = app
        .get_session(&mut jar)
        .await
        .unwrap()
        .unwrap()
        .id_token
        .unwrap();
    assert!(has(&exchange, "actor_token", renewed.expose_secret()));
}

#[tokio::test]
async fn an_explicit_actor_works_without_a_session() {
    let t = tenant().await;
    // The agent's ID token, got elsewhere (here: a login at another app).
    let agent_app = stateless(&t, ManualClock::new(), SessionConfig::default());
    let mut agent_jar = MemoryCookieJar::new();
    login(&agent_app, &mut agent_jar, json!(null)).await;
    let id_token = agent_app
        .get_session(&mut agent_jar)
        .await
        .unwrap()
        .unwrap()
        .id_token
        .unwrap();

    let app = bare_app(&t);
    let mut empty = MemoryCookieJar::new();
    let stt = bounded(
        app.request_session_transfer_token(
            SessionTransferTokenRequest::new(TICKET_TYPE, ticket())
                .actor(SessionTransferActor::new(id_token))
                .organization(demo::ORGANIZATION_NAME),
            &mut empty,
        ),
    )
    .await
    .unwrap();
    assert!(stt.is_session_transfer_token());
    // Minted in the organization (by name); the redirect names it by id for the target's login.
    let redirect = app
        .build_session_transfer_redirect(
            SessionTransferRedirectRequest::new(TARGET_LOGIN, stt)
                .organization(demo::ORGANIZATION_ID),
        )
        .unwrap();
    let target = target_app(&t);
    let mut jar = MemoryCookieJar::new();
    let callback = target_login(&target, &redirect, &mut jar).await;
    bounded(target.complete_interactive_login(
        CompleteInteractiveLoginRequest::new(callback.to_string()),
        &mut jar,
    ))
    .await
    .unwrap();
    let user = target.get_user(&mut jar).await.unwrap().unwrap();
    assert_eq!(user.sub(), Some(customer_id().as_str()));
    assert_eq!(
        user.get("org_id").and_then(|v| v.as_str()),
        Some(demo::ORGANIZATION_ID)
    );
}

/// A server client for the demo app with no login defaults: cookie stores under the test
/// secret.
fn bare_app(t: &RunningEmulator) -> Stateless {
    auth0_server::ServerClient::builder(
        auth(t),
        CookieTransactionStore::new(secrets()),
        StatelessStateStore::new(secrets()),
    )
    .build()
    .unwrap()
}

#[tokio::test]
async fn the_tenant_refuses_a_transfer_without_an_actor_or_for_another_domain() {
    let t = tenant().await;
    let client: AuthClient = auth(&t);
    let domain = Url::parse(&t.base_url()).unwrap();
    let own = format!(
        "urn:{}:{}:session_transfer",
        domain.host_str().unwrap(),
        domain.port().unwrap()
    );
    let err = bounded(
        client.exchange_token(ExchangeTokenRequest::profile(TICKET_TYPE, ticket()).audience(own)),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("setactor_required"), "{err}");
    let err = bounded(
        client.exchange_token(
            ExchangeTokenRequest::profile(TICKET_TYPE, ticket())
                .audience("urn:other.example.com:session_transfer"),
        ),
    )
    .await
    .unwrap_err();
    assert!(
        err.to_string().contains("session transfer audience"),
        "{err}"
    );
    assert_eq!(t.pending_session_transfer_tokens(), 0);
}

#[tokio::test]
async fn a_token_minted_in_an_organization_is_refused_for_another() {
    let t = tenant().await;
    let agent_app = stateless(&t, ManualClock::new(), SessionConfig::default());
    let mut agent_jar = MemoryCookieJar::new();
    login(&agent_app, &mut agent_jar, json!(null)).await;
    let stt = bounded(agent_app.request_session_transfer_token(
        SessionTransferTokenRequest::new(TICKET_TYPE, ticket()).organization(demo::ORGANIZATION_ID),
        &mut agent_jar,
    ))
    .await
    .unwrap();
    let redirect = agent_app
        .build_session_transfer_redirect(
            SessionTransferRedirectRequest::new(TARGET_LOGIN, stt).organization(OTHER_ORG),
        )
        .unwrap();
    let target = target_app(&t);
    let mut jar = MemoryCookieJar::new();
    let refused = target_login(&target, &redirect, &mut jar).await;
    let query = refused.query().unwrap_or_default().to_owned();
    assert!(query.contains("error=invalid_request"), "{refused}");
    assert!(query.contains(OTHER_ORG), "{refused}");
}
