//! `ServerClient` end to end against the emulator: login → session → access tokens for two
//! audiences → refresh after expiry; logout; back-channel logout removing exactly the sessions
//! it names; rolling and absolute expiry on a manual clock; refused cookies.

mod common;

use auth0_auth::{ExposeSecret, SecretString};
use auth0_emulator::demo;
use auth0_server::{
    AccessTokenRequest, BackchannelLogoutRequest, CompleteInteractiveLoginRequest, CookieJar,
    CookieProblem, DEFAULT_INACTIVITY_DURATION, Error, LogoutRequest, MemoryCookieJar,
    SessionConfig, StartInteractiveLoginRequest,
};
use common::*;
use serde_json::json;

const HOUR: u64 = 3600;

/// A change made to a good cookie jar.
type Mutation = Box<dyn Fn(&mut MemoryCookieJar)>;

#[tokio::test]
async fn login_session_two_audiences_and_refresh_after_expiry() {
    let t = tenant().await;
    let clock = ManualClock::new();
    let client = stateless(&t, clock.clone(), SessionConfig::default());
    let mut jar = MemoryCookieJar::new();

    let app_state = login(&client, &mut jar, json!({"returnTo": "/inbox"})).await;
    assert_eq!(app_state, Some(json!({"returnTo": "/inbox"})));
    // The transaction cookie is gone, the session is in chunk cookies, HttpOnly/Lax/Secure.
    assert!(jar.get("__a0_tx").is_none());
    assert!(jar.get("__a0_session.0").is_some());
    let headers = jar.set_cookie_headers();
    let session_header = headers
        .iter()
        .rev()
        .find(|h| h.starts_with("__a0_session.0="))
        .unwrap();
    assert!(session_header.contains("HttpOnly") && session_header.contains("Secure"));
    assert!(session_header.contains("SameSite=Lax") && session_header.contains("Path=/"));

    let user = client.get_user(&mut jar).await.unwrap().expect("a user");
    assert_eq!(user.email(), Some(demo::USERNAME));
    let session = client.get_session(&mut jar).await.unwrap().unwrap();
    assert!(session.refresh_token.is_some());
    assert!(session.internal.sid.is_some());
    assert_eq!(session.token_sets.len(), 1);
    assert_eq!(session.token_sets[0].audience, demo::AUDIENCE);

    // The login's own token, from the session: no network.
    let before = t.requests_to("/oauth/token").len();
    let first = client
        .get_access_token(AccessTokenRequest::new(), &mut jar)
        .await
        .unwrap();
    assert_eq!(first.audience, demo::AUDIENCE);
    assert_eq!(t.requests_to("/oauth/token").len(), before);

    // A second audience: got with the refresh token, kept beside the first.
    let second =
        bounded(client.get_access_token(AccessTokenRequest::new().audience(SECOND_API), &mut jar))
            .await
            .unwrap();
    assert_eq!(second.audience, SECOND_API);
    assert_eq!(t.requests_to("/oauth/token").len(), before + 1);
    let session = client.get_session(&mut jar).await.unwrap().unwrap();
    let audiences: Vec<&str> = session
        .token_sets
        .iter()
        .map(|t| t.audience.as_str())
        .collect();
    assert_eq!(audiences, [demo::AUDIENCE, SECOND_API]);
    // Asked again: from the session.
    let again = client
        .get_access_token(AccessTokenRequest::new().audience(SECOND_API), &mut jar)
        .await
        .unwrap();
    assert_eq!(
        again.access_token.expose_secret(),
        second.access_token.expose_secret()
    );
    assert_eq!(t.requests_to("/oauth/token").len(), before + 1);

    // Two hours later both have expired: each is refreshed once and replaced in place.
    clock.advance(2 * HOUR);
    let refreshed = bounded(client.get_access_token(AccessTokenRequest::new(), &mut jar))
        .await
        .unwrap();
    assert_ne!(
        refreshed.access_token.expose_secret(),
        first.access_token.expose_secret()
    );
    let refreshed2 =
        bounded(client.get_access_token(AccessTokenRequest::new().audience(SECOND_API), &mut jar))
            .await
            .unwrap();
    assert_ne!(
        refreshed2.access_token.expose_secret(),
        second.access_token.expose_secret()
    );
    assert_eq!(t.requests_to("/oauth/token").len(), before + 3);
    let session = client.get_session(&mut jar).await.unwrap().unwrap();
    assert_eq!(session.token_sets.len(), 2);
    assert_eq!(
        session.token_sets[0].access_token.expose_secret(),
        refreshed.access_token.expose_secret()
    );
}

