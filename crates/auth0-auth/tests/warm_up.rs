//! The background warm-up that `AuthClientBuilder::build` starts (aws-lc's generator seeding
//! and the CA roots load) is harmless: clients built with it on or off work, many clients built
//! at once from many threads all work, a caller's own HTTP client is used as given, and a
//! client built outside any runtime (the blocking client's case) works too. No timing is
//! asserted: what the warm-up saves is measured by `bench/compare/cold_start.sh`.

mod common;

use auth0_auth::{AuthClient, ClientCredentialsRequest, ExposeSecret};
use auth0_emulator::demo;
use common::{bounded, confidential, demo_tenant};

#[tokio::test]
async fn clients_built_with_and_without_the_warm_up_get_tokens() {
    let tenant = demo_tenant().await;
    for on in [true, false, true] {
        let client = confidential(&tenant)
            .warm_up(on)
            .build()
            .expect("the client builds");
        let tokens = bounded(client.get_token_by_client_credentials(
            ClientCredentialsRequest::new().audience(demo::AUDIENCE),
        ))
        .await
        .expect("the grant succeeds");
        assert!(!tokens.access_token.expose_secret().is_empty());
    }
    assert_eq!(tenant.requests_to("/oauth/token").len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_clients_built_at_once_from_many_threads_all_work() {
    let tenant = demo_tenant().await;
    let base = tenant.base_url();
    let builders: Vec<_> = (0..16)
        .map(|i| {
            let base = base.clone();
            tokio::task::spawn_blocking(move || {
                AuthClient::builder(base, demo::CLIENT_ID)
                    .client_secret(demo::CLIENT_SECRET)
                    .warm_up(i % 3 != 0)
                    .build()
            })
        })
        .collect();
    let mut calls = Vec::new();
    for built in builders {
        let client = bounded(built)
            .await
            .expect("the building thread finishes")
            .expect("the client builds");
        calls.push(tokio::spawn(async move {
            client
                .get_token_by_client_credentials(
                    ClientCredentialsRequest::new().audience(demo::AUDIENCE),
                )
                .await
        }));
    }
    for call in calls {
        bounded(call)
            .await
            .expect("the call's task finishes")
            .expect("the grant succeeds");
    }
    assert_eq!(tenant.requests_to("/oauth/token").len(), 16);
}

#[tokio::test]
async fn a_callers_http_client_is_used_as_given() {
    let tenant = demo_tenant().await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .user_agent("warm-up-test")
        .build()
        .expect("the caller's client builds");
    let client = confidential(&tenant)
        .http_client(http)
        .build()
        .expect("the client builds");
    bounded(
        client.get_token_by_client_credentials(
            ClientCredentialsRequest::new().audience(demo::AUDIENCE),
        ),
    )
    .await
    .expect("the grant succeeds");
    let sent = tenant.requests_to("/oauth/token");
    assert_eq!(sent.len(), 1);
    assert!(
        sent[0]
            .headers
            .iter()
            .any(|(k, v)| k == "user-agent" && v == "warm-up-test"),
        "the caller's HTTP client was not the one used: {:?}",
        sent[0].headers
    );
}

#[test]
fn a_client_built_outside_any_runtime_works() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let tenant = runtime.block_on(demo_tenant());
    // Built outside the runtime, as the blocking client and `main` before a runtime do.
    let client = confidential(&tenant).build().expect("the client builds");
    runtime
        .block_on(bounded(client.get_token_by_client_credentials(
            ClientCredentialsRequest::new().audience(demo::AUDIENCE),
        )))
        .expect("the grant succeeds");
}
