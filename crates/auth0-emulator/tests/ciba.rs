//! CIBA: `/bc-authorize`, the test handle's approve / deny, and the `ciba` grant's answers
//! (pending, slow_down, denied, expired, tokens).

mod common;

use std::time::{Duration, Instant};

use auth0_emulator::{
    CibaStatus, ClientConfig, Emulator, EmulatorBuilder, RunningEmulator, UserConfig, demo,
};
use common::{http, token, verify, within};
use serde_json::{Value, json};

/// A form, the expected status and the expected `error`.
type Case<'a> = (Vec<(&'a str, &'a str)>, u16, &'a str);

const CIBA_GRANT: &str = "urn:openid:params:grant-type:ciba";

async fn tenant(interval: u64) -> RunningEmulator {
    tenant_with(Emulator::builder().ciba_interval(interval)).await
}

async fn tenant_with(builder: EmulatorBuilder) -> RunningEmulator {
    builder
        .demo_tenant()
        .client(ClientConfig::confidential("other-app", "other-secret"))
        .start()
        .await
        .expect("emulator starts")
}

fn demo_user_id() -> String {
    UserConfig::new(demo::USERNAME, demo::PASSWORD)
        .id()
        .to_owned()
}

fn login_hint(em: &RunningEmulator, sub: &str) -> String {
    json!({"format": "iss_sub", "iss": em.issuer(), "sub": sub}).to_string()
}

/// POSTs a form to `/bc-authorize` as the demo confidential client (plus `extra`).
async fn bc_authorize(em: &RunningEmulator, extra: &[(&str, &str)]) -> (u16, Value) {
    let mut form: Vec<(&str, &str)> = extra.to_vec();
    if !form.iter().any(|(k, _)| *k == "client_id") {
        form.push(("client_id", demo::CLIENT_ID));
        form.push(("client_secret", demo::CLIENT_SECRET));
    }
    let response = http()
        .post(format!("{}/bc-authorize", em.base_url()))
        .form(&form)
        .send()
        .await
        .expect("bc-authorize request");
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON body"))
}

/// Starts a request for the demo user with `extra` parameters; returns its `auth_req_id`.
async fn initiate(em: &RunningEmulator, extra: &[(&str, &str)]) -> String {
    let hint = login_hint(em, &demo_user_id());
    let mut form = vec![
        ("scope", "openid"),
        ("binding_message", "Approve transfer #4410?"),
        ("login_hint", hint.as_str()),
    ];
    for (k, v) in extra {
        form.retain(|(name, _)| name != k);
        form.push((k, v));
    }
    let (status, body) = bc_authorize(em, &form).await;
    assert_eq!(status, 200, "{body}");
    body["auth_req_id"].as_str().unwrap().to_owned()
}

async fn poll(em: &RunningEmulator, id: &str) -> (u16, Value) {
    token(
        em,
        &[
            ("grant_type", CIBA_GRANT),
            ("auth_req_id", id),
            ("client_id", demo::CLIENT_ID),
            ("client_secret", demo::CLIENT_SECRET),
        ],
    )
    .await
}

#[tokio::test]
async fn approved_requests_give_tokens_once() {
    within(async {
        let em = tenant(0).await;
        let details = json!([{"type": "payment_initiation", "amount": "10.00", "currency": "EUR"}]);
        let details_text = details.to_string();
        let hint = login_hint(&em, &demo_user_id());
        let (status, started) = bc_authorize(
            &em,
            &[
                ("scope", "openid profile email offline_access read:messages"),
                ("audience", demo::AUDIENCE),
                ("binding_message", "Pay 10 EUR?"),
                ("login_hint", &hint),
                ("authorization_details", &details_text),
            ],
        )
        .await;
        assert_eq!(status, 200, "{started}");
        assert_eq!(started["expires_in"], 300);
        assert_eq!(started["interval"], 0);
        let id = started["auth_req_id"].as_str().unwrap();

        let requests = em.ciba_requests();
        assert_eq!(requests.len(), 1);
        let info = &requests[0];
        assert_eq!(info.auth_req_id, id);
        assert_eq!(info.user_id, demo_user_id());
        assert_eq!(info.client_id, demo::CLIENT_ID);
        assert_eq!(info.binding_message, "Pay 10 EUR?");
        assert_eq!(
            info.scope,
            "openid profile email offline_access read:messages"
        );
        assert_eq!(info.audience.as_deref(), Some(demo::AUDIENCE));
        assert_eq!(info.authorization_details, Some(details.clone()));
        assert_eq!(info.status, CibaStatus::Pending);

        let (status, err) = poll(&em, id).await;
        assert_eq!(
            (status, err["error"].as_str()),
            (400, Some("authorization_pending"))
        );

        assert!(em.approve_ciba(id));
        assert!(
            !em.approve_ciba(id),
            "only pending requests can be answered"
        );
        assert!(!em.approve_ciba("unknown"));
        assert_eq!(em.ciba_requests()[0].status, CibaStatus::Approved);
        let (status, body) = poll(&em, id).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["authorization_details"], details);
        assert!(body["refresh_token"].is_string());
        let claims = verify(&em, body["id_token"].as_str().unwrap(), demo::CLIENT_ID).await;
        assert_eq!(claims["sub"], demo_user_id());
        assert_eq!(claims["email"], demo::USERNAME);
        let access = verify(&em, body["access_token"].as_str().unwrap(), demo::AUDIENCE).await;
        assert_eq!(access["gty"], "ciba");
        assert!(access["scope"].as_str().unwrap().contains("read:messages"));

        // Once only.
        let (status, err) = poll(&em, id).await;
        assert_eq!(
            (status, err["error"].as_str()),
            (403, Some("invalid_grant"))
        );
        assert!(em.ciba_requests()[0].redeemed);
        assert_eq!(em.ciba_poll_times(id).len(), 3);
        assert!(em.ciba_poll_times("unknown").is_empty());
    })
    .await;
}

