//! Runs `examples/browser_login.rs` against the emulator, so the example keeps working.

mod common;

#[allow(dead_code)]
#[path = "../examples/browser_login.rs"]
mod example;

use auth0_emulator::demo;

#[tokio::test]
async fn the_browser_login_example_completes_a_login() {
    let t = common::demo_tenant().await;
    let outcome = common::bounded(example::run(&t)).await.unwrap();
    assert_eq!(outcome.email.as_deref(), Some(demo::USERNAME));
    assert!(outcome.user_id.is_some());
    assert!(outcome.refresh_token);
    let sent = t.requests_to("/oauth/token").pop().unwrap();
    assert_eq!(
        sent.form_value("redirect_uri").as_deref(),
        Some(demo::CALLBACKS[0])
    );
}
