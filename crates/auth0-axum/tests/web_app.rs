//! The example web app (`examples/web_app.rs`) end to end over real HTTP on loopback, against
//! its in-process tenant: the home page offers a login, the profile page (behind
//! `require_login`) shows the claims, the API page calls the in-process API with the session's
//! access token, and the logout button (a POST) ends the session.

#[allow(dead_code)]
#[path = "../examples/web_app.rs"]
mod example;
mod support;

use auth0_emulator::demo;
use support::Browser;

#[tokio::test]
async fn the_example_app_logs_in_shows_claims_calls_the_api_and_logs_out() {
    assert!(
        std::env::var_os("AUTH0_DOMAIN").is_none(),
        "this test runs the example against its in-process tenant"
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (auth, guard, tenant) = example::auth0(&base).await.unwrap();
    let tenant = tenant.expect("the in-process tenant");
    let app = example::app(&auth, guard, base.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });

    let mut b = Browser::new();
    let home = b.get(&format!("{base}/")).await;
    assert!(home.body.contains("Log in"), "{}", home.body);

    let back = b.log_in(&base, &tenant.base_url(), "/profile").await;
    assert_eq!(back, format!("{base}/profile"));
    let profile = b.get(&back).await;
    assert_eq!(profile.status, 200);
    assert!(profile.body.contains(demo::NAME), "{}", profile.body);
    assert!(profile.body.contains("<th>sub</th>"));

    let api = b.get(&format!("{base}/messages")).await;
    assert_eq!(api.status, 200);
    assert!(api.body.contains("<b>200 OK</b>"), "{}", api.body);
    assert!(api.body.contains("messages for auth0|"), "{}", api.body);

    let out = b.post(&format!("{base}/auth/logout"), &[]).await;
    assert_eq!(out.status, 303);
    let again = b.get(&format!("{base}/profile")).await;
    assert_eq!(again.status, 303);
    assert!(
        again
            .location
            .unwrap()
            .contains("/auth/login?returnTo=%2Fprofile")
    );
}
