//! The multi-domain (resolver) mode end to end, with two emulators as two tenant domains
//! (`127.0.0.1:A` and `127.0.0.1:B`) and the request's host choosing between them: a session of
//! one domain is no session on the other, a login completes at the domain it started on,
//! back-channel logout only accepts the resolved domain's issuer, and a missing or unlisted
//! domain is refused before any request.

mod common;

use auth0_auth::{AuthClient, AuthorizationParams, Connection, SecretString};
use auth0_emulator::{RunningEmulator, demo};
use auth0_server::{
    AccessTokenRequest, BackchannelLogoutRequest, CompleteInteractiveLoginRequest,
    CookieTransactionStore, Error, LinkUserRequest, LogoutRequest, MemoryCookieJar,
    MemorySessionStore, MultiDomain, ServerClient, SessionTransferTokenRequest,
    StartInteractiveLoginRequest, StatefulStateStore,
};
use common::*;

type Multi =
    ServerClient<CookieTransactionStore, StatefulStateStore<MemorySessionStore>, MultiDomain>;

/// `127.0.0.1:PORT` of an emulator.
fn domain(t: &RunningEmulator) -> String {
    format!("127.0.0.1:{}", t.port())
}

/// The protocol client of a (loopback) domain: same client id and secret everywhere.
fn factory(d: &str) -> auth0_auth::Result<AuthClient> {
    AuthClient::builder(format!("http://{d}"), demo::CLIENT_ID)
        .client_secret(demo::CLIENT_SECRET)
        .build()
}

/// A client whose domain is the request's host, allowing `a` and `b`.
fn multi(a: &RunningEmulator, b: &RunningEmulator) -> Multi {
    ServerClient::builder_for_domains(
        MultiDomain::new(|host: Option<&str>| host.map(str::to_owned), factory)
            .allow_domain(domain(a))
            .allow_domain(domain(b)),
        CookieTransactionStore::new(secrets()),
        StatefulStateStore::new(secrets(), MemorySessionStore::default()),
    )
    .authorization_params(
        AuthorizationParams::new()
            .redirect_uri(CALLBACK)
            .audience(demo::AUDIENCE)
            .scope("openid profile email offline_access"),
    )
    .build()
    .unwrap()
}

/// A browser's jar for requests to `host`.
fn jar_on(host: &str) -> MemoryCookieJar {
    let mut jar = MemoryCookieJar::new();
    jar.set_request_host(host);
    jar
}

/// The same cookies, sent to another host.
fn moved(jar: &MemoryCookieJar, host: &str) -> MemoryCookieJar {
    let mut other = MemoryCookieJar::from_pairs(jar.pairs().clone());
    other.set_request_host(host);
    other
}

/// Starts a login with `jar`'s host; returns the callback URL after the emulator's login form.
async fn start_and_sign_in(client: &Multi, jar: &mut MemoryCookieJar) -> String {
    let url = bounded(client.start_interactive_login(StartInteractiveLoginRequest::new(), jar))
        .await
        .unwrap();
    browser_login(url.as_str(), demo::USERNAME, demo::PASSWORD).await
}

async fn login_on(client: &Multi, jar: &mut MemoryCookieJar) {
    let callback = start_and_sign_in(client, jar).await;
    bounded(client.complete_interactive_login(CompleteInteractiveLoginRequest::new(callback), jar))
        .await
        .unwrap();
}

async fn two_tenants() -> (RunningEmulator, RunningEmulator) {
    (tenant().await, tenant().await)
}