#[tokio::test]
async fn logout_returns_the_url_and_ends_the_session() {
    let t = tenant().await;
    let client = stateful(&t, ManualClock::new());
    let mut jar = MemoryCookieJar::new();
    login(&client, &mut jar, json!(null)).await;
    let first_cookie = jar.get("__a0_session").unwrap();
    login(&client, &mut jar, json!(null)).await;
    // A second login in the same browser replaces the server-side session under a new id.
    assert_eq!(client.state_store().store().len().await, 1);
    assert_ne!(jar.get("__a0_session").unwrap(), first_cookie);
    let mut replayed = MemoryCookieJar::from_pairs([("__a0_session", first_cookie)]);
    assert!(
        client.get_user(&mut replayed).await.unwrap().is_none(),
        "the old id is dead"
    );
    let url = bounded(client.logout(LogoutRequest::new(demo::LOGOUT_URL), &mut jar))
        .await
        .unwrap();
    assert!(url.as_str().starts_with(&t.base_url()), "{url}");
    assert!(
        url.query().unwrap_or_default().contains("localhost%3A3000"),
        "{url}"
    );
    assert!(jar.get("__a0_session").is_none());
    assert_eq!(client.state_store().store().len().await, 0);
    assert!(client.get_user(&mut jar).await.unwrap().is_none());
    // The refresh token was revoked (best effort) on the way out.
    assert_eq!(t.requests_to("/oauth/revoke").len(), 1);
}

#[tokio::test]
async fn a_callback_without_a_transaction_and_a_token_without_a_session_fail_by_class() {
    let t = tenant().await;
    let client = stateless(&t, ManualClock::new(), SessionConfig::default());
    let mut jar = MemoryCookieJar::new();
    let err = client
        .complete_interactive_login(
            CompleteInteractiveLoginRequest::new(format!("{CALLBACK}?code=x&state=y")),
            &mut jar,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::MissingTransaction), "{err}");
    assert_eq!(err.code(), "missing_transaction_error");
    let err = client
        .get_access_token(AccessTokenRequest::new(), &mut jar)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::MissingRefreshToken), "{err}");
    let err = client.revoke_refresh_token(&mut jar).await.unwrap_err();
    assert_eq!(err.code(), "missing_session_error");
    // No redirect_uri anywhere: refused before anything is written.
    let bare = auth0_server::ServerClient::builder(
        auth(&t),
        auth0_server::CookieTransactionStore::new(secrets()),
        auth0_server::StatelessStateStore::new(secrets()),
    )
    .build()
    .unwrap();
    let err = bare
        .start_interactive_login(StartInteractiveLoginRequest::new(), &mut jar)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "missing_required_argument_error");
    assert!(jar.changes().is_empty());
}