#[tokio::test]
async fn denied_requests_answer_access_denied() {
    within(async {
        let em = tenant(0).await;
        let id = initiate(&em, &[]).await;
        assert!(em.deny_ciba(&id));
        assert!(!em.approve_ciba(&id));
        assert_eq!(em.ciba_requests()[0].status, CibaStatus::Denied);
        for _ in 0..2 {
            let (status, err) = poll(&em, &id).await;
            assert_eq!(
                (status, err["error"].as_str()),
                (400, Some("access_denied"))
            );
        }
    })
    .await;
}

#[tokio::test]
async fn polling_too_fast_slows_down() {
    within(async {
        let em = tenant(1).await;
        let hint = login_hint(&em, &demo_user_id());
        let (_, started) = bc_authorize(
            &em,
            &[
                ("scope", "openid"),
                ("binding_message", "hi"),
                ("login_hint", &hint),
            ],
        )
        .await;
        assert_eq!(started["interval"], 1);
        let id = started["auth_req_id"].as_str().unwrap();
        // Sooner than the interval after the initiation.
        let (status, err) = poll(&em, id).await;
        assert_eq!((status, err["error"].as_str()), (400, Some("slow_down")));
        assert_eq!(em.ciba_requests()[0].interval, 6);

        // Back to a 1 s interval for a fresh request: waiting it out is fine, hurrying is not.
        let id = initiate(&em, &[]).await;
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let (status, err) = poll(&em, &id).await;
        assert_eq!(
            (status, err["error"].as_str()),
            (400, Some("authorization_pending"))
        );
        let (status, err) = poll(&em, &id).await;
        assert_eq!((status, err["error"].as_str()), (400, Some("slow_down")));
        let info = em
            .ciba_requests()
            .into_iter()
            .find(|r| r.auth_req_id == id)
            .unwrap();
        assert_eq!(info.interval, 6);
        let times = em.ciba_poll_times(&id);
        assert_eq!(times.len(), 2);
        assert!(times[1] >= times[0]);
    })
    .await;
}

#[tokio::test]
async fn requests_expire() {
    within(async {
        let em = tenant(0).await;
        let id = initiate(&em, &[("requested_expiry", "1")]).await;
        tokio::time::sleep(Duration::from_millis(1200)).await;
        em.approve_ciba(&id);
        let (status, err) = poll(&em, &id).await;
        assert_eq!(
            (status, err["error"].as_str()),
            (400, Some("expired_token"))
        );

        let hint = login_hint(&em, &demo_user_id());
        let (_, started) = bc_authorize(
            &em,
            &[
                ("scope", "openid"),
                ("binding_message", "b"),
                ("login_hint", &hint),
                ("requested_expiry", "42"),
            ],
        )
        .await;
        assert_eq!(started["expires_in"], 42);
    })
    .await;
}

