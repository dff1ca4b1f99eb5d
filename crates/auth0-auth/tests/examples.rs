//! The runnable examples, run against the local tenant emulator (their `run` functions, with no
//! nested cargo).

mod common;

#[path = "../examples/device_flow.rs"]
#[allow(dead_code)]
mod device_flow;

#[path = "../examples/device_flow_blocking.rs"]
#[allow(dead_code)]
mod device_flow_blocking;

#[path = "../examples/quickstart.rs"]
#[allow(dead_code)]
mod quickstart;

#[path = "../examples/machine_to_machine.rs"]
#[allow(dead_code)]
mod machine_to_machine;

use auth0_auth::AuthClient;
use auth0_emulator::{Emulator, demo};
use common::{bounded, tenant};

#[tokio::test]
async fn the_device_flow_example_signs_the_user_in() {
    let t = tenant(Emulator::builder().demo_tenant().device_interval(1)).await;
    let client = AuthClient::builder(t.base_url(), demo::PUBLIC_CLIENT_ID)
        .build()
        .unwrap();
    let mut shown = String::new();
    let tokens = bounded(device_flow::run(&client, |started| {
        shown = device_flow::instructions(started);
        let (uri, code) = (started.verification_uri.clone(), started.user_code.clone());
        tokio::spawn(async move {
            device_flow::approve_on_emulator(&uri, &code, demo::USERNAME, demo::PASSWORD)
                .await
                .expect("the code is approved");
        });
    }))
    .await
    .unwrap();
    assert_eq!(device_flow::signed_in_as(&tokens), demo::USERNAME);
    assert!(
        tokens.refresh_token.is_some(),
        "offline_access gives a refresh token"
    );
    assert!(shown.contains("/activate"), "{shown}");
    assert_eq!(t.requests_to("/oauth/device/code").len(), 1);
    let approvals: Vec<_> = t
        .requests_to("/activate")
        .into_iter()
        .filter(|r| r.method == "POST")
        .collect();
    assert_eq!(
        approvals.len(),
        1,
        "approved once, through the activation page"
    );
}

#[tokio::test]
async fn the_device_flow_example_reports_a_denial() {
    let t = tenant(Emulator::builder().demo_tenant().device_interval(1)).await;
    let client = AuthClient::builder(t.base_url(), demo::PUBLIC_CLIENT_ID)
        .build()
        .unwrap();
    let denier = t.clone();
    let e = bounded(device_flow::run(&client, move |started| {
        assert!(denier.deny_device(&started.user_code));
    }))
    .await
    .unwrap_err();
    let e = e.downcast::<auth0_auth::Error>().expect("an SDK error");
    assert_eq!(e.oauth().unwrap().error, "access_denied");
}

#[test]
fn the_blocking_device_flow_example_signs_the_user_in() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let t = runtime
        .block_on(bounded(
            Emulator::builder().demo_tenant().device_interval(1).start(),
        ))
        .unwrap();
    let client = AuthClient::builder(t.base_url(), demo::PUBLIC_CLIENT_ID)
        .build_blocking()
        .unwrap();
    let tokens = device_flow_blocking::run(&client, |started| {
        let approval = device_flow_blocking::approve_on_emulator(
            started.verification_uri.clone(),
            started.user_code.clone(),
            demo::USERNAME,
            demo::PASSWORD,
        );
        runtime.spawn(async move { approval.await.expect("the code is approved") });
    })
    .unwrap();
    assert_eq!(
        tokens.claims.as_ref().and_then(|c| c.email()),
        Some(demo::USERNAME)
    );
}

#[tokio::test]
async fn the_machine_to_machine_example_reuses_its_token() {
    let t = tenant(Emulator::builder().demo_tenant()).await;
    let api = machine_to_machine::start_demo_api().await.unwrap();
    let client = AuthClient::builder(t.base_url(), demo::CLIENT_ID)
        .client_secret(demo::CLIENT_SECRET)
        .build()
        .unwrap();
    let report = bounded(machine_to_machine::run(client, demo::AUDIENCE, &api, 3))
        .await
        .unwrap();
    assert_eq!(report.api_calls, 3);
    assert_eq!(report.tokens_requested, 1);
    assert_eq!(t.requests_to("/oauth/token").len(), 1);
}

#[tokio::test]
async fn the_machine_to_machine_example_renews_a_token_about_to_expire() {
    // Tokens that live less than the renewal margin are never reused.
    let lifetime = machine_to_machine::RENEW_BEFORE_SECS / 2;
    let t = tenant(
        Emulator::builder()
            .demo_tenant()
            .access_token_lifetime(lifetime),
    )
    .await;
    let api = machine_to_machine::start_demo_api().await.unwrap();
    let client = AuthClient::builder(t.base_url(), demo::CLIENT_ID)
        .client_secret(demo::CLIENT_SECRET)
        .build()
        .unwrap();
    let report = bounded(machine_to_machine::run(client, demo::AUDIENCE, &api, 2))
        .await
        .unwrap();
    assert_eq!(report.tokens_requested, 2);
}

#[tokio::test]
async fn the_stand_in_api_refuses_calls_without_a_token() {
    let api = machine_to_machine::start_demo_api().await.unwrap();
    let status = bounded(auth0_auth::reqwest::Client::new().get(&api).send())
        .await
        .unwrap()
        .status();
    assert_eq!(status, 401);
}

#[tokio::test]
async fn the_quickstart_walks_through_every_step_on_the_local_tenant() {
    // Always the local tenant, whatever AUTH0_DOMAIN says: tests only touch loopback.
    let tenant = quickstart::local_tenant().await.unwrap();
    bounded(quickstart::run(tenant)).await.unwrap();
}