#[tokio::test]
async fn backchannel_logout_removes_exactly_the_named_sessions() {
    let t = tenant().await;
    let client = stateful(&t, ManualClock::new());
    // Three browsers: two sessions of the demo user, one of another user (made by hand).
    let mut one = MemoryCookieJar::new();
    let mut two = MemoryCookieJar::new();
    login(&client, &mut one, json!(null)).await;
    login(&client, &mut two, json!(null)).await;
    let sid_one = client
        .get_session(&mut one)
        .await
        .unwrap()
        .unwrap()
        .internal
        .sid
        .unwrap();
    let sid_two = client
        .get_session(&mut two)
        .await
        .unwrap()
        .unwrap()
        .internal
        .sid
        .unwrap();
    assert_ne!(sid_one, sid_two);
    let sub = client
        .get_session(&mut two)
        .await
        .unwrap()
        .unwrap()
        .sub()
        .unwrap()
        .to_owned();
    let mut other = MemoryCookieJar::new();
    let mut other_state = client.get_session(&mut two).await.unwrap().unwrap();
    other_state
        .user
        .as_mut()
        .unwrap()
        .insert("sub".into(), json!("auth0|someone-else"));
    other_state.internal.sid = Some("other-sid".into());
    use auth0_server::StateStore;
    client
        .state_store()
        .set(
            "__a0_session",
            &other_state,
            true,
            &mut other,
            ManualClock::new().as_ref().now_secs(),
        )
        .await
        .unwrap();
    assert_eq!(client.state_store().store().len().await, 3);

    // By sid: only that session.
    let token = t.logout_token(demo::CLIENT_ID, None, Some(&sid_one));
    let ended =
        bounded(client.handle_backchannel_logout(BackchannelLogoutRequest::new(token.into())))
            .await
            .unwrap();
    assert_eq!(ended, 1);
    assert!(client.get_session(&mut one).await.unwrap().is_none());
    assert!(
        one.get("__a0_session").is_none(),
        "the orphaned cookie is cleared"
    );
    assert!(client.get_session(&mut two).await.unwrap().is_some());
    assert!(client.get_session(&mut other).await.unwrap().is_some());

    // By sub: every session of that user, no other.
    let token = t.logout_token(demo::CLIENT_ID, Some(&sub), None);
    let ended =
        bounded(client.handle_backchannel_logout(BackchannelLogoutRequest::new(token.into())))
            .await
            .unwrap();
    assert_eq!(ended, 1);
    assert!(client.get_session(&mut two).await.unwrap().is_none());
    assert!(client.get_session(&mut other).await.unwrap().is_some());

    // A forged token ends nothing.
    let forged = t.logout_token("another-client", Some("auth0|someone-else"), None);
    let err =
        bounded(client.handle_backchannel_logout(BackchannelLogoutRequest::new(forged.into())))
            .await
            .unwrap_err();
    assert!(matches!(err, Error::Auth(_)), "{err}");
    assert!(client.get_session(&mut other).await.unwrap().is_some());
    // An empty one is refused by class.
    let err = client
        .handle_backchannel_logout(BackchannelLogoutRequest::new(SecretString::from(
            String::new(),
        )))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "backchannel_logout_error");
}

#[tokio::test]
async fn backchannel_logout_with_a_stateless_store_is_refused() {
    let t = tenant().await;
    let client = stateless(&t, ManualClock::new(), SessionConfig::default());
    let token = t.logout_token(demo::CLIENT_ID, Some("auth0|x"), None);
    let err =
        bounded(client.handle_backchannel_logout(BackchannelLogoutRequest::new(token.into())))
            .await
            .unwrap_err();
    assert_eq!(err.code(), "backchannel_logout_error");
    assert!(err.to_string().contains("Stateless"), "{err}");
}

trait NowSecs {
    fn now_secs(&self) -> u64;
}

impl NowSecs for ManualClock {
    fn now_secs(&self) -> u64 {
        auth0_server::Clock::now(self)
    }
}

#[tokio::test]
async fn rolling_sessions_extend_with_use_up_to_the_absolute_duration() {
    let t = tenant().await;
    for stateful_store in [false, true] {
        let clock = ManualClock::new();
        let mut jar = MemoryCookieJar::new();
        macro_rules! run {
            ($client:expr) => {{
                let client = $client;
                login(&client, &mut jar, json!(null)).await;
                // Used every 20 hours: alive past the 1-day inactivity limit…
                for _ in 0..3 {
                    clock.advance(20 * HOUR);
                    assert!(client.get_user(&mut jar).await.unwrap().is_some());
                }
                // …until the 3-day absolute limit (60 h used, 13 h later is 73 h).
                clock.advance(13 * HOUR);
                assert!(client.get_user(&mut jar).await.unwrap().is_none());
                assert!(jar.pairs().keys().all(|k| !k.starts_with("__a0_session")));

                // A fresh login left alone for a day and a minute is over.
                login(&client, &mut jar, json!(null)).await;
                clock.advance(DEFAULT_INACTIVITY_DURATION + 60);
                assert!(client.get_user(&mut jar).await.unwrap().is_none());
            }};
        }
        if stateful_store {
            run!(stateful(&t, clock.clone()));
        } else {
            run!(stateless(&t, clock.clone(), SessionConfig::default()));
        }
    }
}