#[tokio::test]
async fn approval_after_a_delay_and_polling_at_the_interval() {
    within(async {
        let em = tenant(1).await;
        let id = initiate(&em, &[]).await;
        let started = Instant::now();
        em.approve_ciba_after(&id, Duration::from_millis(1500));
        let tokens = loop {
            tokio::time::sleep(Duration::from_secs(1)).await;
            let (status, body) = poll(&em, &id).await;
            match (status, body["error"].as_str()) {
                (200, _) => break body,
                (400, Some("authorization_pending")) => {}
                other => panic!("unexpected answer {other:?}: {body}"),
            }
        };
        assert!(started.elapsed() >= Duration::from_millis(1500));
        assert!(tokens["id_token"].is_string());
        let times = em.ciba_poll_times(&id);
        assert!(times.len() >= 2);
        for pair in times.windows(2) {
            assert!(pair[1].duration_since(pair[0]) >= Duration::from_secs(1));
        }
    })
    .await;
}

#[tokio::test]
async fn bad_initiations_are_refused() {
    within(async {
        let em = tenant(0).await;
        let hint = login_hint(&em, &demo_user_id());
        let wrong_iss = json!({"format": "iss_sub", "iss": "https://elsewhere.example.com/", "sub": demo_user_id()}).to_string();
        let unknown = login_hint(&em, "auth0|nobody");
        let cases: Vec<Case> = vec![
            (vec![("scope", "profile"), ("binding_message", "b"), ("login_hint", &hint)], 400, "invalid_request"),
            (vec![("binding_message", "b"), ("login_hint", &hint)], 400, "invalid_request"),
            (vec![("scope", "openid"), ("login_hint", &hint)], 400, "invalid_request"),
            (vec![("scope", "openid"), ("binding_message", "b")], 400, "invalid_request"),
            (vec![("scope", "openid"), ("binding_message", "b"), ("login_hint", "not json")], 400, "invalid_request"),
            (vec![("scope", "openid"), ("binding_message", "b"), ("login_hint", &wrong_iss)], 400, "invalid_request"),
            (vec![("scope", "openid"), ("binding_message", "b"), ("login_hint", &unknown)], 400, "unknown_user_id"),
            (vec![("scope", "openid"), ("binding_message", "b"), ("login_hint", &hint), ("requested_expiry", "soon")], 400, "invalid_request"),
            (vec![("scope", "openid"), ("binding_message", "b"), ("login_hint", &hint), ("authorization_details", "{")], 400, "invalid_request"),
            (vec![("scope", "openid"), ("binding_message", "b"), ("login_hint", &hint), ("audience", "https://nope/")], 403, "access_denied"),
            (vec![("scope", "openid"), ("binding_message", "b"), ("login_hint", &hint), ("client_id", demo::PUBLIC_CLIENT_ID)], 403, "unauthorized_client"),
            (vec![("scope", "openid"), ("binding_message", "b"), ("login_hint", &hint), ("client_id", demo::CLIENT_ID)], 401, "invalid_client"),
        ];
        for (form, status, error) in cases {
            let (got, body) = bc_authorize(&em, &form).await;
            assert_eq!((got, body["error"].as_str()), (status, Some(error)), "{form:?}: {body}");
        }
        assert!(em.ciba_requests().is_empty());
    })
    .await;
}

#[tokio::test]
async fn only_the_initiating_confidential_client_may_poll() {
    within(async {
        let em = tenant(0).await;
        let id = initiate(&em, &[]).await;
        em.approve_ciba(&id);
        let (status, err) = token(
            &em,
            &[
                ("grant_type", CIBA_GRANT),
                ("auth_req_id", &id),
                ("client_id", "other-app"),
                ("client_secret", "other-secret"),
            ],
        )
        .await;
        assert_eq!(
            (status, err["error"].as_str()),
            (403, Some("invalid_grant"))
        );
        let (status, err) = token(
            &em,
            &[
                ("grant_type", CIBA_GRANT),
                ("auth_req_id", &id),
                ("client_id", demo::PUBLIC_CLIENT_ID),
            ],
        )
        .await;
        assert_eq!(
            (status, err["error"].as_str()),
            (403, Some("unauthorized_client"))
        );
        let (status, err) = poll(&em, "no-such-request").await;
        assert_eq!(
            (status, err["error"].as_str()),
            (403, Some("invalid_grant"))
        );
        // The rightful client still gets its tokens.
        assert_eq!(poll(&em, &id).await.0, 200);
    })
    .await;
}

#[test]
fn approve_after_works_outside_a_runtime() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let em = runtime.block_on(tenant(0));
    let id = runtime.block_on(async { initiate(&em, &[]).await });
    em.approve_ciba_after(&id, Duration::from_millis(50));
    let deadline = Instant::now() + Duration::from_secs(10);
    while em.ciba_requests()[0].status != CibaStatus::Approved {
        assert!(Instant::now() < deadline, "never approved");
        std::thread::sleep(Duration::from_millis(20));
    }
}