#[tokio::test]
async fn a_session_of_another_domain_is_not_this_requests_session() {
    let (a, b) = two_tenants().await;
    let client = multi(&a, &b);
    let mut on_a = jar_on(&domain(&a));
    login_on(&client, &mut on_a).await;
    let session = client.get_session(&mut on_a).await.unwrap().unwrap();
    assert_eq!(session.domain.as_deref(), Some(domain(&a).as_str()));
    assert!(client.get_user(&mut on_a).await.unwrap().is_some());
    assert_eq!(client.state_store().store().len().await, 1);

    // The same browser cookie on B's host.
    let mut on_b = moved(&on_a, &domain(&b));
    a.clear_requests();
    b.clear_requests();
    assert!(client.get_user(&mut on_b).await.unwrap().is_none());
    assert!(client.get_session(&mut on_b).await.unwrap().is_none());
    let err = bounded(client.get_access_token(AccessTokenRequest::new(), &mut on_b))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::MissingSession(m) if m.contains("domain")),
        "{err}"
    );
    let err = bounded(client.start_link_user(
        LinkUserRequest::new(Connection::new("google-oauth2")),
        &mut on_b,
    ))
    .await
    .unwrap_err();
    assert!(
        matches!(&err, Error::MissingSession(m) if m.contains("domain")),
        "{err}"
    );
    // Revocation leaves another domain's session alone.
    bounded(client.revoke_refresh_token(&mut on_b))
        .await
        .unwrap();
    // A session transfer token needs this domain's session as its actor.
    let err = bounded(client.request_session_transfer_token(
        SessionTransferTokenRequest::new(LEGACY_TOKEN_TYPE, SecretString::from(LEGACY_TOKEN)),
        &mut on_b,
    ))
    .await
    .unwrap_err();
    assert_eq!(err.code(), "actor_unavailable", "{err}");
    // Logging out on B: B's logout URL, A's session neither revoked nor deleted.
    let url = bounded(client.logout(LogoutRequest::new("http://localhost:3000/"), &mut on_b))
        .await
        .unwrap();
    assert!(url.as_str().starts_with(&b.base_url()), "{url}");
    assert!(a.requests_to("/oauth/revoke").is_empty());
    assert!(b.requests_to("/oauth/revoke").is_empty());
    assert!(a.requests_to("/oauth/token").is_empty());
    assert!(b.requests_to("/oauth/token").is_empty());
    assert_eq!(client.state_store().store().len().await, 1);
    assert!(client.get_user(&mut on_a).await.unwrap().is_some());

    // On A it is A's session: a token, then a logout that revokes at A and ends it.
    let token = bounded(client.get_access_token(AccessTokenRequest::new(), &mut on_a))
        .await
        .unwrap();
    assert_eq!(token.audience, demo::AUDIENCE);
    let url = bounded(client.logout(LogoutRequest::new("http://localhost:3000/"), &mut on_a))
        .await
        .unwrap();
    assert!(url.as_str().starts_with(&a.base_url()), "{url}");
    assert_eq!(a.requests_to("/oauth/revoke").len(), 1);
    assert!(b.requests_to("/oauth/revoke").is_empty());
    assert_eq!(client.state_store().store().len().await, 0);
}

#[tokio::test]
async fn a_login_completes_at_the_domain_it_started_on() {
    let (a, b) = two_tenants().await;
    let client = multi(&a, &b);
    let mut on_a = jar_on(&domain(&a));
    let callback = start_and_sign_in(&client, &mut on_a).await;
    a.clear_requests();
    b.clear_requests();
    // The callback arrives on B's host, with A's transaction cookie.
    let mut on_b = moved(&on_a, &domain(&b));
    bounded(
        client
            .complete_interactive_login(CompleteInteractiveLoginRequest::new(callback), &mut on_b),
    )
    .await
    .unwrap();
    assert_eq!(a.requests_to("/oauth/token").len(), 1, "the code goes to A");
    assert!(b.requests_to("/oauth/token").is_empty(), "never to B");
    // The session is A's: none on B, this one on A.
    assert!(client.get_session(&mut on_b).await.unwrap().is_none());
    let mut back_on_a = moved(&on_b, &domain(&a));
    let session = client.get_session(&mut back_on_a).await.unwrap().unwrap();
    assert_eq!(session.domain.as_deref(), Some(domain(&a).as_str()));
}