#[tokio::test]
async fn a_non_rolling_session_ends_at_its_absolute_duration_whatever_the_use() {
    let t = tenant().await;
    let clock = ManualClock::new();
    let config = SessionConfig {
        rolling: false,
        absolute_duration: 2 * HOUR,
        ..SessionConfig::default()
    };
    let client = stateless(&t, clock.clone(), config);
    let mut jar = MemoryCookieJar::new();
    login(&client, &mut jar, json!(null)).await;
    clock.advance(HOUR);
    assert!(client.get_user(&mut jar).await.unwrap().is_some());
    clock.advance(HOUR);
    assert!(client.get_user(&mut jar).await.unwrap().is_none());
}

#[tokio::test]
async fn tampered_truncated_and_reordered_cookies_are_refused_and_cleared() {
    let t = tenant().await;
    let clock = ManualClock::new();
    let client = stateless(&t, clock.clone(), SessionConfig::default());
    let mut jar = MemoryCookieJar::new();
    login(&client, &mut jar, json!(null)).await;
    // Make the session span several chunks with a large token set list.
    let mut big = client.get_session(&mut jar).await.unwrap().unwrap();
    for i in 0..40 {
        let mut ts = big.token_sets[0].clone();
        ts.audience = format!("https://api{i}.example.com/");
        big.token_sets.push(ts);
    }
    use auth0_server::StateStore;
    client
        .state_store()
        .set("__a0_session", &big, false, &mut jar, clock.now_secs())
        .await
        .unwrap();
    let good = jar.clone();
    assert!(good.get("__a0_session.1").is_some(), "several chunks");

    let mutations: Vec<(&str, Mutation)> = vec![
        (
            "tampered",
            Box::new(|j| {
                let v = j.get("__a0_session.0").unwrap();
                let c = if v.as_bytes()[200] == b'A' { "B" } else { "A" };
                j.insert("__a0_session.0", format!("{}{c}{}", &v[..200], &v[201..]));
            }),
        ),
        (
            "truncated",
            Box::new(|j| {
                let v = j.get("__a0_session.1").unwrap();
                j.insert("__a0_session.1", v[..v.len() - 5].to_string());
            }),
        ),
        (
            "re-ordered",
            Box::new(|j| {
                let a = j.get("__a0_session.0").unwrap();
                let b = j.get("__a0_session.1").unwrap();
                j.insert("__a0_session.0", b);
                j.insert("__a0_session.1", a);
            }),
        ),
        (
            "chunk missing",
            Box::new(|j| {
                let v = j.get("__a0_session.1").unwrap();
                j.insert("__a0_session.7", v);
                CookieJar::delete(j, "__a0_session.1", &Default::default());
            }),
        ),
        (
            "garbage",
            Box::new(|j| j.insert("__a0_session.0", "not a jwe at all")),
        ),
    ];
    for (what, mutate) in mutations {
        let mut jar = good.clone();
        mutate(&mut jar);
        let err = client.get_user(&mut jar).await.unwrap_err();
        assert_eq!(err.code(), "invalid_cookie_error", "{what}: {err}");
        let Error::CookieRejected { problem, .. } = &err else {
            panic!("{what}: {err}")
        };
        if what == "chunk missing" {
            assert!(
                matches!(problem, CookieProblem::BadChunks(_)),
                "{what}: {problem}"
            );
        }
        // Cleared: the next request starts without a session, and no cookie value leaks.
        assert!(client.get_user(&mut jar).await.unwrap().is_none(), "{what}");
        let message = err.to_string();
        assert!(
            !message.contains(&good.get("__a0_session.0").unwrap()[..40]),
            "{what}"
        );
        // A fresh login works after it.
        login(&client, &mut jar, json!(null)).await;
        assert!(client.get_user(&mut jar).await.unwrap().is_some(), "{what}");
    }
    // A tampered transaction cookie is refused at the callback.
    let mut jar = MemoryCookieJar::new();
    client
        .start_interactive_login(StartInteractiveLoginRequest::new(), &mut jar)
        .await
        .unwrap();
    let v = jar.get("__a0_tx").unwrap();
    jar.insert("__a0_tx", format!("{}x", &v[..v.len() - 1]));
    let err = client
        .complete_interactive_login(
            CompleteInteractiveLoginRequest::new(format!("{CALLBACK}?code=c")),
            &mut jar,
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invalid_cookie_error", "{err}");
    assert!(jar.get("__a0_tx").is_none());
}

#[tokio::test]
async fn no_debug_output_or_message_shows_a_secret() {
    let t = tenant().await;
    let client = stateful(&t, ManualClock::new());
    let mut jar = MemoryCookieJar::new();
    login(&client, &mut jar, json!(null)).await;
    let session = client.get_session(&mut jar).await.unwrap().unwrap();
    let token = client
        .get_access_token(AccessTokenRequest::new(), &mut jar)
        .await
        .unwrap();
    let secrets_seen = [
        session
            .refresh_token
            .as_ref()
            .unwrap()
            .expose_secret()
            .to_owned(),
        session
            .id_token
            .as_ref()
            .unwrap()
            .expose_secret()
            .to_owned(),
        token.access_token.expose_secret().to_owned(),
        jar.get("__a0_session").unwrap(),
        SECRET.to_owned(),
    ];
    let mut tampered = jar.clone();
    tampered.insert("__a0_session", "eyJhbGciOiJkaXIifQ..x.y.z");
    let err = client.get_session(&mut tampered).await.unwrap_err();
    assert_eq!(err.code(), "invalid_cookie_error");
    assert!(tampered.get("__a0_session").is_none(), "cleared");
    let outputs = [
        format!("{session:?}"),
        format!("{token:?}"),
        format!("{client:?}"),
        format!("{jar:?}"),
        format!("{:?}", secrets()),
        format!("{:?}", client.state_store()),
        format!("{err:?} {err}"),
        format!(
            "{:?}",
            BackchannelLogoutRequest::new(SecretString::from(SECRET.to_owned()))
        ),
    ];
    for out in &outputs {
        for secret in &secrets_seen {
            assert!(!out.contains(secret.as_str()), "{out}");
        }
    }
}

#[tokio::test]
async fn an_identity_provider_ceiling_ends_the_session_early() {
    let t = tenant().await;
    let clock = ManualClock::new();
    let client = stateful(&t, clock.clone());
    let mut jar = MemoryCookieJar::new();
    login(&client, &mut jar, json!(null)).await;
    // The enterprise IdP said the session ends in ten minutes.
    let mut state = client.get_session(&mut jar).await.unwrap().unwrap();
    state.session_expires_at = Some(clock.now_secs() + 600);
    use auth0_server::StateStore;
    client
        .state_store()
        .set("__a0_session", &state, false, &mut jar, clock.now_secs())
        .await
        .unwrap();
    assert!(client.get_user(&mut jar).await.unwrap().is_some());
    // The cookie lives no longer than the ceiling.
    let last = jar.changes().last().unwrap();
    assert!(last.2.max_age.unwrap() <= 600, "{:?}", last.2.max_age);
    // Within the 30 s leeway of the ceiling it is over: no user, and no refresh is attempted.
    clock.advance(600 - 20);
    let before = t.requests_to("/oauth/token").len();
    let err = client
        .get_access_token(AccessTokenRequest::new().audience(SECOND_API), &mut jar)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "session_expired");
    assert_eq!(t.requests_to("/oauth/token").len(), before);
    assert!(client.get_user(&mut jar).await.unwrap().is_none());
    assert_eq!(client.state_store().store().len().await, 0);
}

