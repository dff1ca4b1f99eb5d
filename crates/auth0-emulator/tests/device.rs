//! The device authorization flow (RFC 8628): `/oauth/device/code`, the `/activate` page, the
//! test handle's approve / deny, and the `device_code` grant's answers.

mod common;

use std::time::Duration;

use auth0_emulator::{
    ClientConfig, DeviceStatus, Emulator, EmulatorBuilder, RunningEmulator, UserConfig, demo,
};
use common::{get_json, http, token, verify, within};
use serde_json::Value;

const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
const ALPHABET: &str = "BCDFGHJKLMNPQRSTVWXZ";

async fn tenant(interval: u64) -> RunningEmulator {
    tenant_with(Emulator::builder().device_interval(interval)).await
}

async fn tenant_with(builder: EmulatorBuilder) -> RunningEmulator {
    builder
        .demo_tenant()
        .client(ClientConfig::public("other-public"))
        .start()
        .await
        .expect("emulator starts")
}

/// POSTs a form to `/oauth/device/code`.
async fn device_code(em: &RunningEmulator, form: &[(&str, &str)]) -> (u16, Value) {
    let response = http()
        .post(format!("{}/oauth/device/code", em.base_url()))
        .form(form)
        .send()
        .await
        .expect("device code request");
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON body"))
}

/// Starts a request as the demo public client with `extra`; returns the answer.
async fn start(em: &RunningEmulator, extra: &[(&str, &str)]) -> Value {
    let mut form = vec![("client_id", demo::PUBLIC_CLIENT_ID)];
    form.extend_from_slice(extra);
    let (status, body) = device_code(em, &form).await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn poll_as(em: &RunningEmulator, client_id: &str, device_code: &str) -> (u16, Value) {
    token(
        em,
        &[
            ("grant_type", DEVICE_GRANT),
            ("device_code", device_code),
            ("client_id", client_id),
        ],
    )
    .await
}

async fn poll(em: &RunningEmulator, started: &Value) -> (u16, Value) {
    poll_as(
        em,
        demo::PUBLIC_CLIENT_ID,
        started["device_code"].as_str().unwrap(),
    )
    .await
}

fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or_else(|| panic!("{key} in {v}"))
}

/// GETs `/activate` (with a query) and returns the status and HTML.
async fn page(em: &RunningEmulator, query: &str) -> (u16, String) {
    let response = http()
        .get(format!("{}/activate{query}", em.base_url()))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    (status, response.text().await.unwrap())
}

/// POSTs the activation form.
async fn submit(em: &RunningEmulator, form: &[(&str, &str)]) -> (u16, String) {
    let response = http()
        .post(format!("{}/activate", em.base_url()))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

/// The value of the input named `name` in `html` (`name="…" value="…"`).
fn input_value(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_owned())
}