#[tokio::test]
async fn backchannel_logout_accepts_only_the_resolved_domains_issuer() {
    let (a, b) = two_tenants().await;
    let client = multi(&a, &b);
    let mut on_a = jar_on(&domain(&a));
    login_on(&client, &mut on_a).await;
    let sid = client
        .get_session(&mut on_a)
        .await
        .unwrap()
        .unwrap()
        .internal
        .sid
        .unwrap();
    let token = a.logout_token(demo::CLIENT_ID, None, Some(&sid));

    // A's token POSTed to B's host: refused, nothing deleted.
    let err = bounded(client.handle_backchannel_logout(
        BackchannelLogoutRequest::new(SecretString::from(token.clone())).request_host(domain(&b)),
    ))
    .await
    .unwrap_err();
    assert_eq!(err.code(), "backchannel_logout_error", "{err}");
    // Without a host the resolver has no domain.
    let err = bounded(
        client.handle_backchannel_logout(BackchannelLogoutRequest::new(SecretString::from(
            token.clone(),
        ))),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::InvalidConfiguration(_)), "{err}");
    assert_eq!(client.state_store().store().len().await, 1);
    assert!(client.get_session(&mut on_a).await.unwrap().is_some());

    // On A's host: verified by A, the named session ends.
    let ended = bounded(client.handle_backchannel_logout(
        BackchannelLogoutRequest::new(SecretString::from(token)).request_host(domain(&a)),
    ))
    .await
    .unwrap();
    assert_eq!(ended, 1);
    assert_eq!(client.state_store().store().len().await, 0);
    assert!(client.get_session(&mut on_a).await.unwrap().is_none());
}

#[tokio::test]
async fn a_missing_or_unlisted_domain_is_refused_before_any_request() {
    let (a, b) = two_tenants().await;
    // A resolver answering a blank domain.
    let blank = ServerClient::builder_for_domains(
        MultiDomain::new(|_: Option<&str>| Some("  ".to_owned()), factory).allow_domain(domain(&a)),
        CookieTransactionStore::new(secrets()),
        StatefulStateStore::new(secrets(), MemorySessionStore::default()),
    )
    .authorization_params(AuthorizationParams::new().redirect_uri(CALLBACK))
    .build()
    .unwrap();
    let mut jar = jar_on(&domain(&a));
    let err = bounded(blank.start_interactive_login(StartInteractiveLoginRequest::new(), &mut jar))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidConfiguration(_)), "{err}");
    assert_eq!(err.code(), "invalid_configuration_error");

    // A forged host outside the allow-list (B is not listed here).
    let only_a = ServerClient::builder_for_domains(
        MultiDomain::new(|host: Option<&str>| host.map(str::to_owned), factory)
            .allow_domain(domain(&a)),
        CookieTransactionStore::new(secrets()),
        StatefulStateStore::new(secrets(), MemorySessionStore::default()),
    )
    .authorization_params(AuthorizationParams::new().redirect_uri(CALLBACK))
    .build()
    .unwrap();
    for host in [domain(&b), "evil.example".to_owned()] {
        let mut jar = jar_on(&host);
        let err =
            bounded(only_a.start_interactive_login(StartInteractiveLoginRequest::new(), &mut jar))
                .await
                .unwrap_err();
        assert!(
            matches!(&err, Error::DomainNotAllowed(d) if *d == host),
            "{err}"
        );
        assert!(jar.changes().is_empty(), "no transaction is kept");
        assert!(client_free(&only_a, &mut jar).await);
    }
    assert!(a.requests().is_empty(), "nothing reached A");
    assert!(b.requests().is_empty(), "nothing reached B");

    // No allow-list, or a bad entry: the client is not built.
    let none = ServerClient::builder_for_domains(
        MultiDomain::new(|host: Option<&str>| host.map(str::to_owned), factory),
        CookieTransactionStore::new(secrets()),
        StatefulStateStore::new(secrets(), MemorySessionStore::default()),
    )
    .build();
    assert!(matches!(none, Err(Error::InvalidConfiguration(_))));
    let bad = ServerClient::builder_for_domains(
        MultiDomain::new(|host: Option<&str>| host.map(str::to_owned), factory)
            .allow_domain("tenant.example/path"),
        CookieTransactionStore::new(secrets()),
        StatefulStateStore::new(secrets(), MemorySessionStore::default()),
    )
    .build();
    assert!(matches!(bad, Err(Error::InvalidConfiguration(_))));
}

/// Every session-reading operation on an unlisted host fails the same way, without a request.
async fn client_free(client: &Multi, jar: &mut MemoryCookieJar) -> bool {
    matches!(client.get_user(jar).await, Err(Error::DomainNotAllowed(_)))
        && matches!(
            client
                .get_access_token(AccessTokenRequest::new(), jar)
                .await,
            Err(Error::DomainNotAllowed(_))
        )
        && matches!(
            client
                .logout(LogoutRequest::new("http://localhost:3000/"), jar)
                .await,
            Err(Error::DomainNotAllowed(_))
        )
}