/// Logs in with an ID token carrying `session_expiry` (signed by the tenant, the login's nonce).
async fn login_with_session_expiry(
    t: &auth0_emulator::RunningEmulator,
    client: &Stateful,
    jar: &mut MemoryCookieJar,
    clock: &ManualClock,
    expiry_after_iat: u64,
) -> Result<(), Error> {
    let url = client
        .start_interactive_login(StartInteractiveLoginRequest::new(), jar)
        .await
        .unwrap();
    let nonce = url
        .query_pairs()
        .find(|(k, _)| k == "nonce")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    let iat = clock.now_secs();
    t.set_next_id_token(t.sign_jwt(
        None,
        &json!({
            "iss": t.issuer(), "aud": demo::CLIENT_ID, "sub": demo_user_id(), "iat": iat,
            "exp": iat + 3600, "nonce": nonce, "sid": "sid-with-ceiling",
            "session_expiry": iat + expiry_after_iat
        }),
    ));
    let callback = browser_login(url.as_str(), demo::USERNAME, demo::PASSWORD).await;
    client
        .complete_interactive_login(CompleteInteractiveLoginRequest::new(callback), jar)
        .await
        .map(|_| ())
}

#[tokio::test]
async fn a_login_carrying_a_session_expiry_keeps_it_or_is_refused_when_born_expired() {
    let t = tenant().await;
    let clock = ManualClock::new();
    let client = stateful(&t, clock.clone());
    let mut jar = MemoryCookieJar::new();
    login_with_session_expiry(&t, &client, &mut jar, &clock, 3600)
        .await
        .unwrap();
    let session = client.get_session(&mut jar).await.unwrap().unwrap();
    assert_eq!(
        session.session_expires_at,
        Some(clock.now_secs() + 3600),
        "the ceiling is kept"
    );

    // A ceiling within the leeway of the token's issue time: nothing is kept.
    let mut fresh = MemoryCookieJar::new();
    let err = login_with_session_expiry(&t, &client, &mut fresh, &clock, 10)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "session_expired");
    assert!(fresh.get("__a0_session").is_none());
}