#[tokio::test]
async fn starting_answers_codes_and_uris() {
    within(async {
        let em = tenant(5).await;
        let doc = get_json(&em, "/.well-known/openid-configuration").await;
        assert_eq!(
            doc["device_authorization_endpoint"],
            format!("{}oauth/device/code", em.issuer())
        );
        assert!(
            doc["grant_types_supported"]
                .to_string()
                .contains(DEVICE_GRANT)
        );

        let started = start(&em, &[]).await;
        let user_code = text(&started, "user_code");
        assert_eq!(user_code.len(), 9);
        assert_eq!(&user_code[4..5], "-");
        assert!(
            user_code
                .chars()
                .filter(|c| *c != '-')
                .all(|c| ALPHABET.contains(c))
        );
        assert!(text(&started, "device_code").len() >= 32);
        assert_eq!(
            started["verification_uri"],
            format!("{}activate", em.issuer())
        );
        assert_eq!(
            started["verification_uri_complete"],
            format!("{}activate?user_code={user_code}", em.issuer())
        );
        assert_eq!(started["expires_in"], 900);
        assert_eq!(started["interval"], 5);
        let requests = em.device_requests();
        assert_eq!(requests.len(), 1);
        assert_eq!(requests[0].user_code, user_code);
        assert_eq!(requests[0].client_id, demo::PUBLIC_CLIENT_ID);
        assert_eq!(requests[0].scope, "openid");
        assert_eq!(requests[0].status, DeviceStatus::Pending);
        assert!(!format!("{:?}", requests[0]).contains(text(&started, "device_code")));

        // A confidential client authenticates as at the token endpoint.
        let (status, body) = device_code(
            &em,
            &[("client_id", demo::CLIENT_ID), ("client_secret", "wrong")],
        )
        .await;
        assert_eq!((status, text(&body, "error")), (401, "invalid_client"));
        let (status, body) = device_code(
            &em,
            &[
                ("client_id", demo::CLIENT_ID),
                ("client_secret", demo::CLIENT_SECRET),
                ("scope", "openid offline_access"),
                ("audience", demo::AUDIENCE),
            ],
        )
        .await;
        assert_eq!(status, 200, "{body}");
        // Unknown audience, unknown client, no client.
        let (status, body) = device_code(
            &em,
            &[
                ("client_id", demo::PUBLIC_CLIENT_ID),
                ("audience", "https://nope/"),
            ],
        )
        .await;
        assert_eq!((status, text(&body, "error")), (403, "access_denied"));
        let (status, body) = device_code(&em, &[("client_id", "nobody")]).await;
        assert_eq!((status, text(&body, "error")), (401, "invalid_client"));
        let (status, body) = device_code(&em, &[("scope", "openid")]).await;
        assert_eq!((status, text(&body, "error")), (400, "invalid_request"));
        // A custom lifetime.
        let em2 =
            tenant_with(Emulator::builder().device_code_lifetime(Duration::from_secs(42))).await;
        assert_eq!(start(&em2, &[]).await["expires_in"], 42);
        em.shutdown().await;
        em2.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn approving_on_the_page_gives_tokens_once() {
    within(async {
        let em = tenant(0).await;
        let started = start(
            &em,
            &[
                ("scope", "openid profile email offline_access read:messages"),
                ("audience", demo::AUDIENCE),
            ],
        )
        .await;
        let user_code = text(&started, "user_code").to_owned();

        let (status, body) = poll(&em, &started).await;
        assert_eq!(
            (status, text(&body, "error")),
            (400, "authorization_pending")
        );

        // The page from verification_uri_complete carries the code.
        let complete = text(&started, "verification_uri_complete");
        let query = &complete[complete.find('?').unwrap()..];
        let (status, html) = page(&em, query).await;
        assert_eq!(status, 200);
        assert_eq!(
            input_value(&html, "user_code").as_deref(),
            Some(user_code.as_str())
        );
        assert!(html.contains("name=\"action\" value=\"approve\""));
        assert!(html.contains("name=\"action\" value=\"deny\""));
        assert!(html.contains("name=\"username\"") && html.contains("name=\"password\""));

        // A wrong password leaves the request pending.
        let (status, html) = submit(
            &em,
            &[
                ("user_code", &user_code),
                ("username", demo::USERNAME),
                ("password", "wrong"),
                ("action", "approve"),
            ],
        )
        .await;
        assert_eq!(status, 200);
        assert!(html.contains("Wrong email or password."));
        assert_eq!(em.device_requests()[0].status, DeviceStatus::Pending);

        // The code is accepted in lower case without the dash.
        let typed = user_code.replace('-', "").to_lowercase();
        let (status, html) = submit(
            &em,
            &[
                ("user_code", &typed),
                ("username", demo::USERNAME),
                ("password", demo::PASSWORD),
                ("action", "approve"),
            ],
        )
        .await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("Device approved"));
        let info = &em.device_requests()[0];
        assert_eq!(info.status, DeviceStatus::Approved);
        let user_id = UserConfig::new(demo::USERNAME, demo::PASSWORD)
            .id()
            .to_owned();
        assert_eq!(info.user_id.as_deref(), Some(user_id.as_str()));

        let (status, body) = poll(&em, &started).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["token_type"], "Bearer");
        assert!(body["refresh_token"].is_string());
        let access = verify(&em, text(&body, "access_token"), demo::AUDIENCE).await;
        assert_eq!(access["sub"], user_id.as_str());
        assert_eq!(access["azp"], demo::PUBLIC_CLIENT_ID);
        assert!(text(&access, "scope").contains("read:messages"));
        let id = verify(&em, text(&body, "id_token"), demo::PUBLIC_CLIENT_ID).await;
        assert_eq!(id["email"], demo::USERNAME);

        // Once only; and the answered code can no longer be used on the page.
        let (status, body) = poll(&em, &started).await;
        assert_eq!((status, text(&body, "error")), (403, "invalid_grant"));
        let (status, html) = submit(
            &em,
            &[
                ("user_code", &user_code),
                ("username", demo::USERNAME),
                ("password", demo::PASSWORD),
                ("action", "deny"),
            ],
        )
        .await;
        assert_eq!(status, 400);
        assert!(html.contains("already used"));
        em.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn denying_on_the_page_or_the_handle_ends_with_access_denied() {
    within(async {
        let em = tenant(0).await;
        // The page without a code asks for one.
        let (status, html) = page(&em, "").await;
        assert_eq!(status, 200);
        assert_eq!(input_value(&html, "user_code").as_deref(), Some(""));
        let (status, html) = submit(
            &em,
            &[
                ("user_code", "BBBB-BBBB"),
                ("username", demo::USERNAME),
                ("password", demo::PASSWORD),
                ("action", "approve"),
            ],
        )
        .await;
        assert_eq!(status, 400);
        assert!(html.contains("Unknown code"));

        let on_page = start(&em, &[]).await;
        let (status, html) = submit(
            &em,
            &[
                ("user_code", text(&on_page, "user_code")),
                ("username", demo::USERNAME),
                ("password", demo::PASSWORD),
                ("action", "deny"),
            ],
        )
        .await;
        assert_eq!(status, 200);
        assert!(html.contains("Device access denied"));
        let (status, body) = poll(&em, &on_page).await;
        assert_eq!((status, text(&body, "error")), (403, "access_denied"));

        let by_handle = start(&em, &[]).await;
        let code = text(&by_handle, "user_code");
        assert!(em.deny_device(code));
        assert!(!em.deny_device(code), "already answered");
        assert!(!em.approve_device(code, demo::USERNAME), "already answered");
        let (status, body) = poll(&em, &by_handle).await;
        assert_eq!((status, text(&body, "error")), (403, "access_denied"));
        assert_eq!(em.device_requests()[1].status, DeviceStatus::Denied);

        // The handle approves for a named user; unknown users and codes are refused.
        let approved = start(&em, &[("scope", "openid offline_access")]).await;
        let code = text(&approved, "user_code");
        assert!(!em.approve_device(code, "nobody@example.com"));
        assert!(!em.approve_device("BBBB-BBBB", demo::USERNAME));
        assert!(em.approve_device(code, demo::USERNAME));
        // Another client cannot redeem it.
        let (status, body) = poll_as(&em, "other-public", text(&approved, "device_code")).await;
        assert_eq!((status, text(&body, "error")), (403, "invalid_grant"));
        let (status, body) = poll(&em, &approved).await;
        assert_eq!(status, 200, "{body}");
        assert!(body["refresh_token"].is_string());
        assert!(body["id_token"].is_string());
        em.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn unanswered_codes_expire() {
    within(async {
        let em = tenant_with(
            Emulator::builder()
                .device_interval(0)
                .device_code_lifetime(Duration::from_millis(400)),
        )
        .await;
        let started = start(&em, &[]).await;
        let (status, body) = poll(&em, &started).await;
        assert_eq!(
            (status, text(&body, "error")),
            (400, "authorization_pending")
        );
        tokio::time::sleep(Duration::from_millis(600)).await;
        let (status, body) = poll(&em, &started).await;
        assert_eq!((status, text(&body, "error")), (403, "expired_token"));
        let code = text(&started, "user_code");
        assert!(!em.approve_device(code, demo::USERNAME));
        let (status, html) = submit(
            &em,
            &[
                ("user_code", code),
                ("username", demo::USERNAME),
                ("password", demo::PASSWORD),
                ("action", "approve"),
            ],
        )
        .await;
        assert_eq!(status, 400);
        assert!(html.contains("expired"));
        em.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn polling_too_fast_slows_down_by_five_seconds() {
    within(async {
        let em = tenant(1).await;
        let started = start(&em, &[]).await;
        let code = text(&started, "user_code").to_owned();
        // Sooner than the interval after the start.
        let (status, body) = poll(&em, &started).await;
        assert_eq!((status, text(&body, "error")), (400, "slow_down"), "{body}");
        assert_eq!(body["interval"], 6);
        let (status, body) = poll(&em, &started).await;
        assert_eq!((status, text(&body, "error")), (400, "slow_down"));
        assert_eq!(body["interval"], 11);
        assert_eq!(em.device_requests()[0].interval, 11);
        assert_eq!(em.device_poll_times(&code).len(), 2);
        assert!(em.device_poll_times("BBBB-BBBB").is_empty());

        // Waiting the (original) interval is enough on a fresh request.
        let other = start(&em, &[]).await;
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let (status, body) = poll(&em, &other).await;
        assert_eq!(
            (status, text(&body, "error")),
            (400, "authorization_pending")
        );
        assert!(em.approve_device(text(&other, "user_code"), demo::USERNAME));
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let (status, body) = poll(&em, &other).await;
        assert_eq!(status, 200, "{body}");
        let times = em.device_poll_times(text(&other, "user_code"));
        assert_eq!(times.len(), 2);
        assert!(times[1] - times[0] >= Duration::from_secs(1));
        em.shutdown().await;
    })
    .await;
}
