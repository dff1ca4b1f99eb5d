//! Client-initiated back-channel authentication against the emulator: approve, deny, pending,
//! `slow_down`, expiry, with the spacing of polls observed.

mod common;

use std::time::Duration;

use auth0_auth::{BackchannelAuthenticationRequest, ErrorCode, ExposeSecret};
use auth0_emulator::{Emulator, RunningEmulator, demo};
use common::{bounded, client, public_client, tenant};

async fn ciba_tenant() -> RunningEmulator {
    tenant(Emulator::builder().demo_tenant().ciba_interval(1)).await
}

/// The demo user's id, as the emulator derives it.
fn user_id() -> String {
    auth0_emulator::UserConfig::new(demo::USERNAME, demo::PASSWORD)
        .id()
        .to_string()
}

#[tokio::test]
async fn initiation_sends_the_login_hint_and_binding_message() {
    let t = ciba_tenant().await;
    let c = client(&t);
    let started = bounded(
        c.initiate_backchannel_authentication(
            BackchannelAuthenticationRequest::new(
                auth0_auth::UserId::new(user_id()),
                "Approve login 42?",
            )
            .requested_expiry(120)
            .authorization_details(serde_json::json!([{"type": "x"}])),
        ),
    )
    .await
    .unwrap();
    assert!(!started.auth_req_id.expose_secret().is_empty());
    assert_eq!(started.expires_in, 120);
    assert_eq!(started.interval, Some(1));
    let sent = t.requests_to("/bc-authorize").pop().unwrap();
    let names: Vec<String> = sent.form().into_iter().map(|(k, _)| k).collect();
    assert_eq!(
        names,
        [
            "scope",
            "client_id",
            "binding_message",
            "login_hint",
            "requested_expiry",
            "authorization_details",
            "client_secret"
        ]
    );
    let hint: serde_json::Value =
        serde_json::from_str(&sent.form_value("login_hint").unwrap()).unwrap();
    assert_eq!(
        hint,
        serde_json::json!({"format": "iss_sub", "iss": t.issuer(), "sub": user_id()})
    );
    assert_eq!(
        sent.form_value("scope").as_deref(),
        Some("openid profile email offline_access")
    );
}

#[tokio::test]
async fn polling_waits_for_approval_and_keeps_the_interval() {
    let t = ciba_tenant().await;
    let c = client(&t);
    let started = bounded(c.initiate_backchannel_authentication(
        BackchannelAuthenticationRequest::new(auth0_auth::UserId::new(user_id()), "Approve?"),
    ))
    .await
    .unwrap();
    t.approve_ciba_after(
        started.auth_req_id.expose_secret(),
        Duration::from_millis(2500),
    );
    let tokens = bounded(c.poll_backchannel_authentication(&started))
        .await
        .unwrap();
    assert!(!tokens.access_token.expose_secret().is_empty());
    assert!(tokens.claims.is_some());
    let polls = t.ciba_poll_times(started.auth_req_id.expose_secret());
    assert!(polls.len() >= 2, "{} polls", polls.len());
    for pair in polls.windows(2) {
        assert!(
            pair[1] - pair[0] >= Duration::from_millis(950),
            "polls {:?} apart",
            pair[1] - pair[0]
        );
    }
}

#[tokio::test]
async fn a_denial_ends_polling_with_access_denied() {
    let t = ciba_tenant().await;
    let c = client(&t);
    let started = bounded(c.initiate_backchannel_authentication(
        BackchannelAuthenticationRequest::new(auth0_auth::UserId::new(user_id()), "Approve?"),
    ))
    .await
    .unwrap();
    assert!(t.deny_ciba(started.auth_req_id.expose_secret()));
    let e = bounded(c.poll_backchannel_authentication(&started))
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::BackchannelAuthentication);
    assert_eq!(e.oauth().unwrap().error, "access_denied");
}

#[tokio::test]
async fn a_single_poll_reports_pending_and_slow_down() {
    let t = ciba_tenant().await;
    let c = client(&t);
    let started = bounded(c.initiate_backchannel_authentication(
        BackchannelAuthenticationRequest::new(auth0_auth::UserId::new(user_id()), "Approve?"),
    ))
    .await
    .unwrap();
    // Polling at once is too fast.
    let e = bounded(c.backchannel_authentication_grant(&started.auth_req_id))
        .await
        .unwrap_err();
    assert_eq!(e.oauth().unwrap().error, "slow_down");
    tokio::time::sleep(Duration::from_millis(6100)).await;
    let e = bounded(c.backchannel_authentication_grant(&started.auth_req_id))
        .await
        .unwrap_err();
    assert_eq!(e.oauth().unwrap().error, "authorization_pending");
}

#[tokio::test]
async fn polling_gives_up_at_expiry() {
    let t = ciba_tenant().await;
    let c = client(&t);
    let started = bounded(
        c.initiate_backchannel_authentication(
            BackchannelAuthenticationRequest::new(auth0_auth::UserId::new(user_id()), "Approve?")
                .requested_expiry(3),
        ),
    )
    .await
    .unwrap();
    let e = bounded(c.poll_backchannel_authentication(&started))
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::BackchannelAuthentication);
    let error = &e.oauth().unwrap().error;
    assert!(error == "expired_token", "{e}");
}

#[tokio::test]
async fn the_all_in_one_call_completes_when_approved() {
    let t = ciba_tenant().await;
    let c = client(&t);
    let watcher = t.clone();
    tokio::spawn(async move {
        for _ in 0..50 {
            if let Some(r) = watcher.ciba_requests().pop() {
                watcher.approve_ciba(&r.auth_req_id);
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    let tokens = bounded(
        c.backchannel_authentication(BackchannelAuthenticationRequest::new(
            auth0_auth::UserId::new(user_id()),
            "Approve?",
        )),
    )
    .await
    .unwrap();
    assert_eq!(tokens.claims.unwrap().email(), Some(demo::USERNAME));
}

#[tokio::test]
async fn dropping_the_future_cancels_polling() {
    let t = ciba_tenant().await;
    let c = client(&t);
    let outcome = tokio::time::timeout(
        Duration::from_millis(1500),
        c.backchannel_authentication(BackchannelAuthenticationRequest::new(
            auth0_auth::UserId::new(user_id()),
            "Approve?",
        )),
    )
    .await;
    assert!(outcome.is_err(), "still pending, so the timeout dropped it");
    let polls_then = t.requests_to("/oauth/token").len();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(
        t.requests_to("/oauth/token").len(),
        polls_then,
        "no polls after the drop"
    );
}

#[tokio::test]
async fn public_clients_cannot_use_ciba() {
    let t = ciba_tenant().await;
    let e = bounded(public_client(&t).initiate_backchannel_authentication(
        BackchannelAuthenticationRequest::new(auth0_auth::UserId::new("auth0|x"), "m"),
    ))
    .await
    .unwrap_err();
    assert_eq!(e.code().as_str(), "missing_client_auth_error");
}