/// Web frameworks run handlers on a multi-threaded runtime: the client is shared across
/// threads and every operation's future can move between them.
#[tokio::test]
async fn the_client_and_its_futures_are_send() {
    fn send<T: Send>(t: T) -> T {
        t
    }
    fn shared<T: Send + Sync + Clone + 'static>(_: &T) {}
    let t = tenant().await;
    let stateless_client = stateless(&t, ManualClock::new(), SessionConfig::default());
    let stateful_client = stateful(&t, ManualClock::new());
    shared(&stateless_client);
    shared(&stateful_client);
    let mut jar = MemoryCookieJar::new();
    let url = send(
        stateful_client.start_interactive_login(StartInteractiveLoginRequest::new(), &mut jar),
    )
    .await
    .unwrap();
    let callback = browser_login(url.as_str(), demo::USERNAME, demo::PASSWORD).await;
    // Completed on another task (another thread of the runtime).
    let moved = stateful_client.clone();
    let jar = tokio::spawn(async move {
        let mut jar = jar;
        moved
            .complete_interactive_login(CompleteInteractiveLoginRequest::new(callback), &mut jar)
            .await
            .unwrap();
        moved
            .get_access_token(AccessTokenRequest::new(), &mut jar)
            .await
            .unwrap();
        moved
            .handle_backchannel_logout(BackchannelLogoutRequest::new(SecretString::from(
                String::new(),
            )))
            .await
            .unwrap_err();
        jar
    })
    .await
    .unwrap();
    assert!(jar.get("__a0_session").is_some());
    let mut jar2 = MemoryCookieJar::new();
    assert!(
        send(stateless_client.get_user(&mut jar2))
            .await
            .unwrap()
            .is_none()
    );
}
